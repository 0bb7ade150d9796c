// Package app wires Chronicle together from a Config: stores, commands, projections and the
// HTTP API. Only cmd/chronicle reads the environment; tests build Configs directly.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/eventstore/esdb"
	"github.com/chronicle-crm/chronicle/adapters/eventstore/postgres"
	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/adapters/httpapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/tabular"
	rpostgres "github.com/chronicle-crm/chronicle/adapters/readstore/postgres"
	rsqlite "github.com/chronicle-crm/chronicle/adapters/readstore/sqlite"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/approvalcmd"
	"github.com/chronicle-crm/chronicle/commands/contractcmd"
	"github.com/chronicle-crm/chronicle/commands/conversion"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/commands/dataimport"
	"github.com/chronicle-crm/chronicle/commands/dictcmd"
	"github.com/chronicle-crm/chronicle/commands/followup"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/commands/opportunitycmd"
	"github.com/chronicle-crm/chronicle/commands/orgcmd"
	"github.com/chronicle-crm/chronicle/commands/productcmd"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
	"github.com/chronicle-crm/chronicle/domain/product"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/approvalview"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
	"github.com/chronicle-crm/chronicle/readmodels/contractview"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
	"github.com/chronicle-crm/chronicle/readmodels/dictview"
	"github.com/chronicle-crm/chronicle/readmodels/importview"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
	"github.com/chronicle-crm/chronicle/readmodels/loginview"
	"github.com/chronicle-crm/chronicle/readmodels/opportunityview"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
	"github.com/chronicle-crm/chronicle/readmodels/productview"
	"github.com/chronicle-crm/chronicle/readmodels/workbenchview"
	"github.com/chronicle-crm/chronicle/web"
)

// Config is everything that can be configured.
type Config struct {
	HTTPAddr      string        // CHRONICLE_HTTP_ADDR, default :8080
	MetricsAddr   string        // CHRONICLE_METRICS_ADDR: when set, /metrics is served there only
	DataDir       string        // CHRONICLE_DATA_DIR, default ./data
	EventStore    string        // sqlite | postgres | eventstoredb
	ReadModels    string        // sqlite | postgres
	PostgresURL   string        // CHRONICLE_POSTGRES_URL
	ESDBURL       string        // CHRONICLE_ESDB_URL
	AdminUser     string        // CHRONICLE_ADMIN_USER, default admin
	AdminPassword string        // CHRONICLE_ADMIN_PASSWORD; generated and printed once when empty
	SessionTTL    time.Duration // sliding session lifetime, default 12 h
	ReadWait      time.Duration // read-your-writes bound, default 5 s
	// HashConcurrency bounds the password hashes (argon2id, 19 MiB each) computed at once
	// (CHRONICLE_AUTH_HASH_CONCURRENCY, default one per CPU but one, at least 1); HashWait is how long one
	// waits for a turn before the request is answered 503 (CHRONICLE_AUTH_HASH_WAIT, default 2 s).
	HashConcurrency int
	HashWait        time.Duration
	// AddressConcurrency is how many sign-ins one client address may have running at once; the
	// rest are answered 429 (CHRONICLE_AUTH_ADDRESS_CONCURRENCY, default 2).
	AddressConcurrency int
	// PGMaxConns bounds each PostgreSQL connection pool: the event store's and the read models'
	// (CHRONICLE_PG_MAX_CONNS, default DefaultPoolSize). SQLiteReaders bounds each SQLite
	// connection pool: the event store's readers and the read-model database's connections
	// (CHRONICLE_SQLITE_READERS, default DefaultPoolSize).
	PGMaxConns    int
	SQLiteReaders int
	Clock         commands.Clock
}

// DefaultPoolSize is the default size of each database connection pool: four connections per
// CPU, at least 8. A request holds a connection while it waits on the database, not only while
// it computes, so a pool of a few per CPU keeps the CPUs busy; the floor leaves room beside the
// projections (one transaction each while they apply a page) for requests on small machines.
func DefaultPoolSize() int { return max(8, 4*runtime.NumCPU()) }

