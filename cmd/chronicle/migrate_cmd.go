package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/app"
	"github.com/chronicle-crm/chronicle/adapters/logfile"
	"github.com/chronicle-crm/chronicle/adapters/privacy"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	dp "github.com/chronicle-crm/chronicle/domain/privacy"
)

const migrateUsage = "usage: chronicle migrate encrypt-personal-data --to-data-dir DIR [--to-postgres-url URL] [--batch N] [--page N] [--no-read-models] [flags]"

// migrateCmd runs a migration of the configured installation into a new one.
func migrateCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "encrypt-personal-data" {
		return errors.New(migrateUsage)
	}
	return encryptPersonalDataCmd(ctx, args[1:], stdout, getenv)
}

// migrationMapping is the first line of a migration's mapping file; a line per event follows,
// {"s": source position, "t": target position}.
type migrationMapping struct {
	Format      string    `json:"format"` // chronicle.migration
	Migration   string    `json:"migration"`
	At          time.Time `json:"at"`
	Source      string    `json:"source"`
	Target      string    `json:"target"`
	Events      uint64    `json:"events"`
	SourceChain chainHead `json:"sourceChain"`
	TargetChain chainHead `json:"targetChain"`
}

type chainHead struct {
	Position uint64 `json:"position"`
	Hash     string `json:"hash"`
}

