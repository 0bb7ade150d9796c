package lead_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/lead"
)

var (
	id    = uuid.MustParse("0190a000-0000-7000-8000-000000000001")
	alice = uuid.MustParse("0190a000-0000-7000-8000-0000000000a1")
	bob   = uuid.MustParse("0190a000-0000-7000-8000-0000000000b2")
	t0    = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
)

func created(owner uuid.UUID) lead.Created {
	e := lead.Created{LeadID: id.String(), Fields: lead.Fields{Name: "王小明", Company: "北京星河科技有限公司"}, By: alice.String(), At: t0}
	if owner != uuid.Nil {
		e.OwnerID = owner.String()
	}
	return e
}

func ptr[T any](v T) *T { return &v }

func TestBehaviours(t *testing.T) {
	t.Parallel()
	t1 := t0.Add(time.Hour)
	cases := []struct {
		name    string
		given   []event.Event
		when    func(*lead.Lead) error
		then    []event.Event
		wantErr error
	}{
		{"claim pool lead", []event.Event{created(uuid.Nil)},
			func(l *lead.Lead) error { return l.Claim(bob, t1) },
			[]event.Event{lead.Claimed{LeadID: id.String(), By: bob.String(), At: t1}}, nil},
		{"claim owned lead", []event.Event{created(alice)},
			func(l *lead.Lead) error { return l.Claim(bob, t1) }, nil, lead.ErrNotInPool},
		{"release needs a reason", []event.Event{created(alice)},
			func(l *lead.Lead) error { return l.Release("  ", alice, t1) }, nil, lead.ErrReasonRequired},
		{"release owned lead", []event.Event{created(alice)},
			func(l *lead.Lead) error { return l.Release("无意向", alice, t1) },
			[]event.Event{lead.Released{LeadID: id.String(), From: alice.String(), Reason: "无意向", By: alice.String(), At: t1}}, nil},
		{"release pool lead", []event.Event{created(uuid.Nil)},
			func(l *lead.Lead) error { return l.Release("x", alice, t1) }, nil, lead.ErrAlreadyInPool},
		{"released lead can be claimed", []event.Event{created(alice), lead.Released{LeadID: id.String(), From: alice.String(), Reason: "x"}},
			func(l *lead.Lead) error { return l.Claim(bob, t1) },
			[]event.Event{lead.Claimed{LeadID: id.String(), By: bob.String(), At: t1}}, nil},
		{"assign from pool", []event.Event{created(uuid.Nil)},
			func(l *lead.Lead) error { return l.Assign(bob, alice, t1) },
			[]event.Event{lead.Assigned{LeadID: id.String(), To: bob.String(), By: alice.String(), At: t1}}, nil},
		{"assign to current owner is a no-op", []event.Event{created(bob)},
			func(l *lead.Lead) error { return l.Assign(bob, alice, t1) }, nil, nil},
		{"assign to nobody", []event.Event{created(bob)},
			func(l *lead.Lead) error { return l.Assign(uuid.Nil, alice, t1) }, nil, lead.ErrNoOwner},
		{"deleted lead refuses commands", []event.Event{created(uuid.Nil), lead.Deleted{LeadID: id.String()}},
			func(l *lead.Lead) error { return l.Claim(bob, t1) }, nil, lead.ErrDeleted},
		{"deleted lead refuses delete", []event.Event{created(uuid.Nil), lead.Deleted{LeadID: id.String()}},
			func(l *lead.Lead) error { return l.Delete(bob, t1) }, nil, lead.ErrDeleted},
		{"update records only what changed", []event.Event{created(alice)},
			func(l *lead.Lead) error {
				return l.Update(lead.Patch{Name: ptr("王小明"), Phone: ptr(" 010-8888 6666 "), Status: ptr(lead.StatusFollowing)}, alice, t1)
			},
			[]event.Event{lead.Updated{LeadID: id.String(), Patch: lead.Patch{Phone: ptr("010-8888 6666"), Status: ptr(lead.StatusFollowing)}, By: alice.String(), At: t1}}, nil},
		{"update with no change records nothing", []event.Event{created(alice)},
			func(l *lead.Lead) error {
				return l.Update(lead.Patch{Company: ptr("北京星河科技有限公司")}, alice, t1)
			}, nil, nil},
		{"update cannot empty the name", []event.Event{created(alice)},
			func(l *lead.Lead) error { return l.Update(lead.Patch{Name: ptr(" ")}, alice, t1) }, nil, &lead.ValidationError{}},
		{"update cannot convert", []event.Event{created(alice)},
			func(l *lead.Lead) error { return l.Update(lead.Patch{Status: ptr(lead.StatusConverted)}, alice, t1) }, nil, &lead.ValidationError{}},
		{"bad email", []event.Event{created(alice)},
			func(l *lead.Lead) error { return l.Update(lead.Patch{Email: ptr("not-an-email")}, alice, t1) }, nil, &lead.ValidationError{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			l, err := lead.Rehydrate(id, c.given)
			if err != nil {
				t.Fatal(err)
			}
			err = c.when(l)
			var ve *lead.ValidationError
			switch {
			case c.wantErr == nil && err != nil:
				t.Fatalf("err = %v", err)
			case errors.As(c.wantErr, &ve):
				if !errors.As(err, &ve) {
					t.Fatalf("err = %v, want a validation error", err)
				}
			case c.wantErr != nil && !errors.Is(err, c.wantErr):
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if got := l.Changes(); !reflect.DeepEqual(got, c.then) && (len(got) > 0 || len(c.then) > 0) {
				t.Fatalf("events = %#v\nwant %#v", got, c.then)
			}
		})
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	if _, err := lead.New(id, lead.Fields{Name: ""}, alice, alice, t0); err == nil {
		t.Fatal("a lead without a name was accepted")
	}
	l, err := lead.New(id, lead.Fields{Name: " 王小明 ", Email: "wang@example.cn"}, uuid.Nil, alice, t0)
	if err != nil {
		t.Fatal(err)
	}
	if !l.InPool() || l.Fields().Name != "王小明" || len(l.Changes()) != 1 {
		t.Fatalf("new pool lead: inPool=%v name=%q changes=%d", l.InPool(), l.Fields().Name, len(l.Changes()))
	}
}

func TestRegistryRoundTrip(t *testing.T) {
	t.Parallel()
	r := event.NewRegistry()
	lead.Register(r)
	e := lead.Updated{LeadID: id.String(), Patch: lead.Patch{Remark: ptr("下周回访")}, By: alice.String(), At: t0}
	data := mustJSON(t, e)
	got, err := r.Decode(e.EventType(), data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, e) {
		t.Fatalf("decoded %#v, want %#v", got, e)
	}
}
