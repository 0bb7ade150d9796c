package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/app"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/commands/orgcmd"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
)

// DefaultPassword is the password of the accounts a seed creates (CHRONICLE_LOADGEN_PASSWORD
// overrides it): load-test accounts of a load-test data set.
const DefaultPassword = "Load-harness-2026!"

// SeedOptions say what to seed.
type SeedOptions struct {
	Leads, Customers int
	Sales            int     // sales users, spread over the teams of the department tree
	LeadPool         float64 // share of the leads in the lead pool
	CustomerPool     float64 // share of the customers in the customer pool
	Seed             uint64  // of the generators: the same seed makes the same records
	Batch            int     // records per AppendEach
	Days             int     // the records' creation times spread over this many days up to now
	Password         string  // of the users created
}

// Defaults fills in zero values (Leads and Customers stay as given).
func (o *SeedOptions) Defaults() {
	if o.Sales <= 0 {
		o.Sales = 200
	}
	if o.Batch <= 0 {
		o.Batch = 5000
	}
	if o.Days <= 0 {
		o.Days = 365
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.Password == "" {
		o.Password = DefaultPassword
	}
}

// The organisation a seed creates: a head office, regions, branches (each with a manager) and
// two sales teams per branch.
var regions = []struct {
	Name     string
	Branches []string
}{
	{"华北大区", []string{"北京分公司", "天津分公司", "济南分公司"}},
	{"华东大区", []string{"上海分公司", "杭州分公司", "南京分公司", "苏州分公司"}},
	{"华南大区", []string{"广州分公司", "深圳分公司", "厦门分公司"}},
	{"西部大区", []string{"成都分公司", "重庆分公司", "西安分公司"}},
}

var teams = []string{"销售一部", "销售二部"}

// SalesUsername and ManagerUsername are the usernames a seed gives its users (1-based).
func SalesUsername(i int) string   { return fmt.Sprintf("sales%04d", i) }
func ManagerUsername(i int) string { return fmt.Sprintf("manager%02d", i) }

// Managers is how many managers a seed creates (one per branch).
func Managers() int {
	n := 0
	for _, r := range regions {
		n += len(r.Branches)
	}
	return n
}

// loadNS namespaces the ids a seed derives (departments, users, leads), so a second run of the
// same seed finds what the first one wrote instead of writing it twice.
var loadNS = uuid.MustParse("5b8e6c1a-3f47-4d2b-9e0c-7a1d2f3b4c5d")

func derivedID(parts ...any) uuid.UUID { return uuid.NewSHA1(loadNS, fmt.Append(nil, parts...)) }

// SeedResult is what a seed did.
type SeedResult struct {
	Appended, Existing int           // records written, and records a previous run had written
	Events             int           // events appended
	AppendTime         time.Duration // of the records' appends
	CatchUpTime        time.Duration // from the first append until every projection had the last
	Head               uint64
}

// Seed creates the organisation (through the commands) and the records (through AppendEach in
// large batches, as imports write), then waits for every projection to catch up. Progress goes
// to out.
func Seed(ctx context.Context, cfg app.Config, logger *slog.Logger, o SeedOptions, out io.Writer) (SeedResult, error) {
	o.Defaults()
	var res SeedResult
	if o.Leads < 0 || o.Customers < 0 || o.LeadPool < 0 || o.LeadPool > 1 || o.CustomerPool < 0 || o.CustomerPool > 1 {
		return res, errors.New("-leads and -customers must not be negative, the pool shares must be from 0 to 1")
	}
	if o.Customers > CustomerCapacity() {
		return res, fmt.Errorf("at most %d customers: their names must differ", CustomerCapacity())
	}
	if err := usercmd.CheckPassword(o.Password, SalesUsername(1)); err != nil {
		return res, fmt.Errorf("CHRONICLE_LOADGEN_PASSWORD: %w", err)
	}
	a, err := app.Open(ctx, cfg, logger)
	if err != nil {
		return res, err
	}
	defer a.Close()
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Engine.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	select {
	case <-a.Engine.Running():
	case err := <-done:
		return res, fmt.Errorf("projections: %w", err)
	}
	s := &seeder{a: a, o: o, out: out, gen: Gen{Seed: o.Seed}}
	if err := s.org(ctx); err != nil {
		return res, err
	}
	if err := s.records(ctx, &res); err != nil {
		return res, err
	}
	return res, nil
}

type seeder struct {
	a     *app.App
	o     SeedOptions
	out   io.Writer
	gen   Gen
	actor access.Actor
	sales []uuid.UUID
}

func (s *seeder) meta(command string) commands.Meta {
	return commands.Meta{Actor: s.actor, Command: command, RequestID: "loadgen-seed", CorrelationID: derivedID("seed", s.o.Seed).String()}
}

// waitOrg waits until the organisation read model has every event written so far: commands
// check departments and superiors there.
func (s *seeder) waitOrg(ctx context.Context) error {
	head, err := s.a.Store.Head(ctx)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	return s.a.Engine.WaitFor(wctx, head, orgview.Projection)
}

// org creates the administrator (when missing), the department tree, the managers and the sales
// users; what a previous run created is kept.
func (s *seeder) org(ctx context.Context) error {
	a := s.a
	created, generated, err := a.EnsureAdmin(ctx)
	if err != nil {
		return err
	}
	if created && generated != "" {
		fmt.Fprintf(s.out, "administrator %q created with password %q (shown once)\n", a.Config.AdminUser, generated)
	}
	adminID, err := a.Users.IDByUsername(ctx, a.Config.AdminUser)
	if err != nil {
		return fmt.Errorf("administrator %q: %w", a.Config.AdminUser, err)
	}
	perms := map[string]bool{}
	for _, p := range role.Permissions {
		perms[p] = true
	}
	s.actor = access.Actor{ID: adminID, Name: a.Config.AdminUser, Roles: []string{role.Admin}, Permissions: perms, Scope: role.ScopeAll}
	if err := s.waitOrg(ctx); err != nil { // the built-in roles
		return err
	}
	start := time.Now()
	dept := func(parent uuid.UUID, path, name string) (uuid.UUID, error) {
		id := derivedID("department", path)
		_, err := a.Org.CreateDepartment(ctx, s.meta(commands.DepartmentCreate), orgcmd.CreateDepartment{ID: id, Name: name, ParentID: parent})
		if errors.Is(err, commands.ErrAlreadyExists) {
			err = nil
		}
		return id, err
	}
	// Level by level: a department's parent must be in the read model.
	hq, err := dept(uuid.Nil, "总部", "总部")
	if err != nil {
		return err
	}
	if err := s.waitOrg(ctx); err != nil {
		return err
	}
	regionIDs := make([]uuid.UUID, len(regions))
	for i, r := range regions {
		if regionIDs[i], err = dept(hq, "总部/"+r.Name, r.Name); err != nil {
			return err
		}
	}
	if err := s.waitOrg(ctx); err != nil {
		return err
	}
	type unit struct {
		id, parent uuid.UUID // a team's parent is its branch
		path       string
	}
	var branches, teamUnits []unit
	for i, r := range regions {
		for _, b := range r.Branches {
			path := "总部/" + r.Name + "/" + b
			id, err := dept(regionIDs[i], path, b)
			if err != nil {
				return err
			}
			branches = append(branches, unit{id, regionIDs[i], path})
		}
	}
	if err := s.waitOrg(ctx); err != nil {
		return err
	}
	for _, b := range branches {
		for _, t := range teams {
			id, err := dept(b.id, b.path+"/"+t, t)
			if err != nil {
				return err
			}
			teamUnits = append(teamUnits, unit{id, b.id, b.path + "/" + t})
		}
	}
	if err := s.waitOrg(ctx); err != nil {
		return err
	}
	// One manager per branch, then the sales users under them.
	managers := map[uuid.UUID]uuid.UUID{} // branch → manager
	for i, b := range branches {
		id, err := s.user(ctx, ManagerUsername(i+1), role.Manager, b.id, uuid.Nil)
		if err != nil {
			return err
		}
		managers[b.id] = id
	}
	if err := s.waitOrg(ctx); err != nil {
		return err
	}
	for i := range s.o.Sales {
		t := teamUnits[i%len(teamUnits)]
		id, err := s.user(ctx, SalesUsername(i+1), role.Sales, t.id, managers[t.parent])
		if err != nil {
			return err
		}
		s.sales = append(s.sales, id)
	}
	if err := s.waitOrg(ctx); err != nil {
		return err
	}
	fmt.Fprintf(s.out, "organisation: %d departments, %d managers, %d sales users (%s)\n",
		1+len(regions)+len(branches)+len(teamUnits), len(branches), len(s.sales), time.Since(start).Round(time.Millisecond))
	return nil
}

// user creates an account, or finds the one a previous run created.
func (s *seeder) user(ctx context.Context, username, roleName string, dept, superior uuid.UUID) (uuid.UUID, error) {
	r := s.gen.rng(kindUser, int(derivedID(username).ID())) // the display name: a person's name
	id := derivedID("user", username)
	_, err := s.a.Users.Create(ctx, s.meta(commands.UserCreate), usercmd.CreateUser{ID: id, Username: username, Password: s.o.Password,
		DisplayName: PersonName(r), Roles: []string{roleName}, DepartmentID: dept, SuperiorID: superior})
	if errors.Is(err, usercmd.ErrUsernameTaken) || errors.Is(err, commands.ErrAlreadyExists) {
		return s.a.Users.IDByUsername(ctx, username)
	}
	if err != nil {
		return uuid.Nil, fmt.Errorf("user %s: %w", username, err)
	}
	return id, nil
}

// batch is one AppendEach of records.
type batch struct {
	appends []eventstore.StreamAppend
	err     error
}

// records appends the leads and customers, interleaved in creation-time order, in batches built
// on one goroutine while the previous batch is written; then it waits for the projections.
func (s *seeder) records(ctx context.Context, res *SeedResult) error {
	total := s.o.Leads + s.o.Customers
	if total == 0 {
		return nil
	}
	startHead, err := s.a.Store.Head(ctx)
	if err != nil {
		return err
	}
	end := time.Now().UTC()
	span := time.Duration(s.o.Days) * 24 * time.Hour
	first := end.Add(-span)
	step := span / time.Duration(total)
	batches := make(chan batch, 1)
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(batches)
		leadMeta, customerMeta := s.meta(commands.LeadImport), s.meta(commands.CustomerImport)
		var b []eventstore.StreamAppend
		nl, nc := 0, 0
		for j := range total {
			at := first.Add(time.Duration(j) * step)
			// Customers are spread evenly among the leads, so times grow along the log.
			isCustomer := (j+1)*s.o.Customers/total > j*s.o.Customers/total
			var sa eventstore.StreamAppend
			var err error
			if isCustomer {
				sa, err = s.customer(customerMeta, nc, at)
				nc++
			} else {
				sa, err = s.lead(leadMeta, nl, at)
				nl++
			}
			if err != nil {
				batches <- batch{err: err}
				return
			}
			b = append(b, sa)
			if len(b) == s.o.Batch || j == total-1 {
				select {
				case batches <- batch{appends: b}:
				case <-bctx.Done():
					return
				}
				b = make([]eventstore.StreamAppend, 0, s.o.Batch)
			}
		}
	}()
	t0 := time.Now()
	lastReport := t0
	written := 0
	for bt := range batches {
		if bt.err != nil {
			return bt.err
		}
		outcomes, err := s.a.Store.AppendEach(ctx, bt.appends)
		if err != nil {
			return fmt.Errorf("append: %w", err)
		}
		for k, oc := range outcomes {
			switch {
			case oc.Err == nil:
				res.Appended++
				res.Events += len(bt.appends[k].Events)
			case errors.Is(oc.Err, eventstore.ErrConcurrency):
				res.Existing++ // written by an earlier run of this seed
			default:
				return fmt.Errorf("append %s: %w", bt.appends[k].Stream, oc.Err)
			}
		}
		written += len(bt.appends)
		if time.Since(lastReport) >= 5*time.Second {
			lastReport = time.Now()
			fmt.Fprintf(s.out, "appended %d of %d records (%.0f events/s)\n", written, total, float64(res.Events)/time.Since(t0).Seconds())
		}
	}
	res.AppendTime = time.Since(t0)
	fmt.Fprintf(s.out, "appended %d records (%d leads, %d customers; %d were there already): %d events in %s, %.0f events/s\n",
		written, s.o.Leads, s.o.Customers, res.Existing, res.Events, res.AppendTime.Round(time.Millisecond), float64(res.Events)/res.AppendTime.Seconds())
	if res.Head, err = s.a.Store.Head(ctx); err != nil {
		return err
	}
	if err := s.catchUp(ctx, res.Head, t0); err != nil {
		return err
	}
	res.CatchUpTime = time.Since(t0)
	fmt.Fprintf(s.out, "projections caught up with position %d %s after the first append (%s after the last): %.0f events/s from position %d\n",
		res.Head, res.CatchUpTime.Round(time.Millisecond), (res.CatchUpTime - res.AppendTime).Round(time.Millisecond),
		float64(res.Head-startHead)/res.CatchUpTime.Seconds(), startHead)
	return nil
}

