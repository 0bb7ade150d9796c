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
// the rules; the data itself when nothing changed. Each object on the personal paths is decoded
// once and, when one of its values changed, encoded once (its members then in sorted order); every
// other value keeps its bytes.
func rewrite(data json.RawMessage, rules []dp.Rule, f valueFunc) (json.RawMessage, error) {
	if len(rules) == 0 {
		return data, nil
	}
	root := &node{}
	if err := json.Unmarshal(data, &root.members); err != nil || root.members == nil {
		return data, nil // not an object: nothing of it is personal
	}
	for _, r := range rules {
		id, ok := subjectID(root.members, r)
		if !ok {
			continue
		}
		ref := subjectRef{kind: r.Kind, id: id}
		for _, path := range r.Paths {
			names := strings.Split(path, ".")
			n := root.walk(names[:len(names)-1])
			if n == nil {
				continue
			}
			leaf := names[len(names)-1]
			var v string
			if json.Unmarshal(n.members[leaf], &v) != nil || v == "" {
				continue
			}
			nv, err := f(ref, path, v)
			if err != nil {
				return nil, err
			}
			if nv == v {
				continue
			}
			b, err := json.Marshal(nv)
			if err != nil {
				return nil, err
			}
			n.members[leaf] = b
			n.markDirty()
		}
	}
	if !root.dirty {
		return data, nil
	}
	return root.encode()
}

// node is a decoded JSON object on the way to personal values.
type node struct {
	members  map[string]json.RawMessage
	children map[string]*node
	parent   *node
	dirty    bool
}

// walk answers the object at the path below n (decoded once), nil when there is none.
func (n *node) walk(names []string) *node {
	for _, name := range names {
		c, ok := n.children[name]
		if !ok {
			raw, found := n.members[name]
			if !found {
				return nil
			}
			c = &node{parent: n}
			if json.Unmarshal(raw, &c.members) != nil || c.members == nil { // null or not an object
				return nil
			}
			if n.children == nil {
				n.children = map[string]*node{}
			}
			n.children[name] = c
		}
		n = c
	}
	return n
}

func (n *node) markDirty() {
	for ; n != nil && !n.dirty; n = n.parent {
		n.dirty = true
	}
}

// encode writes the object with its changed children encoded again.
func (n *node) encode() (json.RawMessage, error) {
	for name, c := range n.children {
		if !c.dirty {
			continue
		}
		b, err := c.encode()
		if err != nil {
			return nil, err
		}
		n.members[name] = b
	}
	return json.Marshal(n.members)
}

// ClearValues are the personal values of an event's data (under the registry's rules) that are
// stored in clear: neither encrypted nor the erased marker. An event stored through Store has none.
func ClearValues(reg dp.Registry, eventType string, data json.RawMessage) []string {
	var out []string
	_, _ = rewrite(data, reg.Rules(eventType), func(_ subjectRef, _ string, v string) (string, error) {
		if v != dp.Erased && !strings.HasPrefix(v, Prefix) {
			out = append(out, v)
		}
		return v, nil
	})
	return out
}
