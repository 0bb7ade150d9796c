// Package app wires Chronicle together from a Config: stores, commands, projections and the
// HTTP API. Only cmd/chronicle reads the environment; tests build Configs directly.
package app

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/audit"
	"github.com/chronicle-crm/chronicle/adapters/eventstore/esdb"
	"github.com/chronicle-crm/chronicle/adapters/eventstore/postgres"
	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/adapters/httpapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/scheduleapi"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/tabular"
	"github.com/chronicle-crm/chronicle/adapters/mailer"
	"github.com/chronicle-crm/chronicle/adapters/privacy"
	rpostgres "github.com/chronicle-crm/chronicle/adapters/readstore/postgres"
	rsqlite "github.com/chronicle-crm/chronicle/adapters/readstore/sqlite"
	"github.com/chronicle-crm/chronicle/adapters/secretbox"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/announcementcmd"
	"github.com/chronicle-crm/chronicle/commands/approvalcmd"
	"github.com/chronicle-crm/chronicle/commands/contractcmd"
	"github.com/chronicle-crm/chronicle/commands/conversion"
	"github.com/chronicle-crm/chronicle/commands/customercmd"
	"github.com/chronicle-crm/chronicle/commands/dataimport"
	"github.com/chronicle-crm/chronicle/commands/dictcmd"
	"github.com/chronicle-crm/chronicle/commands/financecmd"
	"github.com/chronicle-crm/chronicle/commands/followup"
	"github.com/chronicle-crm/chronicle/commands/leadcmd"
	"github.com/chronicle-crm/chronicle/commands/notifycmd"
	"github.com/chronicle-crm/chronicle/commands/opportunitycmd"
	"github.com/chronicle-crm/chronicle/commands/orgcmd"
	"github.com/chronicle-crm/chronicle/commands/privacycmd"
	"github.com/chronicle-crm/chronicle/commands/productcmd"
	"github.com/chronicle-crm/chronicle/commands/schedulecmd"
	"github.com/chronicle-crm/chronicle/commands/taskcmd"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/commands/worklogcmd"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/finance"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
	dp "github.com/chronicle-crm/chronicle/domain/privacy"
	"github.com/chronicle-crm/chronicle/domain/product"
	"github.com/chronicle-crm/chronicle/domain/task"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/announcementview"
	"github.com/chronicle-crm/chronicle/readmodels/approvalview"
	"github.com/chronicle-crm/chronicle/readmodels/auditview"
	"github.com/chronicle-crm/chronicle/readmodels/contractview"
	"github.com/chronicle-crm/chronicle/readmodels/customerview"
	"github.com/chronicle-crm/chronicle/readmodels/dictview"
	"github.com/chronicle-crm/chronicle/readmodels/financeview"
	"github.com/chronicle-crm/chronicle/readmodels/importview"
	"github.com/chronicle-crm/chronicle/readmodels/leadview"
	"github.com/chronicle-crm/chronicle/readmodels/loginview"
	"github.com/chronicle-crm/chronicle/readmodels/notifyview"
	"github.com/chronicle-crm/chronicle/readmodels/opportunityview"
	"github.com/chronicle-crm/chronicle/readmodels/orgview"
	"github.com/chronicle-crm/chronicle/readmodels/productview"
	"github.com/chronicle-crm/chronicle/readmodels/scheduleview"
	"github.com/chronicle-crm/chronicle/readmodels/taskview"
	"github.com/chronicle-crm/chronicle/readmodels/workbenchview"
	"github.com/chronicle-crm/chronicle/readmodels/worklogview"
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
	// OverdueInterval is how often the overdue job runs (CHRONICLE_OVERDUE_INTERVAL, default 1 h;
	// it also runs at start).
	OverdueInterval time.Duration
	// ReminderInterval is how often the task reminder process looks for reminders and overdue
	// notices due (CHRONICLE_REMINDER_INTERVAL, default 1 min).
	ReminderInterval time.Duration
	// MailInterval is how often the mailer looks for new notifications to e-mail and deliveries
	// to retry (CHRONICLE_MAIL_INTERVAL, default 30 s).
	MailInterval time.Duration
	// PublicURL is the address of the web UI in e-mailed links (CHRONICLE_PUBLIC_URL, default
	// http://localhost:8080): a background job has no request to take it from.
	PublicURL string
	// SecretKeyFile holds the 32-byte key that encrypts the secrets Chronicle stores (the SMTP
	// password) (CHRONICLE_SECRET_KEY_FILE; default secret.key in DataDir, created 0600 on first use).
	SecretKeyFile string
	// MasterKeyFile holds the 32-byte master key that wraps the data subjects' keys, which encrypt
	// the personal fields of the events (CHRONICLE_MASTER_KEY_FILE; default master.key in DataDir,
	// created 0600 on first use). See adapters/privacy.
	MasterKeyFile string
	// PrivacyKeyTTL is how long a process keeps a subject's key in memory (default
	// privacy.DefaultKeyTTL): the longest another process may read a subject after its erasure.
	PrivacyKeyTTL time.Duration
	// AuditKeyFile holds the Ed25519 key that signs the audit chain's anchors
	// (CHRONICLE_AUDIT_KEY_FILE; default audit.key in DataDir, created 0600 on first start).
	// AuditAnchorDir is where the anchors are written, one file each (CHRONICLE_AUDIT_ANCHOR_DIR;
	// default anchors in DataDir).
	AuditKeyFile   string
	AuditAnchorDir string
	// AuditSealInterval is how often the sealer records the new events' chain
	// (CHRONICLE_AUDIT_SEAL_INTERVAL, default 2 s); an anchor is made once AuditAnchorInterval has
	// passed (CHRONICLE_AUDIT_ANCHOR_INTERVAL, default 10 min) or AuditAnchorEvents were sealed
	// (CHRONICLE_AUDIT_ANCHOR_EVENTS, default 10,000) since the last, whichever comes first.
	AuditSealInterval   time.Duration
	AuditAnchorInterval time.Duration
	AuditAnchorEvents   uint64
	// TLSCertFile and TLSKeyFile (CHRONICLE_TLS_CERT_FILE, CHRONICLE_TLS_KEY_FILE: both or
	// neither) make Serve listen with TLS; HTTPRedirectAddr (CHRONICLE_HTTP_REDIRECT_ADDR) is where
	// plain HTTP is redirected to HTTPS. See tls.go.
	TLSCertFile, TLSKeyFile, HTTPRedirectAddr string
	// TrustedProxies (CHRONICLE_TRUSTED_PROXIES) are the reverse proxies whose X-Forwarded-For and
	// X-Forwarded-Proto are believed (httpkit.TrustedProxies); none by default.
	TrustedProxies httpkit.TrustedProxies
	// Backup is the scheduled backups of the embedded stores (CHRONICLE_BACKUP_*; see backup.go).
	Backup BackupSettings
	Clock  commands.Clock
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
	if c.ReminderInterval <= 0 {
		c.ReminderInterval = ReminderInterval
	}
	if c.OverdueInterval <= 0 {
		c.OverdueInterval = OverdueInterval
	}
	if c.MailInterval <= 0 {
		c.MailInterval = MailInterval
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://localhost:8080"
	}
	if c.AuditAnchorDir == "" {
		c.AuditAnchorDir = filepath.Join(c.DataDir, "anchors")
	}
	if c.AuditSealInterval <= 0 {
		c.AuditSealInterval = AuditSealInterval
	}
	if c.AuditAnchorInterval <= 0 {
		c.AuditAnchorInterval = audit.DefaultAnchorInterval
	}
	if c.AuditAnchorEvents == 0 {
		c.AuditAnchorEvents = audit.DefaultAnchorEvents
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
	c.Backup.defaults(c.DataDir)
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
	if err := c.validateTLS(); err != nil {
		return err
	}
	return c.Backup.validate()
}

