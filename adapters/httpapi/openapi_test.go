package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gorilla/mux"

	"github.com/chronicle-crm/chronicle/adapters/app"
	"github.com/chronicle-crm/chronicle/adapters/httpapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/announcementapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/complianceapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/contactapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/contractapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/customerapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/financeapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/followupapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/leadapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/mailapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/notifyapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/orgapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/productapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/scheduleapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/taskapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/userapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/worklogapi"
	"github.com/chronicle-crm/chronicle/domain/contact"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels/loginview"
)

// httpMethods are the operation keys of an OpenAPI path item.
var httpMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func openAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(document(t), &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	return doc
}

// document is the OpenAPI document of the application's modules.
func document(t *testing.T) []byte {
	t.Helper()
	doc, err := app.OpenAPI()
	if err != nil {
		t.Fatalf("assemble the OpenAPI document: %v", err)
	}
	return doc
}

// testServer is the API of a real application (every module's routes) on an empty SQLite
// directory.
func testServer(t *testing.T) *httpapi.Server {
	t.Helper()
	a, err := app.Open(context.Background(), app.Config{DataDir: t.TempDir()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a.API
}

// muxVar matches a gorilla/mux path variable, optionally with a pattern ({id:[0-9]+}).
var muxVar = regexp.MustCompile(`\{([^{}:]+)(?::[^{}]*)?\}`)

// routeSet walks the router and returns "METHOD /path/{var}" for every route that has methods.
func routeSet(t *testing.T, r *mux.Router) map[string]bool {
	t.Helper()
	routes := map[string]bool{}
	err := r.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		tpl, err := route.GetPathTemplate()
		if err != nil {
			return nil // no path (cannot happen with this API, but not an endpoint either)
		}
		methods, err := route.GetMethods()
		if err != nil {
			return nil // a subrouter's prefix, not an endpoint
		}
		tpl = muxVar.ReplaceAllString(tpl, "{$1}")
		for _, m := range methods {
			routes[strings.ToUpper(m)+" "+tpl] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk routes: %v", err)
	}
	return routes
}

func docOperations(doc map[string]any) (map[string]map[string]any, error) {
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("paths is missing or not an object")
	}
	ops := map[string]map[string]any{}
	for p, item := range paths {
		pi, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("path item %s is not an object", p)
		}
		for _, m := range httpMethods {
			if o, ok := pi[m]; ok {
				op, ok := o.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("%s %s is not an object", m, p)
				}
				ops[strings.ToUpper(m)+" "+p] = op
			}
		}
	}
	return ops, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestOpenAPIVersion(t *testing.T) {
	doc := openAPIDoc(t)
	if v := doc["openapi"]; v != "3.1.0" {
		t.Fatalf("openapi = %v, want 3.1.0", v)
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == nil || info["version"] == nil {
		t.Fatalf("info needs title and version: %v", info)
	}
}

// TestOpenAPIMatchesRoutes: every registered route is documented and every documented operation
// is registered.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := openAPIDoc(t)
	ops, err := docOperations(doc)
	if err != nil {
		t.Fatal(err)
	}
	routes := routeSet(t, testServer(t).Router())
	if len(routes) == 0 {
		t.Fatal("the router has no routes")
	}
	var undocumented, unrouted []string
	for r := range routes {
		if _, ok := ops[r]; !ok {
			undocumented = append(undocumented, r)
		}
	}
	for o := range ops {
		if !routes[o] {
			unrouted = append(unrouted, o)
		}
	}
	sort.Strings(undocumented)
	sort.Strings(unrouted)
	if len(undocumented)+len(unrouted) > 0 {
		var b strings.Builder
		b.WriteString("routes and openapi.json disagree:\n")
		for _, r := range undocumented {
			b.WriteString("  + routed but not documented: " + r + "\n")
		}
		for _, o := range unrouted {
			b.WriteString("  - documented but not routed: " + o + "\n")
		}
		t.Fatal(b.String())
	}
	t.Logf("%d routes, all documented", len(routes))
}

