package usercmd_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	esqlite "github.com/chronicle-crm/chronicle/adapters/eventstore/sqlite"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/commands/usercmd"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/eventstore/eventstoretest"
	"github.com/chronicle-crm/chronicle/domain/user"
)

func TestPasswordHashing(t *testing.T) {
	t.Parallel()
	h, err := usercmd.HashPassword("正确的密码-correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := usercmd.VerifyPassword("正确的密码-correct horse", h); !ok || err != nil {
		t.Fatalf("the right password does not verify: %v", err)
	}
	if ok, _ := usercmd.VerifyPassword("wrong password", h); ok {
		t.Fatal("a wrong password verifies")
	}
	h2, _ := usercmd.HashPassword("正确的密码-correct horse")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if _, err := usercmd.VerifyPassword("x", "$2a$10$notargon"); err == nil {
		t.Fatal("a non-argon2id hash was accepted")
	}
	if err := usercmd.CheckPassword("short"); err == nil {
		t.Fatal("a 5-character password passed the policy")
	}
}

func TestUsernamesAreUniqueUnderRace(t *testing.T) {
	t.Parallel()
	_, _, users := newUsers(t, func() time.Time { return time.Now() })
	admin := commands.Meta{Actor: access.System}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Case differs: usernames are unique case-insensitively.
			name := "Zhang.Wei"
			if i%2 == 1 {
				name = "zhang.wei"
			}
			_, errs[i] = users.Create(context.Background(), admin, usercmd.CreateUser{Username: name, Password: "Long-enough-2026", Roles: []string{"sales"}})
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, usercmd.ErrUsernameTaken):
			t.Errorf("err = %v, want ErrUsernameTaken", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d accounts created for one username", wins)
	}
	sales := commands.Meta{Actor: access.Actor{Roles: []string{"sales"}, Permissions: map[string]bool{"leads.read": true}}}
	if _, err := users.Create(context.Background(), sales, usercmd.CreateUser{Username: "x.y", Password: "Long-enough-2026", Roles: []string{"sales"}}); !errors.Is(err, commands.ErrForbidden) {
		t.Fatalf("a sales user created an account: %v", err)
	}
}

// A username reserved by an earlier version (username.reserved.v1 {username, userId}) still holds
// the name.
func TestLegacyUsernameReservationHolds(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, reg, users := newUsers(t, func() time.Time { return time.Now().Add(time.Hour) }) // past any grace period
	admin := commands.Meta{Actor: access.System}
	first, err := users.Create(ctx, admin, usercmd.CreateUser{Username: "li.na", Password: "Long-enough-2026", Roles: []string{"sales"}})
	if err != nil {
		t.Fatal(err)
	}
	// Write the reservation of another name the old way, held by that existing account.
	legacy := eventstoretest.Event("username.reserved.v1", map[string]string{"username": " Old.Name ", "userId": first.ID.String()})
	stream := "username-" + uuid.NewSHA1(uuid.MustParse("6f1c3b1e-2d0a-4c55-9a51-7d1f0b3c9e42"), []byte("old.name")).String()
	if _, err := store.Append(ctx, stream, 0, []eventstore.EventData{legacy}); err != nil {
		t.Fatal(err)
	}
	d, err := reg.Decode(legacy.Type, legacy.Data)
	if r, ok := d.(commands.Reserved); err != nil || !ok || r.Key != "old.name" || r.RecordID != first.ID.String() || r.EventType() != "username.reserved.v2" {
		t.Fatalf("upcast v1 reservation = %#v, %v", d, err)
	}
	if _, err := users.Create(ctx, admin, usercmd.CreateUser{Username: "OLD.name", Password: "Long-enough-2026", Roles: []string{"sales"}}); !errors.Is(err, usercmd.ErrUsernameTaken) {
		t.Fatalf("a name reserved by v1 was given again: %v", err)
	}
}

// newUserStore is a fresh SQLite event store with the registry of the user commands' events.
func newUserStore(t *testing.T) (eventstore.Store, *event.Registry) {
	t.Helper()
	store, err := esqlite.Open(context.Background(), filepath.Join(t.TempDir(), "e.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reg := event.NewRegistry()
	user.Register(reg)
	commands.RegisterEvents(reg)
	return store, reg
}

// newUsers is the user commands on a fresh SQLite event store.
func newUsers(t *testing.T, clock commands.Clock) (eventstore.Store, *event.Registry, *usercmd.Users) {
	t.Helper()
	store, reg := newUserStore(t)
	users := usercmd.NewUsers(store, reg, clock, fakeOrg{}, fakeSessions{})
	users.SetHashGate(patientGate()) // parallel tests and busy machines: no 503 for a slow turn
	return store, reg, users
}

// patientGate bounds hashing like the default gate but waits a minute for a turn.
func patientGate() *usercmd.HashGate { return usercmd.NewHashGate(0, time.Minute) }

// A user changes their own preferences without any permission; bad values change nothing; the
// administrators' edit version does not move.
func TestChangePreferences(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store, reg, users := newUsers(t, func() time.Time { return time.Now() })
	res, err := users.Create(ctx, commands.Meta{Actor: access.System}, usercmd.CreateUser{Username: "wang.fang", Password: "Long-enough-2026", Roles: []string{"sales"}})
	if err != nil {
		t.Fatal(err)
	}
	// No permission at all, as any signed-in user; an If-Match the client sent is not checked.
	stale := int64(99)
	me := commands.Meta{Actor: access.Actor{ID: res.ID, Name: "王芳", Roles: []string{"sales"}, Permissions: map[string]bool{}}, IfMatch: &stale}
	en, zone := "en", "America/New_York"
	if _, err := users.ChangePreferences(ctx, me, usercmd.Preferences{Language: &en, TimeZone: &zone}); err != nil {
		t.Fatal(err)
	}
	bad, good := "Atlantis/Capital", "zh-CN"
	if _, err := users.ChangePreferences(ctx, me, usercmd.Preferences{Language: &good, TimeZone: &bad}); err == nil {
		t.Fatal("an unknown time zone was accepted")
	}
	repo := commands.NewRepository(store, reg, func() time.Time { return time.Now() }, user.Stream, user.Rehydrate)
	l, err := repo.Load(ctx, res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p := l.Root.Preferences(); p.Language != "en" || p.TimeZone != "America/New_York" {
		t.Fatalf("preferences %+v: the refused change touched them", p)
	}
	if l.Root.Version() != 2 || l.Root.EditVersion() != 1 {
		t.Fatalf("version %d, edit version %d", l.Root.Version(), l.Root.EditVersion())
	}
	events, _ := store.Load(ctx, user.Stream(res.ID), eventstore.LoadOptions{})
	last := events[len(events)-1]
	if last.Type != "user.preferences_changed.v1" || last.Metadata.Command != commands.UserChangePreferences || last.Metadata.ActorID != res.ID.String() {
		t.Fatalf("last event %s by %s (%s)", last.Type, last.Metadata.ActorID, last.Metadata.Command)
	}
}
