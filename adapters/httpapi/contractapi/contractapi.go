// Package contractapi is the HTTP API of contracts (合同) and of approvals: drafting, editing,
// submitting, approving or rejecting, withdrawing, amending, executing, completing, terminating,
// history and as-of views; the numbering pattern; the approval flows administrators define and
// the approval inbox.
package contractapi

import (
	"context"
	"net/http"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/approvalcmd"
	"github.com/chronicle-crm/chronicle/commands/contractcmd"
	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/contract"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/lineitem"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels/approvalview"
	"github.com/chronicle-crm/chronicle/readmodels/contractview"
)

func init() {
	httpkit.RegisterErrors(
		httpkit.ErrorCode{Err: contractcmd.ErrDuplicateNumber, Status: http.StatusConflict, Code: "duplicate_number"},
		httpkit.ErrorCode{Err: contract.ErrLocked, Status: http.StatusConflict, Code: "contract_locked"},
		httpkit.ErrorCode{Err: contract.ErrAmendmentOpen, Status: http.StatusConflict, Code: "amendment_pending"},
		httpkit.ErrorCode{Err: contract.ErrNothingToAmend, Status: http.StatusUnprocessableEntity, Code: "nothing_to_amend"},
		httpkit.ErrorCode{Err: contract.ErrOpportunityKept, Status: http.StatusUnprocessableEntity, Code: "opportunity_fixed"},
		httpkit.ErrorCode{Err: contract.ErrState, Status: http.StatusConflict, Code: "contract_state"},
		httpkit.ErrorCode{Err: contract.ErrDeleted, Status: http.StatusNotFound, Code: "not_found"},
		httpkit.ErrorCode{Err: contract.ErrNotFound, Status: http.StatusNotFound, Code: "not_found"},
		httpkit.ErrorCode{Err: approval.ErrNotPending, Status: http.StatusConflict, Code: "not_pending"},
		httpkit.ErrorCode{Err: approval.ErrNotCurrentApprover, Status: http.StatusForbidden, Code: "not_current_approver"},
		httpkit.ErrorCode{Err: approval.ErrNotSubmitter, Status: http.StatusForbidden, Code: "not_submitter"},
	)
}

// Deps are what the contract API needs.
type Deps struct {
	Kit       *httpkit.Kit
	Contracts contractcmd.Commands
	Flows     approvalcmd.Commands
	Views     *contractview.Views
	Inbox     *approvalview.Views
}

// projection is what contract reads wait for; inbox reads wait for the approvals too.
var (
	projection = []string{contractview.Projection}
	inbox      = []string{approvalview.Projection}
)

// Routes registers the contract and approval endpoints.
func Routes(rt httpkit.Router, d Deps) {
	a := api{d}
	ans := httpkit.Answer{Projection: append(append([]string{}, projection...), inbox...), View: a.view}
	rt.Handle(http.MethodPost, "/contracts", a.create)
	rt.Handle(http.MethodGet, "/contracts", httpkit.List(d.Kit, projection, func(r *http.Request) (contractview.Query, error) {
		p := httpkit.Params(r.URL.Query())
		q := Query(p, httpkit.ActorOf(r.Context()))
		return q, p.Err()
	}, d.Views.Search))
	rt.Handle(http.MethodGet, "/contracts/{id}/snapshot", httpkit.Snapshot(d.Contracts.AsOf))
	rt.Handle(http.MethodGet, "/contracts/{id}/history", httpkit.History(d.Contracts.History, httpkit.HistoryItems))
	rt.Handle(http.MethodGet, "/contracts/{id}", httpkit.NoAsOf(httpkit.Get(d.Kit, projection, a.read, func(c *contractview.Contract) int64 { return c.Version })))
	rt.Handle(http.MethodPatch, "/contracts/{id}", httpkit.OnRecord[Patch]{Kit: d.Kit, Run: a.update, Answer: ans}.Handle)
	rt.Handle(http.MethodDelete, "/contracts/{id}", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Run: a.delete}.Handle)
	rt.Handle(http.MethodPost, "/contracts/{id}/submit", httpkit.OnRecord[CommentBody]{Kit: d.Kit, Body: httpkit.BodyIfSent, Answer: ans,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, in *CommentBody) (commands.Result, error) {
			return a.Contracts.Submit(ctx, m, id, in.Comment)
		}}.Handle)
	for path, approve := range map[string]bool{"approve": true, "reject": false} {
		rt.Handle(http.MethodPost, "/contracts/{id}/"+path, httpkit.OnRecord[CommentBody]{Kit: d.Kit, Body: httpkit.BodyIfSent, Answer: ans,
			Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, in *CommentBody) (commands.Result, error) {
				return a.Contracts.Decide(ctx, m, id, approve, in.Comment)
			}}.Handle)
	}
	rt.Handle(http.MethodPost, "/contracts/{id}/withdraw", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Answer: ans,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
			return a.Contracts.Withdraw(ctx, m, id)
		}}.Handle)
	rt.Handle(http.MethodPost, "/contracts/{id}/amend", httpkit.OnRecord[AmendBody]{Kit: d.Kit, Run: a.amend, Answer: ans}.Handle)
	rt.Handle(http.MethodPost, "/contracts/{id}/start", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Answer: ans,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
			return a.Contracts.Start(ctx, m, id)
		}}.Handle)
	rt.Handle(http.MethodPost, "/contracts/{id}/complete", httpkit.OnRecord[struct{}]{Kit: d.Kit, Body: httpkit.BodyNone, Answer: ans,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
			return a.Contracts.Complete(ctx, m, id)
		}}.Handle)
	rt.Handle(http.MethodPost, "/contracts/{id}/terminate", httpkit.OnRecord[ReasonBody]{Kit: d.Kit, Answer: ans,
		Run: func(ctx context.Context, m commands.Meta, id uuid.UUID, in *ReasonBody) (commands.Result, error) {
			return a.Contracts.Terminate(ctx, m, id, in.Reason)
		}}.Handle)
	rt.Handle(http.MethodGet, "/contract-numbering", a.numbering)
	rt.Handle(http.MethodPut, "/contract-numbering", a.setNumbering)
	rt.Handle(http.MethodGet, "/approval-flows", a.flows)
	rt.Handle(http.MethodPut, "/approval-flows/{kind}", a.defineFlow)
	rt.Handle(http.MethodGet, "/approvals", httpkit.List(d.Kit, inbox, a.inboxQuery, d.Inbox.List))
}

