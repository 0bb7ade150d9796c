// Package httpkit is the toolkit every module API package uses: handlers that return a Reply or
// an error, one adapter that writes either (errors as RFC 9457 problem documents through one
// status and code table), strict JSON decoding, a query-parameter reader that reports every bad
// parameter at once, request metadata, read-your-writes waits and the generic command, list,
// and history helpers.
package httpkit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/privacy"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type    string       `json:"type"`
	Title   string       `json:"title"`
	Status  int          `json:"status"`
	Detail  string       `json:"detail,omitempty"`
	Code    string       `json:"code"`
	Errors  []FieldError `json:"errors,omitempty"`
	Current *int64       `json:"currentVersion,omitempty"`
	// ChangedBy and ChangedAt name who wrote the current version of a 412 version_conflict, and when.
	ChangedBy *ActorRef  `json:"changedBy,omitempty"`
	ChangedAt *time.Time `json:"changedAt,omitempty"`
	// Duplicates lists the likely duplicates of a possible_duplicate problem.
	Duplicates any `json:"duplicates,omitempty"`
}

// ActorRef names a user by id and the display name they had when they acted.
type ActorRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// FieldError is a problem with one field of a request.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

// StatusError is an error that carries its own status and problem code: a request the server
// cannot read (400), an unknown endpoint (404), a wrong method (405), a conflict the transport
// sees (409), an oversize body (413), a wrong media type (415), a bad parameter (422) or a read
// model that has not caught up (503).
type StatusError struct {
	Status int
	Code   string
	Detail string
	Fields []FieldError
}

func (e *StatusError) Error() string { return e.Detail }

// Fail is a StatusError without field errors.
func Fail(status int, code, detail string) error {
	return &StatusError{Status: status, Code: code, Detail: detail}
}

// Invalid is a 422 validation_failed problem about one field.
func Invalid(field, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &StatusError{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Detail: field + ": " + msg,
		Fields: []FieldError{{Field: field, Message: msg}}}
}

// UnknownField is the 400 unknown_field problem of a body member the request does not have.
func UnknownField(name string) error {
	return &StatusError{Status: http.StatusBadRequest, Code: "unknown_field", Detail: "unknown field " + name,
		Fields: []FieldError{{Field: name, Message: "is not a field of this request"}}}
}

// DuplicateError: likely duplicates exist and the client did not confirm (409 possible_duplicate).
// Found is the list the problem shows (a module's duplicate views), Count its length.
type DuplicateError struct {
	Found any
	Count int
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("%d existing customers look like this one; check them, or send \"confirmDuplicate\": true to save anyway", e.Count)
}

// RetryAfter is an error that tells the client when to try again (sign-in throttling).
type RetryAfter interface{ Seconds() int64 }

// ErrorCode maps a rule error to the status and problem code it answers with.
type ErrorCode struct {
	Err    error
	Status int
	Code   string
}

// moduleCodes are the errors of the modules' own rules, registered by their API packages.
var moduleCodes []ErrorCode

// RegisterErrors adds a module's rule errors to the table (from its API package's init, so the
// table is complete before any request).
func RegisterErrors(codes ...ErrorCode) { moduleCodes = append(moduleCodes, codes...) }