// encryptPersonalDataCmd copies the configured installation's log (its personal values in clear,
// written before they were encrypted) into an empty target through the target's personal-data
// decorator, so they are stored encrypted with new subject keys; seals the target's chain afresh,
// records the mapping of positions and chain heads, verifies the copy and builds the read models.
func encryptPersonalDataCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("migrate encrypt-personal-data", flag.ContinueOnError)
	toDir := fs.String("to-data-dir", "", "the target's data directory (its SQLite stores, master.key, keys.db, anchors, the mapping file)")
	toPG := fs.String("to-postgres-url", "", "with a PostgreSQL source: the target's PostgreSQL database (or schema, search_path), empty")
	batch := fs.Int("batch", logfile.DefaultBatch, "events written per transaction")
	page := fs.Int("page", logfile.DefaultPageSize, "events per read of the logs")
	noReadModels := fs.Bool("no-read-models", false, "leave the target's read models to its server's first start")
	cfg, logger, err := configLevel(fs, args, getenv, "warn")
	if err != nil {
		return err
	}
	if *toDir == "" || fs.NArg() > 0 || *batch < 1 || *page < 1 {
		return errors.New(migrateUsage)
	}
	tcfg, err := migrationTarget(cfg, *toDir, *toPG)
	if err != nil {
		return err
	}
	if err := existingData(cfg); err != nil {
		return err
	}
	src, err := app.Open(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := os.MkdirAll(tcfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := copySecretKey(cfg, tcfg); err != nil {
		return err
	}
	dst, err := app.Open(ctx, tcfg, logger)
	if err != nil {
		return err
	}
	defer dst.Close()
	from, to := storeName(cfg), storeName(tcfg)
	if err := emptyTarget(ctx, dst, to); err != nil {
		return err
	}

	// The source's chain sealed up to its head: the evidence the mapping names.
	if _, _, err := src.Sealer.Seal(ctx, "migrate-"+uuid.NewString()); err != nil {
		return fmt.Errorf("migrate: seal the source's log: %w", err)
	}
	sst, err := src.Sealer.ReadState(ctx)
	if err != nil {
		return err
	}

	// 1. The erased subjects first: their values read as the erased marker in the source and are
	// written so (a subject without a key in the target would get one).
	var erased []dp.KeyRecord
	if err := src.Keys.Each(ctx, func(r dp.KeyRecord) error {
		if r.Erased() {
			erased = append(erased, r)
		}
		return nil
	}); err != nil {
		return err
	}
	if err := dst.Keys.Put(ctx, erased); err != nil {
		return fmt.Errorf("migrate: record the erased subjects in the target: %w", err)
	}

	// 2. The events, read in clear through the source's decorator, written through the target's.
	start := time.Now()
	var mapping [][2]uint64
	w, err := logfile.NewWriter(ctx, dst.Store, logfile.ImportOptions{Batch: *batch, Mapped: func(s, t uint64) { mapping = append(mapping, [2]uint64{s, t}) }})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for after := uint64(0); ; {
		events, err := src.Store.ReadAll(ctx, after, *page)
		if err != nil {
			return fmt.Errorf("migrate: read the source's log after position %d: %w", after, err)
		}
		if len(events) == 0 {
			break
		}
		for _, e := range events {
			if err := w.Add(ctx, e); err != nil {
				return fmt.Errorf("migrate: %w (the target is incomplete: migrate again into a new one)", err)
			}
		}
		after = events[len(events)-1].Position
	}
	res, err := w.Close(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w (the target is incomplete: migrate again into a new one)", err)
	}
	took := time.Since(start)
	fmt.Fprintf(stdout, "copied %d events from %s into %s with their personal values encrypted (%d erased subjects kept erased) in %s (%.0f events/s)\n",
		res.Events, from, to, len(erased), took.Round(time.Millisecond), float64(res.Events)/max(took.Seconds(), 1e-9))

	// 3. The target's chain, sealed afresh; the mapping recorded.
	holder := "migrate-" + uuid.NewString() // the sealer's lease: the same holder seals twice
	if _, ok, err := dst.Sealer.Seal(ctx, holder); err != nil {
		return fmt.Errorf("migrate: seal the target's log: %w", err)
	} else if !ok {
		return errors.New("migrate: a server holds the target's audit sealer lease: stop it and migrate into a new target")
	}
	tst, err := dst.Sealer.ReadState(ctx)
	if err != nil {
		return err
	}
	m := migrationMapping{Format: "chronicle.migration", Migration: "encrypt-personal-data", At: time.Now().UTC(), Source: from, Target: to, Events: res.Events,
		SourceChain: chainHead{sst.Position, sst.Hash.String()}, TargetChain: chainHead{tst.Position, tst.Hash.String()}}
	file, sum, err := writeMapping(tcfg.DataDir, m, mapping)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "mapping: %s (sha256 %s): source chain head %s at position %d -> target chain head %s at position %d\n",
		file, sum, m.SourceChain.Hash, m.SourceChain.Position, m.TargetChain.Hash, m.TargetChain.Position)
	// The migration recorded in the target's log (audit.migrated.v1), after the copied events,
	// and sealed with them.
	rec := auditchain.Migrated{Migration: m.Migration, Source: from, SourcePosition: sst.Position, SourceEvents: sst.Seq, SourceHash: sst.Hash,
		Events: res.Events, MappingFile: filepath.Base(file), MappingSHA256: sum}
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if _, err := dst.Store.Append(ctx, auditchain.MigrationStream, eventstore.NoStream, []eventstore.EventData{{ID: uuid.Must(uuid.NewV7()),
		Type: rec.EventType(), OccurredAt: m.At, Data: data, Metadata: eventstore.Metadata{ActorID: access.System.ID.String(), ActorName: access.System.Name,
			Command: "migrate." + m.Migration, RequestID: "migrate", CorrelationID: uuid.NewString()}}}); err != nil {
		return fmt.Errorf("migrate: record the migration in the target's log: %w", err)
	}
	if _, ok, err := dst.Sealer.Seal(ctx, holder); err != nil {
		return fmt.Errorf("migrate: seal the target's log: %w", err)
	} else if !ok {
		return errors.New("migrate: a server took the target's audit sealer lease: stop it")
	}
	if tst, err = dst.Sealer.ReadState(ctx); err != nil {
		return err
	}
	if tst.Position <= res.Head {
		return fmt.Errorf("migrate: the target's chain ends at position %d, before the migration's record", tst.Position)
	}
	fmt.Fprintf(stdout, "recorded the migration in the target's log (%s at position %d); target chain head %s at position %d\n",
		rec.EventType(), tst.Position, tst.Hash, tst.Position)

	// 4. Verify the copy.
	if err := verifyMigration(ctx, src, dst, mapping, res.Head, *page, stdout); err != nil {
		return err
	}

	// 5. The target's read models.
	if *noReadModels {
		fmt.Fprintln(stdout, "migrate: done; the target's server builds its read models on its first start")
	} else if err := buildReadModels(ctx, dst, res.Head, stdout); err != nil {
		return fmt.Errorf("migrate: build the target's read models: %w", err)
	}
	fmt.Fprintf(stdout, "migrate: done: point the configuration at the target (CHRONICLE_DATA_DIR=%s", tcfg.DataDir)
	if *toPG != "" {
		fmt.Fprint(stdout, ", CHRONICLE_POSTGRES_URL=the target's URL")
	}
	fmt.Fprintln(stdout, ") and keep the source unchanged as the evidence of the log before the migration")
	return nil
}

