// Package domain_test checks that the domain stays pure: standard library and google/uuid only
// (and other domain packages).
package domain_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

func TestDomainImportsOnlyStandardLibraryAndUUID(t *testing.T) {
	fset := token.NewFileSet()
	checked := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			first, _, _ := strings.Cut(p, "/")
			switch {
			case p == "github.com/google/uuid":
			case strings.HasPrefix(p, "github.com/chronicle-crm/chronicle/domain/") && !strings.Contains(p, "eventstoretest"):
			case strings.HasPrefix(path, filepath.Join("eventstore", "eventstoretest")) && p == "testing":
			case !strings.Contains(first, "."): // standard library
				// database/sql, net/http and os/exec: the domain does no I/O.
				if p == "database"+"/sql" || strings.HasPrefix(p, "net"+"/http") || p == "os/exec" {
					t.Errorf("%s imports %s: the domain does no I/O", path, p)
				}
			default:
				t.Errorf("%s imports %s: domain/ may import only the standard library and github.com/google/uuid", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 5 {
		t.Fatalf("checked only %d files; is the test in the domain directory?", checked)
	}
}
