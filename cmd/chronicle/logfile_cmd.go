package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/app"
	"github.com/chronicle-crm/chronicle/adapters/audit"
	"github.com/chronicle-crm/chronicle/adapters/logfile"
	"github.com/chronicle-crm/chronicle/adapters/privacy"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	dp "github.com/chronicle-crm/chronicle/domain/privacy"
)

// exportLogCmd writes the configured event log, with its audit chain, as a log file (package
// logfile) to --to FILE, or to stdout with --to -. It runs beside servers: the file is the log
// up to its head when the export began.
func exportLogCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	const usage = "usage: chronicle export-log --to FILE.jsonl.gz [--keys-to FILE | --no-keys] (or --to - for stdout, with --keys-to FILE or --no-keys) [flags]"
	fs := flag.NewFlagSet("export-log", flag.ContinueOnError)
	to := fs.String("to", "", "the file to write (FILE.jsonl.gz), or - for stdout")
	keysTo := fs.String("keys-to", "", "the file of the data subjects' keys, wrapped by the master key (default FILE.jsonl.gz"+privacy.KeysFileSuffix+")")
	noKeys := fs.Bool("no-keys", false, "write no keys file (the personal values of the log then read as erased wherever it is imported)")
	page := fs.Int("page", logfile.DefaultPageSize, "events per read of the log")
	cfg, logger, err := configLevel(fs, args, getenv, "warn")
	if err != nil {
		return err
	}
	if *to == "" || fs.NArg() > 0 || *page < 1 {
		return errors.New(usage)
	}
	if *to != "-" && !strings.HasSuffix(*to, ".jsonl.gz") {
		return fmt.Errorf("export-log: --to %s: name the file FILE.jsonl.gz (gzip-compressed JSON lines)", *to)
	}
	switch {
	case *noKeys && *keysTo != "":
		return errors.New("export-log: --keys-to and --no-keys exclude each other")
	case *to == "-" && *keysTo == "" && !*noKeys:
		return errors.New("export-log: with --to -, name the file of the subjects' keys with --keys-to FILE (or pass --no-keys: the personal values then read as erased wherever the log is imported)")
	case *keysTo == "" && !*noKeys:
		*keysTo = *to + privacy.KeysFileSuffix
	}
	if *keysTo != "" {
		if _, err := os.Stat(*keysTo); err == nil {
			return fmt.Errorf("export-log: %s exists: choose a new file", *keysTo)
		}
	}
	if err := existingData(cfg); err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	start := time.Now()
	report := stdout
	var w io.Writer = stdout
	var f *os.File
	if *to == "-" {
		report = os.Stderr // stdout carries the file
	} else {
		if _, err := os.Stat(*to); err == nil {
			return fmt.Errorf("export-log: %s exists: choose a new file", *to)
		}
		// Written under a hidden name and renamed when complete: FILE is always a whole file.
		tmp := filepath.Join(filepath.Dir(*to), ".partial-"+filepath.Base(*to))
		if f, err = os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err != nil {
			return fmt.Errorf("export-log: %w", err)
		}
		defer func() {
			if f != nil {
				f.Close()
				os.Remove(tmp)
			}
		}()
		w = f
	}
	s, err := logfile.Export(ctx, a.StoredLog(), a.DB, w, logfile.ExportOptions{Engine: cfg.EventStore, Chronicle: Version, PageSize: *page})
	if err != nil {
		return err
	}
	size := ""
	if f != nil {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("export-log: %w", err)
		}
		st, err := f.Stat()
		if err != nil {
			return err
		}
		size = byteSize(st.Size()) + " compressed, "
		name := f.Name()
		err = f.Close()
		f = nil
		if err == nil {
			err = os.Rename(name, *to)
		}
		if err != nil {
			os.Remove(name)
			return fmt.Errorf("export-log: %w", err)
		}
	}
	fmt.Fprintf(report, "exported %d events (positions %d to %d) of the %s event log to %s: %s%s of JSON lines, in %s\n",
		s.Events, s.First, s.Last, cfg.EventStore, *to, size, byteSize(s.Bytes), time.Since(start).Round(time.Millisecond))
	if *keysTo != "" {
		// After the log: every subject of an exported event had its key made before the event
		// was appended, so the file has the key of every subject the log names.
		ks, err := writeKeysFile(ctx, a, *keysTo)
		if err != nil {
			return err
		}
		fmt.Fprintf(report, "  subject keys: %d keys (wrapped by master key %s: the file opens nothing without it) and %d erased subjects to %s\n",
			ks.Keys, a.Privacy.Master().ID(), ks.Erased, *keysTo)
	} else {
		fmt.Fprintln(report, "  subject keys: not exported (--no-keys): the log's personal values read as erased wherever it is imported")
	}
	c := s.Header.Chain
	switch {
	case c.Position == 0:
		fmt.Fprintln(report, "  audit chain: nothing sealed yet (the events carry no chain values)")
	case c.Position == s.Last:
		fmt.Fprintf(report, "  audit chain: every event sealed; chain head %s at position %d\n", c.Hash, c.Position)
	default:
		fmt.Fprintf(report, "  audit chain: sealed up to position %d (chain head %s); the %d events after it carry no chain values\n",
			c.Position, c.Hash, s.Events-s.Sealed)
	}
	return nil
}