// resolve follows a local JSON pointer ("#/components/schemas/Lead").
func resolve(doc map[string]any, ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("%q is not a local reference", ref)
	}
	var cur any = doc
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q: %q is not inside an object", ref, part)
		}
		if cur, ok = obj[part]; !ok {
			return nil, fmt.Errorf("%q: no %q", ref, part)
		}
	}
	return cur, nil
}

// deref resolves v if it is a reference object.
func deref(t *testing.T, doc map[string]any, v any) map[string]any {
	t.Helper()
	m, _ := v.(map[string]any)
	for i := 0; m != nil && i < 10; i++ {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		r, err := resolve(doc, ref)
		if err != nil {
			t.Fatal(err)
		}
		m, _ = r.(map[string]any)
	}
	return m
}

func TestOpenAPIOperationsAndRefs(t *testing.T) {
	doc := openAPIDoc(t)
	ops, err := docOperations(doc)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, key := range sortedKeys(ops) {
		op := ops[key]
		id, _ := op["operationId"].(string)
		if id == "" {
			t.Errorf("%s has no operationId", key)
		} else if other, dup := ids[id]; dup {
			t.Errorf("operationId %q is used by %s and %s", id, other, key)
		} else {
			ids[id] = key
		}
		responses, _ := op["responses"].(map[string]any)
		if len(responses) == 0 {
			t.Errorf("%s has no responses", key)
		}
		// Every {var} of the path template is a declared, required path parameter.
		path := strings.SplitN(key, " ", 2)[1]
		declared := map[string]bool{}
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			pm := deref(t, doc, p)
			if pm["in"] == "path" {
				if pm["required"] != true {
					t.Errorf("%s: path parameter %v must be required", key, pm["name"])
				}
				declared[fmt.Sprint(pm["name"])] = true
			}
		}
		for _, m := range muxVar.FindAllStringSubmatch(path, -1) {
			if !declared[m[1]] {
				t.Errorf("%s: path parameter {%s} is not declared", key, m[1])
			}
			delete(declared, m[1])
		}
		for name := range declared {
			t.Errorf("%s: declares path parameter %q that the path lacks", key, name)
		}
	}

	var refs int
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				refs++
				if _, err := resolve(doc, ref); err != nil {
					t.Errorf("at %s: unresolved $ref: %v", at, err)
				}
			}
			for k, x := range v {
				walk(x, at+"/"+k)
			}
		case []any:
			for i, x := range v {
				walk(x, fmt.Sprintf("%s/%d", at, i))
			}
		}
	}
	walk(doc, "#")
	if refs == 0 {
		t.Error("the document has no $ref at all; expected shared components")
	}
}

