// Command chronicle is Chronicle CRM: one binary with subcommands.
//
//	chronicle serve                          run the API and the projections
//	chronicle projections status             show each projection's position and lag
//	chronicle projections rebuild NAME|--all rebuild read models from the event log
//	chronicle users create-admin             create an administrator account
//	chronicle users unlock USERNAME          lift an account's sign-in lock
//	chronicle audit verify [--from POSITION] prove the event log unaltered against its chain and anchors
//	chronicle audit anchor                   seal the log to its head and anchor it now
//	chronicle audit key                      print the audit key's public half and fingerprint
//	chronicle audit verify-export FILE       check an operation-log export against its signed manifest (offline)
//	chronicle loadgen seed|drive             the load harness: seed a data set, drive a server
//	chronicle privacy rotate-master-key --new-key-file FILE  rewrap the data subjects' keys with a new master key
//	chronicle backup [--to DIR]              an online backup of the embedded stores
//	chronicle restore --from DIR --data-dir NEW_DIR  restore a backup into a new data directory
//	chronicle export-log --to FILE.jsonl.gz  the event log with its audit chain as one file, while servers run
//	chronicle migrate encrypt-personal-data --to-data-dir DIR  copy a log of clear personal values into a new store, encrypted
//	chronicle import-log --from FILE.jsonl.gz  verify such a file and write it into an empty store, then rebuild
//	chronicle version
package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"
	_ "time/tzdata" // time zone names are checked (users' preferences) even where the system has no zone database

	"github.com/chronicle-crm/chronicle/adapters/app"
	"github.com/chronicle-crm/chronicle/adapters/audit"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/adapters/runtimecfg"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

func main() {
	runtimecfg.ServerGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "chronicle:", err)
		os.Exit(1)
	}
}