// writeKeysFile writes the key store's records to file (under a hidden name, renamed when whole).
func writeKeysFile(ctx context.Context, a *app.App, file string) (privacy.KeysSummary, error) {
	tmp := filepath.Join(filepath.Dir(file), ".partial-"+filepath.Base(file))
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return privacy.KeysSummary{}, fmt.Errorf("export-log: %w", err)
	}
	defer os.Remove(tmp)
	s, err := privacy.WriteKeys(ctx, a.Keys, f)
	if err == nil {
		err = f.Sync()
	}
	if err = errors.Join(err, f.Close()); err == nil {
		err = os.Rename(tmp, file)
	}
	if err != nil {
		return s, fmt.Errorf("export-log: the subject keys: %w", err)
	}
	return s, nil
}

// importLogCmd verifies a log file and writes it into the configured event store, which must be
// empty; then seals the imported log into the audit chain and rebuilds every read model.
func importLogCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	const usage = "usage: chronicle import-log --from FILE.jsonl.gz [--keys FILE | --without-keys] [--batch N] [--no-read-models] [flags] | --from FILE.jsonl.gz --check [--anchors DIR [--public-key FILE]]"
	fs := flag.NewFlagSet("import-log", flag.ContinueOnError)
	from := fs.String("from", "", "the log file written by chronicle export-log")
	keysFile := fs.String("keys", "", "the file of the data subjects' keys written by export-log (default FILE.jsonl.gz"+privacy.KeysFileSuffix+" when it exists)")
	withoutKeys := fs.Bool("without-keys", false, "import a log of encrypted personal values without their keys: they read as erased")
	batch := fs.Int("batch", logfile.DefaultBatch, "events written per transaction")
	noReadModels := fs.Bool("no-read-models", false, "leave the read models to the server, which builds them from the log on its first start")
	check := fs.Bool("check", false, "only verify the file (and, with --anchors, signed anchors against it); open no store")
	anchors := fs.String("anchors", "", "with --check: a directory of anchor files to check against the file's chain")
	pubFile := fs.String("public-key", "", "with --anchors: the public key to check them with (default: the public half of the audit key)")
	cfg, logger, err := configLevel(fs, args, getenv, "warn")
	if err != nil {
		return err
	}
	if *from == "" || fs.NArg() > 0 || *batch < 1 {
		return errors.New(usage)
	}
	open := func() (*os.File, error) {
		f, err := os.Open(*from)
		if err != nil {
			return nil, fmt.Errorf("import-log: %w", err)
		}
		return f, nil
	}
	f, err := open() // before any store is opened (and created)
	if err != nil {
		return err
	}
	f.Close()
	if *withoutKeys && *keysFile != "" {
		return errors.New("import-log: --keys and --without-keys exclude each other")
	}
	if *keysFile == "" && !*withoutKeys {
		if _, err := os.Stat(*from + privacy.KeysFileSuffix); err == nil {
			*keysFile = *from + privacy.KeysFileSuffix
		}
	}
	var keys []dp.KeyRecord
	var ks privacy.KeysSummary
	if *keysFile != "" {
		kf, err := os.Open(*keysFile)
		if err != nil {
			return fmt.Errorf("import-log: %w", err)
		}
		keys, ks, err = privacy.ReadKeys(kf)
		kf.Close()
		if err != nil {
			return fmt.Errorf("import-log: %s: %w; nothing was written", *keysFile, err)
		}
	}
	if *check {
		if err := checkLogFile(*from, *anchors, *pubFile, cfg, stdout); err != nil {
			return err
		}
		if *keysFile != "" {
			fmt.Fprintf(stdout, "subject keys: %s holds %d keys (wrapped with master key %s) and %d erased subjects\n",
				*keysFile, ks.Keys, strings.Join(ks.Masters, ", "), ks.Erased)
		}
		return nil
	}
	a, err := app.Open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer a.Close()
	store := a.StoredLog()
	where := storeName(cfg)
	if head, err := store.Head(ctx); err != nil {
		return err
	} else if head != 0 {
		return fmt.Errorf("import-log: the event store (%s) is not empty: its log ends at position %d. import-log writes only into an empty store (a new data directory, database or schema); nothing was written",
			where, head)
	}
	if st, err := a.Sealer.ReadState(ctx); err != nil {
		return err
	} else if st.Position != 0 {
		return fmt.Errorf("import-log: the read-model database holds the audit chain of another log (sealed up to position %d): import with new read models (a new data directory, database or schema); nothing was written",
			st.Position)
	}

	// 1. Verify the whole file before writing anything.
	s, err := verifyLogFile(*from, stdout)
	if err != nil {
		return fmt.Errorf("%w; nothing was written", err)
	}
	h := s.Header
	if *keysFile == "" && !*withoutKeys {
		enc, err := logHoldsCiphertext(*from)
		if err != nil {
			return err
		}
		if enc {
			return fmt.Errorf("import-log: %s holds encrypted personal values and no keys file is beside it (%s): name the file export-log wrote the subjects' keys to with --keys FILE, "+
				"or pass --without-keys to import the log with every personal value read as erased; nothing was written", *from, filepath.Base(*from)+privacy.KeysFileSuffix)
		}
	}

	// Read models that were projected from another log (their checkpoints are past the empty
	// log's head) are rebuilt after the import; fresh ones catch up from the start.
	var stale int
	if err := a.DB.SQL.QueryRowContext(ctx, `SELECT count(*) FROM projection_checkpoints WHERE position > 0`).Scan(&stale); err != nil {
		return fmt.Errorf("import-log: read the projections' checkpoints: %w", err)
	}

	// 2. The subjects' keys first (checked against the master key before any is written), then
	// the events.
	if err := importKeys(ctx, a, keys, *keysFile, *withoutKeys, stdout); err != nil {
		return err
	}
	start := time.Now()
	if f, err = open(); err != nil {
		return err
	}
	res, err := logfile.Import(ctx, store, f, logfile.ImportOptions{Batch: *batch})
	f.Close()
	if err != nil {
		if errors.Is(err, logfile.ErrNotEmpty) {
			return fmt.Errorf("import-log: the event store (%s) is not empty (written to meanwhile?); nothing was written", where)
		}
		return fmt.Errorf("%w (%d events were written: import again into a new store)", err, res.Events)
	}
	took := time.Since(start)
	fmt.Fprintf(stdout, "imported %d events into the %s event store (%s) in %s (%.0f events/s)\n",
		res.Events, cfg.EventStore, where, took.Round(time.Millisecond), float64(res.Events)/max(took.Seconds(), 1e-9))
	if res.Events != s.Events {
		return fmt.Errorf("import-log: %d events written, the file holds %d", res.Events, s.Events)
	}

	// 3. Seal the imported log into the audit chain and compare it with the file's.
	start = time.Now()
	if _, ok, err := a.Sealer.Seal(ctx, "import-log-"+uuid.NewString()); err != nil {
		return fmt.Errorf("import-log: seal the imported log: %w", err)
	} else if !ok {
		fmt.Fprintln(stdout, "  a server holds the audit sealer's lease: it seals the imported log")
	}
	st, err := a.Sealer.ReadState(ctx)
	if err != nil {
		return err
	}
	var chainErr error
	if st.Position == s.Chain.Position && st.Hash == s.Chain.Hash && res.Moved == 0 {
		fmt.Fprintf(stdout, "audit chain: the imported log hashes to the file's chain head %s at position %d (sealed in %s)\n",
			st.Hash, st.Position, time.Since(start).Round(time.Millisecond))
		anchorsNote(stdout, s.Anchors, cfg.AuditAnchorDir)
	} else {
		var why string
		if res.Moved != 0 {
			why = fmt.Sprintf("the event at position %d of the file is at position %d here", res.Moved, res.MovedTo)
		} else {
			f, err := open()
			if err != nil {
				return err
			}
			pos, what, err := logfile.FirstDifference(ctx, store, f)
			f.Close()
			switch {
			case err != nil:
				return fmt.Errorf("import-log: compare the imported log with the file: %w", err)
			case pos != 0:
				why = fmt.Sprintf("from position %d on, %s", pos, what)
			default:
				why = "the imported events are the file's, yet they hash otherwise"
			}
		}
		fmt.Fprintf(stdout, "audit chain: recomputed over the imported log: head %s at position %d; the file's is %s at position %d: %s.\n"+
			"  The chain covers positions and the bytes as stored, so it starts anew here: keep the file and the old anchors as the evidence of the log before the import.\n",
			st.Hash, st.Position, s.Chain.Hash, s.Chain.Position, why)
		if cfg.EventStore == h.Engine && res.Moved == 0 { // the same engine, every position kept: the bytes changed
			chainErr = fmt.Errorf("import-log: the imported log does not hash to the file's chain head (%s)", why)
		}
	}

	// 4. The read models: what a server would do on its first start on the imported log (every
	// projection catches up from position 0 in its fresh tables), done now; or, when the read
	// models held projections of another log, what chronicle projections rebuild --all does.
	switch {
	case *noReadModels && stale > 0:
		fmt.Fprintf(stdout, "import-log: done: %d events; the read models hold projections of another log: run chronicle projections rebuild --all before serving\n", res.Events)
		return chainErr
	case *noReadModels:
		fmt.Fprintf(stdout, "import-log: done: %d events; the server builds the read models from the log on its first start\n", res.Events)
		return chainErr
	}
	if stale > 0 {
		defer runEngine(ctx, a)()
		fmt.Fprintf(stdout, "the read models hold projections of another log (%d checkpoints past position 0): rebuilding every one\n", stale)
		if err := rebuildAll(ctx, a, a.Engine.Names(), stdout); err != nil {
			return fmt.Errorf("import-log: rebuild the read models: %w", err)
		}
	} else if err := buildReadModels(ctx, a, res.Head, stdout); err != nil {
		return fmt.Errorf("import-log: build the read models: %w", err)
	}
	fmt.Fprintf(stdout, "import-log: done: %d events, read models built; start chronicle serve with this configuration\n", res.Events)
	return chainErr
}

