package privacy_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/adapters/eventstore/postgres"
	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/adapters/pgtest"
	"github.com/chronicle-crm/chronicle/adapters/privacy"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/eventstore/eventstoretest"
	dp "github.com/chronicle-crm/chronicle/domain/privacy"
)

// fixture is a decorated store over a raw one, and a way to read the raw events' bytes.
type fixture struct {
	raw   eventstore.Store
	store *privacy.Store
	keys  dp.KeyStore
	bytes func(t *testing.T) []byte // every stored event's data, as stored
}

func master(t testing.TB, b byte) *privacy.Master {
	m, err := privacy.NewMaster(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sqliteFixture(t *testing.T) fixture { return sqliteFixtureB(t) }

func sqliteFixtureB(t testing.TB) fixture {
	ctx := context.Background()
	dir := t.TempDir()
	raw, err := esqlite.Open(ctx, filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := privacy.OpenSQLite(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close(); keys.Close() })
	return fixture{raw: raw, keys: keys, store: privacy.New(raw, keys, master(t, 1), privacy.Options{}), bytes: func(t *testing.T) []byte {
		// The file itself: nothing of a personal value may be anywhere in it.
		db, err := sql.Open("sqlite", esqlite.DSN(filepath.Join(dir, "events.db")))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			t.Fatal(err)
		}
		var all []byte
		for _, f := range []string{"events.db", "events.db-wal"} {
			b, _ := readFile(filepath.Join(dir, f))
			all = append(all, b...)
		}
		return all
	}}
}

func postgresFixture(t *testing.T) fixture {
	ctx := context.Background()
	url := pgtest.URL(t)
	raw, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := privacy.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close(); keys.Close() })
	return fixture{raw: raw, keys: keys, store: privacy.New(raw, keys, master(t, 1), privacy.Options{}), bytes: func(t *testing.T) []byte {
		var all []byte
		rows, err := raw.Pool().Query(ctx, `SELECT data::text FROM events`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			all = append(all, s...)
		}
		return all
	}}
}

func engines(t *testing.T, run func(t *testing.T, f func(t *testing.T) fixture)) {
	t.Run("sqlite", func(t *testing.T) { run(t, sqliteFixture) })
	t.Run("postgres", func(t *testing.T) {
		pgtest.BaseURL(t)
		run(t, postgresFixture)
	})
}

const (
	phone = "13912345678"
	name  = "王小明"
)

func leadCreated(id uuid.UUID, fields map[string]any) eventstore.EventData {
	data, _ := json.Marshal(map[string]any{"leadId": id.String(), "fields": fields, "by": uuid.NewString(), "at": time.Now().UTC()})
	return eventstore.EventData{ID: uuid.New(), Type: "lead.created.v1", OccurredAt: time.Now().UTC(), Data: data}
}

func fieldsOf(t *testing.T, e eventstore.Event, member string) map[string]any {
	t.Helper()
	var d map[string]any
	if err := json.Unmarshal(e.Data, &d); err != nil {
		t.Fatal(err)
	}
	f, _ := d[member].(map[string]any)
	return f
}