const usage = `usage: chronicle <command> [flags]

commands:
  serve                            run the HTTP API and the projections
  projections status               show each projection's position, lag and state
  projections rebuild NAME|--all   rebuild read models from the event log, then switch
  users create-admin               create an administrator (-username; password from CHRONICLE_ADMIN_PASSWORD)
  users unlock USERNAME            lift the sign-in lock of an account (recorded as the system actor)
  audit verify [--from POSITION]   check the event log against its hash chain and signed anchors (exit 1 on any difference)
  audit anchor                     seal the log to its head and sign an anchor now
  audit key                        print the public key that checks the anchors, and its fingerprint
  audit verify-export FILE [--public-key FILE]
                                   check an export of the operation log (GET /api/v1/audit/export) against its signed
                                   manifest, offline: the data's SHA-256 and rows, the signature (exit 1 on any difference)
  privacy rotate-master-key --new-key-file FILE
                                   rewrap every data subject's key with the master key in FILE (one transaction; no event
                                   is rewritten); without CHRONICLE_MASTER_KEY_FILE, master.key is replaced by FILE's key
  loadgen seed|drive               the load harness: seed leads, customers and users; drive a running server
  backup [--to DIR]                an online, consistent backup of the embedded (SQLite) stores, while servers run
  restore --from BACKUP --data-dir NEW_DIR  check a backup against its manifest and copy it into a new data directory
  export-log --to FILE.jsonl.gz    the event log up to its head, with its audit chain values, as gzip'd JSON lines (any
                                   engine, while servers run; --to - writes to stdout), and the data subjects' keys,
                                   wrapped by the master key, beside it (FILE.jsonl.gz.keys.jsonl.gz, --keys-to FILE;
                                   --no-keys: none)
  import-log --from FILE.jsonl.gz  verify such a file (trailer, positions, the chain recomputed) and write it into an
                                   EMPTY event store, seal it into the audit chain, build every read model
                                   (--no-read-models: the server builds them on start); --check [--anchors DIR
                                   [--public-key FILE]] only verifies the file, and signed anchors against it; the
                                   subjects' keys from the keys file beside it (--keys FILE), under the source's
                                   master key (CHRONICLE_MASTER_KEY_FILE); --without-keys: personal values read erased
  migrate encrypt-personal-data --to-data-dir DIR [--to-postgres-url URL]
                                   copy a log written before personal data was encrypted into an EMPTY target with
                                   its personal values encrypted (erased subjects stay erased), seal the target's chain
                                   afresh, record the mapping (DIR/migration-*.jsonl.gz), verify the copy, build the
                                   read models; stop writes first; the source's events stay as they are (evidence)
  version                          print the version

configuration (environment; flags of the same name override):
  CHRONICLE_HTTP_ADDR       listen address (default :8080)
  CHRONICLE_METRICS_ADDR    serve /metrics only on this address, e.g. 127.0.0.1:9090 (default: on the listen address)
  CHRONICLE_DATA_DIR        data directory for SQLite files (default ./data)
  CHRONICLE_EVENTSTORE      sqlite | postgres | eventstoredb (default sqlite)
  CHRONICLE_READMODELS      sqlite | postgres (default sqlite)
  CHRONICLE_POSTGRES_URL    PostgreSQL URL for postgres stores
  CHRONICLE_ESDB_URL        EventStoreDB URL, e.g. esdb://localhost:2113?tls=false
  CHRONICLE_ADMIN_USER      first administrator's username (default admin)
  CHRONICLE_ADMIN_PASSWORD  first administrator's password (generated and printed once if unset)
  CHRONICLE_LOG_LEVEL       debug | info | warn | error (default info)
  CHRONICLE_AUTH_HASH_CONCURRENCY     password hashes computed at once (default: one per CPU but one)
  CHRONICLE_AUTH_HASH_WAIT            longest wait for a turn to hash, then 503 (default 2s)
  CHRONICLE_AUTH_ADDRESS_CONCURRENCY  sign-ins one client address may run at once, the rest 429 (default 2)
  CHRONICLE_PG_MAX_CONNS    connections of each PostgreSQL pool (event store, read models) (default: 4 per CPU, at least 8)
  CHRONICLE_SQLITE_READERS  connections of each SQLite pool (event-store readers, read models) (default: 4 per CPU, at least 8)
  CHRONICLE_MASTER_KEY_FILE   32-byte key that wraps the data subjects' keys (default: master.key in the data directory, created 0600)
  CHRONICLE_AUDIT_KEY_FILE    Ed25519 key that signs the audit anchors (default: audit.key in the data directory, created 0600)
  CHRONICLE_AUDIT_ANCHOR_DIR  where the signed anchors are written, one file each (default: anchors in the data directory)
  CHRONICLE_AUDIT_SEAL_INTERVAL    how often new events are sealed into the audit chain (default 2s)
  CHRONICLE_AUDIT_ANCHOR_INTERVAL  longest time between anchors while events arrive (default 10m; also every CHRONICLE_AUDIT_ANCHOR_EVENTS, default 10000)
  CHRONICLE_TLS_CERT_FILE   serve HTTPS (TLS 1.2+, HSTS, Secure cookies) with this PEM certificate chain (with CHRONICLE_TLS_KEY_FILE)
  CHRONICLE_TLS_KEY_FILE    the certificate's PEM private key (both or neither)
  CHRONICLE_HTTP_REDIRECT_ADDR  also listen here for plain HTTP, e.g. :80, answering 308 to the https address (needs TLS)
  CHRONICLE_TRUSTED_PROXIES reverse proxies (addresses or CIDR prefixes, comma-separated) whose X-Forwarded-For and
                            X-Forwarded-Proto are believed: the client's address, Secure cookies behind a TLS proxy (default none)
  CHRONICLE_BACKUP_SCHEDULE daily backup of the embedded stores at HH:MM in the organisation's time zone, or off (default 02:00)
  CHRONICLE_BACKUP_DIR      where backups are written (default <data dir>/backups)
  CHRONICLE_BACKUP_KEEP     backups kept; older ones are deleted after a successful backup (default 7)
`

