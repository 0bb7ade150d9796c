package importapi

import (
	"context"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/contactapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/contractapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/customerapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/financeapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/leadapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/opportunityapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/productapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/scheduleapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/tabular"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/taskapi"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/contractview"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
	"github.com/chronicle-crm/chronicle/readmodels/dictview"
	"github.com/chronicle-crm/chronicle/readmodels/financeview"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
	"github.com/chronicle-crm/chronicle/readmodels/opportunityview"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
	"github.com/chronicle-crm/chronicle/readmodels/productview"
	"github.com/chronicle-crm/chronicle/readmodels/scheduleview"
	"github.com/chronicle-crm/chronicle/readmodels/taskview"
)

// Exports: GET /api/v1/{customers,leads,contacts,products}/export?format=csv|xlsx plus the list endpoint's
// query parameters writes the whole search (filters and the reader's data scope) as a file with
// Chinese headers. Customers, leads and contacts are exported as their lists show them: previous
// owners' remarks are hidden from the exporting user where the setting says so
// (httpkit.PreviousOwnerRemarks), contact details masked where the rule says so
// (httpkit.ContactDetails). Every export is audited (Export).

// names looks up the owners' display names an export shows when a row does not carry one (an
// owner the projection's organisation does not know), one by one (few owners, many rows). The
// rows carry their owners' names and contacts their customers' names (the views fill them in).
type names struct {
	ctx   context.Context
	org   *orgview.Views
	dict  *dictview.Views
	users map[uuid.UUID]string
	lists map[dictionary.Kind]map[string]string // code -> Chinese label
}

func (a api) names(ctx context.Context) *names {
	return &names{ctx: ctx, org: a.OrgViews, dict: a.DictViews, users: map[uuid.UUID]string{}, lists: map[dictionary.Kind]map[string]string{}}
}

// Label is the Chinese label of a dictionary code as the dictionary view has it (each list read
// once per export); a value that is no code of the list (stored before the dictionary existed)
// is written as stored. Without the view, the built-in items'.
func (n *names) Label(k dictionary.Kind, code string) string {
	if code == "" {
		return ""
	}
	labels, ok := n.lists[k]
	if !ok {
		items := dictionary.Defaults[k]
		if n.dict != nil {
			if l, err := n.dict.List(n.ctx, k); err == nil {
				items = l.Items
			}
		}
		labels = make(map[string]string, len(items))
		for _, it := range items {
			labels[it.Code] = it.Labels.ZH
		}
		n.lists[k] = labels
	}
	if s, ok := labels[code]; ok {
		return s
	}
	return code
}

func (n *names) User(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	if s, ok := n.users[*id]; ok {
		return s
	}
	s := ""
	if u, err := n.org.GetUser(n.ctx, *id); err == nil {
		s = u.DisplayName
	}
	n.users[*id] = s
	return s
}

func (a api) exportCustomers(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.CustomersRead, role.CustomersExport); err != nil {
		return httpkit.Reply{}, err
	}
	p := httpkit.Params(r.URL.Query())
	format := ExportFormat(p)
	q, err := customerapi.Query(r.Context(), p, customerview.ScopeFor(httpkit.ActorOf(r.Context())), a.OrgViews.CustomerFields)
	if err == nil {
		err = p.Err()
	}
	if err == nil {
		err = a.Kit.WaitFor(r, customerview.Projection)
	}
	search := customerapi.Search(a.CustomerViews, a.OrgViews)
	var first readmodels.Page[*customerview.Customer]
	if err == nil {
		q.Limit = ExportPage
		first, err = search(r.Context(), q)
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	return Export[tabular.CustomerRow, *customerview.Customer]{Kit: a.Kit, Format: format, Spec: tabular.Customers, Names: a.names(r.Context()), First: first,
		Next: func(ctx context.Context, cursor string) (readmodels.Page[*customerview.Customer], error) {
			q.Cursor = cursor
			return search(ctx, q)
		}}.Reply(r.Context())
}