// errorTable maps rule errors to status and code; the first match wins.
var errorTable = []struct {
	err    error
	status int
	code   string
}{
	{commands.ErrNotFound, http.StatusNotFound, "not_found"},
	{readmodels.ErrNotFound, http.StatusNotFound, "not_found"},
	{lead.ErrNotFound, http.StatusNotFound, "not_found"},
	{commands.ErrForbidden, http.StatusForbidden, "forbidden"},
	{customer.ErrNotInPool, http.StatusConflict, "not_in_pool"},
	{customer.ErrAlreadyInPool, http.StatusConflict, "already_in_pool"},
	{customer.ErrLocked, http.StatusConflict, "customer_locked"},
	{customer.ErrDeleted, http.StatusNotFound, "not_found"},
	{customer.ErrNotFound, http.StatusNotFound, "not_found"},
	{role.ErrBuiltIn, http.StatusConflict, "built_in_role"},
	{role.ErrDeleted, http.StatusNotFound, "not_found"},
	{role.ErrNotFound, http.StatusNotFound, "not_found"},
	{department.ErrNotFound, http.StatusNotFound, "not_found"},
	{commands.ErrAlreadyExists, http.StatusConflict, "already_exists"},
	{lead.ErrNotInPool, http.StatusConflict, "not_in_pool"},
	{lead.ErrAlreadyInPool, http.StatusConflict, "already_in_pool"},
	{lead.ErrDeleted, http.StatusConflict, "invalid_transition"},
	{lead.ErrConverted, http.StatusConflict, "invalid_transition"},
	{eventstore.ErrConcurrency, http.StatusConflict, "concurrency_conflict"},
	// A personal value for a data subject whose personal data was erased (before invalid_event,
	// which it wraps); an erasure asked for again.
	{privacy.ErrSubjectErased, http.StatusConflict, "subject_erased"},
	{privacy.ErrAlreadyErased, http.StatusConflict, "already_erased"},
	// Request bodies are limited to 1 MiB like appends, but a body's JSON can grow when encoded
	// into events (escapes, several events per command): the store's refusal is the client's.
	{eventstore.ErrAppendTooLarge, http.StatusRequestEntityTooLarge, "event_too_large"},
	{eventstore.ErrInvalidEvent, http.StatusUnprocessableEntity, "invalid_event"},
	{readmodels.ErrKeyInFlight, http.StatusConflict, "idempotency_in_progress"},
	{readmodels.ErrKeyReused, http.StatusUnprocessableEntity, "idempotency_key_reused"},
	{engine.ErrUnknownProjection, http.StatusNotFound, "not_found"},
	{engine.ErrRebuildInProgress, http.StatusConflict, "rebuild_in_progress"},
}

// ProblemFor turns any error into a problem document; unknown errors are 500s.
func ProblemFor(err error) Problem {
	var (
		se  *StatusError
		vm  *commands.VersionMismatchError
		fv  *field.Error
		dup *DuplicateError
	)
	switch {
	case errors.As(err, &se):
		return Problem{Status: se.Status, Code: se.Code, Detail: se.Detail, Errors: se.Fields}
	case errors.As(err, &dup):
		return Problem{Status: http.StatusConflict, Code: "possible_duplicate", Detail: dup.Error(), Duplicates: dup.Found}
	case errors.As(err, &vm):
		cur := vm.Current
		p := Problem{Status: http.StatusPreconditionFailed, Code: "version_conflict", Detail: "the record has changed: " + vm.Error(), Current: &cur}
		if e := vm.Edited; e != nil && e.ActorID != "" {
			at := e.At.UTC()
			p.ChangedBy, p.ChangedAt = &ActorRef{ID: e.ActorID, Name: e.ActorName}, &at
		}
		return p
	case errors.As(err, &fv):
		return validationProblem(err)
	case errors.Is(err, department.ErrCycle):
		return Problem{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Detail: err.Error(),
			Errors: []FieldError{{Field: "parentId", Message: err.Error()}}}
	case errors.Is(err, role.ErrLastAdminPerms):
		return Problem{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Detail: err.Error(),
			Errors: []FieldError{{Field: "permissions", Message: err.Error()}}}
	case errors.Is(err, context.DeadlineExceeded):
		return Problem{Status: http.StatusServiceUnavailable, Code: "timeout", Detail: "the request took too long"}
	case errors.Is(err, context.Canceled):
		return canceled
	}
	for _, row := range errorTable {
		if errors.Is(err, row.err) {
			return Problem{Status: row.status, Code: row.code, Detail: row.err.Error()}
		}
	}
	for _, row := range moduleCodes {
		if errors.Is(err, row.Err) {
			return Problem{Status: row.Status, Code: row.Code, Detail: row.Err.Error()}
		}
	}
	return Problem{Status: http.StatusInternalServerError, Code: "internal", Detail: "an internal error occurred; it has been logged"}
}