func run(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) (err error) {
	defer func() {
		if err != nil { // one clear line, even when a driver reports several
			err = errors.New(strings.Join(strings.Fields(err.Error()), " "))
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "chronicle", Version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "serve":
		return serve(ctx, rest, stdout, getenv)
	case "projections":
		return projectionsCmd(ctx, rest, stdout, getenv)
	case "users":
		return usersCmd(ctx, rest, stdout, getenv)
	case "loadgen":
		return loadgenCmd(ctx, rest, stdout, getenv)
	case "audit":
		return auditCmd(ctx, rest, stdout, getenv)
	case "backup":
		return backupCmd(ctx, rest, stdout, getenv)
	case "privacy":
		return privacyCmd(ctx, rest, stdout, getenv)
	case "restore":
		return restoreCmd(ctx, rest, stdout, getenv)
	case "export-log":
		return exportLogCmd(ctx, rest, stdout, getenv)
	case "import-log":
		return importLogCmd(ctx, rest, stdout, getenv)
	case "migrate":
		return migrateCmd(ctx, rest, stdout, getenv)
	}
	fmt.Fprint(stdout, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// config reads the environment into app.Config and lets flags override it.
func config(fs *flag.FlagSet, args []string, getenv func(string) string) (app.Config, *slog.Logger, error) {
	return configLevel(fs, args, getenv, "info")
}

// configLevel is config with another default log level: the projections commands print a table,
// so their log shows only warnings unless CHRONICLE_LOG_LEVEL (or -log-level) asks for more.
func configLevel(fs *flag.FlagSet, args []string, getenv func(string) string, defaultLevel string) (app.Config, *slog.Logger, error) {
	env := func(k, def string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return def
	}
	var c app.Config
	fs.StringVar(&c.HTTPAddr, "http-addr", env("CHRONICLE_HTTP_ADDR", ":8080"), "listen address")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("CHRONICLE_METRICS_ADDR", ""), "serve /metrics only on this address")
	fs.StringVar(&c.DataDir, "data-dir", env("CHRONICLE_DATA_DIR", "./data"), "data directory")
	fs.StringVar(&c.EventStore, "eventstore", env("CHRONICLE_EVENTSTORE", "sqlite"), "sqlite | postgres | eventstoredb")
	fs.StringVar(&c.ReadModels, "readmodels", env("CHRONICLE_READMODELS", "sqlite"), "sqlite | postgres")
	fs.StringVar(&c.PostgresURL, "postgres-url", env("CHRONICLE_POSTGRES_URL", ""), "PostgreSQL URL")
	fs.StringVar(&c.ESDBURL, "esdb-url", env("CHRONICLE_ESDB_URL", ""), "EventStoreDB URL")
	fs.StringVar(&c.AdminUser, "admin-user", env("CHRONICLE_ADMIN_USER", "admin"), "first administrator's username")
	c.AdminPassword = getenv("CHRONICLE_ADMIN_PASSWORD") // never a flag: flags show in ps
	level := fs.String("log-level", env("CHRONICLE_LOG_LEVEL", defaultLevel), "debug | info | warn | error")
	hashN := fs.String("auth-hash-concurrency", env("CHRONICLE_AUTH_HASH_CONCURRENCY", "0"), "password hashes computed at once (0: one per CPU but one)")
	hashWait := fs.String("auth-hash-wait", env("CHRONICLE_AUTH_HASH_WAIT", "2s"), "longest wait for a turn to hash a password")
	addrN := fs.String("auth-address-concurrency", env("CHRONICLE_AUTH_ADDRESS_CONCURRENCY", "2"), "sign-ins one client address may run at once")
	pgConns := fs.String("pg-max-conns", env("CHRONICLE_PG_MAX_CONNS", "0"), "connections of each PostgreSQL pool (0: 4 per CPU, at least 8)")
	overdue := fs.String("overdue-interval", env("CHRONICLE_OVERDUE_INTERVAL", "1h"), "how often the overdue job records installments past due")
	reminders := fs.String("reminder-interval", env("CHRONICLE_REMINDER_INTERVAL", "1m"), "how often the task reminder process looks for reminders and overdue notices due")
	mailEvery := fs.String("mail-interval", env("CHRONICLE_MAIL_INTERVAL", "30s"), "how often the mailer sends the e-mails of new notifications and retries")
	fs.StringVar(&c.PublicURL, "public-url", env("CHRONICLE_PUBLIC_URL", "http://localhost:8080"), "the address of the web UI in e-mailed links")
	fs.StringVar(&c.SecretKeyFile, "secret-key-file", env("CHRONICLE_SECRET_KEY_FILE", ""), "the 32-byte key that encrypts stored secrets (default: secret.key in the data directory, created on first use)")
	fs.StringVar(&c.MasterKeyFile, "master-key-file", env("CHRONICLE_MASTER_KEY_FILE", ""), "the 32-byte key that wraps the data subjects' keys (default: master.key in the data directory, created on first use)")
	fs.StringVar(&c.AuditKeyFile, "audit-key-file", env("CHRONICLE_AUDIT_KEY_FILE", ""), "the Ed25519 key that signs the audit anchors (default: audit.key in the data directory, created on first start)")
	fs.StringVar(&c.AuditAnchorDir, "audit-anchor-dir", env("CHRONICLE_AUDIT_ANCHOR_DIR", ""), "where the audit anchors are written (default: anchors in the data directory)")
	sealEvery := fs.String("audit-seal-interval", env("CHRONICLE_AUDIT_SEAL_INTERVAL", "2s"), "how often new events are sealed into the audit chain")
	anchorEvery := fs.String("audit-anchor-interval", env("CHRONICLE_AUDIT_ANCHOR_INTERVAL", "10m"), "longest time between audit anchors while events arrive")
	anchorEvents := fs.String("audit-anchor-events", env("CHRONICLE_AUDIT_ANCHOR_EVENTS", "10000"), "events sealed after which an audit anchor is made")
	fs.StringVar(&c.TLSCertFile, "tls-cert-file", env("CHRONICLE_TLS_CERT_FILE", ""), "serve HTTPS with this PEM certificate chain (with -tls-key-file)")
	fs.StringVar(&c.TLSKeyFile, "tls-key-file", env("CHRONICLE_TLS_KEY_FILE", ""), "the PEM private key of -tls-cert-file")
	fs.StringVar(&c.HTTPRedirectAddr, "http-redirect-addr", env("CHRONICLE_HTTP_REDIRECT_ADDR", ""), "also listen here for plain HTTP, redirecting to HTTPS")
	fs.StringVar(&c.Backup.Schedule, "backup-schedule", env("CHRONICLE_BACKUP_SCHEDULE", "02:00"), "daily backup time HH:MM in the organisation's time zone, or off")
	fs.StringVar(&c.Backup.Dir, "backup-dir", env("CHRONICLE_BACKUP_DIR", ""), "where backups are written (default <data dir>/backups)")
	backupKeep := fs.String("backup-keep", env("CHRONICLE_BACKUP_KEEP", "7"), "backups kept")
	proxies := fs.String("trusted-proxies", env("CHRONICLE_TRUSTED_PROXIES", ""), "reverse proxies (addresses, CIDR prefixes; comma-separated) whose X-Forwarded-For and X-Forwarded-Proto are believed")
	sqliteReaders := fs.String("sqlite-readers", env("CHRONICLE_SQLITE_READERS", "0"), "connections of each SQLite pool (0: 4 per CPU, at least 8)")
	if err := fs.Parse(args); err != nil {
		return c, nil, err
	}
	var err error
	if c.HashConcurrency, err = strconv.Atoi(*hashN); err != nil || c.HashConcurrency < 0 {
		return c, nil, fmt.Errorf("CHRONICLE_AUTH_HASH_CONCURRENCY=%q: use a whole number, 0 for one per CPU but one", *hashN)
	}
	if c.HashWait, err = time.ParseDuration(*hashWait); err != nil || c.HashWait <= 0 {
		return c, nil, fmt.Errorf("CHRONICLE_AUTH_HASH_WAIT=%q: use a positive duration such as 2s", *hashWait)
	}
	if c.AddressConcurrency, err = strconv.Atoi(*addrN); err != nil || c.AddressConcurrency < 1 {
		return c, nil, fmt.Errorf("CHRONICLE_AUTH_ADDRESS_CONCURRENCY=%q: use a whole number of at least 1", *addrN)
	}
	if c.PGMaxConns, err = strconv.Atoi(*pgConns); err != nil || c.PGMaxConns < 0 {
		return c, nil, fmt.Errorf("CHRONICLE_PG_MAX_CONNS=%q: use a whole number, 0 for 4 per CPU (at least 8)", *pgConns)
	}
	if c.TrustedProxies, err = httpkit.ParseTrustedProxies(*proxies); err != nil {
		return c, nil, err
	}
	if c.SQLiteReaders, err = strconv.Atoi(*sqliteReaders); err != nil || c.SQLiteReaders < 0 {
		return c, nil, fmt.Errorf("CHRONICLE_SQLITE_READERS=%q: use a whole number, 0 for 4 per CPU (at least 8)", *sqliteReaders)
	}
	if c.OverdueInterval, err = time.ParseDuration(*overdue); err != nil || c.OverdueInterval < time.Second {
		return c, nil, fmt.Errorf("CHRONICLE_OVERDUE_INTERVAL=%q: use a duration of at least 1s such as 1h", *overdue)
	}
	if c.ReminderInterval, err = time.ParseDuration(*reminders); err != nil || c.ReminderInterval < time.Second {
		return c, nil, fmt.Errorf("CHRONICLE_REMINDER_INTERVAL=%q: use a duration of at least 1s such as 1m", *reminders)
	}
	if c.MailInterval, err = time.ParseDuration(*mailEvery); err != nil || c.MailInterval < time.Second {
		return c, nil, fmt.Errorf("CHRONICLE_MAIL_INTERVAL=%q: use a duration of at least 1s such as 30s", *mailEvery)
	}
	if c.AuditSealInterval, err = time.ParseDuration(*sealEvery); err != nil || c.AuditSealInterval < 100*time.Millisecond {
		return c, nil, fmt.Errorf("CHRONICLE_AUDIT_SEAL_INTERVAL=%q: use a duration of at least 100ms such as 2s", *sealEvery)
	}
	if c.AuditAnchorInterval, err = time.ParseDuration(*anchorEvery); err != nil || c.AuditAnchorInterval < time.Second {
		return c, nil, fmt.Errorf("CHRONICLE_AUDIT_ANCHOR_INTERVAL=%q: use a duration of at least 1s such as 10m", *anchorEvery)
	}
	if c.AuditAnchorEvents, err = strconv.ParseUint(*anchorEvents, 10, 64); err != nil || c.AuditAnchorEvents < 1 {
		return c, nil, fmt.Errorf("CHRONICLE_AUDIT_ANCHOR_EVENTS=%q: use a whole number of at least 1", *anchorEvents)
	}
	if c.Backup.Keep, err = strconv.Atoi(*backupKeep); err != nil || c.Backup.Keep < 1 {
		return c, nil, fmt.Errorf("CHRONICLE_BACKUP_KEEP=%q: use a whole number of at least 1", *backupKeep)
	}
	c.Backup.Version = Version
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, nil, fmt.Errorf("CHRONICLE_PUBLIC_URL=%q: use the address users open Chronicle at, such as https://crm.example.com", c.PublicURL)
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return c, nil, fmt.Errorf("CHRONICLE_LOG_LEVEL=%q: use debug, info, warn or error", *level)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))
	c.Defaults()
	return c, logger, c.Validate()
}

