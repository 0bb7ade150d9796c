package httpapi_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestModulePackagesDoNotImportEachOther: a module's API package (leadapi, customerapi, …) uses
// the kits (httpkit, tabular) and the lower layers, never another module's API package; the kits
// import no module either. Cross-module work goes through the process packages.
func TestModulePackagesDoNotImportEachOther(t *testing.T) {
	const base = "github.com/chronicle-crm/chronicle/adapters/httpapi/"
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	modules := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() && strings.HasSuffix(e.Name(), "api") {
			modules[e.Name()] = true
		}
	}
	if len(modules) < 9 {
		t.Fatalf("found %d module packages, want at least 9", len(modules))
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "apitest" {
			continue // the test harness starts the whole application
		}
		files, _ := filepath.Glob(filepath.Join(e.Name(), "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range parsed.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				other, ok := strings.CutPrefix(path, base)
				if ok && modules[other] && other != e.Name() {
					t.Errorf("%s imports the module package %s", f, other)
				}
				if path == strings.TrimSuffix(base, "/") {
					t.Errorf("%s imports httpapi itself", f)
				}
			}
		}
	}
}
