package customerapi

import (
	"net/http"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
)

// The customer pool's rule errors as problems.
func init() {
	httpkit.RegisterErrors(
		httpkit.ErrorCode{Err: customercmd.ErrCustomerClaimLimit, Status: http.StatusConflict, Code: "pool_claim_limit_reached"},
		httpkit.ErrorCode{Err: customercmd.ErrDailyClaimLimit, Status: http.StatusConflict, Code: "pool_daily_claim_limit_reached"},
		httpkit.ErrorCode{Err: customercmd.ErrReclaimCooldown, Status: http.StatusConflict, Code: "pool_reclaim_cooldown"},
	)
}