// lead builds the append of lead i, created at at by the administrator, owned by a sales user
// or (a LeadPool share) in the pool.
func (s *seeder) lead(m commands.Meta, i int, at time.Time) (eventstore.StreamAppend, error) {
	id := derivedID("lead", s.o.Seed, i)
	l, err := lead.New(id, s.gen.Lead(i, at), s.owner(kindLead, i, s.o.LeadPool), s.actor.ID, at)
	if err != nil {
		return eventstore.StreamAppend{}, fmt.Errorf("lead %d: %w", i, err)
	}
	data, err := commands.Encode(m, at, l.Changes())
	return eventstore.StreamAppend{Stream: lead.Stream(id), ExpectedVersion: eventstore.NoStream, Events: data}, err
}

// customer builds the append of customer i; its id follows from its name, as an import's does.
func (s *seeder) customer(m commands.Meta, i int, at time.Time) (eventstore.StreamAppend, error) {
	f, status := s.gen.Customer(i)
	id := customercmd.ImportID(f.Name)
	c, err := customer.New(id, f, status, s.owner(kindCustomer, i, s.o.CustomerPool), "", s.actor.ID, at)
	if err != nil {
		return eventstore.StreamAppend{}, fmt.Errorf("customer %d: %w", i, err)
	}
	data, err := commands.Encode(m, at, c.Changes())
	return eventstore.StreamAppend{Stream: customer.Stream(id), ExpectedVersion: eventstore.NoStream, Events: data}, err
}

