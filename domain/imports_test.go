package domain_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The module table: every package under a layer directory belongs to a module, a layer kit, a
// process that crosses modules, or the wiring. A package missing here fails the test, so the
// table (and with it the rules) grows with every module.
const module = "github.com/chronicle-crm/chronicle/"

type pkgInfo struct {
	layer  int    // 0 domain, 1 commands, 2 readmodels, 3 projections, 4 transport, 5 wiring
	module string // "" for a layer's kit; "process" for cross-module processes
}

var packages = map[string]pkgInfo{
	"commands":                 {1, ""},
	"commands/access":          {1, ""},
	"commands/leadcmd":         {1, "lead"},
	"commands/customercmd":     {1, "customer"},
	"commands/orgcmd":          {1, "org"},
	"commands/dictcmd":         {1, "dictionary"},
	"commands/opportunitycmd":  {1, "opportunity"},
	"commands/usercmd":         {1, "org"},
	"commands/conversion":      {1, "process"},
	"commands/followup":        {1, "process"},
	"commands/productcmd":      {1, "product"},
	"commands/contractcmd":     {1, "contract"},
	"commands/financecmd":      {1, "finance"},
	"commands/taskcmd":         {1, "task"},
	"commands/schedulecmd":     {1, "schedule"},
	"commands/notifycmd":       {1, "notification"},
	"commands/announcementcmd": {1, "announcement"},
	"commands/worklogcmd":      {1, "worklog"},
	"commands/privacycmd":      {1, "privacy"}, // erasures of leads' and contacts' personal data
	// Approval flows and routing: a kit every module whose records go through approval uses.
	"commands/approvalcmd": {1, ""},

	"readmodels":                {2, ""},
	"readmodels/readmodelstest": {2, "wiring"}, // a test suite run by the read stores

	// The import job runner decides through the modules' commands and reads their views (the
	// customers an import names, its own job state): a process one layer up, beside the views.
	"commands/dataimport":         {2, "process"},
	"readmodels/leadview":         {2, "lead"},
	"readmodels/customerview":     {2, "customer"},
	"readmodels/orgview":          {2, "org"},
	"readmodels/dictview":         {2, "dictionary"},
	"readmodels/opportunityview":  {2, "opportunity"},
	"readmodels/productview":      {2, "product"},
	"readmodels/contractview":     {2, "contract"},
	"readmodels/financeview":      {2, "finance"},
	"readmodels/taskview":         {2, "task"},
	"readmodels/scheduleview":     {2, "schedule"},
	"readmodels/notifyview":       {2, "notification"},
	"readmodels/announcementview": {2, "announcement"},
	"readmodels/worklogview":      {2, "worklog"},
	// The inbox lists the submissions of every kind of subject.
	"readmodels/approvalview": {2, "process"},
	"readmodels/loginview":    {2, "audit"},
	"readmodels/auditview":    {2, "audit"},
	"readmodels/importview":   {2, "import"},
	// The workbench reads the lead, customer and audit views together: a report across modules.
	"readmodels/workbenchview": {2, "process"},

	"projections/engine":           {3, ""},
	"projections/kit":              {3, ""},
	"projections/projtest":         {3, "wiring"}, // test harness: a wired engine
	"projections/leadproj":         {3, "lead"},
	"projections/customerproj":     {3, "customer"},
	"projections/orgproj":          {3, "org"},
	"projections/dictproj":         {3, "dictionary"},
	"projections/opportunityproj":  {3, "opportunity"},
	"projections/productproj":      {3, "product"},
	"projections/taskproj":         {3, "task"},
	"projections/scheduleproj":     {3, "schedule"},
	"projections/announcementproj": {3, "announcement"},
	"projections/worklogproj":      {3, "worklog"},
	// Notifications follow from the events of the modules they tell of.
	"projections/notifyproj":     {3, "process"},
	"projections/contractproj":   {3, "contract"},
	"projections/financeproj":    {3, "finance"},
	"projections/approvalproj":   {3, "process"},
	"projections/loginproj":      {3, "audit"},
	"projections/auditproj":      {3, "audit"},
	"projections/conversionproj": {3, "process"},
	"projections/dealproj":       {3, "process"}, // won opportunities → closed-deal customers

	"adapters/httpapi":                {4, "wiring"}, // router and middleware: the transport's root
	"adapters/httpapi/httpkit":        {4, ""},
	"adapters/httpapi/tabular":        {4, "process"}, // the column specs of every importable module
	"adapters/httpapi/openapi":        {4, ""},
	"adapters/httpapi/apitest":        {4, "wiring"}, // test harness: a running application
	"adapters/httpapi/leadapi":        {4, "lead"},
	"adapters/httpapi/customerapi":    {4, "customer"},
	"adapters/httpapi/contactapi":     {4, "customer"},
	"adapters/httpapi/followupapi":    {4, "process"},
	"adapters/httpapi/orgapi":         {4, "org"},
	"adapters/httpapi/dictapi":        {4, "dictionary"},
	"adapters/httpapi/opportunityapi": {4, "opportunity"},
	"adapters/httpapi/userapi":        {4, "org"},
	"adapters/httpapi/auditapi":       {4, "audit"},
	// The compliance screen reads the audit chain and the backups (store adapters, outside the table).
	"adapters/httpapi/complianceapi":   {4, "audit"},
	"adapters/httpapi/importapi":       {4, "process"},
	"adapters/httpapi/workbenchapi":    {4, "process"},
	"adapters/httpapi/opsapi":          {4, ""},
	"adapters/httpapi/productapi":      {4, "product"},
	"adapters/httpapi/taskapi":         {4, "task"},
	"adapters/httpapi/scheduleapi":     {4, "schedule"},
	"adapters/httpapi/notifyapi":       {4, "notification"},
	"adapters/httpapi/contractapi":     {4, "contract"},
	"adapters/httpapi/financeapi":      {4, "finance"},
	"adapters/httpapi/announcementapi": {4, "announcement"},
	"adapters/httpapi/worklogapi":      {4, "worklog"},
	// Erasures: the privacy commands, listed from the operation log's erasure events.
	"adapters/httpapi/privacyapi": {4, "process"},
	// E-mail crosses the organisation (settings, users) and the notifications.
	"adapters/httpapi/mailapi": {4, "process"},

	"adapters/app":  {5, "wiring"},
	"cmd/chronicle": {5, "wiring"},
	// The load harness seeds through a wired application and drives the API over HTTP.
	"cmd/chronicle/loadgen": {5, "wiring"},
}

