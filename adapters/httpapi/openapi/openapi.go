// Package openapi assembles the OpenAPI 3.1 document of the API from a base (the document's
// header, the endpoints outside the modules, the shared components) and one fragment per module:
// {"paths": {...}, "components": {"schemas": {...}}}.
package openapi

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
)

// Base is the document without the modules' paths and schemas.
//
//go:embed base.json
var Base []byte

// Fragment is one module's part of the document.
type Fragment struct {
	Paths      map[string]json.RawMessage `json:"paths"`
	Components struct {
		Schemas map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`
}

// Assemble merges the fragments into base. A path or schema defined twice is an error.
func Assemble(base []byte, fragments ...[]byte) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(base, &doc); err != nil {
		return nil, fmt.Errorf("openapi base: %w", err)
	}
	var paths map[string]json.RawMessage
	var components map[string]json.RawMessage
	var schemas map[string]json.RawMessage
	if err := unmarshalIf(doc["paths"], &paths); err != nil {
		return nil, fmt.Errorf("openapi base paths: %w", err)
	}
	if err := unmarshalIf(doc["components"], &components); err != nil {
		return nil, fmt.Errorf("openapi base components: %w", err)
	}
	if err := unmarshalIf(components["schemas"], &schemas); err != nil {
		return nil, fmt.Errorf("openapi base schemas: %w", err)
	}
	if paths == nil {
		paths = map[string]json.RawMessage{}
	}
	if components == nil {
		components = map[string]json.RawMessage{}
	}
	if schemas == nil {
		schemas = map[string]json.RawMessage{}
	}
	for i, b := range fragments {
		var f Fragment
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("openapi fragment %d: %w", i, err)
		}
		for p, item := range f.Paths {
			if _, dup := paths[p]; dup {
				return nil, fmt.Errorf("openapi fragment %d: path %s is defined twice", i, p)
			}
			paths[p] = item
		}
		for name, s := range f.Components.Schemas {
			if _, dup := schemas[name]; dup {
				return nil, fmt.Errorf("openapi fragment %d: schema %s is defined twice", i, name)
			}
			schemas[name] = s
		}
	}
	var err error
	if components["schemas"], err = json.Marshal(schemas); err != nil {
		return nil, err
	}
	if doc["components"], err = json.Marshal(components); err != nil {
		return nil, err
	}
	if doc["paths"], err = json.Marshal(paths); err != nil {
		return nil, err
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out, "", "  "); err != nil {
		return nil, err
	}
	pretty.WriteByte('\n')
	return pretty.Bytes(), nil
}

func unmarshalIf(b json.RawMessage, dst any) error {
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, dst)
}