// TestOpenAPIPublicOperations: only the public endpoints opt out of the global bearer security.
func TestOpenAPIPublicOperations(t *testing.T) {
	doc := openAPIDoc(t)
	ops, err := docOperations(doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["security"].([]any); !ok {
		t.Fatal("no global security requirement")
	}
	public := []string{"GET /healthz", "GET /readyz", "GET /metrics", "GET /api/openapi.json", "POST /api/v1/auth/login",
		"GET /api/v1/calendar/feed/{token}", "POST /api/v1/auth/password-reset", "POST /api/v1/auth/password-reset/confirm"}
	for _, key := range sortedKeys(ops) {
		sec, has := ops[key]["security"].([]any)
		isPublic := has && len(sec) == 0
		if want := slices.Contains(public, key); isPublic != want {
			t.Errorf("%s: public = %v, want %v", key, isPublic, want)
		}
	}
}

// requestDTOs maps request schema names to the exported DTOs the handlers decode into.
// (The password bodies of reset-password and change-password, and the small assign, release and
// primary-contact bodies, are unexported and not listed.)
var requestDTOs = map[string]any{
	"AuditVerifyRequest":             complianceapi.VerifyRequest{},
	"TaskCreate":                     taskapi.TaskCreate{},
	"ScheduleCreate":                 scheduleapi.ScheduleCreate{},
	"SchedulePatch":                  scheduleapi.Patch{},
	"ScheduleOwnerRequest":           scheduleapi.OwnerBody{},
	"ScheduleOccurrenceRequest":      scheduleapi.OccurrenceBody{},
	"ScheduleCancelRequest":          scheduleapi.CancelBody{},
	"NotificationReadRequest":        notifyapi.ReadBody{},
	"TaskPatch":                      taskapi.Patch{},
	"TaskAssignRequest":              taskapi.AssignBody{},
	"TaskStatusRequest":              taskapi.StatusBody{},
	"TaskChecklistItemRequest":       taskapi.ItemBody{},
	"TaskCheckRequest":               taskapi.CheckBody{},
	"TaskCommentRequest":             taskapi.CommentBody{},
	"ContractCreate":                 contractapi.ContractCreate{},
	"ContractPatch":                  contractapi.Patch{},
	"ContractCommentRequest":         contractapi.CommentBody{},
	"ContractTerminateRequest":       contractapi.ReasonBody{},
	"ContractAmendRequest":           contractapi.AmendBody{},
	"ContractNumberingRequest":       contractapi.NumberingBody{},
	"ApprovalFlowRequest":            contractapi.FlowBody{},
	"LeadCreate":                     leadapi.LeadCreate{},
	"LeadPatch":                      leadapi.LeadPatch{},
	"UserCreate":                     userapi.UserCreate{},
	"UserPatch":                      userapi.UserPatch{},
	"DepartmentCreate":               orgapi.DepartmentCreate{},
	"DepartmentPatch":                orgapi.DepartmentPatch{},
	"RoleCreate":                     orgapi.RoleCreate{},
	"RolePatch":                      orgapi.RolePatch{},
	"SettingsPatch":                  orgapi.SettingsPatch{},
	"SmtpSettingsRequest":            mailapi.SMTPSettings{},
	"SmtpTestRequest":                mailapi.TestBody{},
	"NotificationPreferencesRequest": mailapi.PrefsBody{},
	"PasswordResetRequest":           mailapi.ResetBody{},
	"PasswordResetConfirm":           mailapi.ConfirmBody{},
	"CustomerCreate":                 customerapi.CustomerCreate{},
	"CustomerPatch":                  customerapi.CustomerPatch{}, // a map: see TestOpenAPICustomerPatch
	"ContactCreate":                  contactapi.ContactCreate{},
	"ContactPatch":                   contact.Fields{}, // PATCH /contacts/{id} decodes onto the current contact.Fields
	"LeadConvertRequest":             leadapi.ConvertBody{},
	"FollowUpCreate":                 followupapi.FollowUpCreate{},
	"ProductCreate":                  productapi.ProductCreate{},
	"ProductPatch":                   productapi.ProductPatch{},
	"ProductCategoryCreate":          productapi.CategoryCreate{},
	"ProductCategoryPatch":           productapi.CategoryPatch{},
	"ReceivablePlanRequest":          financeapi.PlanBody{},
	"ReceiptRequest":                 financeapi.ReceiptBody{},
	"ReceiptCommentRequest":          financeapi.CommentBody{},
	"ReceiptReverseRequest":          financeapi.ReverseBody{},
	"FinanceReasonRequest":           financeapi.ReasonBody{},
	"SupplierRequest":                financeapi.SupplierBody{},
	"SupplierPatch":                  financeapi.SupplierPatchBody{},
	"PayableRequest":                 financeapi.PayableBody{},
	"PayablePatch":                   financeapi.PayablePatchBody{},
	"PaymentVoucherRequest":          financeapi.VoucherBody{},
	"VoucherCommentRequest":          financeapi.CommentBody{},
	"VoucherReverseRequest":          financeapi.ReverseBody{},

	"AnnouncementCreate":          announcementapi.AnnouncementCreate{},
	"AnnouncementAudienceRequest": announcementapi.AudienceBody{},
	"AnnouncementPatch":           announcementapi.Patch{},
	"WorkLogCreate":               worklogapi.WorkLogCreate{},
	"WorkLogPatch":                worklogapi.Patch{},
	"WorkLogLinkRequest":          worklogapi.Link{},
	"WorkLogCommentRequest":       worklogapi.CommentBody{},
}

// jsonFields lists the JSON member names of a struct type as encoding/json sees them: fields of
// embedded structs without a json tag are promoted (CustomerCreate embeds customer.Fields), and
// a shallower field hides a deeper one of the same name (CustomerCreate.NextFollowUpAt).
func jsonFields(typ reflect.Type) []string {
	seen := map[string]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		var embedded []reflect.Type
		for i := range t.NumField() {
			f := t.Field(i)
			tag := strings.Split(f.Tag.Get("json"), ",")[0]
			if tag == "-" {
				continue
			}
			if f.Anonymous && tag == "" {
				et := f.Type
				if et.Kind() == reflect.Pointer {
					et = et.Elem()
				}
				if et.Kind() == reflect.Struct {
					embedded = append(embedded, et)
					continue
				}
			}
			if !f.IsExported() {
				continue
			}
			if tag == "" {
				tag = f.Name
			}
			seen[tag] = true
		}
		for _, et := range embedded {
			walk(et)
		}
	}
	walk(typ)
	return sortedKeys(seen)
}

