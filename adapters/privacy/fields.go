package privacy

import (
	"encoding/json"
	"strings"

	"github.com/google/uuid"

	dp "github.com/chronicle-crm/chronicle/domain/privacy"
)

// subjectRef is a data subject an event names under one of its rules.
type subjectRef struct {
	kind string
	id   uuid.UUID
}

// subjectsOf are the subjects of an event's personal fields (none when its data names none).
func subjectsOf(data json.RawMessage, rules []dp.Rule) []subjectRef {
	if len(rules) == 0 {
		return nil
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(data, &top) != nil {
		return nil
	}
	var out []subjectRef
	for _, r := range rules {
		if id, ok := subjectID(top, r); ok {
			out = append(out, subjectRef{kind: r.Kind, id: id})
		}
	}
	return out
}

// subjectID is the id of the rule's subject in the event, when the rule applies to it.
func subjectID(top map[string]json.RawMessage, r dp.Rule) (uuid.UUID, bool) {
	if r.KindPath != "" {
		if kind, ok := stringAt(top, r.KindPath); !ok || kind != r.Kind {
			return uuid.Nil, false
		}
	}
	s, ok := stringAt(top, r.Subject)
	if !ok || s == "" {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(s)
	return id, err == nil
}

// stringAt is the string at a dotted path of an object.
func stringAt(obj map[string]json.RawMessage, path string) (string, bool) {
	names := strings.Split(path, ".")
	for _, n := range names[:len(names)-1] {
		var inner map[string]json.RawMessage
		if json.Unmarshal(obj[n], &inner) != nil || inner == nil {
			return "", false
		}
		obj = inner
	}
	var s string
	raw, ok := obj[names[len(names)-1]]
	return s, ok && json.Unmarshal(raw, &s) == nil
}

// valueFunc changes one personal value: of the subject, at the path (e.g. "fields.mobile").
type valueFunc func(subject subjectRef, path, v string) (string, error)

// rewrite answers the event data with f applied to every non-empty personal string value under
// the rules; the data itself when nothing changed. Only the objects on the personal paths are
// re-encoded (their members then in sorted order); every other value keeps its bytes.
func rewrite(data json.RawMessage, rules []dp.Rule, f valueFunc) (json.RawMessage, error) {
	if len(rules) == 0 {
		return data, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return data, nil // not an object: nothing of it is personal
	}
	changed := false
	for _, r := range rules {
		id, ok := subjectID(top, r)
		if !ok {
			continue
		}
		for _, path := range r.Paths {
			c, err := rewritePath(top, strings.Split(path, "."), func(v string) (string, error) {
				return f(subjectRef{kind: r.Kind, id: id}, path, v)
			})
			if err != nil {
				return nil, err
			}
			changed = changed || c
		}
	}
	if !changed {
		return data, nil
	}
	return json.Marshal(top)
}

// rewritePath changes the string at path inside obj (re-encoding the objects on the way).
func rewritePath(obj map[string]json.RawMessage, path []string, f func(string) (string, error)) (bool, error) {
	raw, ok := obj[path[0]]
	if !ok {
		return false, nil
	}
	if len(path) > 1 {
		var inner map[string]json.RawMessage
		if json.Unmarshal(raw, &inner) != nil || inner == nil { // null or not an object
			return false, nil
		}
		changed, err := rewritePath(inner, path[1:], f)
		if err != nil || !changed {
			return false, err
		}
		b, err := json.Marshal(inner)
		if err != nil {
			return false, err
		}
		obj[path[0]] = b
		return true, nil
	}
	var v string
	if json.Unmarshal(raw, &v) != nil || v == "" {
		return false, nil
	}
	nv, err := f(v)
	if err != nil || nv == v {
		return false, err
	}
	b, err := json.Marshal(nv)
	if err != nil {
		return false, err
	}
	obj[path[0]] = b
	return true, nil
}