// importKeys writes the subjects' keys of a keys file into the (empty) key store of a.
func importKeys(ctx context.Context, a *app.App, keys []dp.KeyRecord, file string, without bool, stdout io.Writer) error {
	if without {
		fmt.Fprintln(stdout, "subject keys: none imported (--without-keys): the encrypted personal values of the log read as erased")
		return nil
	}
	if file == "" {
		return nil
	}
	if err := privacy.PutKeys(ctx, a.Keys, a.Privacy.Master(), keys); err != nil {
		if errors.Is(err, privacy.ErrWrongMasterKey) {
			return fmt.Errorf("import-log: %s: %w: set CHRONICLE_MASTER_KEY_FILE to the master key of the exported installation (its master.key, or its CHRONICLE_MASTER_KEY_FILE); nothing was written", file, err)
		}
		if errors.Is(err, dp.ErrKeyExists) {
			return fmt.Errorf("import-log: the key store holds subject keys already (%w): import into a new installation; nothing was written", err)
		}
		return fmt.Errorf("import-log: %s: %w; nothing was written", file, err)
	}
	var erased int
	for _, k := range keys {
		if k.Erased() {
			erased++
		}
	}
	fmt.Fprintf(stdout, "subject keys: imported %d keys and %d erased subjects from %s\n", len(keys)-erased, erased, file)
	return nil
}