// App is a wired Chronicle.
type App struct {
	Config   Config
	Logger   *slog.Logger
	Registry *event.Registry
	// Store is the event store every module uses: the personal fields of the events decrypted
	// (adapters/privacy). RawStore is the store under it, the events as stored (personal fields
	// encrypted): the audit chain, its verification and backups read that one.
	Store    eventstore.Store
	RawStore eventstore.Store
	// Keys keep the data subjects' keys; Privacy is the decorator (Store), which forgets a key at
	// once when this process erases its subject.
	Keys    dp.KeyStore
	Privacy *privacy.Store
	DB      *readmodels.DB
	Views
	Engine        *engine.Engine
	Leads         *leadcmd.Service
	Customers     *customercmd.Service
	Contacts      *customercmd.Contacts
	Convert       *conversion.Service
	Users         *usercmd.Users
	Org           *orgcmd.Service
	Dict          *dictcmd.Service
	Opps          *opportunitycmd.Service
	Products      *productcmd.Service
	Contracts     *contractcmd.Service
	Approvals     *approvalcmd.Service
	Finance       *financecmd.Service
	Tasks         *taskcmd.Service
	Schedules     *schedulecmd.Service
	Feeds         *schedulecmd.Feeds
	Inbox         *notifycmd.Service
	Auth          *usercmd.Auth
	Imports       *dataimport.Runner
	FollowUps     followup.Service
	Metrics       *httpapi.Metrics
	API           *httpapi.Server
	Announcements *announcementcmd.Service
	WorkLogs      *worklogcmd.Service
	// Mailer e-mails notifications and password-reset links; Secrets seals and opens the SMTP
	// password.
	Mailer  *mailer.Mailer
	Secrets *secretbox.Box
	// Erasures erase the personal data of leads and contacts (commands/privacycmd).
	Erasures *privacycmd.Service
	// Sealer records the event log's hash chain and anchors it (adapters/audit).
	Sealer *audit.Sealer

	tls     *tls.Config   // set by LoadTLS
	backups backupMetrics // the scheduled backups' state
}