// canceled answers a request whose context ended before its answer: the client hung up (or the
// server is shutting down). Nobody may read it; a 5xx status keeps it out of idempotent replays
// (the key is given back), and Retry-After tells a client still there to send it again.
var canceled = Problem{Status: http.StatusServiceUnavailable, Code: "canceled", Detail: "the request was canceled before it completed"}

// ProblemStatus is the HTTP status of the problem document the API answers err with.
func ProblemStatus(err error) int { return ProblemFor(err).Status }

// validationProblem lists every field error joined into err.
func validationProblem(err error) Problem {
	p := Problem{Status: http.StatusUnprocessableEntity, Code: "validation_failed"}
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, inner := range j.Unwrap() {
				walk(inner)
			}
			return
		}
		var fv *field.Error
		if errors.As(e, &fv) {
			p.Errors = append(p.Errors, FieldError{fv.Field, fv.Message, fv.Code})
		}
	}
	walk(err)
	if len(p.Errors) > 0 {
		p.Detail = p.Errors[0].Field + ": " + p.Errors[0].Message
	}
	return p
}

// WriteProblem answers err as a problem document; 500s are logged as errors. A request whose
// client went away is no fault of the server: whatever failed once its context ended (the
// cancellation itself, or what a driver made of it) is answered as canceled and logged at debug
// level. A cancellation while the request's context is still alive came from inside the server
// and is logged as an error.
func WriteProblem(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	p := ProblemFor(err)
	gone := r.Context().Err() != nil
	if p.Status == http.StatusInternalServerError && gone {
		p = canceled
	}
	if logger != nil {
		switch {
		case p.Code == canceled.Code && gone:
			logger.Debug("request canceled", "method", r.Method, "path", LogPath(r.URL.Path), "request_id", RequestID(r.Context()), "error", err)
		case p.Code == canceled.Code, p.Status == http.StatusInternalServerError:
			logger.Error("request failed", "method", r.Method, "path", LogPath(r.URL.Path), "request_id", RequestID(r.Context()), "error", err)
		}
	}
	p.Type = "https://chronicle-crm.dev/problems/" + p.Code
	p.Title = http.StatusText(p.Status)
	var retry RetryAfter
	if errors.As(err, &retry) {
		w.Header().Set("Retry-After", strconv.FormatInt(retry.Seconds(), 10))
	}
	if p.Status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", "1")
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="chronicle"`)
	}
	if p.Current != nil {
		w.Header().Set("ETag", ETag(*p.Current))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// WriteJSON answers v as JSON (HTML characters unescaped: Chinese and <> round-trip as sent).
// The body is encoded into a pooled buffer first and written at once with its length: one
// write to the connection instead of one per 4 KiB of the server's buffer, and no chunking.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer putJSONBuffer(buf)
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	contentType := "application/json; charset=utf-8"
	if err := enc.Encode(v); err != nil {
		// A value that does not encode is a programming error; answer it as one.
		slog.Error("encode response", "error", err)
		status, contentType = http.StatusInternalServerError, "application/problem+json"
		buf.Reset()
		_ = json.NewEncoder(buf).Encode(Problem{Status: status, Code: "internal", Detail: "an internal error occurred; it has been logged"})
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putJSONBuffer returns a buffer to the pool unless a large answer grew it (kept, a few large
// lists would pin their memory).
func putJSONBuffer(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		jsonBuffers.Put(b)
	}
}

// secretPaths are the path prefixes whose rest is a secret (a calendar feed's token: whoever holds
// the URL reads the feed).
var secretPaths = []string{"/calendar/feed/"}

// LogPath is a request path as logs may keep it: the secret of a secret URL replaced.
func LogPath(path string) string {
	for _, p := range secretPaths {
		if i := strings.Index(path, p); i >= 0 && len(path) > i+len(p) {
			return path[:i+len(p)] + "[secret]"
		}
	}
	return path
}