// errFound ends a read of a log file early.
var errFound = errors.New("found")

// logHoldsCiphertext reports whether a log file holds an encrypted personal value.
func logHoldsCiphertext(file string) (bool, error) {
	f, err := os.Open(file)
	if err != nil {
		return false, fmt.Errorf("import-log: %w", err)
	}
	defer f.Close()
	_, err = logfile.Read(f, func(e eventstore.Event, _ *auditchain.Hash) error {
		if privacy.HoldsCiphertext(e.Data) {
			return errFound
		}
		return nil
	})
	if errors.Is(err, errFound) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("import-log: %s: %w", file, err)
	}
	return false, nil
}

// buildReadModels builds fresh read models from a's log up to head, as a server does on its
// first start (import-log, migrate).
func buildReadModels(ctx context.Context, a *app.App, head uint64, stdout io.Writer) error {
	start := time.Now()
	defer runEngine(ctx, a)()
	if err := a.Engine.WaitFor(ctx, head, a.Engine.Names()...); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "built every read model (%d projections) from the log in %s\n", len(a.Engine.Names()), time.Since(start).Round(time.Millisecond))
	return nil
}

// anchorsNote tells which anchor files the imported log records that the anchor directory lacks.
func anchorsNote(stdout io.Writer, anchors []uint64, dir string) {
	missing := 0
	for _, p := range anchors {
		if _, err := os.Stat(filepath.Join(dir, audit.AnchorFileName(p))); err != nil {
			missing++
		}
	}
	if missing > 0 {
		fmt.Fprintf(stdout, "  the log records %d anchors (%s); %d of their files are not in %s: copy the old installation's anchor files there, and use its audit key "+
			"(or check with --public-key), so that chronicle audit verify checks them against the imported log\n",
			len(anchors), auditchain.Anchored{}.EventType(), missing, dir)
	}
}

