package esdb

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
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

// TestLogFileIntoEventStoreDB: a log exported from SQLite (sealed and anchored) is imported into
// EventStoreDB (the in-process fake node): every event keeps its id, stream, version, time, data
// and metadata, but EventStoreDB gives it another position, so the chain sealed over the
// imported log is a new one with another head: every event verifies against it, and audit verify
// reports the source's anchor the log records as anchor-missing. The file still verifies against
// the source's anchors: the evidence of the log before the import.
func TestLogFileIntoEventStoreDB(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src, err := esqlite.Open(ctx, filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	srcDB := readModels(t, filepath.Join(dir, "readmodels.db"))
	at := time.Date(2026, 11, 30, 8, 0, 0, 123456000, time.UTC)
	for i := range 40 {
		stream := fmt.Sprintf("lead-%d", i%7)
		version := int64(i / 7)
		data, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("线索 %d", i), "n": i})
		if _, err := src.Append(ctx, stream, version, []eventstore.EventData{{ID: uuid.New(), Type: "lead.updated.v1", OccurredAt: at.Add(time.Duration(i) * time.Second),
			Data: data, Metadata: eventstore.Metadata{ActorID: "a", ActorName: "张伟", RequestID: fmt.Sprint(i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	quiet := slog.New(slog.DiscardHandler)
	sealer := audit.New(audit.Config{Store: src, DB: srcDB, DataDir: dir, Logger: quiet})
	st, err := sealer.AnchorNow(ctx, "test")
	if err != nil || st.AnchorPosition != 40 {
		t.Fatalf("anchor: %+v %v", st, err)
	}
	var file bytes.Buffer
	if _, err := logfile.Export(ctx, src, srcDB, &file, logfile.ExportOptions{Engine: "sqlite"}); err != nil {
		t.Fatal(err)
	}
	sum, err := logfile.Check(bytes.NewReader(file.Bytes()))
	if err != nil || sum.Events != 41 {
		t.Fatalf("check: %+v %v", sum, err)
	}

	fake := startFake(t)
	dst, err := Open(ctx, fake.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	res, err := logfile.Import(ctx, dst, bytes.NewReader(file.Bytes()), logfile.ImportOptions{Batch: 8})
	if err != nil || res.Events != 41 || res.Moved != 1 {
		t.Fatalf("import into EventStoreDB: %+v %v", res, err)
	}
	want, err := src.ReadAll(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []eventstore.Event
	for after := uint64(0); ; {
		page, err := dst.ReadAll(ctx, after, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1].Position
	}
	if len(got) != len(want) {
		t.Fatalf("%d events in EventStoreDB, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.StreamID != w.StreamID || g.Version != w.Version || g.Type != w.Type || !g.OccurredAt.Equal(w.OccurredAt) ||
			!bytes.Equal(g.Data, w.Data) || g.Metadata != w.Metadata {
			t.Fatalf("event %d:\n got  %+v\n want %+v", i, g, w)
		}
	}

	// The new chain: sealed over EventStoreDB's positions, it verifies, and differs from the file's.
	dstDB := readModels(t, filepath.Join(t.TempDir(), "readmodels.db"))
	if _, ok, err := audit.New(audit.Config{Store: dst, DB: dstDB, DataDir: t.TempDir(), Logger: quiet}).Seal(ctx, "test"); err != nil || !ok {
		t.Fatalf("seal: %v %v", ok, err)
	}
	// Every event agrees with the new chain; the one difference is the source's anchor, which the
	// log records and whose file (of the old chain) the new installation does not have.
	rep, err := audit.Verify(ctx, dst, dstDB, audit.VerifyOptions{})
	if err != nil || rep.Events != 41 || rep.Sealed != 41 || rep.ChainHead == sum.Chain.Hash ||
		len(rep.Divergences) != 1 || rep.Divergences[0].Kind != auditchain.AnchorMissing || rep.Divergences[0].Position != 40 {
		t.Fatalf("verify of the imported log: %+v %v (file's chain head %s)", rep, err, sum.Chain.Hash)
	}
	// The file against the source's anchors.
	key, err := sealer.Key()
	if err != nil {
		t.Fatal(err)
	}
	anchors, _, err := audit.ReadAnchors(sealer.AnchorDir)
	if err != nil {
		t.Fatal(err)
	}
	frep, err := logfile.VerifyAnchors(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(file.Bytes())), nil }, anchors,
		key.Public().(ed25519.PublicKey))
	if err != nil || !frep.OK() || frep.Anchors != 1 {
		t.Fatalf("the file against the source's anchors: %+v %v", frep, err)
	}
}

func readModels(t *testing.T, path string) *readmodels.DB {
	t.Helper()
	db, err := rsqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := audit.Prepare(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	return db
}