func (a api) exportLeads(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.LeadsRead, role.LeadsExport); err != nil {
		return httpkit.Reply{}, err
	}
	v := r.URL.Query()
	v.Del("limit")
	p := httpkit.Params(v)
	format := ExportFormat(p)
	q := leadapi.Query(p, leadview.ScopeFor(httpkit.ActorOf(r.Context())))
	err := p.Err()
	if err == nil {
		err = a.Kit.WaitFor(r, leadview.Projection)
	}
	search := httpkit.Masking(leadapi.Details(a.LeadViews), leadapi.Keyword, httpkit.HidingRemarks(leadapi.Remarks(a.LeadViews, a.OrgViews), a.LeadViews.Search))
	var first readmodels.Page[*leadview.Lead]
	if err == nil {
		q.Limit, q.Cursor = ExportPage, ""
		first, err = search(r.Context(), q)
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	return Export[tabular.LeadRow, *leadview.Lead]{Kit: a.Kit, Format: format, Spec: tabular.Leads, Names: a.names(r.Context()), First: first,
		Next: func(ctx context.Context, cursor string) (readmodels.Page[*leadview.Lead], error) {
			q.Cursor = cursor
			return search(ctx, q)
		}}.Reply(r.Context())
}

func (a api) exportContacts(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.CustomersRead, role.CustomersExport); err != nil {
		return httpkit.Reply{}, err
	}
	p := httpkit.Params(r.URL.Query())
	format := ExportFormat(p)
	q := customerview.ContactQuery{Scope: customerview.ScopeFor(httpkit.ActorOf(r.Context())), Q: p.Str("q"), Sort: p.Str("sort"),
		Limit: ExportPage, CustomerID: p.UUID("customerId")}
	err := p.Err()
	if err == nil {
		err = a.Kit.WaitFor(r, customerview.Projection)
	}
	search := httpkit.Masking(contactapi.Details(a.CustomerViews), contactapi.Keyword, a.CustomerViews.SearchContacts)
	var first readmodels.Page[*customerview.Contact]
	if err == nil {
		first, err = search(r.Context(), q)
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	n := a.names(r.Context())
	return Export[tabular.ContactRow, *customerview.Contact]{Kit: a.Kit, Format: format, Spec: tabular.Contacts, Names: n, First: first,
		Next: func(ctx context.Context, cursor string) (readmodels.Page[*customerview.Contact], error) {
			q.Cursor = cursor
			return search(ctx, q)
		}}.Reply(r.Context())
}

// productNames are the names a product export shows: unit labels (zh-CN) from the dictionary,
// read once per export.
type productNames struct {
	*names
	units map[string]string
}

func (n productNames) Unit(code string) string {
	if l, ok := n.units[code]; ok && l != "" {
		return l
	}
	return code
}

// exportProducts writes the product search (the list's filters: q, categoryId subtree, status,
// sort) as a file. It needs products.manage: the catalogue is read by everyone, but a bulk copy
// with production costs is for those who manage it.
func (a api) exportProducts(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.ProductsManage); err != nil {
		return httpkit.Reply{}, err
	}
	v := r.URL.Query()
	v.Del("limit")
	v.Del("cursor")
	p := httpkit.Params(v)
	format := ExportFormat(p)
	q := productapi.Query(p)
	err := p.Err()
	if err == nil {
		err = a.Kit.WaitFor(r, productview.Projection, dictview.Projection)
	}
	n := productNames{names: a.names(r.Context()), units: map[string]string{}}
	if err == nil {
		var l dictview.List
		if l, err = a.DictViews.List(r.Context(), dictionary.ProductUnit); err == nil {
			for _, it := range l.Items {
				n.units[it.Code] = it.Labels.ZH
			}
		}
	}
	var first readmodels.Page[*productview.Product]
	if err == nil {
		q.Limit = ExportPage
		first, err = a.ProductViews.Search(r.Context(), q)
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	return Export[tabular.ProductRow, *productview.Product]{Kit: a.Kit, Format: format, Spec: tabular.Products, Names: n, First: first,
		Next: func(ctx context.Context, cursor string) (readmodels.Page[*productview.Product], error) {
			q.Cursor = cursor
			return a.ProductViews.Search(ctx, q)
		}}.Reply(r.Context())
}