func serve(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	cfg, logger, err := config(flag.NewFlagSet("serve", flag.ContinueOnError), args, getenv)
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.LoadTLS(); err != nil {
		return err
	}
	created, generated, err := a.EnsureAdmin(ctx)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	var mln net.Listener
	if cfg.MetricsAddr != "" {
		if mln, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("listen on %s (CHRONICLE_METRICS_ADDR): %w", cfg.MetricsAddr, err)
		}
		logger.Info("metrics served separately", "addr", mln.Addr().String())
	}
	scheme := "http"
	if cfg.TLSEnabled() {
		scheme = "https"
	}
	if cfg.HTTPRedirectAddr != "" {
		rln, err := net.Listen("tcp", cfg.HTTPRedirectAddr)
		if err != nil {
			ln.Close()
			return fmt.Errorf("listen on %s (CHRONICLE_HTTP_REDIRECT_ADDR): %w", cfg.HTTPRedirectAddr, err)
		}
		defer a.ServeRedirect(ctx, rln, ln)()
		fmt.Fprintf(stdout, "Plain HTTP on localhost%s is redirected to https\n", port(rln))
	}
	logger.Info("chronicle serving", "addr", ln.Addr().String(), "eventstore", cfg.EventStore, "readmodels", cfg.ReadModels,
		"pg_max_conns", cfg.PGMaxConns, "sqlite_readers", cfg.SQLiteReaders, "tls", cfg.TLSEnabled(), "version", Version)
	switch {
	case created && generated != "":
		fmt.Fprintf(stdout, "\nChronicle is running at %s://localhost%s\nFirst administrator created: username %q, password %q (shown once; change it)\n\n", scheme, port(ln), cfg.AdminUser, generated)
	case created:
		fmt.Fprintf(stdout, "\nChronicle is running at %s://localhost%s\nFirst administrator created: username %q with the password from CHRONICLE_ADMIN_PASSWORD\n\n", scheme, port(ln), cfg.AdminUser)
	default:
		fmt.Fprintf(stdout, "\nChronicle is running at %s://localhost%s (administrator %q already exists)\n\n", scheme, port(ln), cfg.AdminUser)
	}
	return a.Serve(ctx, ln, mln)
}

