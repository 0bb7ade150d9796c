package openapi_test

import (
	"encoding/json"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/app"
)

// TestAssembledMatchesGolden: the document assembled from the module fragments describes exactly
// what the single hand-kept document described before the split (testdata/golden.json): the same
// path and method pairs, operationIds and schemas, and indeed the same document.
func TestAssembledMatchesGolden(t *testing.T) {
	golden, err := os.ReadFile("testdata/golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	if err := json.Unmarshal(golden, &want); err != nil {
		t.Fatal(err)
	}
	doc, err := app.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(doc, &got); err != nil {
		t.Fatalf("assembled document: %v", err)
	}
	if w, g := operations(want), operations(got); !reflect.DeepEqual(w, g) {
		t.Errorf("operations differ:\nwant %v\ngot  %v", w, g)
	}
	if w, g := schemaNames(want), schemaNames(got); !reflect.DeepEqual(w, g) {
		t.Errorf("schemas differ:\nwant %v\ngot  %v", w, g)
	}
	if !reflect.DeepEqual(want, got) {
		for k := range want {
			if !reflect.DeepEqual(want[k], got[k]) {
				t.Errorf("the assembled document differs from the golden one at %q", k)
			}
		}
	}
}

// operations lists "METHOD /path operationId" of a document.
func operations(doc map[string]any) []string {
	var out []string
	paths, _ := doc["paths"].(map[string]any)
	for p, item := range paths {
		for m, op := range item.(map[string]any) {
			o, ok := op.(map[string]any)
			if !ok {
				continue
			}
			id, _ := o["operationId"].(string)
			out = append(out, strings.ToUpper(m)+" "+p+" "+id)
		}
	}
	sort.Strings(out)
	return out
}

func schemaNames(doc map[string]any) []string {
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	var out []string
	for k := range schemas {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