// exportParams reads an export's query: the list's parameters without its page (limit, cursor),
// and the format.
func exportParams(r *http.Request) (*httpkit.ParamReader, string) {
	v := r.URL.Query()
	v.Del("limit")
	v.Del("cursor")
	p := httpkit.Params(v)
	return p, ExportFormat(p)
}

// exportSearch writes a search page after page: search answers the page at cursor ("" first).
// err is what reading the request found wrong so far (nothing is read then).
func exportSearch[T, R any](a api, r *http.Request, err error, format string, spec *tabular.Spec[T, R], names tabular.Names,
	search func(ctx context.Context, cursor string) (readmodels.Page[R], error)) (httpkit.Reply, error) {
	var first readmodels.Page[R]
	if err == nil {
		first, err = search(r.Context(), "")
	}
	if err != nil {
		return httpkit.Reply{}, err
	}
	return Export[T, R]{Kit: a.Kit, Format: format, Spec: spec, Names: names, First: first, Next: search}.Reply(r.Context())
}

// exportContracts writes the contract search (the list's filters and the reader's sight) as a
// file (contracts.read and contracts.export).
func (a api) exportContracts(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.ContractsRead, role.ContractsExport); err != nil {
		return httpkit.Reply{}, err
	}
	p, format := exportParams(r)
	q := contractapi.Query(p, httpkit.ActorOf(r.Context()))
	err := p.Err()
	if err == nil {
		err = a.Kit.WaitFor(r, contractview.Projection)
	}
	return exportSearch(a, r, err, format, tabular.Contracts, a.names(r.Context()),
		func(ctx context.Context, cursor string) (readmodels.Page[*contractview.Contract], error) {
			q.Cursor, q.Limit = cursor, ExportPage
			return a.ContractViews.Search(ctx, q)
		})
}

// exportTasks writes the task search (the list's view and filters, what the reader may read) as
// a file (tasks.export).
func (a api) exportTasks(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.TasksExport); err != nil {
		return httpkit.Reply{}, err
	}
	p, format := exportParams(r)
	q := taskapi.Query(p, httpkit.ActorOf(r.Context()), time.Now())
	err := p.Err()
	if err == nil {
		err = a.Kit.WaitFor(r, taskview.Projection)
	}
	return exportSearch(a, r, err, format, tabular.Tasks, a.names(r.Context()),
		func(ctx context.Context, cursor string) (readmodels.Page[*taskview.Task], error) {
			q.Cursor, q.Limit = cursor, ExportPage
			return a.TaskViews.Search(ctx, q)
		})
}

// exportSchedules writes the schedule search (the list's view and filters, what the reader may
// read) as a file (schedules.export): a row per entry, a series once.
func (a api) exportSchedules(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.SchedulesExport); err != nil {
		return httpkit.Reply{}, err
	}
	p, format := exportParams(r)
	q := scheduleapi.Query(p, httpkit.ActorOf(r.Context()))
	err := p.Err()
	if err == nil {
		err = a.Kit.WaitFor(r, scheduleview.Projection)
	}
	return exportSearch(a, r, err, format, tabular.Schedules, a.names(r.Context()),
		func(ctx context.Context, cursor string) (readmodels.Page[*scheduleview.Entry], error) {
			q.Cursor, q.Limit = cursor, ExportPage
			return a.ScheduleViews.Search(ctx, q)
		})
}

// stageNames adds the names of the pipelines' stages to an export's names.
type stageNames struct {
	*names
	stages map[uuid.UUID]map[string]string
}

func (n stageNames) Stage(pipeline uuid.UUID, key string) string {
	if s, ok := n.stages[pipeline][key]; ok {
		return s
	}
	return key
}

