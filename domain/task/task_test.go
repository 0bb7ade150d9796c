package task

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
)

var (
	boss   = uuid.MustParse("00000000-0000-0000-0000-00000000000b")
	worker = uuid.MustParse("00000000-0000-0000-0000-00000000000a")
	other  = uuid.MustParse("00000000-0000-0000-0000-00000000000c")
	at     = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
)

func newTask(t *testing.T, f Fields) *Task {
	t.Helper()
	tk, err := New(uuid.New(), f, worker, "", boss, at)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func codeOf(err error) (string, string) {
	var fe *field.Error
	if errors.As(err, &fe) {
		return fe.Field, fe.Code
	}
	return "", ""
}

func TestNewNormalisesAndDefaults(t *testing.T) {
	tk := newTask(t, Fields{Title: "  回访星河科技 ", DueAt: "2026-12-02T18:00:00+08:00", Participants: []string{other.String(), other.String()}})
	f := tk.Fields()
	if f.Title != "回访星河科技" || f.Priority != Normal || f.DueAt != "2026-12-02T10:00:00Z" {
		t.Fatalf("fields: %+v", f)
	}
	if !reflect.DeepEqual(f.Reminders, DefaultReminders) || !reflect.DeepEqual(f.Participants, []string{other.String()}) {
		t.Fatalf("lists: %+v", f)
	}
	if tk.Status() != NotStarted || tk.Creator() != boss || tk.Assignee() != worker || tk.Source() != SourceDirect {
		t.Fatalf("state: %+v", tk.Snapshot())
	}
	none := newTask(t, Fields{Title: "x", Reminders: []int{}})
	if len(none.Fields().Reminders) != 0 {
		t.Fatalf("an empty reminder list is none: %v", none.Fields().Reminders)
	}
}

func TestValidation(t *testing.T) {
	cases := []struct {
		f           Fields
		field, code string
	}{
		{Fields{Title: ""}, "title", ""},
		{Fields{Title: "x", StartAt: "2026-12-02T10:00:00Z", DueAt: "2026-12-02T09:59:59Z"}, "dueAt", "due_before_start"},
		{Fields{Title: "x", DueAt: "tomorrow"}, "dueAt", ""},
		{Fields{Title: "x", Priority: "asap"}, "priority", ""},
		{Fields{Title: "x", RelatedKind: "customer"}, "relatedId", ""},
		{Fields{Title: "x", RelatedKind: "planet", RelatedID: uuid.NewString()}, "relatedKind", ""},
		{Fields{Title: "x", Participants: []string{"bob"}}, "participants[0]", ""},
		{Fields{Title: "x", Reminders: []int{0}}, "reminders[0]", ""},
		{Fields{Title: "x", Reminders: []int{MaxReminderOffset + 1}}, "reminders[0]", ""},
	}
	for _, c := range cases {
		_, err := New(uuid.New(), c.f, worker, "", boss, at)
		var fe *field.Error
		if !errors.As(err, &fe) {
			t.Fatalf("%+v: %v", c.f, err)
		}
		found := false
		for _, e := range unwrap(err) {
			if f, code := codeOf(e); f == c.field && code == c.code {
				found = true
			}
		}
		if !found {
			t.Errorf("%+v: want %s %q, got %v", c.f, c.field, c.code, err)
		}
	}
	if _, err := New(uuid.New(), Fields{Title: "x"}, uuid.Nil, "", boss, at); err == nil {
		t.Fatal("a task without an assignee was entered")
	}
}

func unwrap(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func TestOnlyTheCreatorEditsAndDeletes(t *testing.T) {
	tk := newTask(t, Fields{Title: "x"})
	title := "y"
	if err := tk.Update(Patch{Title: &title}, worker, at); !errors.Is(err, ErrNotCreator) {
		t.Fatalf("the assignee edited: %v", err)
	}
	if err := tk.Update(Patch{Title: &title}, boss, at); err != nil || tk.Fields().Title != "y" {
		t.Fatalf("the creator's edit: %v %+v", err, tk.Fields())
	}
	n := len(tk.Changes())
	if err := tk.Update(Patch{Title: &title}, boss, at); err != nil || len(tk.Changes()) != n {
		t.Fatalf("an edit to nothing recorded something: %v", err)
	}
	start, due := "2026-12-03T00:00:00Z", "2026-12-02T00:00:00Z"
	err := tk.Update(Patch{StartAt: &start, DueAt: &due}, boss, at)
	if f, code := codeOf(err); f != "dueAt" || code != "due_before_start" {
		t.Fatalf("due before start: %v", err)
	}
	if err := tk.Delete(worker, at); !errors.Is(err, ErrNotCreator) {
		t.Fatalf("the assignee deleted: %v", err)
	}
	if err := tk.Delete(boss, at); err != nil || !tk.Deleted() {
		t.Fatal(err)
	}
	if err := tk.SetStatus(Done, "", worker, at); !errors.Is(err, ErrDeleted) {
		t.Fatalf("a deleted task moved: %v", err)
	}
}

func TestStatusMoves(t *testing.T) {
	tk := newTask(t, Fields{Title: "x"})
	if err := tk.SetStatus(InProgress, "", boss, at); !errors.Is(err, ErrNotAssignee) {
		t.Fatalf("the creator started the assignee's work: %v", err)
	}
	if err := tk.SetStatus(InProgress, "", worker, at); err != nil {
		t.Fatal(err)
	}
	if err := tk.SetStatus(Done, "  报价已发出 ", worker, at.Add(time.Hour)); err != nil || tk.Note() != "报价已发出" || !tk.CompletedAt().Equal(at.Add(time.Hour)) {
		t.Fatalf("done: %v %q", err, tk.Note())
	}
	if err := tk.SetStatus(Cancelled, "", boss, at); !errors.Is(err, ErrTransition) {
		t.Fatalf("a done task was cancelled: %v", err)
	}
	if err := tk.Assign(other, boss, at); !errors.Is(err, ErrClosed) {
		t.Fatalf("a done task was reassigned: %v", err)
	}
	if err := tk.SetStatus(InProgress, "", worker, at); err != nil || tk.Note() != "" || !tk.CompletedAt().IsZero() {
		t.Fatalf("reopened: %v", err)
	}
	if err := tk.SetStatus(Cancelled, "不再需要", boss, at); err != nil {
		t.Fatalf("the creator calls it off: %v", err)
	}
	if err := tk.SetStatus(NotStarted, "", boss, at); err != nil || tk.Status() != NotStarted {
		t.Fatalf("the creator takes it back: %v", err)
	}
	if err := tk.SetStatus(InProgress, "", other, at); !errors.Is(err, ErrNotAssignee) {
		t.Fatalf("a stranger moved it: %v", err)
	}
	if err := tk.SetStatus("paused", "", worker, at); err == nil {
		t.Fatal("an unknown status was accepted")
	}
}

func TestChecklistAndComments(t *testing.T) {
	tk := newTask(t, Fields{Title: "x"})
	a, b := uuid.New(), uuid.New()
	if err := tk.AddItem(a, "准备报价单", worker, at); err != nil {
		t.Fatal(err)
	}
	if err := tk.AddItem(a, "准备报价单", worker, at); err != nil || len(tk.Checklist()) != 1 {
		t.Fatalf("a retried add: %v %v", err, tk.Checklist())
	}
	if _, code := codeOf(tk.AddItem(a, "别的", worker, at)); code != "duplicate_id" {
		t.Fatal("an id reused for another text was accepted")
	}
	if err := tk.AddItem(b, "发邮件", other, at); !errors.Is(err, ErrNotInvolved) {
		t.Fatalf("a stranger kept the checklist: %v", err)
	}
	if err := tk.AddItem(b, "发邮件", boss, at); err != nil {
		t.Fatal(err)
	}
	if err := tk.CheckItem(a, true, worker, at); err != nil || !tk.Checklist()[0].Done {
		t.Fatal(err)
	}
	if err := tk.CheckItem(uuid.New(), true, worker, at); !errors.Is(err, ErrNoItem) {
		t.Fatal(err)
	}
	if err := tk.RemoveItem(a, boss, at); err != nil || len(tk.Checklist()) != 1 || tk.Checklist()[0].ID != b.String() {
		t.Fatalf("remove: %v %v", err, tk.Checklist())
	}
	for i := 0; i < MaxChecklist-1; i++ {
		if err := tk.AddItem(uuid.New(), "i", worker, at); err != nil {
			t.Fatal(i, err)
		}
	}
	if _, code := codeOf(tk.AddItem(uuid.New(), "one too many", worker, at)); code != "checklist_full" {
		t.Fatal("the checklist grew past its limit")
	}
	if err := tk.Comment(uuid.New(), "  ", other, at); err == nil {
		t.Fatal("a blank comment")
	}
	if err := tk.Comment(uuid.New(), "客户要求周五前回复", other, at); err != nil || tk.Comments() != 1 {
		t.Fatal(err)
	}
}

func TestRehydrateEqualsLive(t *testing.T) {
	tk := newTask(t, Fields{Title: "x", DueAt: "2026-12-02T10:00:00Z"})
	p := High
	_ = tk.Update(Patch{Priority: &p, Participants: &[]string{other.String()}}, boss, at)
	_ = tk.Assign(other, boss, at)
	_ = tk.SetStatus(InProgress, "", other, at)
	_ = tk.AddItem(uuid.New(), "a", other, at)
	_ = tk.Comment(uuid.New(), "c", worker, at)
	var history []event.Event
	history = append(history, tk.Changes()...)
	back, err := Rehydrate(tk.ID(), history)
	if err != nil {
		t.Fatal(err)
	}
	b, l := back.Snapshot(), tk.Snapshot()
	if b["version"] != int64(6) {
		t.Fatalf("version %v after six events", b["version"])
	}
	delete(b, "version")
	delete(l, "version") // the live task has recorded, not stored, its events
	if !reflect.DeepEqual(b, l) {
		t.Fatalf("rehydrated:\n%v\nlive:\n%v", b, l)
	}
	if back.AssignedBy() != boss || back.Assignee() != other || !back.Involves(boss) || back.Involves(worker) {
		t.Fatal("assignment lost")
	}
}

func TestRemindersFireOnceAndOverdueOnce(t *testing.T) {
	tk := newTask(t, Fields{Title: "x", DueAt: "2026-12-02T10:00:00Z"}) // reminders 60 and 1440 minutes before
	due := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	if got := tk.NextAlert(); !got.Equal(due.Add(-24 * time.Hour)) {
		t.Fatalf("next alert %v", got)
	}
	n := len(tk.Changes())
	tk.Alert(due.Add(-25*time.Hour), uuid.Nil)
	if len(tk.Changes()) != n {
		t.Fatal("an alert before anything was due recorded something")
	}
	// the process was down for both reminder times: they fire once, together
	tk.Alert(due.Add(-30*time.Minute), uuid.Nil)
	ch := tk.Changes()
	r, ok := ch[len(ch)-1].(Reminded)
	if len(ch) != n+1 || !ok || !reflect.DeepEqual(r.Offsets, []int{60, 1440}) {
		t.Fatalf("reminded: %+v", ch[n:])
	}
	if got := tk.NextAlert(); !got.Equal(due) {
		t.Fatalf("after the reminders the next alert is the due time, got %v", got)
	}
	tk.Alert(due.Add(-time.Minute), uuid.Nil)
	if len(tk.Changes()) != n+1 {
		t.Fatal("a reminder fired twice")
	}
	tk.Alert(due.Add(time.Second), uuid.Nil)
	tk.Alert(due.Add(time.Hour), uuid.Nil)
	ch = tk.Changes()
	if _, ok := ch[len(ch)-1].(FellOverdue); len(ch) != n+2 || !ok || !tk.NextAlert().IsZero() {
		t.Fatalf("overdue: %+v, next %v", ch[n:], tk.NextAlert())
	}
	// a new due time reminds afresh; a closed task never
	d := "2026-12-05T10:00:00Z"
	if err := tk.Update(Patch{DueAt: &d}, boss, at); err != nil || tk.NextAlert().IsZero() {
		t.Fatalf("a new due time: %v %v", err, tk.NextAlert())
	}
	if err := tk.SetStatus(Done, "", worker, at); err != nil || !tk.NextAlert().IsZero() {
		t.Fatalf("a done task wants alerts: %v", tk.NextAlert())
	}
	// reminders, overdue notices and comments do not move the version people edit at
	for _, e := range []event.Event{Reminded{}, FellOverdue{}, Commented{}} {
		if MovesEditVersion(e) {
			t.Errorf("%T moves the edit version", e)
		}
	}
	if !MovesEditVersion(Updated{}) || !MovesEditVersion(StatusChanged{}) {
		t.Error("edits must move the edit version")
	}
}