// layerOf is the layer of a repository directory (-1: not a layered package, e.g. the store
// adapters, which only implement domain ports).
func layerOf(dir string) int {
	switch first, _, _ := strings.Cut(dir, "/"); first {
	case "domain":
		return 0
	case "commands":
		return 1
	case "readmodels":
		return 2
	case "projections":
		return 3
	case "cmd":
		return 5
	}
	switch {
	case dir == "adapters/app":
		return 5
	case dir == "adapters/httpapi" || strings.HasPrefix(dir, "adapters/httpapi/"):
		return 4
	}
	return -1
}

// importRule reports why from (a package directory) may not import to, or "" when it may.
func importRule(from, to string) string {
	f, fok := packages[from]
	t, tok := packages[to]
	if !tok {
		return "" // the standard library, domain, store adapters and third-party code
	}
	if !fok {
		return from + " is not in the module table of domain/imports_test.go"
	}
	switch {
	case f.module == "wiring":
		return ""
	case t.layer > f.layer:
		return "a lower layer never imports a higher one"
	case t.module == "" || t.module == f.module:
		return ""
	case t.module == "process" && f.module != "process" && f.layer > t.layer:
		return "" // transport and projections drive the processes of lower layers
	case f.module == "process" && t.layer == f.layer || f.module == "process" && t.layer < f.layer:
		return "" // a process crosses modules on purpose
	}
	return "sibling modules never import each other (" + f.module + " → " + t.module + "): go through a process package or a port"
}

func TestModuleImportRules(t *testing.T) {
	fset := token.NewFileSet()
	root := ".."
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		// Tests may wire what they test with anything; the rules are about the product's code.
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		dir := filepath.ToSlash(rel)
		if layerOf(dir) < 1 {
			return nil
		}
		if _, ok := packages[dir]; !ok {
			t.Errorf("%s: package %s is not in the module table of domain/imports_test.go", path, dir)
			return nil
		}
		seen[dir] = true
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			to, ok := strings.CutPrefix(p, module)
			if !ok {
				continue
			}
			if why := importRule(dir, to); why != "" {
				t.Errorf("%s imports %s: %s", path, to, why)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var stale []string
	for dir := range packages {
		if !seen[dir] {
			stale = append(stale, dir)
		}
	}
	slices.Sort(stale)
	if len(stale) > 0 {
		t.Errorf("the module table names packages that do not exist: %v", stale)
	}
}

// The rules themselves: a sibling import is refused, so adding one fails TestModuleImportRules.
func TestImportRuleRefusesSiblings(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		from, to string
		ok       bool
	}{
		{"commands/leadcmd", "commands/customercmd", false},
		{"readmodels/leadview", "readmodels/customerview", false},
		{"projections/leadproj", "projections/customerproj", false},
		{"adapters/httpapi/leadapi", "adapters/httpapi/customerapi", false},
		{"adapters/httpapi/leadapi", "readmodels/customerview", false},
		{"commands/leadcmd", "readmodels/leadview", false}, // commands never read views
		{"readmodels/leadview", "projections/leadproj", false},
		{"commands/leadcmd", "commands", true},
		{"commands/leadcmd", "commands/access", true},
		{"readmodels/orgview", "commands/usercmd", true},
		{"adapters/httpapi/leadapi", "commands/leadcmd", true},
		{"adapters/httpapi/leadapi", "adapters/httpapi/httpkit", true},
		{"commands/conversion", "commands/leadcmd", true},
		{"commands/conversion", "commands/customercmd", true},
		{"adapters/httpapi/followupapi", "commands/followup", true},
		{"adapters/app", "adapters/httpapi/leadapi", true},
	} {
		if got := importRule(c.from, c.to) == ""; got != c.ok {
			t.Errorf("%s → %s: allowed %v, want %v (%s)", c.from, c.to, got, c.ok, importRule(c.from, c.to))
		}
	}
}
