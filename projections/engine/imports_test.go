package engine_test

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestEngineImportsNoProjector: the engine knows projectors only through the Projector
// interface; projector packages and their kit depend on it, never the other way round.
func TestEngineImportsNoProjector(t *testing.T) {
	t.Parallel()
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	const layer = "github.com/chronicle-crm/chronicle/projections"
	checked := 0
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".go") || strings.HasSuffix(f.Name(), "_test.go") {
			continue
		}
		checked++
		parsed, err := parser.ParseFile(token.NewFileSet(), f.Name(), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == layer || strings.HasPrefix(path, layer+"/") {
				t.Errorf("%s imports %s: the engine must not depend on projectors or their kit", f.Name(), path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no engine source files found")
	}
}
