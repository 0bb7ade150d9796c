package logfile_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/audit"
	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/adapters/logfile"
	rsqlite "github.com/chronicle-crm/chronicle/adapters/readstore/sqlite"
	"github.com/chronicle-crm/chronicle/domain/auditchain"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/readmodels"
)

type installation struct {
	store *esqlite.Store
	db    *readmodels.DB
	seal  *audit.Sealer
}

func open(t *testing.T) installation {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	s, err := esqlite.Open(ctx, filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	db, err := rsqlite.Open(ctx, filepath.Join(dir, "readmodels.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := audit.Prepare(ctx, db); err != nil {
		t.Fatal(err)
	}
	return installation{s, db, audit.New(audit.Config{Store: s, DB: db, DataDir: dir, PageSize: 7, Logger: slog.New(slog.DiscardHandler)})}
}

// TestDataIsCopiedByteForByte: data as stored, whitespace, line breaks, HTML characters, escapes
// and all, and times to the microsecond, come back from an export and an import unchanged, and
// the imported log hashes to the file's chain; events after the sealed head carry no chain value
// and are chained all the same.
func TestDataIsCopiedByteForByte(t *testing.T) {
	ctx := context.Background()
	src := open(t)
	datas := []string{
		`{"a":1}`,
		"{\n  \"name\": \"王小明\",\n  \"n\": 1.50\n}",
		`{"html":"<b>&amp;</b>","esc":"\u00e9\n\"q\"","emoji":"😀"}`,
		`  [1, 2,  3]  `,
		`{"b":2,"a":1}`,
	}
	at := time.Date(2026, 12, 1, 1, 2, 3, 456789000, time.UTC)
	for i, d := range datas {
		if _, err := src.store.Append(ctx, "lead-x", int64(i), []eventstore.EventData{{ID: uuid.New(), Type: "lead.updated.v1",
			OccurredAt: at.Add(time.Duration(i) * time.Microsecond), Data: []byte(d), Metadata: eventstore.Metadata{ActorName: "<张伟>", ClientAddr: "::1"}}}); err != nil {
			t.Fatal(err)
		}
		if i == 2 {
			if _, ok, err := src.seal.Seal(ctx, "t"); err != nil || !ok {
				t.Fatal(ok, err)
			}
		}
	}
	var file bytes.Buffer
	exp, err := logfile.Export(ctx, src.store, src.db, &file, logfile.ExportOptions{Engine: "sqlite", PageSize: 2})
	if err != nil || exp.Events != 5 || exp.Sealed != 3 || exp.Header.Chain.Position != 3 {
		t.Fatalf("export: %+v %v", exp, err)
	}
	sum, err := logfile.Check(bytes.NewReader(file.Bytes()))
	if err != nil || sum.Chain != exp.Chain || sum.Sealed != 3 {
		t.Fatalf("check: %+v %v (export %+v)", sum, err, exp.Chain)
	}
	dst := open(t)
	res, err := logfile.Import(ctx, dst.store, bytes.NewReader(file.Bytes()), logfile.ImportOptions{Batch: 2})
	if err != nil || res.Events != 5 || res.Moved != 0 || res.Head != 5 {
		t.Fatalf("import: %+v %v", res, err)
	}
	got, err := dst.store.ReadAll(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := src.store.ReadAll(ctx, 0, 10)
	for i := range got {
		if string(got[i].Data) != datas[i] || !got[i].OccurredAt.Equal(want[i].OccurredAt) || got[i].Metadata != want[i].Metadata || got[i].ID != want[i].ID {
			t.Fatalf("event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if _, _, err := dst.seal.Seal(ctx, "t"); err != nil {
		t.Fatal(err)
	}
	st, err := dst.seal.ReadState(ctx)
	if err != nil || st.Hash != sum.Chain.Hash || st.Position != 5 {
		t.Fatalf("imported chain %+v %v, file's %+v", st, err, sum.Chain)
	}
	// Into a store that holds events: refused.
	if _, err := logfile.Import(ctx, dst.store, bytes.NewReader(file.Bytes()), logfile.ImportOptions{}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("import into a store with events: %v", err)
	}
	// A log that differs from its chain is not exported.
	var h auditchain.Hash
	if _, err := src.db.SQL.ExecContext(ctx, `UPDATE audit_chain SET hash = ? WHERE position = 2`, h[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := logfile.Export(ctx, src.store, src.db, &bytes.Buffer{}, logfile.ExportOptions{}); err == nil ||
		!strings.Contains(err.Error(), "differs from its audit chain at position 2") {
		t.Fatalf("export of a log that differs from its chain: %v", err)
	}
}