// TestCiphertextAtRest: the raw store holds no personal value; the decorator reads them back;
// after the key's destruction they read as erased everywhere, a new value is refused, the marker
// and events without personal values still go in.
func TestCiphertextAtRest(t *testing.T) {
	engines(t, func(t *testing.T, newFixture func(t *testing.T) fixture) {
		ctx := context.Background()
		f := newFixture(t)
		id := uuid.New()
		stream := "lead-" + id.String()
		if _, err := f.store.Append(ctx, stream, eventstore.NoStream, []eventstore.EventData{
			leadCreated(id, map[string]any{"name": name, "mobile": phone, "email": "wxm@example.com", "company": "星河科技"})}); err != nil {
			t.Fatal(err)
		}
		all := f.bytes(t)
		for _, secret := range []string{name, phone, "wxm@example.com", `\u738b`} {
			if bytes.Contains(all, []byte(secret)) {
				t.Errorf("the raw store holds %q", secret)
			}
		}
		if !bytes.Contains(all, []byte("星河科技")) && !bytes.Contains(all, []byte(`\u661f`)) {
			t.Errorf("the company (not personal) is not in the raw store in clear")
		}
		raw, err := f.raw.Load(ctx, stream, eventstore.LoadOptions{})
		if err != nil || len(raw) != 1 || !strings.HasPrefix(fieldsOf(t, raw[0], "fields")["mobile"].(string), privacy.Prefix) {
			t.Fatalf("raw: %v %s", err, raw[0].Data)
		}
		got, err := f.store.Load(ctx, stream, eventstore.LoadOptions{})
		if err != nil || fieldsOf(t, got[0], "fields")["mobile"] != phone || fieldsOf(t, got[0], "fields")["name"] != name {
			t.Fatalf("decorated: %v %s", err, got[0].Data)
		}
		page, err := f.store.ReadAll(ctx, 0, 10)
		if err != nil || fieldsOf(t, page[len(page)-1], "fields")["email"] != "wxm@example.com" {
			t.Fatalf("read all: %v", err)
		}

		// Erase: destroy the key and forget it.
		if err := f.keys.Destroy(ctx, dp.KindLead, id, time.Now()); err != nil {
			t.Fatal(err)
		}
		f.store.Forget(id)
		got, _ = f.store.Load(ctx, stream, eventstore.LoadOptions{})
		if fl := fieldsOf(t, got[0], "fields"); fl["mobile"] != dp.Erased || fl["name"] != dp.Erased || fl["company"] != "星河科技" {
			t.Fatalf("after erasure: %s", got[0].Data)
		}
		// A fresh process (no cache) reads it erased too.
		fresh := privacy.New(f.raw, f.keys, master(t, 1), privacy.Options{})
		if got, _ := fresh.ReadPositions(ctx, []uint64{got[0].Position}); fieldsOf(t, got[0], "fields")["email"] != dp.Erased {
			t.Fatalf("fresh process: %s", got[0].Data)
		}
		patch := func(p map[string]any) eventstore.EventData {
			data, _ := json.Marshal(map[string]any{"leadId": id.String(), "patch": p, "by": uuid.NewString(), "at": time.Now().UTC()})
			return eventstore.EventData{ID: uuid.New(), Type: "lead.updated.v1", OccurredAt: time.Now().UTC(), Data: data}
		}
		if _, err := f.store.Append(ctx, stream, 1, []eventstore.EventData{patch(map[string]any{"mobile": "13800000000"})}); !errors.Is(err, dp.ErrSubjectErased) {
			t.Fatalf("a new personal value for an erased subject: %v", err)
		}
		if _, err := f.store.Append(ctx, stream, 1, []eventstore.EventData{patch(map[string]any{"name": dp.Erased, "status": "invalid"})}); err != nil {
			t.Fatalf("the marker and a status: %v", err)
		}
		out, err := f.store.AppendEach(ctx, []eventstore.StreamAppend{{Stream: stream, ExpectedVersion: 2, Events: []eventstore.EventData{patch(map[string]any{"email": "x@example.com"})}},
			{Stream: stream, ExpectedVersion: 2, Events: []eventstore.EventData{patch(map[string]any{"remark": "ok"})}}})
		if err != nil || !errors.Is(out[0].Err, dp.ErrSubjectErased) || out[1].Err != nil {
			t.Fatalf("append each: %v %+v", err, out)
		}
	})
}

