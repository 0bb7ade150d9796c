package announcement

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
)

var (
	boss  = uuid.MustParse("00000000-0000-0000-0000-00000000000b")
	clerk = uuid.MustParse("00000000-0000-0000-0000-00000000000a")
	sales = "0190a000-0000-7000-8000-0000000000d1"
	north = "0190a000-0000-7000-8000-0000000000d2"
	at    = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
)

func publish(t *testing.T, f Fields) *Announcement {
	t.Helper()
	a, err := Publish(uuid.New(), f, boss, at)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func fieldsOf(err error) map[string]string {
	out := map[string]string{}
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var fe *field.Error
		if errors.As(err, &fe) {
			out[fe.Field] = fe.Code
		}
	}
	walk(err)
	return out
}

func TestPublishNormalises(t *testing.T) {
	t.Parallel()
	a := publish(t, Fields{Title: "  春节放假通知 ", Body: "\n\n**放假** 七天\n\n", ExpiresAt: "2027-02-20T18:00:00+08:00",
		Audience: Audience{Departments: []string{strings.ToUpper(sales), north, sales}}})
	f := a.Fields()
	if f.Title != "春节放假通知" || f.Body != "**放假** 七天" || f.ExpiresAt != "2027-02-20T10:00:00Z" {
		t.Fatalf("fields: %+v", f)
	}
	if !reflect.DeepEqual(f.Audience.Departments, []string{sales, north}) && !reflect.DeepEqual(f.Audience.Departments, []string{north, sales}) {
		t.Fatalf("audience: %v", f.Audience)
	}
	if a.Publisher() != boss || !a.PublishedAt().Equal(at) || a.Expired(at) || !a.Expired(f.Expiry()) {
		t.Fatalf("state: %+v", a.Snapshot())
	}
	every := publish(t, Fields{Title: "x", Body: "y", Audience: Audience{Everyone: true, Departments: []string{sales}}})
	if every.Fields().Audience.Departments != nil || !reflect.DeepEqual(every.Fields().Audience.Keys(), []string{EveryoneKey}) {
		t.Fatalf("everyone keeps no departments: %+v", every.Fields().Audience)
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("字", MaxTitle+1)
	cases := []struct {
		f           Fields
		field, code string
	}{
		{Fields{Title: "", Body: "b", Audience: Audience{Everyone: true}}, "title", ""},
		{Fields{Title: long, Body: "b", Audience: Audience{Everyone: true}}, "title", ""},
		{Fields{Title: "t", Body: "  ", Audience: Audience{Everyone: true}}, "body", ""},
		{Fields{Title: "t", Body: strings.Repeat("a", MaxBody+1), Audience: Audience{Everyone: true}}, "body", ""},
		{Fields{Title: "t", Body: "a\x00b", Audience: Audience{Everyone: true}}, "body", ""},
		{Fields{Title: "t", Body: "b"}, "audience", "audience_required"},
		{Fields{Title: "t", Body: "b", Audience: Audience{Departments: []string{"sales"}}}, "audience.departments[0]", ""},
		{Fields{Title: "t", Body: "b", Audience: Audience{Everyone: true}, ExpiresAt: "next week"}, "expiresAt", ""},
		{Fields{Title: "t", Body: "b", Audience: Audience{Everyone: true}, ExpiresAt: at.Format(time.RFC3339)}, "expiresAt", "expiry_before_publication"},
	}
	for _, c := range cases {
		_, err := Publish(uuid.New(), c.f, boss, at)
		got := fieldsOf(err)
		if code, ok := got[c.field]; !ok || code != c.code {
			t.Errorf("%.40q: want %s %q, got %v", c.f.Title+"|"+c.f.Body, c.field, c.code, err)
		}
	}
	// a body of many lines and of MaxBody characters is fine
	if _, err := Publish(uuid.New(), Fields{Title: "t", Body: "# 标题\r\n\n- 一\n\t- 二\n" + strings.Repeat("b", MaxBody-20), Audience: Audience{Everyone: true}}, boss, at); err != nil {
		t.Fatal(err)
	}
}

func TestEditPinExpireWithdraw(t *testing.T) {
	t.Parallel()
	a := publish(t, Fields{Title: "x", Body: "y", Audience: Audience{Everyone: true}})
	title, body, exp := "新标题", "新正文", "2026-12-31T16:00:00Z"
	if err := a.Edit(Patch{Title: &title, Body: &body, ExpiresAt: &exp}, clerk, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ch := a.Changes()
	if len(ch) != 3 || ch[1].EventType() != "announcement.edited.v1" || ch[2].EventType() != "announcement.expiry_changed.v1" {
		t.Fatalf("changes: %+v", ch)
	}
	if f := a.Fields(); f.Title != title || f.Body != body || f.ExpiresAt != exp {
		t.Fatalf("fields: %+v", f)
	}
	// the same values again record nothing; an expiry before the publication is refused
	if err := a.Edit(Patch{Title: &title, ExpiresAt: &exp}, clerk, at); err != nil || len(a.Changes()) != 3 {
		t.Fatalf("an edit to nothing: %v %d", err, len(a.Changes()))
	}
	early := "2026-11-30T00:00:00Z"
	if got := fieldsOf(a.Edit(Patch{ExpiresAt: &early}, clerk, at)); got["expiresAt"] != "expiry_before_publication" {
		t.Fatalf("early expiry: %v", got)
	}
	none := ""
	if err := a.Edit(Patch{ExpiresAt: &none}, clerk, at); err != nil || a.Fields().ExpiresAt != "" || a.Expired(at.AddDate(10, 0, 0)) {
		t.Fatalf("clearing the expiry: %v", err)
	}
	n := len(a.Changes())
	if err := a.SetPinned(false, clerk, at); err != nil || len(a.Changes()) != n {
		t.Fatal("unpinning an unpinned announcement recorded something")
	}
	if err := a.SetPinned(true, clerk, at); err != nil || !a.Fields().Pinned {
		t.Fatal(err)
	}
	if err := a.Withdraw(clerk, at); err != nil || !a.Withdrawn() {
		t.Fatal(err)
	}
	for _, err := range []error{a.Withdraw(clerk, at), a.SetPinned(false, clerk, at), a.Edit(Patch{Title: &title}, clerk, at)} {
		if !errors.Is(err, ErrWithdrawn) {
			t.Fatalf("a withdrawn announcement changed: %v", err)
		}
	}
}

func TestRehydrateEqualsLive(t *testing.T) {
	t.Parallel()
	a := publish(t, Fields{Title: "x", Body: "y", Audience: Audience{Departments: []string{sales}}, Pinned: true})
	title, exp := "y", "2027-01-01T00:00:00Z"
	_ = a.Edit(Patch{Title: &title, ExpiresAt: &exp}, clerk, at)
	_ = a.SetPinned(false, clerk, at)
	back, err := Rehydrate(a.ID(), a.Changes())
	if err != nil {
		t.Fatal(err)
	}
	b, l := back.Snapshot(), a.Snapshot()
	if b["version"] != int64(4) {
		t.Fatalf("version %v after four events", b["version"])
	}
	delete(b, "version")
	delete(l, "version")
	if !reflect.DeepEqual(b, l) {
		t.Fatalf("rehydrated:\n%v\nlive:\n%v", b, l)
	}
	if _, err := Rehydrate(a.ID(), []event.Event{Pinned{}}); err == nil {
		t.Fatal("a history that does not start with its publication")
	}
}

func TestAudience(t *testing.T) {
	t.Parallel()
	path := "/" + north + "/" + sales + "/"
	for _, c := range []struct {
		a    Audience
		path string
		want bool
	}{
		{Audience{Everyone: true}, "", true},
		{Audience{Departments: []string{north}}, path, true}, // a department includes its sub-departments
		{Audience{Departments: []string{sales}}, path, true},
		{Audience{Departments: []string{sales}}, "/" + north + "/", false},
		{Audience{Departments: []string{north}}, "", false},
	} {
		if got := c.a.Includes(c.path); got != c.want {
			t.Errorf("%+v includes %q: %v", c.a, c.path, got)
		}
	}
	if got := ReaderKeys(path); !reflect.DeepEqual(got, []string{EveryoneKey, north, sales}) {
		t.Fatalf("reader keys: %v", got)
	}
}

func TestReceiptRecordsTheFirstReadOnly(t *testing.T) {
	t.Parallel()
	ann := uuid.New()
	id := ReceiptID(ann, clerk)
	if id != ReceiptID(ann, clerk) || id == ReceiptID(ann, boss) || id == ReceiptID(uuid.New(), clerk) {
		t.Fatal("receipt ids are not one per announcement and reader")
	}
	r := NewReceipt(id)
	if err := r.MarkRead(ann, clerk, at); err != nil || !r.Read() || len(r.Changes()) != 1 {
		t.Fatalf("first read: %v", err)
	}
	if err := r.MarkRead(ann, clerk, at.Add(time.Hour)); err != nil || len(r.Changes()) != 1 {
		t.Fatal("a second read recorded something")
	}
	back, _ := RehydrateReceipt(id, r.Changes())
	if err := back.MarkRead(ann, clerk, at); err != nil || !back.Read() || len(back.Changes()) != 0 || back.Version() != 1 {
		t.Fatal("a rehydrated receipt read again")
	}
	if err := NewReceipt(id).MarkRead(uuid.Nil, clerk, at); err == nil {
		t.Fatal("a read of no announcement")
	}
}
