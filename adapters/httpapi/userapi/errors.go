package userapi

import (
	"net/http"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
)

// The account and sign-in rule errors as problems.
func init() {
	httpkit.RegisterErrors(
		httpkit.ErrorCode{Err: usercmd.ErrUsernameTaken, Status: http.StatusConflict, Code: "username_taken"},
		httpkit.ErrorCode{Err: usercmd.ErrBadCredentials, Status: http.StatusUnauthorized, Code: "invalid_credentials"},
		httpkit.ErrorCode{Err: usercmd.ErrTOTPRequired, Status: http.StatusUnauthorized, Code: "totp_required"},
		httpkit.ErrorCode{Err: usercmd.ErrSecondFactor, Status: http.StatusUnauthorized, Code: "invalid_second_factor"},
		httpkit.ErrorCode{Err: usercmd.ErrAccountLocked, Status: http.StatusLocked, Code: "account_locked"},
		httpkit.ErrorCode{Err: usercmd.ErrThrottled, Status: http.StatusTooManyRequests, Code: "too_many_attempts"},
		httpkit.ErrorCode{Err: usercmd.ErrBusy, Status: http.StatusServiceUnavailable, Code: "password_check_busy"},
		httpkit.ErrorCode{Err: usercmd.ErrTwoFactorEnrollmentRequired, Status: http.StatusForbidden, Code: "two_factor_enrollment_required"},
		httpkit.ErrorCode{Err: usercmd.ErrTwoFactorEnabled, Status: http.StatusConflict, Code: "two_factor_already_enabled"},
		httpkit.ErrorCode{Err: usercmd.ErrTwoFactorNotEnrolled, Status: http.StatusConflict, Code: "two_factor_not_enrolled"},
		httpkit.ErrorCode{Err: usercmd.ErrTwoFactorOff, Status: http.StatusConflict, Code: "two_factor_not_enabled"},
		httpkit.ErrorCode{Err: usercmd.ErrUnauthenticated, Status: http.StatusUnauthorized, Code: "unauthenticated"},
		httpkit.ErrorCode{Err: usercmd.ErrReauthLimit, Status: http.StatusUnauthorized, Code: "sessions_ended"},
	)
}