type api struct{ Deps }

func (a api) view(ctx context.Context, actor access.Actor, id uuid.UUID) (any, error) {
	return a.read(ctx, actor, id)
}

func (a api) read(ctx context.Context, actor access.Actor, id uuid.UUID) (*contractview.Contract, error) {
	return a.Views.Get(ctx, contractview.ReaderOf(actor), id)
}

// ContractCreate is the body of POST /api/v1/contracts.
type ContractCreate struct {
	contract.Fields
	ID      string           `json:"id"`
	Number  string           `json:"number"`
	Lines   []lineitem.Input `json:"lines"`
	OwnerID string           `json:"ownerId"`
}

func (a api) create(r *http.Request) (httpkit.Reply, error) {
	return httpkit.Create[ContractCreate]{Kit: a.Kit, Run: func(ctx context.Context, m commands.Meta, in *ContractCreate) (commands.Result, error) {
		c := contractcmd.Create{Number: in.Number, Fields: in.Fields, Lines: in.Lines}
		if err := httpkit.BodyIDs(httpkit.BodyID{Field: "id", Text: in.ID, Dst: &c.ID}, httpkit.BodyID{Field: "ownerId", Text: in.OwnerID, Dst: &c.OwnerID}); err != nil {
			return commands.Result{}, err
		}
		return a.Contracts.Create(ctx, m, c)
	}, Answer: httpkit.Answer{Status: http.StatusCreated, Location: "/api/v1/contracts", ReplayOK: true, Projection: projection, View: a.view}}.Handle(r)
}

// Patch is the body of PATCH /contracts/{id} (a draft) and the changes of an amendment.
type Patch = contract.Patch

func (a api) update(ctx context.Context, m commands.Meta, id uuid.UUID, in *Patch) (commands.Result, error) {
	if in.Empty() {
		return commands.Result{}, httpkit.Invalid("(body)", "name at least one field to change")
	}
	return a.Contracts.Update(ctx, m, id, *in)
}

func (a api) delete(ctx context.Context, m commands.Meta, id uuid.UUID, _ *struct{}) (commands.Result, error) {
	return a.Contracts.Delete(ctx, m, id)
}

// CommentBody carries an optional comment (a rejection requires one).
type CommentBody struct {
	Comment string `json:"comment"`
}

// ReasonBody carries a required reason.
type ReasonBody struct {
	Reason string `json:"reason"`
}

// AmendBody proposes changes of an approved contract, with the reason.
type AmendBody struct {
	Changes Patch  `json:"changes"`
	Reason  string `json:"reason"`
}

func (a api) amend(ctx context.Context, m commands.Meta, id uuid.UUID, in *AmendBody) (commands.Result, error) {
	return a.Contracts.Amend(ctx, m, id, in.Changes, in.Reason)
}