// Defaults fills in the zero values.
func (c *Config) Defaults() {
	if c.HTTPAddr == "" {
		c.HTTPAddr = ":8080"
	}
	if c.DataDir == "" {
		c.DataDir = "./data"
	}
	if c.EventStore == "" {
		c.EventStore = "sqlite"
	}
	if c.ReadModels == "" {
		c.ReadModels = "sqlite"
	}
	if c.AdminUser == "" {
		c.AdminUser = "admin"
	}
	if c.SessionTTL <= 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.HashConcurrency <= 0 {
		c.HashConcurrency = usercmd.DefaultHashConcurrency()
	}
	if c.HashWait <= 0 {
		c.HashWait = usercmd.DefaultHashWait
	}
	if c.AddressConcurrency <= 0 {
		c.AddressConcurrency = usercmd.DefaultAddressConcurrency
	}
	if c.PGMaxConns <= 0 {
		c.PGMaxConns = DefaultPoolSize()
	}
	if c.SQLiteReaders <= 0 {
		c.SQLiteReaders = DefaultPoolSize()
	}
	if c.Clock == nil {
		c.Clock = func() time.Time { return time.Now().UTC() }
	}
}

// Validate rejects unknown values and missing URLs with one clear message.
func (c *Config) Validate() error {
	switch c.EventStore {
	case "sqlite", "postgres", "eventstoredb":
	default:
		return fmt.Errorf("CHRONICLE_EVENTSTORE=%q: use sqlite, postgres or eventstoredb", c.EventStore)
	}
	switch c.ReadModels {
	case "sqlite", "postgres":
	default:
		return fmt.Errorf("CHRONICLE_READMODELS=%q: use sqlite or postgres", c.ReadModels)
	}
	if (c.EventStore == "postgres" || c.ReadModels == "postgres") && c.PostgresURL == "" {
		return errors.New("CHRONICLE_POSTGRES_URL is required with CHRONICLE_EVENTSTORE=postgres or CHRONICLE_READMODELS=postgres")
	}
	if c.EventStore == "eventstoredb" && c.ESDBURL == "" {
		return errors.New("CHRONICLE_ESDB_URL is required with CHRONICLE_EVENTSTORE=eventstoredb")
	}
	return nil
}

// App is a wired Chronicle.
type App struct {
	Config   Config
	Logger   *slog.Logger
	Registry *event.Registry
	Store    eventstore.Store
	DB       *readmodels.DB
	Views
	Engine    *engine.Engine
	Leads     *leadcmd.Service
	Customers *customercmd.Service
	Contacts  *customercmd.Contacts
	Convert   *conversion.Service
	Users     *usercmd.Users
	Org       *orgcmd.Service
	Dict      *dictcmd.Service
	Opps      *opportunitycmd.Service
	Products  *productcmd.Service
	Contracts *contractcmd.Service
	Approvals *approvalcmd.Service
	Auth      *usercmd.Auth
	Imports   *dataimport.Runner
	FollowUps followup.Service
	Metrics   *httpapi.Metrics
	API       *httpapi.Server
}

// Views are the read models, one per module, over the one read-model database (the operation
// log also reads the events of its pages from the event store).
type Views struct {
	LeadViews      *leadview.Views
	CustomerViews  *customerview.Views
	OrgViews       *orgview.Views
	LoginViews     *loginview.Views
	AuditViews     *auditview.Views
	ImportViews    *importview.Views
	WorkbenchViews *workbenchview.Views
	DictViews      *dictview.Views
	OppViews       *opportunityview.Views
	ProductViews   *productview.Views
	ContractViews  *contractview.Views
	ApprovalViews  *approvalview.Views
}

func newViews(db *readmodels.DB, store eventstore.Store) Views {
	audit := auditview.New(db, store)
	return Views{LeadViews: leadview.New(db), CustomerViews: customerview.New(db), OrgViews: orgview.New(db),
		LoginViews: loginview.New(db), AuditViews: audit, ImportViews: importview.New(db), WorkbenchViews: workbenchview.New(db, audit),
		DictViews: dictview.New(db), OppViews: opportunityview.New(db), ProductViews: productview.New(db),
		ContractViews: contractview.New(db), ApprovalViews: approvalview.New(db)}
}

// Registry builds the registry of every event type Chronicle stores: each module's events.
func Registry() *event.Registry {
	r := event.NewRegistry()
	for _, m := range modules {
		if m.events != nil {
			m.events(r)
		}
	}
	return r
}