// TestOpenAPIRequestSchemasMatchDTOs: the documented request properties are exactly the JSON
// fields of the DTOs, and unknown fields are declared rejected.
func TestOpenAPIRequestSchemasMatchDTOs(t *testing.T) {
	doc := openAPIDoc(t)
	for name, dto := range requestDTOs {
		schema := deref(t, doc, map[string]any{"$ref": "#/components/schemas/" + name})
		if schema == nil {
			t.Errorf("schema %s is missing", name)
			continue
		}
		if schema["additionalProperties"] != false {
			t.Errorf("%s: additionalProperties must be false (unknown fields are rejected)", name)
		}
		props, _ := schema["properties"].(map[string]any)
		documented := sortedKeys(props)
		typ := reflect.TypeOf(dto)
		if typ.Kind() == reflect.Map {
			// A map DTO (CustomerPatch) has no struct fields for reflection to compare: its members
			// are whatever keys its ToPatch accepts. TestOpenAPICustomerPatch compares those instead.
			continue
		}
		fields := jsonFields(typ)
		if !slices.Equal(documented, fields) {
			t.Errorf("%s: documented properties %v, DTO fields %v", name, documented, fields)
		}
	}
}

// TestOpenAPIRequestExamplesDecode: the documented lead examples pass the strict decoder.
func TestOpenAPIRequestExamplesDecode(t *testing.T) {
	doc := openAPIDoc(t)
	example := func(name string) []byte {
		s := deref(t, doc, map[string]any{"$ref": "#/components/schemas/" + name})
		ex, _ := s["examples"].([]any)
		if len(ex) == 0 {
			t.Fatalf("%s has no example", name)
		}
		b, err := json.Marshal(ex[0])
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var c leadapi.LeadCreate
	if err := httpkit.DecodeJSON(example("LeadCreate"), &c); err != nil {
		t.Fatalf("LeadCreate example: %v", err)
	}
	if _, err := c.ToCommand(); err != nil {
		t.Fatalf("LeadCreate example: %v", err)
	}
	var p leadapi.LeadPatch
	if err := httpkit.DecodeJSON(example("LeadPatch"), &p); err != nil {
		t.Fatalf("LeadPatch example: %v", err)
	}
	if _, err := p.ToPatch(); err != nil {
		t.Fatalf("LeadPatch example: %v", err)
	}
	// Every example of every request DTO schema passes the strict decoder.
	for _, name := range sortedKeys(requestDTOs) {
		s := deref(t, doc, map[string]any{"$ref": "#/components/schemas/" + name})
		ex, _ := s["examples"].([]any)
		if len(ex) == 0 {
			t.Errorf("%s has no example", name)
		}
		for i, e := range ex {
			b, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			dst := reflect.New(reflect.TypeOf(requestDTOs[name])).Interface()
			if err := httpkit.DecodeJSON(b, dst); err != nil {
				t.Errorf("%s example %d: %v", name, i, err)
				continue
			}
			// Create bodies carrying domain fields also pass the domain's validation. (A contact PATCH
			// body is merged onto the current fields first, so it is not complete on its own.)
			var verr error
			switch v := dst.(type) {
			case *customerapi.CustomerCreate:
				verr = v.Validate()
			case *contactapi.ContactCreate:
				verr = v.Validate()
			case *leadapi.ConvertBody:
				if v.Contact != nil {
					verr = v.Contact.Validate()
				}
			}
			if verr != nil {
				t.Errorf("%s example %d: %v", name, i, verr)
			}
		}
	}
}

// TestOpenAPICustomerPatch: CustomerPatch is a JSON object read as a map, so its documented
// properties are compared with what ToPatch accepts (the text fields of customer.TextFields plus
// the ratings, nextFollowUpAt and status), and its examples must pass ToPatch.
func TestOpenAPICustomerPatch(t *testing.T) {
	doc := openAPIDoc(t)
	schema := deref(t, doc, map[string]any{"$ref": "#/components/schemas/CustomerPatch"})
	if schema == nil {
		t.Fatal("schema CustomerPatch is missing")
	}
	props, _ := schema["properties"].(map[string]any)
	documented := sortedKeys(props)
	accepted := append(customer.TextFields(), "satisfaction", "credit", "nextFollowUpAt", "status", "custom")
	sort.Strings(accepted)
	if !slices.Equal(documented, accepted) {
		t.Errorf("CustomerPatch: documented properties %v, accepted keys %v", documented, accepted)
	}
	// Every documented property is one ToPatch takes (a key it does not know is 400 unknown_field).
	sample := map[string]any{"satisfaction": 3.0, "credit": 3.0, // numbers arrive from JSON as float64
		"nextFollowUpAt": nil, "status": "cooperating", "custom": map[string]any{"region": "华南"}}
	for _, k := range documented {
		v, ok := sample[k]
		if !ok {
			v = "x"
		}
		if _, err := (customerapi.CustomerPatch{k: v}).ToPatch(); err != nil {
			t.Errorf("CustomerPatch.ToPatch refuses the documented property %s: %v", k, err)
		}
	}
	if _, err := (customerapi.CustomerPatch{"nickname": "x"}).ToPatch(); err == nil {
		t.Error("CustomerPatch.ToPatch accepts an unknown key")
	}
	ex, _ := schema["examples"].([]any)
	if len(ex) == 0 {
		t.Error("CustomerPatch has no example")
	}
	for i, e := range ex {
		b, _ := json.Marshal(e)
		var p customerapi.CustomerPatch
		if err := httpkit.DecodeJSON(b, &p); err != nil {
			t.Errorf("CustomerPatch example %d: %v", i, err)
			continue
		}
		if _, err := p.ToPatch(); err != nil {
			t.Errorf("CustomerPatch example %d: %v", i, err)
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	rec := httptest.NewRecorder()
	testServer(t).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/openapi.json = %d", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	if rec.Body.String() != string(document(t)) {
		t.Error("the served document differs from the embedded one")
	}
}

// TestOpenAPICookieSessions: the cookie session is a documented security scheme, login documents
// the header that asks for it, and every authenticated write documents the 403 csrf_failed.
func TestOpenAPICookieSessions(t *testing.T) {
	doc := openAPIDoc(t)
	scheme := deref(t, doc, map[string]any{"$ref": "#/components/securitySchemes/cookieAuth"})
	if scheme["type"] != "apiKey" || scheme["in"] != "cookie" || scheme["name"] != httpapi.SessionCookie ||
		!strings.Contains(fmt.Sprint(scheme["description"]), httpapi.CSRFHeader) || !strings.Contains(fmt.Sprint(scheme["description"]), httpapi.CSRFCookie) {
		t.Errorf("cookieAuth scheme: %v", scheme)
	}
	global, _ := json.Marshal(doc["security"])
	if !strings.Contains(string(global), `{"cookieAuth":[]}`) {
		t.Errorf("cookieAuth is not an alternative of the global security requirement: %s", global)
	}
	ops, err := docOperations(doc)
	if err != nil {
		t.Fatal(err)
	}
	login, _ := json.Marshal(ops["POST /api/v1/auth/login"]["parameters"])
	if !strings.Contains(string(login), `"name":"`+httpapi.SessionModeHeader+`"`) || !strings.Contains(string(login), `"enum":["cookie"]`) {
		t.Errorf("login parameters: %s", login)
	}
	for _, key := range sortedKeys(ops) {
		op := ops[key]
		if sec, ok := op["security"].([]any); (ok && len(sec) == 0) || strings.HasPrefix(key, "GET ") {
			continue
		}
		responses, _ := op["responses"].(map[string]any)
		if r := deref(t, doc, responses["403"]); r == nil || !strings.Contains(fmt.Sprint(r["description"]), "csrf_failed") {
			t.Errorf("%s: the 403 response does not mention csrf_failed", key)
		}
	}
}

// The document's permission catalogue is the domain's: a permission added to role.Permissions
// must appear in the Permission schema (the UI's types come from it).
func TestOpenAPIPermissionsAreTheCatalogue(t *testing.T) {
	doc := openAPIDoc(t)
	schema := doc["components"].(map[string]any)["schemas"].(map[string]any)["Permission"].(map[string]any)
	var got []string
	for _, p := range schema["enum"].([]any) {
		got = append(got, p.(string))
	}
	want := slices.Clone(role.Permissions)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("Permission enum = %v, want the catalogue %v", got, want)
	}
}

// The document's other closed lists are the domain's too: data scopes and the customer's
// choice fields (the UI's selects come from these enums).
func TestOpenAPIEnumsAreTheDomainLists(t *testing.T) {
	doc := openAPIDoc(t)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	scopes := make([]string, len(role.Scopes))
	for i, s := range role.Scopes {
		scopes[i] = string(s)
	}
	for name, want := range map[string][]string{
		"DataScope": scopes, "CustomerStatus": customer.Statuses, "CustomerNature": customer.Natures,
		"CustomerType": customer.Types, "CustomerSize": customer.Sizes, "CustomerClassification": customer.Classifications,
	} {
		schema, _ := schemas[name].(map[string]any)
		var got []string
		for _, v := range schema["enum"].([]any) {
			got = append(got, v.(string))
		}
		want = slices.Clone(want)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s enum = %v, want the domain's %v", name, got, want)
		}
	}
	// The sign-in log's outcomes: the filter parameter and the entry's field.
	want := slices.Sorted(slices.Values(loginview.LoginOutcomes))
	enumOf := func(where string, schema map[string]any) {
		var got []string
		for _, v := range schema["enum"].([]any) {
			got = append(got, v.(string))
		}
		if slices.Sort(got); !slices.Equal(got, want) {
			t.Errorf("%s enum = %v, want the sign-in log's %v", where, got, want)
		}
	}
	login := schemas["LoginEvent"].(map[string]any)["properties"].(map[string]any)
	enumOf("LoginEvent.outcome", login["outcome"].(map[string]any))
	op := doc["paths"].(map[string]any)["/api/v1/audit/logins"].(map[string]any)["get"].(map[string]any)
	for _, p := range op["parameters"].([]any) {
		if p, _ := p.(map[string]any); p["name"] == "outcome" {
			enumOf("GET /audit/logins outcome", p["schema"].(map[string]any))
		}
	}
}
