package leadapi

import (
	"net/http"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
)

// The lead pool's rule errors as problems.
func init() {
	httpkit.RegisterErrors(httpkit.ErrorCode{Err: leadcmd.ErrClaimLimit, Status: http.StatusConflict, Code: "pool_claim_limit_reached"})
}