// Open connects the stores and builds every component; nothing runs yet.
func Open(ctx context.Context, cfg Config, logger *slog.Logger) (*App, error) {
	cfg.Defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &App{Config: cfg, Logger: logger, Registry: Registry()}
	var err error
	if a.Store, err = openEventStore(ctx, cfg); err != nil {
		return nil, err
	}
	if a.DB, err = openReadModels(ctx, cfg); err != nil {
		a.Store.Close()
		return nil, err
	}
	a.Views = newViews(a.DB, a.Store)
	v := a.Views
	a.Leads = leadcmd.New(a.Store, a.Registry, cfg.Clock, leadDirectory{v.OrgViews, v.LeadViews})
	a.Customers = customercmd.New(a.Store, a.Registry, cfg.Clock, customerDirectory{v.OrgViews, v.CustomerViews})
	a.Contacts = customercmd.NewContacts(a.Store, a.Registry, cfg.Clock, a.Customers)
	a.Convert = conversion.New(a.Leads, a.Customers, a.Contacts, cfg.Clock)
	// One tracked session store for both: a session written by either ends what Authenticate keeps.
	sessions := usercmd.TrackSessions(v.OrgViews)
	a.Users = usercmd.NewUsers(a.Store, a.Registry, cfg.Clock, v.OrgViews, sessions)
	a.Org = orgcmd.New(a.Store, a.Registry, cfg.Clock, v.OrgViews)
	a.Dict = dictcmd.New(a.Store, a.Registry, cfg.Clock)
	a.Opps = opportunitycmd.New(a.Store, a.Registry, cfg.Clock, opportunitycmd.Deps{Org: v.OrgViews, Customers: a.Customers, Dictionary: a.Dict,
		Products: productPrices{v.ProductViews}})
	a.Products = productcmd.New(a.Store, a.Registry, cfg.Clock, a.Dict) // units are checked against the dictionary
	a.Approvals = approvalcmd.New(a.Store, a.Registry, cfg.Clock, v.OrgViews)
	a.Contracts = contractcmd.New(a.Store, a.Registry, cfg.Clock, contractcmd.Deps{Org: v.OrgViews, Customers: a.Customers,
		Opportunities: wonDeals{a.Opps}, Products: productPrices{v.ProductViews}, Dictionary: a.Dict, Approvals: a.Approvals,
		Zone: func(ctx context.Context) *time.Location { return a.zone(ctx, "") }})
	// The coded fields of leads and customers are checked against the data dictionary.
	a.Leads.WithDictionary(a.Dict)
	a.Customers.WithDictionary(a.Dict)
	a.Convert.Dict = a.Dict
	a.Convert.Opps = a.Opps // a conversion may open an opportunity for the new customer
	a.FollowUps = followup.Service{Leads: a.Leads, Customers: a.Customers, Opps: a.Opps, Clock: cfg.Clock}
	var projectors []engine.Projector
	for _, m := range modules {
		if m.projectors != nil {
			projectors = append(projectors, m.projectors(a)...)
		}
	}
	a.Engine, err = engine.New(a.Store, a.DB, engine.Options{Logger: logger}, projectors...)
	if err != nil {
		a.Close()
		return nil, err
	}
	if err := a.Engine.Prepare(ctx); err != nil {
		a.Close()
		return nil, fmt.Errorf("prepare read models: %w", err)
	}
	a.Auth = usercmd.NewAuth(a.Store, a.Registry, v.OrgViews, sessions, v.LoginViews, cfg.Clock, cfg.SessionTTL)
	a.Auth.SetChangeSignal(func() uint64 { return a.Engine.Changes(orgview.Projection) })
	a.Users.ThrottleWith(a.Auth.SignInPolicy) // wrong current passwords wait like failed sign-ins
	// One gate for every password hash of the process: sign-in, account creation, password changes.
	hashing := usercmd.NewHashGate(cfg.HashConcurrency, cfg.HashWait)
	a.Auth.SetHashGate(hashing)
	a.Users.SetHashGate(hashing)
	a.Auth.SetAddressConcurrency(cfg.AddressConcurrency)
	a.Imports = dataimport.New(dataimport.Deps{DB: a.DB, Leads: a.Leads, Customers: a.Customers, Contacts: a.Contacts,
		Products: a.Products, Clock: cfg.Clock, Logger: logger, Readers: tabular.Readers()})
	a.Metrics = httpapi.NewMetrics(a.Engine)
	kit := httpapi.NewKit(logger, cfg.Clock, 0, cfg.ReadWait, a.Engine)
	ports := a.ports(a.Metrics)
	var api []httpapi.Module
	for _, m := range modules {
		if m.api != nil {
			api = append(api, m.api(a, kit, ports)...)
		}
	}
	a.API = httpapi.New(httpapi.Deps{Store: a.Store, DB: a.DB, Engine: a.Engine, Auth: ports.auth, Kit: kit, Modules: api,
		Clock: cfg.Clock, Logger: logger, Metrics: a.Metrics, UI: web.Handler(), SeparateMetrics: cfg.MetricsAddr != ""})
	return a, nil
}

