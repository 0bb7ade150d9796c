package httpkit

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
	"github.com/gorilla/mux"
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

// BodyTooLarge is the 413 problem of a body over limit bytes; what names it ("body", "file").
func BodyTooLarge(what string, limit int64) error {
	return Fail(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the %s is larger than %d bytes", what, limit))
}

// ReadBody reads the whole body, at most limit bytes (413 past it).
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(LimitedBody(r, limit))
	if err != nil {
		if TooLarge(err) {
			return nil, BodyTooLarge("body", limit)
		}
		return nil, Fail(http.StatusBadRequest, "malformed_json", "could not read the body: "+err.Error())
	}
	return body, nil
}

// TooLarge reports whether err is a body read past its limit.
func TooLarge(err error) bool {
	var mb *http.MaxBytesError
	return errors.As(err, &mb)
}

// Decode reads one JSON object strictly: unknown fields, trailing data, wrong types and
// oversize bodies are errors that name the problem.
func (k *Kit) Decode(r *http.Request, dst any) error {
	// curl's default form type is tolerated (the body must still be JSON); real other formats are not.
	if ct := strings.ToLower(r.Header.Get("Content-Type")); strings.HasPrefix(ct, "multipart/") || strings.Contains(ct, "xml") {
		return Fail(http.StatusUnsupportedMediaType, "unsupported_media_type", "send application/json")
	}
	body, err := ReadBody(r, k.MaxBody)
	if err != nil {
		return err
	}
	return DecodeJSON(body, dst)
}

// DecodeJSON is the strict decoder behind every command endpoint.
func DecodeJSON(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return Fail(http.StatusBadRequest, "malformed_json", "the body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonProblem(err)
	}
	if dec.More() {
		return Fail(http.StatusBadRequest, "malformed_json", "the body holds more than one JSON value")
	}
	if _, err := dec.Token(); err != io.EOF {
		return Fail(http.StatusBadRequest, "malformed_json", "the body holds data after the JSON object")
	}
	return nil
}

func jsonProblem(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return Fail(http.StatusBadRequest, "malformed_json", fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		msg := fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.String()), typ.Value)
		return &StatusError{Status: http.StatusBadRequest, Code: "malformed_json", Detail: field + ": " + msg, Fields: []FieldError{{Field: field, Message: msg}}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Fail(http.StatusBadRequest, "malformed_json", "the JSON ends early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return UnknownField(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
	}
	return Fail(http.StatusBadRequest, "malformed_json", err.Error())
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

// ParseUUID reads an id from a path, parameter or body field.
func ParseUUID(field, s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil || id == uuid.Nil || len(s) != 36 {
		return uuid.Nil, Invalid(field, "must be a UUID such as 0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e, got %q", s)
	}
	return id, nil
}

// OptionalID reads an optional id of a PATCH body: absent is nil, null or "" is uuid.Nil.
func OptionalID(field string, o Opt[string]) (*uuid.UUID, error) {
	if !o.Set {
		return nil, nil
	}
	id := uuid.Nil
	if !o.Null && o.Value != "" {
		var err error
		if id, err = ParseUUID(field, o.Value); err != nil {
			return nil, err
		}
	}
	return &id, nil
}

// ParseTime reads an RFC 3339 time with offset.
func ParseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, Invalid(field, "must be an RFC 3339 time with offset such as 2026-11-22T09:30:00+08:00, got %q", s)
	}
	if t.Year() < 1900 || t.Year() > 9000 {
		return time.Time{}, Invalid(field, "year %d is out of range", t.Year())
	}
	return t.UTC(), nil
}

// PathID is the {id} of the route.
func PathID(r *http.Request) (uuid.UUID, error) { return ParseUUID("id", mux.Vars(r)["id"]) }

// PathVar is a variable of the route.
func PathVar(r *http.Request, name string) string { return mux.Vars(r)[name] }

// LimitedBody is the request body, at most limit bytes (reading past it fails with an
// *http.MaxBytesError, see TooLarge).
func LimitedBody(r *http.Request, limit int64) io.ReadCloser {
	return http.MaxBytesReader(writerOf(r), r.Body, limit)
}