// migrationTarget is the target's configuration: the source's, in another data directory (and
// PostgreSQL database), its anchors and backups there.
func migrationTarget(cfg app.Config, dir, pgURL string) (app.Config, error) {
	t := cfg
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			return p
		}
		return a
	}
	if abs(dir) == abs(cfg.DataDir) {
		return t, errors.New("migrate: --to-data-dir names the source's data directory: give the target a new one")
	}
	usesPG := cfg.EventStore == "postgres" || cfg.ReadModels == "postgres"
	switch {
	case cfg.EventStore == "eventstoredb":
		return t, errors.New("migrate: an EventStoreDB source: export-log it and import-log it into SQLite or PostgreSQL first")
	case usesPG && pgURL == "":
		return t, errors.New("migrate: the source is in PostgreSQL: name the target's empty database (or schema) with --to-postgres-url")
	case usesPG && pgURL == cfg.PostgresURL:
		return t, errors.New("migrate: --to-postgres-url names the source's database: give the target a new one")
	case !usesPG && pgURL != "":
		return t, errors.New("migrate: --to-postgres-url is for a PostgreSQL source")
	}
	t.DataDir = dir
	if pgURL != "" {
		t.PostgresURL = pgURL
	}
	t.AuditAnchorDir, t.Backup.Dir = "", ""
	t.Defaults()
	return t, nil
}