func openEventStore(ctx context.Context, cfg Config) (eventstore.Store, error) {
	switch cfg.EventStore {
	case "postgres":
		s, err := postgres.OpenWith(ctx, cfg.PostgresURL, postgres.Options{MaxConns: cfg.PGMaxConns})
		if err != nil {
			return nil, fmt.Errorf("event store (postgres): %w", err)
		}
		return s, nil
	case "eventstoredb":
		s, err := esdb.Open(ctx, cfg.ESDBURL)
		if err != nil {
			return nil, fmt.Errorf("event store (eventstoredb): %w", err)
		}
		return s, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	s, err := esqlite.OpenWith(ctx, filepath.Join(cfg.DataDir, "events.db"), esqlite.Options{Readers: cfg.SQLiteReaders})
	if err != nil {
		return nil, fmt.Errorf("event store (sqlite): %w", err)
	}
	return s, nil
}

func openReadModels(ctx context.Context, cfg Config) (*readmodels.DB, error) {
	if cfg.ReadModels == "postgres" {
		db, err := rpostgres.OpenWith(ctx, cfg.PostgresURL, rpostgres.Options{MaxConns: cfg.PGMaxConns})
		if err != nil {
			return nil, fmt.Errorf("read models (postgres): %w", err)
		}
		return db, nil
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	db, err := rsqlite.OpenWith(ctx, filepath.Join(cfg.DataDir, "readmodels.db"), rsqlite.Options{MaxConns: cfg.SQLiteReaders})
	if err != nil {
		return nil, fmt.Errorf("read models (sqlite): %w", err)
	}
	return db, nil
}

// EnsureAdmin creates the first administrator when there is none. It returns the password it
// generated (empty when the configured one was used or the admin already existed).
func (a *App) EnsureAdmin(ctx context.Context) (created bool, generated string, err error) {
	pw := a.Config.AdminPassword
	if pw == "" {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		pw, generated = base64.RawURLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b)
	}
	if err := a.Org.EnsureBuiltInRoles(ctx); err != nil {
		return false, "", err
	}
	created, err = a.Users.EnsureAdmin(ctx, a.Config.AdminUser, pw)
	if !created {
		generated = ""
	}
	return created, generated, err
}

// UnlockUser lifts the sign-in lock of the account with this username as the system actor
// (the command line's way back in when no administrator can sign in). It reports whether the
// account was locked.
func (a *App) UnlockUser(ctx context.Context, username string) (bool, error) {
	id, err := a.Users.IDByUsername(ctx, username)
	if errors.Is(err, commands.ErrNotFound) {
		return false, fmt.Errorf("no user %q", username)
	}
	if err != nil {
		return false, err
	}
	m := commands.Meta{Actor: access.System, RequestID: "cli-unlock", CorrelationID: uuid.NewString()}
	res, err := a.Auth.Unlock(ctx, m, id)
	return err == nil && res.EventID != uuid.Nil, err
}

// Serve runs the projections and the HTTP server on ln until ctx ends, then shuts down
// gracefully. metrics, when not nil, is the listener of CHRONICLE_METRICS_ADDR: /metrics is
// served there (and only there, Config.MetricsAddr being set).
func (a *App) Serve(ctx context.Context, ln, metrics net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	engineDone := make(chan error, 1)
	go func() { engineDone <- a.Engine.Run(ctx) }()
	go a.poolRules(ctx)
	flusherDone := make(chan struct{})
	go func() { defer close(flusherDone); a.Auth.RunThrottleFlusher(ctx) }() // records folded throttled sign-ins
	defer func() { cancel(); <-flusherDone }()                               // its last records before the stores close
	srv := &http.Server{Handler: a.API, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, BaseContext: func(net.Listener) context.Context { return ctx }}
	serveDone := make(chan error, 2)
	go func() { serveDone <- srv.Serve(ln) }()
	if metrics != nil {
		msrv := &http.Server{Handler: a.API.MetricsHandler(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
			WriteTimeout: time.Minute, BaseContext: func(net.Listener) context.Context { return ctx }}
		go func() { serveDone <- msrv.Serve(metrics) }()
		defer msrv.Close()
	}
	select {
	case <-ctx.Done():
	case err := <-serveDone:
		cancel()
		return err
	case err := <-engineDone:
		cancel()
		_ = srv.Close()
		return fmt.Errorf("projections stopped: %w", err)
	}
	shutdownCtx, c2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer c2()
	err := srv.Shutdown(shutdownCtx)
	if ierr := a.Imports.Close(shutdownCtx); ierr != nil {
		a.Logger.Warn("imports still running at shutdown were interrupted", "error", ierr)
	}
	<-engineDone
	return err
}

// Close stops imports still running (they are saved as interrupted) and releases the stores.
func (a *App) Close() error {
	if a.Imports != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = a.Imports.Close(ctx)
		cancel()
	}
	var errs []error
	if a.DB != nil {
		errs = append(errs, a.DB.Close())
	}
	if a.Store != nil {
		errs = append(errs, a.Store.Close())
	}
	return errors.Join(errs...)
}

// PoolRulesInterval is how often the customer pool rules run.
const PoolRulesInterval = time.Hour

// poolRules returns due customers to the pool every PoolRulesInterval, in one process at a time
// (a lease in the read-model database), as the system actor.
func (a *App) poolRules(ctx context.Context) {
	holder := uuid.NewString()
	tick := time.NewTicker(PoolRulesInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.Engine.Running():
		}
		if n, err := a.RunPoolRules(ctx, holder); err != nil && ctx.Err() == nil {
			a.Logger.Warn("customer pool rules failed", "error", err)
		} else if n > 0 {
			a.Logger.Info("customers returned to the pool", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// RunPoolRules applies the customer pool rules now if this holder gets the lease.
func (a *App) RunPoolRules(ctx context.Context, holder string) (int, error) {
	now := a.Config.Clock()
	ok, err := a.DB.TryLease(ctx, "customer-pool-rules", holder, now, PoolRulesInterval/2)
	if err != nil || !ok {
		return 0, err
	}
	return a.Customers.ReturnDue(ctx, now)
}

// leadDirectory is what lead commands read: placements and the claim cap from the organisation,
// owned counts from the leads.
type leadDirectory struct {
	*orgViews
	leads *leadview.Views
}

func (d leadDirectory) OwnedLeads(ctx context.Context, owner uuid.UUID, except []uuid.UUID) (int64, error) {
	return d.leads.OwnedLeads(ctx, owner, except)
}

func (d leadDirectory) LeadsAppliedUntil(ctx context.Context) (time.Time, error) {
	return d.leads.LeadsAppliedUntil(ctx)
}

// customerDirectory is what customer commands read: placements, pool rules and custom fields from
// the organisation, the rest from the customers.
type customerDirectory struct {
	*orgViews
	*customerViews
}

// The views under names of their own, so that both can be embedded.
type (
	orgViews      = orgview.Views
	customerViews = customerview.Views
)

// userZone is the time zone of a user's "today": their preference, else the organisation's
// default, else Asia/Shanghai.
func (a *App) userZone(ctx context.Context, actor access.Actor) *time.Location {
	name := ""
	if u, err := a.OrgViews.GetUser(ctx, actor.ID); err == nil && u != nil {
		name = u.TimeZone
	}
	return a.zone(ctx, name)
}

// zone is the named time zone, or the installation's default when name is "".
func (a *App) zone(ctx context.Context, name string) *time.Location {
	if name == "" {
		name, _ = a.OrgViews.DefaultTimeZone(ctx)
	}
	if loc, err := time.LoadLocation(name); err == nil && name != "" && name != "Local" {
		return loc
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.UTC
	}
	return loc
}

// wonDeals reads what a contract copies from an opportunity, through the opportunity commands
// (the actor must be able to read it).
type wonDeals struct{ opps *opportunitycmd.Service }

func (w wonDeals) Deal(ctx context.Context, a access.Actor, id uuid.UUID) (contractcmd.WonDeal, error) {
	l, err := w.opps.Load(ctx, a, id)
	if err != nil {
		return contractcmd.WonDeal{}, err
	}
	o := l.Root
	return contractcmd.WonDeal{CustomerID: o.CustomerID(), Won: o.Status() == opportunity.StatusWon, Amount: o.WonAmount(), Lines: o.Lines()}, nil
}

// productPrices prices opportunity lines from the product catalogue's read model: a live
// product's name and suggested retail price (none: 0.00); a product off sale is not offered.
type productPrices struct{ views *productview.Views }

func (p productPrices) Product(ctx context.Context, id uuid.UUID) (name, price string, err error) {
	v, err := p.views.Get(ctx, id)
	if errors.Is(err, readmodels.ErrNotFound) {
		return "", "", commands.ErrNotFound
	}
	if err != nil {
		return "", "", err
	}
	if v.Status != string(product.OffSale) {
		price = "0.00"
		if v.Price != nil {
			price = *v.Price
		}
		return v.Name, price, nil
	}
	return "", "", opportunitycmd.ErrProductOffSale
}
