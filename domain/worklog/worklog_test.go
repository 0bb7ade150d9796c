package worklog_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/worklog"
)

var (
	writer = uuid.MustParse("00000000-0000-0000-0000-00000000000a")
	boss   = uuid.MustParse("00000000-0000-0000-0000-00000000000b")
	other  = uuid.MustParse("00000000-0000-0000-0000-00000000000c")
	// Thursday 3 December 2026, 09:00 in UTC+8
	now = time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC)
)

func fieldCodes(err error) map[string]string {
	out := map[string]string{}
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var fe *field.Error
		if errors.As(e, &fe) {
			out[fe.Field] = fe.Code
		}
	}
	walk(err)
	return out
}

func draft(t *testing.T, k worklog.Kind, period string) *worklog.Log {
	t.Helper()
	l, err := worklog.New(uuid.New(), k, period, worklog.Fields{WorkDone: " 拜访星河科技 "}, writer, now)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestPeriodsAreNormalisedToTheKind(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		kind     worklog.Kind
		in, want string
	}{
		{worklog.Daily, "2026-12-02", "2026-12-02"},
		{worklog.Weekly, "2026-12-03", "2026-11-30"}, // Thursday → its Monday
		{worklog.Weekly, "2026-11-30", "2026-11-30"},
		{worklog.Weekly, "2026-12-06", "2026-11-30"}, // Sunday belongs to the week before it
		{worklog.Weekly, "2026-W49", "2026-11-30"},
		{worklog.Weekly, "2021-W01", "2021-01-04"},
		{worklog.Weekly, "2020-W53", "2020-12-28"},
		{worklog.Monthly, "2026-11-17", "2026-11-01"},
		{worklog.Monthly, "2026-12", "2026-12-01"},
	} {
		l := draft(t, c.kind, c.in)
		if got := l.Period().Format(time.DateOnly); got != c.want {
			t.Errorf("%s %s: period %s, want %s", c.kind, c.in, got, c.want)
		}
		if l.Fields().WorkDone != "拜访星河科技" || l.Status() != worklog.StatusDraft || l.Writer() != writer {
			t.Errorf("drafted: %+v", l.Snapshot())
		}
	}
}

func TestTodayIsTheApplicationsDay(t *testing.T) {
	t.Parallel()
	// 16:30 UTC on 3 December is already 4 December in UTC+8
	late := time.Date(2026, 12, 3, 16, 30, 0, 0, time.UTC)
	if got := worklog.Today(late).Format(time.DateOnly); got != "2026-12-04" {
		t.Fatalf("today at %s: %s", late, got)
	}
	if _, err := worklog.New(uuid.New(), worklog.Daily, "2026-12-04", worklog.Fields{WorkDone: "x"}, writer, late); err != nil {
		t.Fatalf("the day of UTC+8 is not the future: %v", err)
	}
	_, err := worklog.New(uuid.New(), worklog.Daily, "2026-12-04", worklog.Fields{WorkDone: "x"}, writer, now)
	if fieldCodes(err)["period"] != "future_period" {
		t.Fatalf("tomorrow: %v", err)
	}
	// the current week and month are not the future; the next ones are
	if _, err := worklog.New(uuid.New(), worklog.Weekly, "2026-12-06", worklog.Fields{WorkDone: "x"}, writer, now); err != nil {
		t.Fatalf("this week: %v", err)
	}
	_, err = worklog.New(uuid.New(), worklog.Monthly, "2027-01-01", worklog.Fields{WorkDone: "x"}, writer, now)
	if fieldCodes(err)["period"] != "future_period" {
		t.Fatalf("next month: %v", err)
	}
}

