package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// DefaultMaxBody is the largest request body accepted (1 MiB).
const DefaultMaxBody = 1 << 20

// Opt is a JSON field that may be absent, null or a value: PATCH needs all three.
type Opt[T any] struct {
	Set   bool // present in the document
	Null  bool // present as null
	Value T
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.Value)
}

// Ptr returns the value, or nil when absent or null.
func (o Opt[T]) Ptr() *T {
	if !o.Set || o.Null {
		return nil
	}
	v := o.Value
	return &v
}

// fieldError is a problem with one field of a request.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// badRequest is a request the server cannot read (400) or a body that is too large (413).
type badRequest struct {
	status int
	code   string
	detail string
	fields []fieldError
}

func (e *badRequest) Error() string { return e.detail }

func invalid(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &badRequest{status: http.StatusUnprocessableEntity, code: "validation_failed", detail: field + ": " + msg,
		fields: []fieldError{{Field: field, Message: msg}}}
}

// decode reads one JSON object strictly: unknown fields, trailing data, wrong types and
// oversize bodies are errors that name the problem.
func decode(w http.ResponseWriter, r *http.Request, maxBody int64, dst any) error {
	// curl's default form type is tolerated (the body must still be JSON); real other formats are not.
	if ct := strings.ToLower(r.Header.Get("Content-Type")); strings.HasPrefix(ct, "multipart/") || strings.Contains(ct, "xml") {
		return &badRequest{status: http.StatusUnsupportedMediaType, code: "unsupported_media_type", detail: "send application/json"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &badRequest{status: http.StatusRequestEntityTooLarge, code: "body_too_large", detail: fmt.Sprintf("the body is larger than %d bytes", maxBody)}
		}
		return &badRequest{status: http.StatusBadRequest, code: "malformed_json", detail: "could not read the body: " + err.Error()}
	}
	return DecodeJSON(body, dst)
}

// DecodeJSON is the strict decoder behind every command endpoint (exported for the fuzz test).
func DecodeJSON(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return &badRequest{status: http.StatusBadRequest, code: "malformed_json", detail: "the body is empty; send a JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonProblem(err)
	}
	if dec.More() {
		return &badRequest{status: http.StatusBadRequest, code: "malformed_json", detail: "the body holds more than one JSON value"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &badRequest{status: http.StatusBadRequest, code: "malformed_json", detail: "the body holds data after the JSON object"}
	}
	return nil
}

func jsonProblem(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return &badRequest{status: http.StatusBadRequest, code: "malformed_json", detail: fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn)}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		msg := fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.String()), typ.Value)
		return &badRequest{status: http.StatusBadRequest, code: "malformed_json", detail: field + ": " + msg, fields: []fieldError{{Field: field, Message: msg}}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &badRequest{status: http.StatusBadRequest, code: "malformed_json", detail: "the JSON ends early"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &badRequest{status: http.StatusBadRequest, code: "unknown_field", detail: "unknown field " + field, fields: []fieldError{{Field: field, Message: "is not a field of this request"}}}
	}
	return &badRequest{status: http.StatusBadRequest, code: "malformed_json", detail: err.Error()}
}

func jsonKind(goType string) string {
	switch {
	case strings.Contains(goType, "string"), strings.Contains(goType, "Time"):
		return "a string"
	case strings.Contains(goType, "bool"):
		return "true or false"
	case strings.Contains(goType, "int"), strings.Contains(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	}
	return "an object"
}

// parseUUID reads an id from a path or body field.
func parseUUID(field, s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil || id == uuid.Nil || len(s) != 36 {
		return uuid.Nil, invalid(field, "must be a UUID such as 0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e, got %q", s)
	}
	return id, nil
}

// parseTime reads an RFC 3339 time with offset.
func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalid(field, "must be an RFC 3339 time with offset such as 2026-11-22T09:30:00+08:00, got %q", s)
	}
	if t.Year() < 1900 || t.Year() > 9000 {
		return time.Time{}, invalid(field, "year %d is out of range", t.Year())
	}
	return t.UTC(), nil
}
