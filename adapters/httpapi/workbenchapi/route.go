// Package workbenchapi is the HTTP API of the workbench: one signed-in user's figures and recent
// activity (GET /api/v1/workbench), answered by the workbench read model.
package workbenchapi

import (
	"context"
	"net/http"
	"regexp"
	"time"
	_ "time/tzdata" // the IANA time zones, wherever the binary runs

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/settings"
	"github.com/chronicle-crm/chronicle/readmodels/workbenchview"
)

// Deps are what the workbench API needs.
type Deps struct {
	Kit       *httpkit.Kit
	Workbench *workbenchview.Views
	Settings  Settings
}

// Settings are the organisation's settings the workbench reads: the pool rules.
type Settings interface {
	CustomerPool(ctx context.Context) (settings.CustomerPool, error)
}

// Routes registers the workbench endpoint.
func Routes(rt httpkit.Router, d Deps) {
	rt.Handle(http.MethodGet, "/workbench", api{d}.get)
}

// DefaultTimeZone is the time zone of "today" and of the weeks when the request names none.
const DefaultTimeZone = "Asia/Shanghai"

// DefaultDays is the horizon of the returning-soon list when the request names none (as
// GET /pool/returning).
const DefaultDays = 7

type api struct{ Deps }

// zoneName is what an IANA zone name looks like (Asia/Shanghai, America/Argentina/Buenos_Aires,
// Etc/GMT+8, UTC); the zone database decides whether it exists.
var zoneName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$`)

// zone reads an IANA time zone name ("Local" names no zone: the server's own is no answer).
func zone(name string) (*time.Location, bool) {
	if len(name) > 64 || !zoneName.MatchString(name) || name == "Local" {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	return loc, err == nil
}

func (a api) get(r *http.Request) (httpkit.Reply, error) {
	p := httpkit.Params(r.URL.Query())
	scope := p.Enum("scope", "mine", "team")
	days := p.Int("days", 0, 3650, DefaultDays, "must be a number of days from 0 to 3650")
	tz := p.Str("tz")
	if tz == "" {
		tz = DefaultTimeZone
	}
	loc, ok := zone(tz)
	if !ok {
		p.Fail("tz", "must be an IANA time zone such as Asia/Shanghai or Europe/Berlin; got %q", tz)
	}
	if err := p.Err(); err != nil {
		return httpkit.Reply{}, err
	}
	if err := a.Kit.WaitFor(r, workbenchview.Projections...); err != nil {
		return httpkit.Reply{}, err
	}
	actor := httpkit.ActorOf(r.Context())
	q := workbenchview.Query{Actor: actor, Team: scope == "team", Location: loc, Now: a.Kit.Clock(), Days: days}
	if actor.Can(role.CustomersRead) {
		pool, err := a.Settings.CustomerPool(r.Context())
		if err != nil {
			return httpkit.Reply{}, err
		}
		q.Rules = pool.Rules
	}
	wb, err := a.Workbench.Workbench(r.Context(), q)
	if err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.OK(wb), nil
}
