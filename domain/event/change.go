package event

import (
	"fmt"
	"reflect"
	"sort"
)

// Change is one field's value before and after an event.
type Change struct {
	Field string `json:"field"`
	From  any    `json:"from"`
	To    any    `json:"to"`
}

// Diff lists the fields whose values differ between two snapshots, sorted by field name.
func Diff(before, after map[string]any) []Change {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	out := []Change{}
	for k := range keys {
		if k == "version" || k == "updatedAt" {
			continue
		}
		from, had := before[k]
		to := after[k]
		if reflect.DeepEqual(from, to) || fmt.Sprint(from) == fmt.Sprint(to) && sameKind(from, to) {
			continue
		}
		if !had && isZero(to) {
			continue // a new record's empty fields are not changes
		}
		out = append(out, Change{Field: k, From: from, To: to})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func sameKind(a, b any) bool { return reflect.TypeOf(a) == reflect.TypeOf(b) }

func isZero(v any) bool {
	return v == nil || reflect.ValueOf(v).IsZero()
}