func port(ln net.Listener) string {
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return ":" + p
}

func projectionsCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return errors.New("usage: chronicle projections status | rebuild NAME|--all")
	}
	sub := args[0]
	fs := flag.NewFlagSet("projections "+sub, flag.ContinueOnError)
	all := fs.Bool("all", false, "rebuild every projection")
	cfg, logger, err := configLevel(fs, args[1:], getenv, "warn")
	if err != nil {
		return err
	}
	if sub != "status" && sub != "rebuild" {
		return fmt.Errorf("unknown projections command %q", sub)
	}
	if err := existingData(cfg); err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	defer runEngine(ctx, a)()
	switch sub {
	case "status":
		if err := a.Engine.WaitLoaded(ctx); err != nil { // positions are known
			return err
		}
		st, err := a.Engine.Status(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tGENERATION\tSTATE\tPOSITION\tHEAD\tLAG EVENTS\tLAG SECONDS\tLAST ERROR")
		for _, s := range st {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%d\t%.1f\t%s\n", s.Name, s.Generation, s.State, s.Position, s.Head, s.LagEvents, s.LagSeconds, s.LastError)
		}
		return tw.Flush()
	case "rebuild":
		names := fs.Args()
		if *all {
			names = a.Engine.Names()
		}
		if len(names) == 0 {
			return errors.New("usage: chronicle projections rebuild NAME|--all")
		}
		return rebuildAll(ctx, a, names, stdout)
	}
	return fmt.Errorf("unknown projections command %q", sub)
}

