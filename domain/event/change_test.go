package event_test

import (
	"reflect"
	"testing"

	"github.com/chronicle-crm/chronicle/domain/event"
)

func TestDiff(t *testing.T) {
	t.Parallel()
	created := event.Diff(map[string]any{}, map[string]any{"name": "王小明", "phone": "", "inPool": false, "version": int64(1)})
	if want := []event.Change{{Field: "name", From: nil, To: "王小明"}}; !reflect.DeepEqual(created, want) {
		t.Fatalf("creation diff = %v, want %v", created, want)
	}
	changed := event.Diff(map[string]any{"name": "王小明", "phone": "010", "ownerId": "a"}, map[string]any{"name": "王小明", "phone": "", "ownerId": nil})
	want := []event.Change{{Field: "ownerId", From: "a", To: nil}, {Field: "phone", From: "010", To: ""}}
	if !reflect.DeepEqual(changed, want) {
		t.Fatalf("diff = %v, want %v", changed, want)
	}
}