// exportOpportunities writes the opportunity search (the list's filters and the reader's
// sight) as a file (opportunities.read and opportunities.export).
func (a api) exportOpportunities(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.OpportunitiesRead, role.OpportunitiesExport); err != nil {
		return httpkit.Reply{}, err
	}
	p, format := exportParams(r)
	q := opportunityapi.Query(p, httpkit.ActorOf(r.Context()))
	err := p.Err()
	if err == nil {
		err = a.Kit.WaitFor(r, opportunityview.Projection)
	}
	n := stageNames{names: a.names(r.Context()), stages: map[uuid.UUID]map[string]string{}}
	if err == nil {
		var ps []opportunityview.Pipeline
		if ps, err = a.OppViews.Pipelines(r.Context()); err == nil {
			for _, pl := range ps {
				n.stages[pl.ID] = map[string]string{}
				for _, s := range pl.Stages {
					n.stages[pl.ID][s.Key] = s.Name
				}
			}
		}
	}
	return exportSearch(a, r, err, format, tabular.Opportunities, n,
		func(ctx context.Context, cursor string) (readmodels.Page[*opportunityview.Opportunity], error) {
			q.Cursor, q.Limit = cursor, ExportPage
			return a.OppViews.Search(ctx, q)
		})
}

// exportReceipts writes the receipt search (the list's filters and the reader's sight) with an
// exact totals row (finance.read and finance.export).
func (a api) exportReceipts(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.FinanceRead, role.FinanceExport); err != nil {
		return httpkit.Reply{}, err
	}
	p, format := exportParams(r)
	q := financeapi.ReceiptQuery(p, httpkit.ActorOf(r.Context()))
	err := p.Err()
	if err == nil {
		err = a.Kit.WaitFor(r, financeview.Projection)
	}
	return exportSearch(a, r, err, format, tabular.Receipts, a.names(r.Context()),
		func(ctx context.Context, cursor string) (readmodels.Page[*financeview.ReceiptRow], error) {
			q.Cursor, q.Limit = cursor, ExportPage
			return a.FinanceViews.Receipts(ctx, q)
		})
}

// exportInstallments writes the installment list (the overdue list with status=overdue) with
// exact totals (finance.read and finance.export).
func (a api) exportInstallments(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.FinanceRead, role.FinanceExport); err != nil {
		return httpkit.Reply{}, err
	}
	p, format := exportParams(r)
	q := financeapi.InstallmentQuery(p, httpkit.ActorOf(r.Context()))
	err := p.Err()
	if err == nil {
		err = a.Kit.WaitFor(r, financeview.Projection)
	}
	return exportSearch(a, r, err, format, tabular.Installments, a.names(r.Context()),
		func(ctx context.Context, cursor string) (readmodels.Page[*financeview.InstallmentRow], error) {
			q.Cursor, q.Limit = cursor, ExportPage
			return a.FinanceViews.Installments(ctx, q)
		})
}

// exportPayables writes the payable search with exact totals (finance.read and finance.export).
func (a api) exportPayables(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.FinanceRead, role.FinanceExport); err != nil {
		return httpkit.Reply{}, err
	}
	p, format := exportParams(r)
	q := financeapi.PayableQuery(p, httpkit.ActorOf(r.Context()))
	err := p.Err()
	if err == nil {
		err = a.Kit.WaitFor(r, financeview.Projection)
	}
	return exportSearch(a, r, err, format, tabular.Payables, a.names(r.Context()),
		func(ctx context.Context, cursor string) (readmodels.Page[*financeview.PayableRow], error) {
			q.Cursor, q.Limit = cursor, ExportPage
			return a.FinanceViews.Payables(ctx, q)
		})
}

// exportVouchers writes the payment voucher search with an exact total (finance.read and
// finance.export).
func (a api) exportVouchers(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.FinanceRead, role.FinanceExport); err != nil {
		return httpkit.Reply{}, err
	}
	p, format := exportParams(r)
	q := financeapi.VoucherQuery(p, httpkit.ActorOf(r.Context()))
	err := p.Err()
	if err == nil {
		err = a.Kit.WaitFor(r, financeview.Projection)
	}
	return exportSearch(a, r, err, format, tabular.Vouchers, a.names(r.Context()),
		func(ctx context.Context, cursor string) (readmodels.Page[*financeview.VoucherRow], error) {
			q.Cursor, q.Limit = cursor, ExportPage
			return a.FinanceViews.Vouchers(ctx, q)
		})
}
