package httpkit

import (
	"context"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
)

// The data scopes and search parameters that list endpoints and exports of one module share.

// LeadScope is the lead scope of an actor: their data scope, plus the pool for those who work it.
func LeadScope(a access.Actor) readmodels.Scope {
	s := readmodels.ScopeOf(a, a.Can(role.LeadsPool) || a.Can(role.LeadsAssign))
	s.None = !a.Can(role.LeadsRead)
	return s
}

// CustomerScope is the customer (and contact) scope of an actor.
func CustomerScope(a access.Actor) readmodels.Scope {
	s := readmodels.ScopeOf(a, a.Can(role.CustomersPool) || a.Can(role.CustomersAssign))
	s.None = !a.Can(role.CustomersRead)
	return s
}

var leadStatuses = []string{string(lead.StatusNew), string(lead.StatusFollowing), string(lead.StatusInvalid), string(lead.StatusConverted)}

// LeadQuery reads the search parameters of GET /api/v1/leads (and its export).
func LeadQuery(p *ParamReader, scope readmodels.Scope) leadview.Query {
	return leadview.Query{Scope: scope, Q: p.Str("q"), Source: p.Str("source"), Sort: p.Str("sort"), Cursor: p.Str("cursor"),
		Status:  p.List("status", leadStatuses, "must be new, following, invalid or converted; got %q"),
		OwnerID: p.UUID("ownerId"), Pool: p.Bool("pool"), Limit: p.Limit()}
}

// ContactQuery reads the search parameters of GET /api/v1/contacts (and its export).
func ContactQuery(p *ParamReader, scope readmodels.Scope) customerview.ContactQuery {
	return customerview.ContactQuery{Scope: scope, Q: p.Str("q"), Cursor: p.Str("cursor"), Sort: p.Str("sort"),
		Limit: p.Limit(), CustomerID: p.UUID("customerId")}
}

// CustomerQuery reads the filters of the customer list and export: GET /api/v1/customers and
// GET /api/v1/customers/export take the same ones. fields loads the custom field definitions
// (only when a custom.<key> filter is given); its error is the only one answered here, bad
// parameters go to p.
func CustomerQuery(ctx context.Context, p *ParamReader, scope readmodels.Scope,
	fields func(context.Context) ([]customer.CustomField, error)) (customerview.Query, error) {
	q := customerview.Query{Scope: scope, Q: p.Str("q"), Level: p.Str("level"), Industry: p.Str("industry"),
		Source: p.Str("source"), Classification: p.Str("classification"), Sort: p.Str("sort"),
		Status:  p.List("status", customer.Statuses, "must be potential, cooperating or closed_deal; got %q"),
		OwnerID: p.UUID("ownerId"), Pool: p.Bool("pool"), Locked: p.Bool("locked")}
	var err error
	q.Custom, err = customFilters(ctx, p, fields)
	return q, err
}

// customFilters reads custom.<key>=value (repeatable) and custom.<key>.min / .max (number and date
// fields) against the field definitions; see readmodels.CustomFilter for what they match.
func customFilters(ctx context.Context, p *ParamReader, fields func(context.Context) ([]customer.CustomField, error)) ([]customerview.CustomFilter, error) {
	v := p.Values()
	var defs map[string]customer.CustomField
	byKey := map[string]*customerview.CustomFilter{}
	var order []string
	for _, param := range slices.Sorted(maps.Keys(v)) {
		rest, ok := strings.CutPrefix(param, "custom.")
		if !ok {
			continue
		}
		if defs == nil {
			list, err := fields(ctx)
			if err != nil {
				return nil, err
			}
			defs = map[string]customer.CustomField{}
			for _, d := range list {
				defs[d.Key] = d
			}
		}
		key, bound := rest, ""
		if k, b, cut := strings.Cut(rest, "."); cut {
			key, bound = k, b
		}
		d, ok := defs[key]
		if !ok {
			p.Fail(param, "is not a defined custom field")
			continue
		}
		ranged := d.Type == customer.CustomNumber || d.Type == customer.CustomDate
		if bound != "" && (!ranged || (bound != "min" && bound != "max")) {
			p.Fail(param, "only number and date fields take .min and .max")
			continue
		}
		f := byKey[key]
		if f == nil {
			f = &customerview.CustomFilter{Key: key, Type: d.Type}
			byKey[key] = f
			order = append(order, key)
		}
		for _, val := range v[param] {
			if val = strings.TrimSpace(val); val == "" {
				continue
			}
			if msg := checkCustomFilterValue(d, val); msg != "" {
				p.Fail(param, "%s", msg)
				continue
			}
			switch bound {
			case "min":
				f.Min = val
			case "max":
				f.Max = val
			default:
				f.Values = append(f.Values, val)
			}
		}
	}
	out := make([]customerview.CustomFilter, 0, len(order))
	for _, k := range order {
		out = append(out, *byKey[k])
	}
	return out, nil
}

func checkCustomFilterValue(d customer.CustomField, val string) string {
	switch d.Type {
	case customer.CustomNumber:
		if n, err := strconv.ParseFloat(val, 64); err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
			return "must be a number"
		}
	case customer.CustomDate:
		if _, err := time.Parse(time.DateOnly, val); err != nil {
			return "must be a date YYYY-MM-DD"
		}
	case customer.CustomOption, customer.CustomMultiOption:
		if !slices.Contains(d.Options, val) {
			return "must be one of " + strings.Join(d.Options, ", ")
		}
	}
	return ""
}
