package httpkit

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
)

// ParamReader reads query parameters and collects every bad one: Err reports them all in one
// 422 validation_failed problem.
type ParamReader struct {
	v    url.Values
	errs []FieldError
}

// Params starts reading v.
func Params(v url.Values) *ParamReader { return &ParamReader{v: v} }

// Values are the parameters read.
func (p *ParamReader) Values() url.Values { return p.v }

// Fail records a bad parameter.
func (p *ParamReader) Fail(name, format string, args ...any) {
	p.errs = append(p.errs, FieldError{Field: name, Message: fmt.Sprintf(format, args...)})
}

// Add records err: the field errors of a StatusError (a check shared with bodies) or, for any
// other error, err itself about name.
func (p *ParamReader) Add(name string, err error) {
	if err == nil {
		return
	}
	var se *StatusError
	if errors.As(err, &se) && len(se.Fields) > 0 {
		p.errs = append(p.errs, se.Fields...)
		return
	}
	p.errs = append(p.errs, FieldError{Field: name, Message: err.Error()})
}

// Err is nil when every parameter read was good, else one problem that lists them all.
func (p *ParamReader) Err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return &StatusError{Status: http.StatusUnprocessableEntity, Code: "validation_failed",
		Detail: p.errs[0].Field + ": " + p.errs[0].Message, Fields: slices.Clone(p.errs)}
}

// Str is the first value of name ("" when absent).
func (p *ParamReader) Str(name string) string { return p.v.Get(name) }

// Text is the first value of name ("" when absent), which must be at most max characters: a
// filter longer than any stored value could be is a mistake worth telling.
func (p *ParamReader) Text(name string, max int) string {
	s := p.v.Get(name)
	if n := utf8.RuneCountInString(s); n > max {
		p.Fail(name, "must be at most %d characters; got %d", max, n)
		return ""
	}
	return s
}

// Bool reads true or false; nil when absent.
func (p *ParamReader) Bool(name string) *bool {
	s := p.v.Get(name)
	if s == "" {
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		p.Fail(name, "must be true or false")
		return nil
	}
	return &b
}

// UUID reads an id; nil when absent.
func (p *ParamReader) UUID(name string) *uuid.UUID {
	s := p.v.Get(name)
	if s == "" {
		return nil
	}
	id, err := ParseUUID(name, s)
	if err != nil {
		p.Add(name, err)
		return nil
	}
	return &id
}

// Time reads an RFC 3339 time; nil when absent.
func (p *ParamReader) Time(name string) *time.Time {
	s := p.v.Get(name)
	if s == "" {
		return nil
	}
	t, err := ParseTime(name, s)
	if err != nil {
		p.Add(name, err)
		return nil
	}
	return &t
}

// Int reads a whole number from lo to hi; def when absent.
func (p *ParamReader) Int(name string, lo, hi, def int, msg string) int {
	s := p.v.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		p.Fail(name, "%s", msg)
		return def
	}
	return n
}

// Limit reads the page size ?limit= (1 to 500; 0 when absent: the default).
func (p *ParamReader) Limit() int { return p.Int("limit", 1, 500, 0, "must be a number from 1 to 500") }

// Enum reads a value that must be one of allowed; "" when absent.
func (p *ParamReader) Enum(name string, allowed ...string) string {
	s := p.v.Get(name)
	if s != "" && !slices.Contains(allowed, s) {
		p.Fail(name, "must be %s", orList(allowed))
		return ""
	}
	return s
}

// List reads a repeatable, comma-separated parameter whose values must be among allowed; msg
// is the message of a bad value (%q is the value).
func (p *ParamReader) List(name string, allowed []string, msg string) []string {
	var out []string
	for _, raw := range p.v[name] {
		for _, one := range strings.Split(raw, ",") {
			if one = strings.TrimSpace(one); one == "" {
				continue
			}
			if !slices.Contains(allowed, one) {
				p.Fail(name, msg, one)
				continue
			}
			out = append(out, one)
		}
	}
	return out
}

// CheckQuery is the 400 malformed_query problem of a query string that is not well formed: a bad
// percent-escape, or a parameter name or value that is not valid UTF-8 or holds a control
// character (tab and line breaks included: parameters are one line) or a bidirectional override
// (field.Unsafe); nil when it is fine. Every parameter reaches search and storage as sent, so the
// rule is the one request bodies follow.
func CheckQuery(raw string) error {
	if raw == "" {
		return nil
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return &StatusError{Status: http.StatusBadRequest, Code: "malformed_query", Detail: "the query string is malformed: " + err.Error()}
	}
	var bad []FieldError
	for _, name := range slices.Sorted(maps.Keys(v)) {
		if msg := lineProblem(name); msg != "" {
			bad = append(bad, FieldError{Field: strconv.QuoteToASCII(name), Message: "the parameter name " + msg})
			continue
		}
		for _, one := range v[name] {
			if msg := lineProblem(one); msg != "" {
				bad = append(bad, FieldError{Field: name, Message: msg})
				break
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return &StatusError{Status: http.StatusBadRequest, Code: "malformed_query", Detail: bad[0].Field + ": " + bad[0].Message, Fields: bad}
}

// lineProblem is the problem of one line of text (a path, a parameter), "" when it is fine.
func lineProblem(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for i, r := range s {
		if r == '\t' || r == '\n' || r == '\r' || field.UnsafeRune(r) {
			return fmt.Sprintf("holds the control character U+%04X at character %d", r, utf8.RuneCountInString(s[:i])+1)
		}
	}
	return ""
}

// CheckPath is the 400 malformed_path problem of a request path that lineProblem refuses.
func CheckPath(path string) error {
	if msg := lineProblem(path); msg != "" {
		return Fail(http.StatusBadRequest, "malformed_path", "the path "+msg)
	}
	return nil
}

// CheckHeader is the 422 validation_failed problem of a header value the server keeps (such as
// Idempotency-Key) that lineProblem refuses.
func CheckHeader(name, v string) error {
	if msg := lineProblem(v); msg != "" {
		return Invalid(name, "%s", msg)
	}
	return nil
}

func orList(s []string) string {
	switch len(s) {
	case 0:
		return "empty"
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
