// Package importapi is the HTTP API of file imports and exports of customers, leads, contacts
// and products. Imports run in the application's import runner (commands/dataimport); their
// history, progress and stored error reports are read from importview; files are read and written
// with the tabular column specifications.
package importapi

import (
	"net/http"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands/dataimport"
	"github.com/chronicle-crm/chronicle/readmodels/contractview"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
	"github.com/chronicle-crm/chronicle/readmodels/dictview"
	"github.com/chronicle-crm/chronicle/readmodels/financeview"
	"github.com/chronicle-crm/chronicle/readmodels/importview"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
	"github.com/chronicle-crm/chronicle/readmodels/opportunityview"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
	"github.com/chronicle-crm/chronicle/readmodels/productview"
	"github.com/chronicle-crm/chronicle/readmodels/scheduleview"
	"github.com/chronicle-crm/chronicle/readmodels/taskview"
)

// Deps are what the import and export API needs.
type Deps struct {
	Kit           *httpkit.Kit
	Imports       *dataimport.Runner
	ImportViews   *importview.Views
	LeadViews     *leadview.Views
	CustomerViews *customerview.Views
	OrgViews      *orgview.Views
	ProductViews  *productview.Views
	ContractViews *contractview.Views
	FinanceViews  *financeview.Views
	OppViews      *opportunityview.Views
	TaskViews     *taskview.Views
	ScheduleViews *scheduleview.Views
	// DictViews gives exports the labels of dictionary codes (nil: the built-in items'): the lead
	// and customer coded fields, product units.
	DictViews *dictview.Views
}

// Routes registers imports and exports. They must come before the record routes of customers,
// leads and contacts, so that /customers/export is not taken for /customers/{id}.
func Routes(rt httpkit.Router, d Deps) {
	a := api{d}
	// Not behind the idempotency layer: it would read the body with the 1 MiB JSON limit.
	// Importing a file twice creates no records twice anyway.
	rt.HandleUpload(http.MethodPost, "/imports", a.start)
	rt.Handle(http.MethodGet, "/imports", a.list)
	rt.Handle(http.MethodGet, "/imports/{id}", a.get)
	rt.Handle(http.MethodGet, "/imports/{id}/errors", a.errorReport)
	rt.Handle(http.MethodGet, "/customers/export", a.exportCustomers)
	rt.Handle(http.MethodGet, "/leads/export", a.exportLeads)
	rt.Handle(http.MethodGet, "/contacts/export", a.exportContacts)
	rt.Handle(http.MethodGet, "/products/export", a.exportProducts)
	rt.Handle(http.MethodGet, "/contracts/export", a.exportContracts)
	rt.Handle(http.MethodGet, "/opportunities/export", a.exportOpportunities)
	rt.Handle(http.MethodGet, "/receipts/export", a.exportReceipts)
	rt.Handle(http.MethodGet, "/installments/export", a.exportInstallments)
	rt.Handle(http.MethodGet, "/payables/export", a.exportPayables)
	rt.Handle(http.MethodGet, "/payment-vouchers/export", a.exportVouchers)
	rt.Handle(http.MethodGet, "/tasks/export", a.exportTasks)
	rt.Handle(http.MethodGet, "/schedules/export", a.exportSchedules)
}

type api struct{ Deps }
