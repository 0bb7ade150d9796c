package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type    string       `json:"type"`
	Title   string       `json:"title"`
	Status  int          `json:"status"`
	Detail  string       `json:"detail,omitempty"`
	Code    string       `json:"code"`
	Errors  []fieldError `json:"errors,omitempty"`
	Current *int64       `json:"currentVersion,omitempty"`
	// Duplicates lists the likely duplicates of a possible_duplicate problem.
	Duplicates []customerview.Duplicate `json:"duplicates,omitempty"`
}

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
	{commands.ErrClaimLimit, http.StatusConflict, "pool_claim_limit_reached"},
	{customercmd.ErrCustomerClaimLimit, http.StatusConflict, "pool_claim_limit_reached"},
	{customercmd.ErrDailyClaimLimit, http.StatusConflict, "pool_daily_claim_limit_reached"},
	{customercmd.ErrReclaimCooldown, http.StatusConflict, "pool_reclaim_cooldown"},
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
	{usercmd.ErrUsernameTaken, http.StatusConflict, "username_taken"},
	{usercmd.ErrBadCredentials, http.StatusUnauthorized, "invalid_credentials"},
	{usercmd.ErrTOTPRequired, http.StatusUnauthorized, "totp_required"},
	{usercmd.ErrSecondFactor, http.StatusUnauthorized, "invalid_second_factor"},
	{usercmd.ErrAccountLocked, http.StatusLocked, "account_locked"},
	{usercmd.ErrThrottled, http.StatusTooManyRequests, "too_many_attempts"},
	{usercmd.ErrTwoFactorEnrollmentRequired, http.StatusForbidden, "two_factor_enrollment_required"},
	{usercmd.ErrTwoFactorEnabled, http.StatusConflict, "two_factor_already_enabled"},
	{usercmd.ErrTwoFactorNotEnrolled, http.StatusConflict, "two_factor_not_enrolled"},
	{usercmd.ErrTwoFactorOff, http.StatusConflict, "two_factor_not_enabled"},
	{usercmd.ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated"},
	{lead.ErrNotInPool, http.StatusConflict, "not_in_pool"},
	{lead.ErrAlreadyInPool, http.StatusConflict, "already_in_pool"},
	{lead.ErrDeleted, http.StatusConflict, "invalid_transition"},
	{lead.ErrConverted, http.StatusConflict, "invalid_transition"},
	{eventstore.ErrConcurrency, http.StatusConflict, "concurrency_conflict"},
	{readmodels.ErrKeyInFlight, http.StatusConflict, "idempotency_in_progress"},
	{readmodels.ErrKeyReused, http.StatusUnprocessableEntity, "idempotency_key_reused"},
	{engine.ErrUnknownProjection, http.StatusNotFound, "not_found"},
	{engine.ErrRebuildInProgress, http.StatusConflict, "rebuild_in_progress"},
}

// problemFor turns any error into a problem document; unknown errors are 500s and are logged.
func problemFor(err error) Problem {
	var (
		br  *badRequest
		vm  *commands.VersionMismatchError
		fv  *field.Error
		dup *duplicateError
	)
	switch {
	case errors.As(err, &br):
		return Problem{Status: br.status, Code: br.code, Detail: br.detail, Errors: br.fields}
	case errors.As(err, &dup):
		return Problem{Status: http.StatusConflict, Code: "possible_duplicate", Detail: dup.Error(), Duplicates: dup.found}
	case errors.As(err, &vm):
		cur := vm.Current
		return Problem{Status: http.StatusPreconditionFailed, Code: "version_conflict", Detail: "the record has changed: " + vm.Error(), Current: &cur}
	case errors.As(err, &fv):
		return validationProblem(err)
	case errors.Is(err, department.ErrCycle):
		return Problem{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Detail: err.Error(),
			Errors: []fieldError{{Field: "parentId", Message: err.Error()}}}
	case errors.Is(err, role.ErrLastAdminPerms):
		return Problem{Status: http.StatusUnprocessableEntity, Code: "validation_failed", Detail: err.Error(),
			Errors: []fieldError{{Field: "permissions", Message: err.Error()}}}
	case errors.Is(err, context.DeadlineExceeded):
		return Problem{Status: http.StatusServiceUnavailable, Code: "timeout", Detail: "the request took too long"}
	}
	for _, row := range errorTable {
		if errors.Is(err, row.err) {
			return Problem{Status: row.status, Code: row.code, Detail: row.err.Error()}
		}
	}
	return Problem{Status: http.StatusInternalServerError, Code: "internal", Detail: "an internal error occurred; it has been logged"}
}

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
			p.Errors = append(p.Errors, fieldError{fv.Field, fv.Message})
		}
	}
	walk(err)
	if len(p.Errors) > 0 {
		p.Detail = p.Errors[0].Field + ": " + p.Errors[0].Message
	}
	return p
}

func writeProblem(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	p := problemFor(err)
	if p.Status == http.StatusInternalServerError {
		logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "request_id", requestID(r.Context()), "error", err)
	}
	p.Type = "https://chronicle-crm.dev/problems/" + p.Code
	p.Title = http.StatusText(p.Status)
	if p.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="chronicle"`)
	}
	if p.Current != nil {
		w.Header().Set("ETag", strconv.FormatInt(*p.Current, 10))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