func TestValidation(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("字", worklog.MaxText+1)
	links := make([]worklog.Link, worklog.MaxLinks+1)
	for i := range links {
		links[i] = worklog.Link{Kind: "customer", ID: uuid.NewString()}
	}
	for _, c := range []struct {
		kind        worklog.Kind
		period      string
		f           worklog.Fields
		field, code string
	}{
		{worklog.Daily, "2026-12-01", worklog.Fields{WorkDone: "  "}, "workDone", ""},
		{worklog.Daily, "2026-12-01", worklog.Fields{WorkDone: long}, "workDone", ""},
		{worklog.Daily, "2026-12-01", worklog.Fields{WorkDone: "x", Plan: long}, "plan", ""},
		{worklog.Daily, "2026-12-01", worklog.Fields{WorkDone: "x", Problems: long}, "problems", ""},
		{worklog.Daily, "2026-12-01", worklog.Fields{WorkDone: "x", Links: links}, "links", "too_many_links"},
		{worklog.Daily, "2026-12-01", worklog.Fields{WorkDone: "x", Links: []worklog.Link{{Kind: "planet", ID: uuid.NewString()}}}, "links[0].kind", ""},
		{worklog.Daily, "2026-12-01", worklog.Fields{WorkDone: "x", Links: []worklog.Link{{Kind: "lead", ID: "x"}}}, "links[0].id", ""},
		{worklog.Daily, "2026-12-01", worklog.Fields{WorkDone: "x", ExtraRecipients: []string{"bob"}}, "extraRecipients[0]", ""},
		{worklog.Daily, "2026-13-01", worklog.Fields{WorkDone: "x"}, "period", "bad_period"},
		{worklog.Daily, "2026-W49", worklog.Fields{WorkDone: "x"}, "period", "bad_period"},
		{worklog.Weekly, "2026-W54", worklog.Fields{WorkDone: "x"}, "period", "bad_period"},
		{worklog.Weekly, "2025-W53", worklog.Fields{WorkDone: "x"}, "period", "bad_period"}, // 2025 has 52 weeks
		{worklog.Daily, "1999-12-31", worklog.Fields{WorkDone: "x"}, "period", "bad_period"},
		{"yearly", "2026-12-01", worklog.Fields{WorkDone: "x"}, "kind", ""},
	} {
		_, err := worklog.New(uuid.New(), c.kind, c.period, c.f, writer, now)
		codes := fieldCodes(err)
		if code, ok := codes[c.field]; !ok || code != c.code {
			t.Errorf("%s %s %+v: want %s %q, got %v", c.kind, c.period, c.f.Links, c.field, c.code, err)
		}
	}
	// repeated links and recipients are kept once
	l, err := worklog.New(uuid.New(), worklog.Daily, "2026-12-01", worklog.Fields{WorkDone: "x",
		Links:           []worklog.Link{{Kind: "customer", ID: strings.ToUpper(boss.String())}, {Kind: "customer", ID: boss.String()}},
		ExtraRecipients: []string{other.String(), other.String()}}, writer, now)
	if err != nil || len(l.Fields().Links) != 1 || len(l.Fields().ExtraRecipients) != 1 || l.Fields().Links[0].ID != boss.String() {
		t.Fatalf("normalised: %v %+v", err, l.Fields())
	}
}