// storeName says where the configured event store is, without credentials.
func storeName(cfg app.Config) string {
	switch cfg.EventStore {
	case "sqlite":
		return filepath.Join(cfg.DataDir, "events.db")
	case "postgres":
		return "PostgreSQL" + redactURL(cfg.PostgresURL)
	}
	return "EventStoreDB" + redactURL(cfg.ESDBURL)
}

func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return " at " + u.Host + u.Path
}

// verifyLogFile reads a log file through and verifies it (logfile.Check), printing what it holds
// or every problem found.
func verifyLogFile(file string, stdout io.Writer) (logfile.Summary, error) {
	start := time.Now()
	f, err := os.Open(file)
	if err != nil {
		return logfile.Summary{}, fmt.Errorf("import-log: %w", err)
	}
	defer f.Close()
	s, err := logfile.Check(f)
	var ce *logfile.CheckError
	if errors.As(err, &ce) {
		fmt.Fprintf(stdout, "import-log: %s does not verify: %d problems\n", file, len(ce.Problems)+ce.More)
		for _, p := range ce.Problems {
			fmt.Fprintf(stdout, "  %s\n", p)
		}
		if ce.More > 0 {
			fmt.Fprintf(stdout, "  … and %d more\n", ce.More)
		}
		d := ce.Problems[0]
		return s, fmt.Errorf("import-log: %s does not verify, first at position %d: %s", file, d.Position, d.Kind)
	}
	if err != nil {
		return s, fmt.Errorf("import-log: %s: %w", file, err)
	}
	fmt.Fprintf(stdout, "verified %s: %d events (positions %d to %d) of a %s event log exported %s, %d of them sealed; chain head %s, in %s\n",
		file, s.Events, s.First, s.Last, s.Header.Engine, s.Header.CreatedAt.Format(time.RFC3339), s.Sealed, s.Chain.Hash, time.Since(start).Round(time.Millisecond))
	return s, nil
}

// checkLogFile is import-log --check: the file verified, and the anchors of a directory checked
// against its chain (the evidence of a log whose import hashes anew), with no store opened.
func checkLogFile(file, anchorDir, pubFile string, cfg app.Config, stdout io.Writer) error {
	if _, err := verifyLogFile(file, stdout); err != nil {
		return err
	}
	if anchorDir == "" {
		return nil
	}
	pub, err := publicKey(pubFile, cfg, "the anchors")
	if err != nil {
		return err
	}
	anchors, bad, err := audit.ReadAnchors(anchorDir)
	if err != nil {
		return err
	}
	rep, err := logfile.VerifyAnchors(func() (io.ReadCloser, error) { return os.Open(file) }, anchors, pub)
	if err != nil {
		return fmt.Errorf("import-log: %s: %w", file, err)
	}
	for _, b := range bad {
		rep.Divergences = append(rep.Divergences, auditchain.Divergence{Kind: auditchain.BadSignature, Position: b.Position,
			Detail: fmt.Sprintf("anchor file %s is not an anchor: %v", b.File, b.Err)})
	}
	if rep.OK() {
		fmt.Fprintf(stdout, "anchors: OK: %d anchors of %s agree with the file's chain (the last at position %d)\n", rep.Anchors, anchorDir, lastAnchor(anchors))
		return nil
	}
	fmt.Fprintf(stdout, "anchors: FAILED: %d differences between the file and the anchors of %s\n", len(rep.Divergences)+rep.More, anchorDir)
	for _, d := range rep.Divergences {
		fmt.Fprintf(stdout, "  %s\n", d)
	}
	d := rep.Divergences[0]
	return fmt.Errorf("import-log: %s differs from the anchors, first at position %d: %s", file, d.Position, d.Kind)
}

func lastAnchor(anchors []auditchain.Anchor) uint64 {
	var p uint64
	for _, a := range anchors {
		p = max(p, a.Position)
	}
	return p
}
