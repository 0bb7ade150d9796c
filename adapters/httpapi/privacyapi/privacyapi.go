// Package privacyapi is the HTTP API of erasures: an administrator (privacy.erase) erases the
// personal data of a lead or a contact for good (POST /privacy/erasures) and lists the erasures
// made (GET /privacy/erasures).
package privacyapi

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/privacycmd"
	dp "github.com/chronicle-crm/chronicle/domain/privacy"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
)

// Commands is what the API calls (privacycmd.Service).
type Commands interface {
	Erase(ctx context.Context, m commands.Meta, subject dp.Subject, reason string) (commands.Result, error)
	KeyDestroyed(ctx context.Context, subjects []uuid.UUID) (map[uuid.UUID]bool, error)
}

var _ Commands = (*privacycmd.Service)(nil)

// Deps are what the privacy API needs.
type Deps struct {
	Kit      *httpkit.Kit
	Erasures Commands
	// AuditViews list the erasures: the operation log's privacy.subject_erased.v1 events.
	AuditViews *auditview.Views
}

// Routes registers the privacy endpoints.
func Routes(rt httpkit.Router, d Deps) {
	rt.Handle(http.MethodPost, "/privacy/erasures", d.erase)
	rt.Handle(http.MethodGet, "/privacy/erasures", httpkit.List(d.Kit, []string{auditview.Projection}, query, d.list))
}

// SubjectBody names the data subject of an erasure.
type SubjectBody struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// EraseBody is the body of POST /privacy/erasures.
type EraseBody struct {
	Subject *SubjectBody `json:"subject"`
	Reason  string       `json:"reason"`
}

// Subject is the subject of an erasure as answered.
type Subject struct {
	Kind string    `json:"kind"`
	ID   uuid.UUID `json:"id"`
}

// Erasure is an erasure as answered.
type Erasure struct {
	Subject  Subject               `json:"subject"`
	Reason   string                `json:"reason"`
	By       readmodels.AuditActor `json:"by"`
	At       time.Time             `json:"at"`
	Position uint64                `json:"position"`
	// Fields are the personal fields that read as erased from now on.
	Fields []string `json:"fields"`
	// KeyDestroyed: the subject's key is destroyed (false: the erasure is recorded but the
	// destruction failed; erasing again finishes it).
	KeyDestroyed bool `json:"keyDestroyed"`
}

func (d Deps) erase(r *http.Request) (httpkit.Reply, error) {
	if err := httpkit.Allow(r, role.PrivacyErase); err != nil {
		return httpkit.Reply{}, err
	}
	var in EraseBody
	if err := d.Kit.Decode(r, &in); err != nil {
		return httpkit.Reply{}, err
	}
	if in.Subject == nil {
		return httpkit.Reply{}, httpkit.Invalid("subject", "is required: {\"kind\": \"lead\" or \"contact\", \"id\": \"<uuid>\"}")
	}
	id, err := httpkit.ParseUUID("subject.id", in.Subject.ID)
	if err != nil {
		return httpkit.Reply{}, err
	}
	m, err := httpkit.Meta(r)
	if err != nil {
		return httpkit.Reply{}, err
	}
	subject := dp.Subject{Kind: in.Subject.Kind, ID: id}
	res, err := d.Erasures.Erase(r.Context(), m, subject, in.Reason)
	if err != nil {
		return httpkit.Reply{}, err
	}
	e := Erasure{Subject: Subject{Kind: subject.Kind, ID: id}, Reason: in.Reason, By: readmodels.AuditActor{ID: m.Actor.ID.String(), Name: m.Actor.Name},
		At: d.Kit.Clock().UTC(), Position: res.Position, Fields: dp.Fields(subject.Kind), KeyDestroyed: true}
	return httpkit.Committed(httpkit.JSON(http.StatusCreated, e), res), nil
}

// query reads the list's parameters (privacy.erase): newest first.
func query(r *http.Request) (auditview.Query, error) {
	if err := httpkit.Allow(r, role.PrivacyErase); err != nil {
		return auditview.Query{}, err
	}
	p := httpkit.Params(r.URL.Query())
	q := auditview.Query{Scope: readmodels.ScopeOf(httpkit.ActorOf(r.Context()), false), Type: dp.SubjectErased{}.EventType(),
		Cursor: p.Str("cursor"), Desc: true}
	q.Limit = p.Limit()
	return q, p.Err()
}

func (d Deps) list(ctx context.Context, q auditview.Query) (readmodels.Page[Erasure], error) {
	page, err := d.AuditViews.Search(ctx, q)
	if err != nil {
		return readmodels.Page[Erasure]{}, err
	}
	out := readmodels.Page[Erasure]{Items: make([]Erasure, 0, len(page.Items)), NextCursor: page.NextCursor, Total: page.Total, TotalExact: page.TotalExact}
	var ids []uuid.UUID
	for _, e := range page.Items {
		var d dp.SubjectErased
		if err := json.Unmarshal(e.Data, &d); err != nil {
			return out, err
		}
		id, _ := uuid.Parse(d.SubjectID)
		ids = append(ids, id)
		out.Items = append(out.Items, Erasure{Subject: Subject{Kind: d.Kind, ID: id}, Reason: d.Reason, By: e.Actor, At: d.At,
			Position: e.Position, Fields: dp.Fields(d.Kind)})
	}
	destroyed, err := d.Erasures.KeyDestroyed(ctx, ids)
	if err != nil {
		return out, err
	}
	for i := range out.Items {
		out.Items[i].KeyDestroyed = destroyed[out.Items[i].Subject.ID]
	}
	return out, nil
}
