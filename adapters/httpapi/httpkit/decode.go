package httpkit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/gorilla/mux"

	"github.com/chronicle-crm/chronicle/domain/field"
)

// DefaultMaxBody is the largest request body accepted (1 MiB).
const DefaultMaxBody = 1 << 20

// Opt is a JSON field that may be absent, null or a value: PATCH needs all three.
type Opt[T any] struct {
	Set   bool // present in the document
	Null  bool // present as null
	Value T
}

// Field is a patch field: nil when absent, a pointer to the value when present (null gives the
// zero value, which clears the field).
func (o Opt[T]) Field() *T {
	if !o.Set {
		return nil
	}
	v := o.Value
	return &v
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

// Decode reads one JSON object strictly: a body that is not application/json (415), unknown
// fields, trailing data, wrong types, oversize bodies and the text checks of DecodeJSON are
// errors that name the problem.
func (k *Kit) Decode(r *http.Request, dst any) error {
	body, err := ReadBody(r, k.MaxBody)
	if err != nil {
		return err
	}
	if len(body) > 0 && !IsJSON(r.Header.Get("Content-Type")) {
		return UnsupportedMediaType()
	}
	return DecodeJSON(body, dst)
}

// IsJSON reports whether a Content-Type is application/json (a charset parameter, when sent,
// must be UTF-8).
func IsJSON(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/json" {
		return false
	}
	cs, ok := params["charset"]
	return !ok || strings.EqualFold(cs, "utf-8")
}

// UnsupportedMediaType is the 415 problem of a body that is not JSON.
func UnsupportedMediaType() error {
	return Fail(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as application/json")
}

// DecodeJSON is the strict decoder behind every command endpoint. Before it decodes, it reads
// the whole document once: invalid UTF-8 (also as a lone UTF-16 surrogate escape) is 400
// malformed_json, and so is a member name that appears twice in one object, also when the two
// differ only in case (encoding/json matches names to fields without regard to case, so either
// could win); every string, and every member name, must pass field.SafeText (no control or
// bidirectional override characters), else 422 validation_failed naming each path
// ("contacts[0].name").
func DecodeJSON(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return Fail(http.StatusBadRequest, "malformed_json", "the body is empty; send a JSON object")
	}
	textErrs, err := scanJSON(body)
	if err != nil {
		return err
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
	if len(textErrs) > 0 {
		return &StatusError{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
			Detail: textErrs[0].Field + ": " + textErrs[0].Message, Fields: textErrs}
	}
	return nil
}

// maxTextErrors bounds the field errors one body reports.
const maxTextErrors = 20

// scanJSON checks the first JSON value of body: invalid UTF-8 and repeated member names are the
// error; strings that fail field.SafeText are listed. Syntax errors are left to the decoder
// (the scan stops at them).
func scanJSON(body []byte) ([]FieldError, error) {
	if !utf8.Valid(body) {
		off := 0
		for off < len(body) {
			r, n := utf8.DecodeRune(body[off:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			off += n
		}
		return nil, Fail(http.StatusBadRequest, "malformed_json", fmt.Sprintf("the body is not valid UTF-8 (byte %d)", off))
	}
	if off, bad := loneSurrogate(body); bad {
		return nil, Fail(http.StatusBadRequest, "malformed_json",
			fmt.Sprintf("the body is not valid UTF-8: an unpaired UTF-16 surrogate escape at byte %d", off))
	}
	s := jsonScan{dec: json.NewDecoder(bytes.NewReader(body))}
	s.dec.UseNumber()
	if err := s.value(""); err != nil && err != errStopScan {
		return nil, err
	}
	return s.errs, nil
}

// errStopScan ends a scan at a syntax error: the decoder reports it.
var errStopScan = errors.New("stop")

type jsonScan struct {
	dec  *json.Decoder
	errs []FieldError
}

func (s *jsonScan) text(path, v string) {
	if len(s.errs) >= maxTextErrors {
		return
	}
	if err := field.SafeText(path, v); err != nil {
		var fe *field.Error
		errors.As(err, &fe)
		s.errs = append(s.errs, FieldError{Field: fe.Field, Message: fe.Message})
	}
}

func (s *jsonScan) value(path string) error {
	tok, err := s.dec.Token()
	if err != nil {
		return errStopScan
	}
	switch t := tok.(type) {
	case string:
		s.text(orBody(path), t)
	case json.Delim:
		switch t {
		case '{':
			seen := map[string]string{}
			for s.dec.More() {
				kt, err := s.dec.Token()
				if err != nil {
					return errStopScan
				}
				key, _ := kt.(string)
				at := joinPath(path, key)
				if _, _, bad := field.Unsafe(key); bad {
					at = joinPath(path, strconv.QuoteToASCII(key))
					s.text(at, key)
				}
				folded := foldName(key)
				if first, dup := seen[folded]; dup {
					msg := "appears twice in one object"
					if first != key {
						msg = fmt.Sprintf("and %q differ only in case: they name the same field", first)
					}
					return &StatusError{Status: http.StatusBadRequest, Code: "malformed_json", Detail: at + ": " + msg,
						Fields: []FieldError{{Field: at, Message: msg}}}
				}
				seen[folded] = key
				if err := s.value(at); err != nil {
					return err
				}
			}
		case '[':
			for i := 0; s.dec.More(); i++ {
				if err := s.value(path + "[" + strconv.Itoa(i) + "]"); err != nil {
					return err
				}
			}
		}
		if _, err := s.dec.Token(); err != nil { // the closing delimiter
			return errStopScan
		}
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func orBody(path string) string {
	if path == "" {
		return "(body)"
	}
	return path
}

// foldName is the key encoding/json matches struct fields by: names equal under it are one field.
func foldName(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(unicode.ToUpper(unicode.ToLower(r)))
	}
	return b.String()
}

// loneSurrogate finds a \uXXXX escape of a UTF-16 surrogate that is not part of a pair (the
// decoder would silently turn it into U+FFFD).
func loneSurrogate(body []byte) (int, bool) {
	inString := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !inString {
			inString = c == '"'
			continue
		}
		switch c {
		case '"':
			inString = false
		case '\\':
			if i+1 >= len(body) {
				return 0, false
			}
			if body[i+1] != 'u' {
				i++
				continue
			}
			r, ok := hex4(body, i+2)
			if !ok {
				return 0, false // a syntax error: the decoder reports it
			}
			switch {
			case r >= 0xd800 && r < 0xdc00:
				lo, ok := rune(0), false
				if i+7 < len(body) && body[i+6] == '\\' && body[i+7] == 'u' {
					lo, ok = hex4(body, i+8)
				}
				if !ok || lo < 0xdc00 || lo > 0xdfff {
					return i, true
				}
				i += 11
			case r >= 0xdc00 && r <= 0xdfff:
				return i, true
			default:
				i += 5
			}
		}
	}
	return 0, false
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[at:at+4]), 16, 32)
	return rune(n), err == nil
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

// BodyID is an optional id field of a body: its JSON name, its text and where it goes.
type BodyID struct {
	Field, Text string
	Dst         *uuid.UUID
}

// BodyIDs parses the optional ids of a body ("" leaves the destination uuid.Nil), reporting every
// malformed one by its field.
func BodyIDs(ids ...BodyID) error {
	p := Params(nil)
	for _, x := range ids {
		if x.Text != "" {
			id, err := ParseUUID(x.Field, x.Text)
			p.Add(x.Field, err)
			*x.Dst = id
		}
	}
	return p.Err()
}