// owner is record i's owner: uuid.Nil (the pool) with probability pool, else a sales user.
func (s *seeder) owner(kind uint64, i int, pool float64) uuid.UUID {
	r := rand.New(rand.NewPCG(s.o.Seed^(kind<<56)^0xabcdef, uint64(i)))
	if len(s.sales) == 0 || r.Float64() < pool {
		return uuid.Nil
	}
	return s.sales[r.IntN(len(s.sales))]
}

// catchUp waits until every projection has processed head, reporting progress every 5 s (the
// status counts the events still to apply, which costs a query on the event store).
func (s *seeder) catchUp(ctx context.Context, head uint64, t0 time.Time) error {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	caughtUp := make(chan error, 1)
	go func() { caughtUp <- s.a.Engine.WaitFor(wctx, head, s.a.Engine.Names()...) }()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case err := <-caughtUp:
			return err
		case <-tick.C:
		}
		st, err := s.a.Engine.Status(ctx)
		if err != nil {
			return err
		}
		behind, slowest, slowestName := 0, head, ""
		for _, p := range st {
			if !p.Serving {
				continue
			}
			if p.State == engine.StateParked {
				return fmt.Errorf("projection %s parked at position %d: %s", p.Name, p.Position, p.LastError)
			}
			if p.Position < head {
				behind++
				if p.Position <= slowest {
					slowest, slowestName = p.Position, p.Name
				}
			}
		}
		fmt.Fprintf(s.out, "projections: %d behind; slowest %s at %d of %d (%s since the first append)\n", behind, slowestName, slowest, head,
			time.Since(t0).Round(time.Second))
	}
}