// runEngine runs the projections of a in the background until the returned stop is called.
func runEngine(ctx context.Context, a *app.App) (stop func()) {
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Engine.Run(runCtx) }()
	<-a.Engine.Running()
	return func() { cancel(); <-done }
}

// rebuildAll rebuilds the named projections into new generations (a's engine running) and
// reports each one as it switches: chronicle projections rebuild, and import-log after the import.
func rebuildAll(ctx context.Context, a *app.App, names []string, stdout io.Writer) error {
	// All at once: each rebuild reads the log by itself and they share the machine; every
	// one switches as soon as it has caught up.
	start := time.Now()
	var mu sync.Mutex
	_, err := a.Engine.RebuildAll(ctx, names, func(n string, gen int) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(stdout, "rebuilt %s into generation %d in %s\n", n, gen, time.Since(start).Round(time.Millisecond))
	})
	if err != nil {
		return err
	}
	// This process reads nothing any more: the superseded generations nobody else reads are
	// dropped now; a serving process that still reads one drops it when it has followed the
	// switch (see projections/engine/readers.go), so nothing here waits for it.
	// This process's own reader record may still reach an old generation until its next
	// renewal: try again for a few seconds before leaving it to a serving process.
	remaining, err := a.Engine.ReleaseSuperseded(ctx)
	left := func() bool {
		for _, gens := range remaining {
			if len(gens) > 0 {
				return true
			}
		}
		return false
	}
	for deadline := time.Now().Add(10 * time.Second); err == nil && left() && time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		remaining, err = a.Engine.ReleaseSuperseded(ctx)
	}
	if err != nil {
		return err
	}
	for _, n := range names {
		if gens := remaining[n]; len(gens) > 0 {
			fmt.Fprintf(stdout, "%s: generation %v still read by a serving process, which drops it after following the switch\n", n, gens)
		}
	}
	return nil
}

const usersUsage = "usage: chronicle users create-admin -username NAME (password from CHRONICLE_ADMIN_PASSWORD, or generated) | unlock USERNAME"

// existingData refuses to open SQLite stores that do not exist yet: opening creates them, and a
// status or rebuild of a new, empty directory (a mistyped CHRONICLE_DATA_DIR, or the wrong working
// directory) would report or rebuild nothing while looking like success.
func existingData(cfg app.Config) error {
	if cfg.EventStore != "sqlite" && cfg.ReadModels != "sqlite" {
		return nil
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		dir = cfg.DataDir
	}
	var missing []string
	if cfg.EventStore == "sqlite" {
		missing = append(missing, "events.db")
	}
	if cfg.ReadModels == "sqlite" {
		missing = append(missing, "readmodels.db")
	}
	for _, f := range missing {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return fmt.Errorf("no Chronicle data in %s (looked for %s; set CHRONICLE_DATA_DIR or -data-dir to the directory chronicle serve uses)", dir, f)
		}
	}
	return nil
}

func usersCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	if len(args) > 0 && args[0] == "unlock" {
		return unlockCmd(ctx, args[1:], stdout, getenv)
	}
	if len(args) == 0 || args[0] != "create-admin" {
		return errors.New(usersUsage)
	}
	fs := flag.NewFlagSet("users create-admin", flag.ContinueOnError)
	username := fs.String("username", "", "username of the new administrator (default CHRONICLE_ADMIN_USER)")
	cfg, logger, err := config(fs, args[1:], getenv)
	if err != nil {
		return err
	}
	if *username != "" {
		cfg.AdminUser = *username
	}
	a, err := app.Open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	created, generated, err := a.EnsureAdmin(ctx)
	if err != nil {
		return err
	}
	switch {
	case !created:
		return fmt.Errorf("user %q already exists", cfg.AdminUser)
	case generated != "":
		fmt.Fprintf(stdout, "administrator %q created with password %q (shown once)\n", cfg.AdminUser, generated)
	default:
		fmt.Fprintf(stdout, "administrator %q created\n", cfg.AdminUser)
	}
	return nil
}

// unlockCmd lifts an account's sign-in lock against the configured stores: the way back in for the
// last administrator. The unlock is an event like any other, by the system actor.
func unlockCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	var username string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") { // the username may come before the flags
		username, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("users unlock", flag.ContinueOnError)
	cfg, logger, err := config(fs, args, getenv)
	if err != nil {
		return err
	}
	if username == "" && fs.NArg() == 1 {
		username = fs.Arg(0)
	}
	if username == "" || fs.NArg() > 1 || (fs.NArg() == 1 && fs.Arg(0) != username) {
		return errors.New("usage: chronicle users unlock [flags] USERNAME")
	}
	a, err := app.Open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	unlocked, err := a.UnlockUser(ctx, username)
	switch {
	case err != nil:
		return err
	case unlocked:
		fmt.Fprintf(stdout, "user %q unlocked\n", username)
	default:
		fmt.Fprintf(stdout, "user %q was not locked\n", username)
	}
	return nil
}

const auditUsage = "usage: chronicle audit verify [--from POSITION] [--public-key FILE] | anchor | key | verify-export FILE [--public-key FILE]"