func TestSubmitCommentAndRead(t *testing.T) {
	t.Parallel()
	l := draft(t, worklog.Daily, "2026-12-03")
	work := "改"
	// a draft: the writer edits; no comments, no receipts
	if err := l.Update(worklog.Patch{WorkDone: &work}, other, now); !errors.Is(err, worklog.ErrNotWriter) {
		t.Fatalf("another edited: %v", err)
	}
	if err := l.Update(worklog.Patch{WorkDone: &work}, writer, now); err != nil || l.Fields().WorkDone != "改" {
		t.Fatalf("edit: %v", err)
	}
	n := len(l.Changes())
	if err := l.Update(worklog.Patch{WorkDone: &work}, writer, now); err != nil || len(l.Changes()) != n {
		t.Fatalf("an edit to nothing recorded something: %v", err)
	}
	if err := l.Comment(uuid.New(), "?", boss, now); !errors.Is(err, worklog.ErrNotSubmitted) {
		t.Fatalf("a comment on a draft: %v", err)
	}
	if err := l.Submit(nil, writer, now); fieldCodes(err)["extraRecipients"] != "no_recipient" {
		t.Fatalf("submitted to no one: %v", err)
	}
	if err := l.Submit([]uuid.UUID{writer}, writer, now); fieldCodes(err)["extraRecipients"] != "no_recipient" {
		t.Fatalf("submitted to the writer alone: %v", err)
	}
	if err := l.Submit([]uuid.UUID{boss}, other, now); !errors.Is(err, worklog.ErrNotWriter) {
		t.Fatalf("another submitted: %v", err)
	}
	if err := l.Submit([]uuid.UUID{boss, writer, boss}, writer, now); err != nil || l.Status() != worklog.StatusSubmitted ||
		len(l.Recipients()) != 1 || !l.IsRecipient(boss) || l.IsRecipient(writer) {
		t.Fatalf("submit: %v %+v", err, l.Snapshot())
	}
	if err := l.Submit([]uuid.UUID{boss}, writer, now); !errors.Is(err, worklog.ErrSubmitted) {
		t.Fatalf("submitted twice: %v", err)
	}
	// after the submission: still edited (not its recipients) until the first comment
	recips := []string{other.String()}
	if err := l.Update(worklog.Patch{ExtraRecipients: &recips}, writer, now); fieldCodes(err)["extraRecipients"] != "recipients_fixed" {
		t.Fatalf("recipients changed after the submission: %v", err)
	}
	plan := "明天继续"
	if err := l.Update(worklog.Patch{Plan: &plan}, writer, now); err != nil {
		t.Fatalf("edit after the submission: %v", err)
	}
	editVersion := int64(len(l.Changes()))
	// receipts: a recipient once; the writer and strangers record nothing
	before := len(l.Changes())
	l.MarkRead(writer, now)
	l.MarkRead(other, now)
	l.MarkRead(boss, now)
	l.MarkRead(boss, now)
	if len(l.Changes()) != before+1 || len(l.ReadBy()) != 1 {
		t.Fatalf("receipts: %d events, read by %v", len(l.Changes())-before, l.ReadBy())
	}
	if err := l.Comment(uuid.New(), "  ", boss, now); fieldCodes(err)["text"] != "" || err == nil {
		t.Fatalf("a blank comment: %v", err)
	}
	if err := l.Comment(uuid.New(), "请补充报价进展", boss, now); err != nil || l.Comments() != 1 {
		t.Fatalf("comment: %v", err)
	}
	if err := l.Update(worklog.Patch{Plan: &work}, writer, now); !errors.Is(err, worklog.ErrCommented) {
		t.Fatalf("edited after a comment: %v", err)
	}
	// rehydrated: the same state; comments and receipts do not move the edit version
	history := l.Changes()
	r, err := worklog.Rehydrate(l.ID(), history)
	if err != nil {
		t.Fatal(err)
	}
	if r.EditVersion() != editVersion || r.Version() != int64(len(history)) || r.Comments() != 1 || len(r.ReadBy()) != 1 {
		t.Fatalf("rehydrated: edit version %d (want %d), %+v", r.EditVersion(), editVersion, r.Snapshot())
	}
	// a read model's copy folds later events to the same state
	c := worklog.Restore(l.ID(), worklog.State{Kind: r.Kind(), Period: r.Period(), Writer: r.Writer(), Fields: r.Fields(), Status: r.Status(),
		Recipients: r.Recipients(), ReadBy: r.ReadBy(), Comments: r.Comments(), SubmittedAt: r.SubmittedAt(), EditVersion: r.EditVersion(),
		CreatedAt: r.CreatedAt(), UpdatedAt: r.UpdatedAt()})
	c.Fold(worklog.Read{LogID: l.ID().String(), ReaderID: boss.String(), At: now})
	if len(c.ReadBy()) != 1 {
		t.Fatalf("a receipt folded twice: %v", c.ReadBy())
	}
	if _, err := worklog.Rehydrate(l.ID(), []event.Event{history[1]}); err == nil {
		t.Fatal("a history that does not start with Drafted was rehydrated")
	}
}

func TestKey(t *testing.T) {
	t.Parallel()
	a, b := draft(t, worklog.Weekly, "2026-12-01"), draft(t, worklog.Weekly, "2026-12-03")
	if a.Key() != b.Key() || a.Key() != writer.String()+"/weekly/2026-11-30" {
		t.Fatalf("keys: %s %s", a.Key(), b.Key())
	}
	if c := draft(t, worklog.Daily, "2026-12-01"); c.Key() == a.Key() {
		t.Fatal("a daily and a weekly log share a key")
	}
}