// TestMovedCiphertext: a value copied into another subject's event, or another field, does not
// decrypt.
func TestMovedCiphertext(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t)
	a, b := uuid.New(), uuid.New()
	for _, id := range []uuid.UUID{a, b} {
		if _, err := f.store.Append(ctx, "lead-"+id.String(), eventstore.NoStream, []eventstore.EventData{
			leadCreated(id, map[string]any{"name": name + id.String()[:4], "mobile": phone})}); err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := f.raw.Load(ctx, "lead-"+a.String(), eventstore.LoadOptions{})
	stolen := fieldsOf(t, raw[0], "fields")["mobile"].(string)
	// Into b's stream, as b's value, and into a's own name field.
	for i, e := range []eventstore.EventData{leadCreated(b, map[string]any{"name": "x", "mobile": stolen}),
		leadCreated(a, map[string]any{"name": stolen})} {
		id := []uuid.UUID{b, a}[i]
		e.Type = "lead.created.v1"
		if _, err := f.raw.Append(ctx, "lead-"+id.String(), 1, []eventstore.EventData{e}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.Load(ctx, "lead-"+id.String(), eventstore.LoadOptions{}); !errors.Is(err, privacy.ErrUnreadable) {
			t.Fatalf("moved ciphertext %d read: %v", i, err)
		}
	}
}

// TestConcurrentFirstAppends: many first appends for one subject (in two "processes") end with
// one key, and every value decrypts with it.
func TestConcurrentFirstAppends(t *testing.T) {
	engines(t, func(t *testing.T, newFixture func(t *testing.T) fixture) {
		ctx := context.Background()
		f := newFixture(t)
		other := privacy.New(f.raw, f.keys, master(t, 1), privacy.Options{})
		id := uuid.New()
		var wg sync.WaitGroup
		errs := make([]error, 16)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := []*privacy.Store{f.store, other}[i%2]
				// Each on a stream of its own, all naming the same contact.
				data, _ := json.Marshal(map[string]any{"contactId": id.String(), "customerId": uuid.NewString(),
					"fields": map[string]any{"name": name, "mobile": phone}, "by": uuid.NewString(), "at": time.Now()})
				_, errs[i] = s.Append(ctx, "test-"+uuid.NewString(), eventstore.NoStream, []eventstore.EventData{{ID: uuid.New(),
					Type: "contact.created.v1", OccurredAt: time.Now(), Data: data}})
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		fresh := privacy.New(f.raw, f.keys, master(t, 1), privacy.Options{})
		events, err := fresh.ReadAll(ctx, 0, 100)
		if err != nil || len(events) != 16 {
			t.Fatalf("%d events: %v", len(events), err)
		}
		for _, e := range events {
			if fieldsOf(t, e, "fields")["mobile"] != phone {
				t.Fatalf("%s", e.Data)
			}
		}
		recs, _ := f.keys.Get(ctx, []uuid.UUID{id})
		if len(recs) != 1 {
			t.Fatalf("keys %v", recs)
		}
	})
}

// TestSubscribeDecrypts: a subscription delivers the values in clear, and erased after an
// erasure event it delivered.
func TestSubscribeDecrypts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	f := sqliteFixture(t)
	id := uuid.New()
	if _, err := f.store.Append(ctx, "lead-"+id.String(), eventstore.NoStream, []eventstore.EventData{leadCreated(id, map[string]any{"name": name})}); err != nil {
		t.Fatal(err)
	}
	sub, err := f.store.Subscribe(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := sub.(eventstore.HeadWatcher); !ok {
		t.Errorf("the subscription of a head watcher is no head watcher")
	}
	e := <-sub.Events()
	if fieldsOf(t, e, "fields")["name"] != name {
		t.Fatalf("%s", e.Data)
	}
}

// TestWrongMasterKey: keys wrapped with another master key are a clear error, and a rotation
// rewraps them so the new key reads everything.
func TestWrongMasterKeyAndRotation(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t)
	id := uuid.New()
	if _, err := f.store.Append(ctx, "lead-"+id.String(), eventstore.NoStream, []eventstore.EventData{leadCreated(id, map[string]any{"name": name})}); err != nil {
		t.Fatal(err)
	}
	old, next := master(t, 1), master(t, 2)
	if err := privacy.CheckMaster(ctx, f.keys, next); !errors.Is(err, privacy.ErrWrongMasterKey) || !strings.Contains(err.Error(), old.ID()) {
		t.Fatalf("check with another master key: %v", err)
	}
	if n, err := privacy.Rotate(ctx, f.keys, old, next); err != nil || n != 1 {
		t.Fatalf("rotate: %d %v", n, err)
	}
	if err := privacy.CheckMaster(ctx, f.keys, old); !errors.Is(err, privacy.ErrWrongMasterKey) {
		t.Fatalf("the old key after rotation: %v", err)
	}
	got, err := privacy.New(f.raw, f.keys, next, privacy.Options{}).Load(ctx, "lead-"+id.String(), eventstore.LoadOptions{})
	if err != nil || fieldsOf(t, got[0], "fields")["name"] != name {
		t.Fatalf("after rotation: %v", err)
	}
}

// TestContract: the decorated store is an event store like any other.
func TestContract(t *testing.T) {
	eventstoretest.Run(t, func(t *testing.T) eventstore.Store { return sqliteFixture(t).store })
}

func readFile(p string) ([]byte, error) { return os.ReadFile(p) }

// TestLegacyClearValues: events written before personal fields were encrypted read as they are,
// and as erased once their subject is erased (no key ever existed: the erasure is recorded).
func TestLegacyClearValues(t *testing.T) {
	ctx := context.Background()
	f := sqliteFixture(t)
	id := uuid.New()
	stream := "lead-" + id.String()
	if _, err := f.raw.Append(ctx, stream, eventstore.NoStream, []eventstore.EventData{leadCreated(id, map[string]any{"name": name, "mobile": phone})}); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.Load(ctx, stream, eventstore.LoadOptions{})
	if err != nil || fieldsOf(t, got[0], "fields")["name"] != name {
		t.Fatalf("legacy: %v %s", err, got[0].Data)
	}
	if err := f.keys.Destroy(ctx, dp.KindLead, id, time.Now()); err != nil {
		t.Fatal(err)
	}
	fresh := privacy.New(f.raw, f.keys, master(t, 1), privacy.Options{})
	got, err = fresh.Load(ctx, stream, eventstore.LoadOptions{})
	if err != nil || fieldsOf(t, got[0], "fields")["name"] != dp.Erased || fieldsOf(t, got[0], "fields")["mobile"] != dp.Erased {
		t.Fatalf("legacy after erasure: %v %s", err, got[0].Data)
	}
}