// copySecretKey gives the target the source's secret.key (it opens the secrets the log holds)
// when the source uses the one of its data directory.
func copySecretKey(src, dst app.Config) error {
	if src.SecretKeyFile != "" {
		return nil
	}
	b, err := os.ReadFile(filepath.Join(src.DataDir, "secret.key"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	to := filepath.Join(dst.DataDir, "secret.key")
	if _, err := os.Stat(to); err == nil {
		return nil
	}
	return os.WriteFile(to, b, 0o600)
}

// emptyTarget fails unless the target holds no event, no audit chain and no subject key.
func emptyTarget(ctx context.Context, a *app.App, where string) error {
	head, err := a.StoredLog().Head(ctx)
	if err != nil {
		return err
	}
	if head != 0 {
		return fmt.Errorf("migrate: the target event store (%s) is not empty: its log ends at position %d; migrate into a new data directory, database or schema; nothing was written", where, head)
	}
	if st, err := a.Sealer.ReadState(ctx); err != nil {
		return err
	} else if st.Position != 0 {
		return fmt.Errorf("migrate: the target's read-model database holds an audit chain (sealed up to position %d); nothing was written", st.Position)
	}
	n := 0
	if err := a.Keys.Each(ctx, func(dp.KeyRecord) error { n++; return nil }); err != nil {
		return err
	}
	if n != 0 {
		return fmt.Errorf("migrate: the target's key store holds %d subject keys; migrate into a new data directory, database or schema; nothing was written", n)
	}
	return nil
}

// writeMapping writes the mapping file (gzip'd JSON lines, 0600) into dir and answers its path and
// SHA-256.
func writeMapping(dir string, m migrationMapping, mapping [][2]uint64) (string, string, error) {
	name := filepath.Join(dir, "migration-"+m.At.Format("20060102T150405Z")+".jsonl.gz")
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return "", "", fmt.Errorf("migrate: the mapping file: %w", err)
	}
	h := sha256.New()
	bw := bufio.NewWriter(io.MultiWriter(f, h))
	zw := gzip.NewWriter(bw)
	head, _ := json.Marshal(m)
	zw.Write(append(head, '\n'))
	for _, p := range mapping {
		fmt.Fprintf(zw, "{\"s\":%d,\"t\":%d}\n", p[0], p[1])
	}
	err = errors.Join(zw.Close(), bw.Flush(), f.Sync(), f.Close())
	if err != nil {
		return "", "", fmt.Errorf("migrate: the mapping file: %w", err)
	}
	return name, hex.EncodeToString(h.Sum(nil)), nil
}

// verifyMigration compares the target's log up to position copied, read in clear, with the
// source's, event by event
// (the data as JSON values), checks that the target's raw log holds no personal value in clear,
// and verifies the target's audit chain.
func verifyMigration(ctx context.Context, src, dst *app.App, mapping [][2]uint64, copied uint64, page int, stdout io.Writer) error {
	start := time.Now()
	reg := dp.Default()
	var problems []string
	fail := func(format string, a ...any) {
		if len(problems) < 20 {
			problems = append(problems, fmt.Sprintf(format, a...))
		}
	}
	var n int
	var sAfter, tAfter uint64
	for {
		sp, err := src.Store.ReadAll(ctx, sAfter, page)
		if err != nil {
			return err
		}
		tp, err := dst.Store.ReadAll(ctx, tAfter, max(len(sp), 1)) // past the source's end: one, to see whether there are more
		if err != nil {
			return err
		}
		for len(tp) > 0 && tp[len(tp)-1].Position > copied { // the migration's record, after the copy
			tp = tp[:len(tp)-1]
		}
		if len(sp) == 0 && len(tp) == 0 {
			break
		}
		positions := make([]uint64, len(tp))
		for i, e := range tp {
			positions[i] = e.Position
		}
		raw, err := dst.StoredLog().ReadPositions(ctx, positions)
		if err != nil {
			return err
		}
		for i := range max(len(sp), len(tp)) {
			if i >= len(sp) || i >= len(tp) {
				fail("the target holds %d events, the source %d (from the %dth on)", n+len(tp), n+len(sp), n+i+1)
				break
			}
			s, t := sp[i], tp[i]
			switch {
			case n+i >= len(mapping) || mapping[n+i] != [2]uint64{s.Position, t.Position}:
				fail("source position %d: the mapping does not give target position %d", s.Position, t.Position)
			case s.ID != t.ID || s.StreamID != t.StreamID || s.Version != t.Version || s.Type != t.Type || !s.OccurredAt.Equal(t.OccurredAt) || s.Metadata != t.Metadata:
				fail("source position %d: the target's event at %d is another (%s %s v%d)", s.Position, t.Position, t.Type, t.StreamID, t.Version)
			case !sameJSON(s.Data, t.Data):
				fail("source position %d: the target's event at %d decrypts to other data", s.Position, t.Position)
			}
			if i < len(raw) {
				if v := privacy.ClearValues(reg, raw[i].Type, raw[i].Data); len(v) > 0 {
					fail("target position %d: %d personal values stored in clear", raw[i].Position, len(v))
				}
			}
		}
		if len(sp) != len(tp) {
			break
		}
		n += len(sp)
		sAfter, tAfter = sp[len(sp)-1].Position, tp[len(tp)-1].Position
	}
	rep, err := dst.VerifyAudit(ctx, 0, nil)
	if err != nil {
		return fmt.Errorf("migrate: verify the target's audit chain: %w", err)
	}
	for _, d := range rep.Divergences {
		fail("audit chain: %s", d)
	}
	if len(problems) > 0 {
		fmt.Fprintf(stdout, "verify: FAILED\n")
		for _, p := range problems {
			fmt.Fprintf(stdout, "  %s\n", p)
		}
		return fmt.Errorf("migrate: the target does not verify: %s", problems[0])
	}
	fmt.Fprintf(stdout, "verify: OK: %d events decrypt to the source's, none holds a personal value in clear, the target's audit chain verifies (%s)\n",
		n, time.Since(start).Round(time.Millisecond))
	return nil
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	return reflect.DeepEqual(x, y)
}