// Query reads the filters of a contract search (the export shares them).
func Query(p *httpkit.ParamReader, actor access.Actor) contractview.Query {
	return contractview.Query{Reader: contractview.ReaderOf(actor), Q: p.Str("q"), Sort: p.Str("sort"),
		Status:     p.List("status", contract.Statuses, "must be draft, pending, approved, executing, completed or terminated; got %q"),
		CustomerID: p.UUID("customerId"), OwnerID: p.UUID("ownerId"), OpportunityID: p.UUID("opportunityId"),
		SignedFrom: dateParam(p, "signedFrom"), SignedTo: dateParam(p, "signedTo"),
		AmountMin: amountParam(p, "amountMin"), AmountMax: amountParam(p, "amountMax"),
		Cursor: p.Str("cursor"), Limit: p.Limit()}
}

func dateParam(p *httpkit.ParamReader, name string) string {
	v := p.Str(name)
	if v != "" {
		p.Add(name, field.Date(name, v))
	}
	return v
}

func amountParam(p *httpkit.ParamReader, name string) *money.Amount {
	v := p.Str(name)
	if v == "" {
		return nil
	}
	a, err := money.ParseAmount(name, v)
	p.Add(name, err)
	return &a
}

// Numbering is the numbering pattern as clients read and write it.
type Numbering struct {
	Pattern string `json:"pattern"`
	Version int64  `json:"version"`
}

func (a api) numbering(r *http.Request) (httpkit.Reply, error) {
	pattern, version, err := a.Contracts.Numbering(r.Context())
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(Numbering{Pattern: pattern, Version: version}).With("ETag", httpkit.ETag(version)), nil
}

// NumberingBody sets the pattern.
type NumberingBody struct {
	Pattern string `json:"pattern"`
}

func (a api) setNumbering(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.SettingsManage); err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.Create[NumberingBody]{Kit: a.Kit, Run: func(ctx context.Context, m commands.Meta, in *NumberingBody) (commands.Result, error) {
		return a.Contracts.SetNumbering(ctx, m, in.Pattern)
	}, Answer: httpkit.Answer{Status: http.StatusOK, View: func(ctx context.Context, _ access.Actor, _ uuid.UUID) (any, error) {
		pattern, version, err := a.Contracts.Numbering(ctx)
		return Numbering{Pattern: pattern, Version: version}, err
	}}}.Handle(r)
}

// Flow is an approval flow as clients read it.
type Flow struct {
	Kind    string             `json:"kind"`
	Name    string             `json:"name"`
	Steps   []approval.StepDef `json:"steps"`
	Version int64              `json:"version"`
}

func (a api) flow(ctx context.Context, kind string) (Flow, error) {
	f, err := a.Flows.Flow(ctx, kind)
	if err != nil {
		return Flow{}, err
	}
	return Flow{Kind: f.Kind(), Name: f.Name(), Steps: f.Steps(), Version: f.Version()}, nil
}

func (a api) flows(r *http.Request) (httpkit.Reply, error) {
	var out []Flow
	for _, k := range approval.Kinds {
		f, err := a.flow(r.Context(), k)
		if err != nil {
			return httpkit.Reply{}, err
		}
		out = append(out, f)
	}
	return httpkit.OK(httpkit.All(out)), nil
}

// FlowBody defines a kind's flow.
type FlowBody struct {
	Name  string             `json:"name"`
	Steps []approval.StepDef `json:"steps"`
}

func (a api) defineFlow(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.SettingsManage); err != nil {
		return httpkit.Reply{}, err
	}
	kind := httpkit.PathVar(r, "kind")
	if _, err := a.Flows.Flow(r.Context(), kind); err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.Create[FlowBody]{Kit: a.Kit, Run: func(ctx context.Context, m commands.Meta, in *FlowBody) (commands.Result, error) {
		return a.Flows.Define(ctx, m, kind, in.Name, in.Steps)
	}, Answer: httpkit.Answer{Status: http.StatusOK, View: func(ctx context.Context, _ access.Actor, _ uuid.UUID) (any, error) {
		return a.flow(ctx, kind)
	}}}.Handle(r)
}

func (a api) inboxQuery(r *http.Request) (approvalview.Query, error) {
	p := httpkit.Params(r.URL.Query())
	view := p.Str("view")
	if view == "" {
		view = approvalview.ViewPending
	}
	q := approvalview.Query{User: httpkit.ActorOf(r.Context()).ID, View: view, Kind: p.Str("kind"), Cursor: p.Str("cursor"), Limit: p.Limit()}
	return q, p.Err()
}