// auditCmd proves the event log unaltered (verify), anchors it on demand (anchor) and prints the
// public key reviewers check anchors with (key), against the configured stores.
func auditCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return errors.New(auditUsage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("audit "+sub, flag.ContinueOnError)
	from := fs.Uint64("from", 0, "verify from this sealed position (the chain value recorded before it is the start)")
	pubFile := fs.String("public-key", "", "a file holding the public key to check the anchors with (default: the public half of the audit key)")
	cfg, logger, err := configLevel(fs, args[1:], getenv, "warn")
	if err != nil {
		return err
	}
	switch sub {
	case "verify", "anchor", "key":
	case "verify-export":
		return verifyExportCmd(fs, cfg, pubFile, stdout)
	default:
		return fmt.Errorf("unknown audit command %q; %s", sub, auditUsage)
	}
	if fs.NArg() > 0 {
		return errors.New(auditUsage)
	}
	if err := existingData(cfg); err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	switch sub {
	case "key":
		key, err := a.Sealer.Key()
		if err != nil {
			return err
		}
		pub := key.Public().(ed25519.PublicKey)
		fmt.Fprintf(stdout, "public key  %s\nfingerprint %s\n", base64.StdEncoding.EncodeToString(pub), auditchain.Fingerprint(pub))
		return nil
	case "anchor":
		st, err := a.AnchorAudit(ctx)
		if err != nil {
			return err
		}
		if st.AnchorPosition == 0 {
			fmt.Fprintln(stdout, "the event log is empty: nothing to anchor")
			return nil
		}
		fmt.Fprintf(stdout, "anchored: the log up to position %d, in %s\n", st.AnchorPosition, filepath.Join(cfg.AuditAnchorDir, audit.AnchorFileName(st.AnchorPosition)))
		return nil
	}
	var pub ed25519.PublicKey
	if *pubFile != "" {
		b, err := os.ReadFile(*pubFile)
		if err != nil {
			return fmt.Errorf("--public-key: %w", err)
		}
		if pub, err = audit.ParsePublicKey(b); err != nil {
			return fmt.Errorf("--public-key %s: %w", *pubFile, err)
		}
	}
	start := time.Now()
	rep, err := a.VerifyAudit(ctx, *from, pub)
	if err != nil {
		return err
	}
	if rep.OK() {
		fmt.Fprintf(stdout, "audit verify: OK: %d events verified from position %d (%d sealed, %d not sealed yet), head position %d, chain head %s, %d anchors checked",
			rep.Events, rep.From, rep.Sealed, rep.Unsealed, rep.Head, rep.ChainHead, rep.Anchors)
		if rep.Skipped > 0 {
			fmt.Fprintf(stdout, " (%d before position %d not checked)", rep.Skipped, rep.From)
		}
		fmt.Fprintf(stdout, ", in %s\n", time.Since(start).Round(time.Millisecond))
		return nil
	}
	n := len(rep.Divergences) + rep.More
	fmt.Fprintf(stdout, "audit verify: FAILED: %d differences between the event log and its audit chain or anchors (%d events read, head position %d)\n", n, rep.Events, rep.Head)
	for i, d := range rep.Divergences {
		if i == 20 {
			fmt.Fprintf(stdout, "  … and %d more\n", n-20)
			break
		}
		fmt.Fprintf(stdout, "  %s\n", d)
	}
	first := rep.Divergences[0]
	return fmt.Errorf("the event log differs from its audit record, first at position %d: %s", first.Position, first.Kind)
}

// verifyExportCmd checks an export of the operation log against its signed manifest, without any
// database: the data file's SHA-256 and rows, and the manifest's signature with the audit public
// key (--public-key, else the public half of the configured audit key, never created here). The
// file comes first; --public-key may follow it.
func verifyExportCmd(fs *flag.FlagSet, cfg app.Config, pubFile *string, stdout io.Writer) error {
	const usage = "usage: chronicle audit verify-export FILE [--public-key FILE]"
	if fs.NArg() == 0 {
		return errors.New(usage)
	}
	file := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errors.New(usage)
	}
	pub, err := publicKey(*pubFile, cfg, "the manifest")
	if err != nil {
		return err
	}
	c, err := audit.VerifyExport(file, pub)
	if err != nil {
		return fmt.Errorf("audit verify-export: %w", err)
	}
	m := c.Manifest
	if c.OK() {
		fmt.Fprintf(stdout, "audit verify-export: OK: %s holds %d rows, SHA-256 %s; positions %d to %d of the log up to %d; chain head %d (%s); signed %s by key %s\n",
			m.DataFile, c.Rows, c.SHA256, m.Positions.First, m.Positions.Last, m.Positions.LogHead, m.Chain.Position, m.Chain.Hash,
			m.Time.Format(time.RFC3339), m.Fingerprint)
		return nil
	}
	fmt.Fprintf(stdout, "audit verify-export: FAILED: %d differences\n", len(c.Problems))
	for _, p := range c.Problems {
		fmt.Fprintf(stdout, "  %s\n", p)
	}
	return fmt.Errorf("the export %s does not match its signed manifest: %s", file, c.Problems[0])
}

// publicKey is the audit public key to check what with: the one in pubFile (--public-key), else
// the public half of the configured audit key (never created here).
func publicKey(pubFile string, cfg app.Config, what string) (ed25519.PublicKey, error) {
	if pubFile != "" {
		b, err := os.ReadFile(pubFile)
		if err != nil {
			return nil, fmt.Errorf("--public-key: %w", err)
		}
		pub, err := audit.ParsePublicKey(b)
		if err != nil {
			return nil, fmt.Errorf("--public-key %s: %w", pubFile, err)
		}
		return pub, nil
	}
	key, err := audit.LoadKey(cfg.AuditKeyFile, cfg.DataDir, false)
	if err != nil {
		return nil, fmt.Errorf("no public key to check %s with (give --public-key FILE): %w", what, err)
	}
	return key.Public().(ed25519.PublicKey), nil
}