// Views are the read models, one per module, over the one read-model database (the operation
// log also reads the events of its pages from the event store).
type Views struct {
	LeadViews         *leadview.Views
	CustomerViews     *customerview.Views
	OrgViews          *orgview.Views
	LoginViews        *loginview.Views
	AuditViews        *auditview.Views
	ImportViews       *importview.Views
	WorkbenchViews    *workbenchview.Views
	DictViews         *dictview.Views
	OppViews          *opportunityview.Views
	ProductViews      *productview.Views
	ContractViews     *contractview.Views
	ApprovalViews     *approvalview.Views
	FinanceViews      *financeview.Views
	TaskViews         *taskview.Views
	ScheduleViews     *scheduleview.Views
	NotifyViews       *notifyview.Views
	AnnouncementViews *announcementview.Views
	WorkLogViews      *worklogview.Views
}

func newViews(db *readmodels.DB, store eventstore.Store) Views {
	audit := auditview.New(db, store)
	return Views{LeadViews: leadview.New(db), CustomerViews: customerview.New(db), OrgViews: orgview.New(db),
		LoginViews: loginview.New(db), AuditViews: audit, ImportViews: importview.New(db), WorkbenchViews: workbenchview.New(db, audit),
		DictViews: dictview.New(db), OppViews: opportunityview.New(db), ProductViews: productview.New(db),
		ContractViews: contractview.New(db), ApprovalViews: approvalview.New(db), FinanceViews: financeview.New(db),
		TaskViews: taskview.New(db), ScheduleViews: scheduleview.New(db), NotifyViews: notifyview.New(db), AnnouncementViews: announcementview.New(db),
		WorkLogViews: worklogview.New(db)}
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
	if a.RawStore, err = openEventStore(ctx, cfg); err != nil {
		return nil, err
	}
	a.Store = a.RawStore // until the decorator is made (Close closes it)
	if a.DB, err = openReadModels(ctx, cfg); err != nil {
		a.Store.Close()
		return nil, err
	}
	if err := a.openPrivacy(ctx); err != nil {
		a.Close()
		return nil, err
	}
	if err := audit.Prepare(ctx, a.DB); err != nil {
		a.Close()
		return nil, err
	}
	a.Sealer = audit.New(audit.Config{Store: a.RawStore, DB: a.DB, KeyFile: cfg.AuditKeyFile, DataDir: cfg.DataDir, AnchorDir: cfg.AuditAnchorDir,
		AnchorInterval: cfg.AuditAnchorInterval, AnchorEvents: cfg.AuditAnchorEvents, Lease: 10*cfg.AuditSealInterval + 10*time.Second,
		Clock: cfg.Clock, Logger: logger})
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
	a.Secrets = secretbox.FromFiles(cfg.SecretKeyFile, cfg.DataDir)
	a.Org.SetSealer(a.Secrets)
	a.Mailer = mailer.New(mailer.Deps{DB: a.DB, Notifications: v.NotifyViews, Org: v.OrgViews, Secrets: a.Secrets, PublicURL: cfg.PublicURL,
		Clock: cfg.Clock, Lease: cfg.MailInterval/2 + time.Minute, Logger: logger})
	a.Dict = dictcmd.New(a.Store, a.Registry, cfg.Clock)
	a.Opps = opportunitycmd.New(a.Store, a.Registry, cfg.Clock, opportunitycmd.Deps{Org: v.OrgViews, Customers: a.Customers, Dictionary: a.Dict,
		Products: productPrices{v.ProductViews}})
	a.Products = productcmd.New(a.Store, a.Registry, cfg.Clock, a.Dict) // units are checked against the dictionary
	a.Approvals = approvalcmd.New(a.Store, a.Registry, cfg.Clock, v.OrgViews)
	a.Contracts = contractcmd.New(a.Store, a.Registry, cfg.Clock, contractcmd.Deps{Org: v.OrgViews, Customers: a.Customers,
		Opportunities: wonDeals{a.Opps}, Products: productPrices{v.ProductViews}, Dictionary: a.Dict, Approvals: a.Approvals,
		Zone: func(ctx context.Context) *time.Location { return a.zone(ctx, "") }})
	a.Finance = financecmd.New(a.Store, a.Registry, cfg.Clock, financecmd.Deps{Org: v.OrgViews, Contracts: contractTerms{a.Contracts},
		Dictionary: a.Dict, Approvals: a.Approvals, Zone: func(ctx context.Context) *time.Location { return a.zone(ctx, "") },
		Opportunities: opportunities{a.Opps}, Payables: v.FinanceViews})
	a.Inbox = notifycmd.New(a.Store, a.Registry, cfg.Clock)
	a.Announcements = announcementcmd.New(a.Store, a.Registry, cfg.Clock, v.OrgViews)
	a.WorkLogs = worklogcmd.New(a.Store, a.Registry, cfg.Clock, worklogcmd.Deps{Org: workLogDirectory{v.OrgViews}, Related: relatedRecords{a}})
	a.Tasks = taskcmd.New(a.Store, a.Registry, cfg.Clock, taskcmd.Deps{Org: v.OrgViews, Related: relatedRecords{a}})
	a.Schedules = schedulecmd.New(a.Store, a.Registry, cfg.Clock, schedulecmd.Deps{Org: v.OrgViews, Related: relatedRecords{a}})
	a.Feeds = schedulecmd.NewFeeds(a.Store, a.Registry, cfg.Clock)
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
	a.Erasures = privacycmd.New(a.Store, a.Registry, a.Keys, a.Privacy.Forget, cfg.Clock, a.Metrics)
	kit := httpapi.NewKit(logger, cfg.Clock, 0, cfg.ReadWait, a.Engine)
	// Reveals of contact details and exports are audited; reveals are limited per user.
	kit.Audit = commands.Auditor{Store: a.Store, Clock: cfg.Clock, Recorder: a.Metrics}
	kit.Reveals = httpkit.NewLimiter(httpkit.RevealsPerHour, time.Hour, cfg.Clock)
	ports := a.ports(a.Metrics)
	var api []httpapi.Module
	for _, m := range modules {
		if m.api != nil {
			api = append(api, m.api(a, kit, ports)...)
		}
	}
	a.API = httpapi.New(httpapi.Deps{Store: a.Store, DB: a.DB, Engine: a.Engine, Auth: ports.auth, Kit: kit, Modules: api,
		Clock: cfg.Clock, Logger: logger, Metrics: a.Metrics, UI: web.Handler(), SeparateMetrics: cfg.MetricsAddr != "",
		TrustedProxies: cfg.TrustedProxies})
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

// openPrivacy opens the key store of the data subjects' keys and the master key, checks that the
// master key is the one the stored keys are wrapped with, and decorates the event store. The keys
// are kept apart from the events: in keys.db in the data directory when the events are in SQLite
// (or in EventStoreDB with the read models in SQLite), else in the PostgreSQL database of the
// events (or of the read models, with EventStoreDB).
func (a *App) openPrivacy(ctx context.Context) error {
	cfg := a.Config
	var err error
	if a.Keys, err = openKeys(ctx, cfg); err != nil {
		return err
	}
	master, err := privacy.LoadMaster(cfg.MasterKeyFile, cfg.DataDir)
	if err != nil {
		return err
	}
	if err := privacy.CheckMaster(ctx, a.Keys, master); err != nil {
		return err
	}
	a.Privacy = privacy.New(a.RawStore, a.Keys, master, privacy.Options{KeyTTL: cfg.PrivacyKeyTTL})
	a.Store = privacy.Counting(a.Privacy)
	return nil
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

// StoredLog is the event store as stored, below the personal-data decorator of a.Store: the
// bytes the audit chain hashes (personal values as ciphertext), which chronicle export-log copies
// out and import-log writes back. The subject keys that open those values are not in it: they
// stay in the key store (keys.db, privacy_keys), which a backup carries.
func (a *App) StoredLog() eventstore.Store { return a.RawStore }

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
	go a.overdueJob(ctx)
	go a.every(ctx, a.Config.ReminderInterval, "task reminders", "task reminders and overdue notices recorded", a.RunTaskAlerts)
	go a.every(ctx, a.Config.ReminderInterval, "schedule reminders", "schedule reminders recorded", a.RunScheduleAlerts)
	go a.mailJob(ctx)
	go a.auditJob(ctx)
	go a.backupJob(ctx)
	flusherDone := make(chan struct{})
	go func() { defer close(flusherDone); a.Auth.RunThrottleFlusher(ctx) }() // records folded throttled sign-ins
	defer func() { cancel(); <-flusherDone }()                               // its last records before the stores close
	srv := &http.Server{Handler: a.API, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, BaseContext: func(net.Listener) context.Context { return ctx }}
	serveDone := make(chan error, 2)
	if a.withTLS(srv) {
		go func() { serveDone <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { serveDone <- srv.Serve(ln) }()
	}
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
	if a.Keys != nil {
		errs = append(errs, a.Keys.Close())
	}
	return errors.Join(errs...)
}

// PoolRulesInterval is how often the customer pool rules run.
const PoolRulesInterval = time.Hour

// poolRules returns due customers to the pool every PoolRulesInterval.
func (a *App) poolRules(ctx context.Context) {
	a.every(ctx, PoolRulesInterval, "customer pool rules", "customers returned to the pool", a.RunPoolRules)
}

// ReminderInterval is how often the task reminder process runs by default.
const ReminderInterval = time.Minute

// OverdueInterval is how often the overdue job looks for installments past due by default.
const OverdueInterval = time.Hour

// overdueJob records overdue installments every OverdueInterval (and at start, so days missed
// while no process ran are caught up).
func (a *App) overdueJob(ctx context.Context) {
	a.every(ctx, a.Config.OverdueInterval, "overdue job", "overdue installments recorded", a.RunOverdue)
}

// every runs a scheduled job once the engine runs and then every interval until ctx ends: in one
// process at a time (run takes a lease in the read-model database as holder), as the system
// actor. It logs failures and what a run did.
func (a *App) every(ctx context.Context, interval time.Duration, name, did string, run func(ctx context.Context, holder string) (int, error)) {
	holder := uuid.NewString()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.Engine.Running():
		}
		if n, err := run(ctx, holder); err != nil && ctx.Err() == nil {
			a.Logger.Warn(name+" failed", "error", err)
		} else if n > 0 {
			a.Logger.Info(did, "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// MailInterval is how often the mailer runs by default.
const MailInterval = 30 * time.Second

// mailJob runs the mailer every MailInterval, and at once when a password-reset e-mail is queued
// (Mailer.Wake), in one process at a time (its lease).
func (a *App) mailJob(ctx context.Context) {
	holder := uuid.NewString()
	tick := time.NewTicker(a.Config.MailInterval)
	defer tick.Stop()
	select {
	case <-ctx.Done():
		return
	case <-a.Engine.Running():
	}
	for {
		if n, err := a.Mailer.Run(ctx, holder); err != nil && ctx.Err() == nil {
			a.Logger.Warn("mailer failed", "error", err)
		} else if n > 0 {
			a.Logger.Info("e-mails sent", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-a.Mailer.Woken():
		}
	}
}

// AuditSealInterval is how often the audit sealer runs by default.
const AuditSealInterval = 2 * time.Second

// auditJob makes sure the audit key exists (created on first start unless CHRONICLE_AUDIT_KEY_FILE
// names one), then records the chain of new events every AuditSealInterval and anchors it when due,
// in one process at a time (the sealer's lease).
func (a *App) auditJob(ctx context.Context) {
	if _, err := a.Sealer.Key(); err != nil {
		a.Logger.Warn("audit key unavailable: the chain is recorded, anchors fail until it is", "error", err)
	}
	holder := uuid.NewString()
	tick := time.NewTicker(a.Config.AuditSealInterval)
	defer tick.Stop()
	select {
	case <-ctx.Done():
		return
	case <-a.Engine.Running():
	}
	for {
		if n, err := a.Sealer.Run(ctx, holder); err != nil && ctx.Err() == nil {
			a.Logger.Warn("audit sealer failed", "error", err)
		} else if n > 0 {
			a.Logger.Debug("events sealed in the audit chain", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// VerifyAudit compares the event log with its recorded chain and the anchor files (see
// audit.Verify). The anchors are checked with pub, or without it with the public half of the
// configured audit key (never created here: a verification that made a key would trust it).
func (a *App) VerifyAudit(ctx context.Context, from uint64, pub ed25519.PublicKey) (auditchain.Report, error) {
	if pub == nil {
		var err error
		if pub, err = a.AuditPublicKey(); err != nil {
			return auditchain.Report{}, err
		}
	}
	return audit.Verify(ctx, a.RawStore, a.DB, audit.VerifyOptions{From: from, AnchorDir: a.Config.AuditAnchorDir, PublicKey: pub})
}

// AuditPublicKey is the public half of the configured audit key, nil when the key was not
// created yet (it is never created here).
func (a *App) AuditPublicKey() (ed25519.PublicKey, error) {
	key, err := audit.LoadKey(a.Config.AuditKeyFile, a.Config.DataDir, false)
	switch {
	case err == nil:
		return key.Public().(ed25519.PublicKey), nil
	case a.Config.AuditKeyFile != "" || !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	return nil, nil
}

// AnchorAudit seals the log to its head and anchors it now (see audit.Sealer.AnchorNow).
func (a *App) AnchorAudit(ctx context.Context) (audit.State, error) {
	return a.Sealer.AnchorNow(ctx, "cli-"+uuid.NewString())
}

// RunOverdue records the overdue installments of every contract that has some now, if this
// holder gets the lease; it is idempotent (a contract recorded already records nothing).
func (a *App) RunOverdue(ctx context.Context, holder string) (int, error) {
	now := a.Config.Clock()
	ok, err := a.DB.TryLease(ctx, "finance-overdue", holder, now, a.Config.OverdueInterval/2)
	if err != nil || !ok {
		return 0, err
	}
	asOf := now.In(a.zone(ctx, "")).Format(time.DateOnly)
	n := 0
	for {
		ids, err := a.FinanceViews.OverdueCandidates(ctx, asOf, 500)
		if err != nil || len(ids) == 0 {
			return n, err
		}
		var last uint64
		for _, id := range ids {
			res, err := a.Finance.MarkOverdue(ctx, id)
			if err != nil {
				return n, err
			}
			last = max(last, res.Position)
			n++
		}
		// the next batch reads the read model once it has seen these
		if err := a.Engine.WaitFor(ctx, last, financeview.Projection); err != nil {
			return n, err
		}
		if len(ids) < 500 {
			return n, nil
		}
	}
}

// RunTaskAlerts records the reminders and overdue notices of every task whose time has come, if
// this holder gets the lease. Idempotent: what fired is part of the task's state (a second run, or
// a second process, records nothing), and reminders missed while no process ran fire once, at
// the next run.
func (a *App) RunTaskAlerts(ctx context.Context, holder string) (int, error) {
	return a.runAlerts(ctx, holder, "task-alerts", a.TaskViews.AlertsDue, a.Tasks.Alert, taskview.Projection)
}

// RunScheduleAlerts records the reminders of every schedule entry whose time has come, if this
// holder gets the lease; idempotent like RunTaskAlerts (the point reminders were handled up to is
// part of the entry's state; an occurrence that started while no process ran is not reminded of
// late).
func (a *App) RunScheduleAlerts(ctx context.Context, holder string) (int, error) {
	return a.runAlerts(ctx, holder, "schedule-alerts", a.ScheduleViews.AlertsDue, a.Schedules.Alert, scheduleview.Projection)
}

// feedTasks are a user's open tasks (assigned to them) due in [from, to), for their calendar feed
// (at most 500, soonest first).
func (a *App) feedTasks(ctx context.Context, user uuid.UUID, from, to time.Time) ([]scheduleapi.FeedTask, error) {
	r := taskview.Reader{User: user}
	r.Scope.None = true
	page, err := a.TaskViews.Search(ctx, taskview.Query{Reader: r, View: taskview.ViewMine, Status: []string{string(task.NotStarted), string(task.InProgress)},
		DueFrom: &from, DueTo: &to, Sort: "dueAt", Limit: 500, Now: a.Config.Clock()})
	if err != nil {
		return nil, err
	}
	out := make([]scheduleapi.FeedTask, 0, len(page.Items))
	for _, t := range page.Items {
		if t.DueAt == nil {
			continue
		}
		out = append(out, scheduleapi.FeedTask{ID: t.ID, Title: t.Title, Description: t.Description, DueAt: *t.DueAt,
			InProgress: t.Status == string(task.InProgress), Priority: []int{1, 3, 5, 9}[min(task.Rank(task.Priority(t.Priority)), 3)], Version: t.Version})
	}
	return out, nil
}

// runAlerts runs alert on every record that due lists, in batches, under the lease: each batch is
// read once the read model has seen the previous one's events.
func (a *App) runAlerts(ctx context.Context, holder, lease string, due func(context.Context, time.Time, int) ([]uuid.UUID, error),
	alert func(context.Context, uuid.UUID) (commands.Result, error), projection string) (int, error) {
	now := a.Config.Clock()
	ok, err := a.DB.TryLease(ctx, lease, holder, now, a.Config.ReminderInterval/2+time.Second)
	if err != nil || !ok {
		return 0, err
	}
	n := 0
	for {
		ids, err := due(ctx, a.Config.Clock(), 500)
		if err != nil || len(ids) == 0 {
			return n, err
		}
		var last uint64
		for _, id := range ids {
			res, err := alert(ctx, id)
			if err != nil {
				return n, err
			}
			last = max(last, res.Position)
			n++
		}
		if err := a.Engine.WaitFor(ctx, last, projection); err != nil {
			return n, err
		}
		if len(ids) < 500 {
			return n, nil
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

// departmentNames names every department (finance statistics by department).
func (a *App) departmentNames(ctx context.Context) (map[uuid.UUID]string, error) {
	names := map[uuid.UUID]string{}
	ds, err := a.OrgViews.ListDepartments(ctx)
	for _, d := range ds {
		names[d.ID] = d.Name
	}
	return names, err
}

// contractTerms reads what finance decides on of a contract, from the contract's own stream.
type contractTerms struct{ contracts *contractcmd.Service }

func (c contractTerms) Terms(ctx context.Context, id uuid.UUID) (finance.Terms, error) {
	l, err := c.contracts.Load(ctx, access.System, id)
	if err != nil {
		return finance.Terms{}, err
	}
	k := l.Root
	amount, _ := money.ParseAmount("amount", k.Amount())
	return finance.Terms{Status: k.Status(), Number: k.Number(), Name: k.Fields().Name, Amount: amount, Owner: k.Owner()}, nil
}

// opportunities tells finance whether an opportunity a payable names exists.
type opportunities struct{ opps *opportunitycmd.Service }

func (o opportunities) Exists(ctx context.Context, id uuid.UUID) error {
	_, err := o.opps.Load(ctx, access.System, id)
	return err
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

// relatedRecords tells tasks whether a record they are about exists and the actor may read it
// now, and its name, through the module's own commands (each answers commands.ErrNotFound for a
// record the actor cannot see).
type relatedRecords struct{ a *App }

func (r relatedRecords) RelatedName(ctx context.Context, actor access.Actor, kind string, id uuid.UUID) (string, error) {
	var asOf func(context.Context, access.Actor, uuid.UUID, time.Time) (map[string]any, error)
	switch kind {
	case "lead":
		asOf = r.a.Leads.AsOf
	case "customer":
		asOf = r.a.Customers.AsOf
	case "contact":
		asOf = r.a.Contacts.AsOf
	case "opportunity":
		asOf = r.a.Opps.AsOf
	case "contract":
		asOf = r.a.Contracts.AsOf
	default:
		return "", commands.ErrNotFound
	}
	snap, err := asOf(ctx, actor, id, r.a.Config.Clock().Add(time.Second))
	if err != nil {
		return "", err
	}
	if deleted, _ := snap["deleted"].(bool); deleted {
		return "", commands.ErrNotFound
	}
	name, _ := snap["name"].(string)
	if number, _ := snap["number"].(string); number != "" {
		name = strings.TrimSpace(number + " " + name)
	}
	return name, nil
}

// workLogDirectory is the organisation as work logs read it: the organisation view, and the
// department above a department (the heads a log goes to are found going up).
type workLogDirectory struct{ *orgview.Views }

func (d workLogDirectory) ParentDepartment(ctx context.Context, dept uuid.UUID) (uuid.UUID, error) {
	v, err := d.GetDepartment(ctx, dept)
	if errors.Is(err, readmodels.ErrNotFound) || err == nil && v.ParentID == nil {
		return uuid.Nil, nil
	}
	if err != nil {
		return uuid.Nil, err
	}
	return *v.ParentID, nil
}
