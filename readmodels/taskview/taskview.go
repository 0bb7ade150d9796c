// Package taskview is the task read model: a row per live task (its assignee in the owner
// columns, so that a data scope is the same WHERE clause as every owned record's), the users
// involved in each task (creator, assignee, participants: they read it whatever their scope) and
// the comments. The views of the requirement documents — mine, created by me, my subordinates',
// participating, overdue, due today — are conditions on the row, each served by an index.
package taskview

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/domain/task"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// Projection owns the task tables.
const Projection = "tasks"

// Views are the queries of this read model.
type Views struct{ *readmodels.DB }

// New serves the queries from db.
func New(db *readmodels.DB) *Views { return &Views{DB: db} }

// State is what the row keeps of the aggregate beyond its columns.
type State struct {
	Participants []string    `json:"participants"`
	Reminders    []int       `json:"reminders"`
	Checklist    []task.Item `json:"checklist"`
	Reminded     []int       `json:"reminded,omitempty"`
	Overdue      bool        `json:"overdue,omitempty"`
}

// Task is the read view of a task. The owner columns hold the assignee.
type Task struct {
	ID          uuid.UUID  `json:"id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	RelatedKind string     `json:"relatedKind"`
	RelatedID   *uuid.UUID `json:"relatedId"`
	RelatedName string     `json:"relatedName"`
	Priority    string     `json:"priority"`
	Status      string     `json:"status"`
	StartAt     *time.Time `json:"startAt"`
	DueAt       *time.Time `json:"dueAt"`
	readmodels.Ownership
	CreatorID      uuid.UUID  `json:"creatorId"`
	CreatorName    string     `json:"creatorName"`
	AssignedBy     uuid.UUID  `json:"assignedBy"`
	AssignedAt     time.Time  `json:"assignedAt"`
	Source         string     `json:"source"`
	Note           string     `json:"note"`
	CompletedAt    *time.Time `json:"completedAt"`
	ChecklistDone  int64      `json:"checklistDone"`
	ChecklistTotal int64      `json:"checklistTotal"`
	CommentCount   int64      `json:"commentCount"`
	// NextAlertAt is when the task next wants a reminder or its overdue notice (the reminder
	// process reads the rows whose time has come by its index).
	NextAlertAt *time.Time `json:"-"`
	State       State      `json:"-"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	Version     int64      `json:"version"`
	Position    uint64     `json:"-"`
}

// SearchText is what keyword search matches: the title and the related record's name.
func (t *Task) SearchText() string {
	return strings.ToLower(t.Title + readmodels.Separator + t.RelatedName)
}

// PriorityKey orders priorities: "0" urgent … "3" low.
func (t *Task) PriorityKey() string { return strconv.Itoa(task.Rank(task.Priority(t.Priority))) }

// FromAggregate sets every column that follows from the aggregate (not the assignee's placement
// or the creator's name).
func (t *Task) FromAggregate(a *task.Task) {
	f := a.Fields()
	t.Title, t.Description, t.RelatedKind, t.RelatedName = f.Title, f.Description, f.RelatedKind, f.RelatedName
	t.RelatedID = readmodels.OptID(f.RelatedID)
	t.Priority, t.Status, t.Source, t.Note = string(f.Priority), string(a.Status()), a.Source(), a.Note()
	t.StartAt, t.DueAt = optTime(f.Start()), optTime(f.Due())
	t.CompletedAt = optTime(a.CompletedAt())
	t.CreatorID, t.AssignedBy, t.AssignedAt = a.Creator(), a.AssignedBy(), a.AssignedAt()
	t.State = State{Participants: f.Participants, Reminders: f.Reminders, Checklist: a.Checklist(), Reminded: a.Reminded(), Overdue: a.OverdueRecorded()}
	t.NextAlertAt = optTime(a.NextAlert())
	t.CommentCount = int64(a.Comments())
	t.ChecklistDone, t.ChecklistTotal = 0, int64(len(t.State.Checklist))
	for _, i := range t.State.Checklist {
		if i.Done {
			t.ChecklistDone++
		}
	}
}

// Aggregate is the task the row holds (the projection folds later events into it).
func (t *Task) Aggregate() *task.Task {
	f := task.Fields{Title: t.Title, Description: t.Description, RelatedKind: t.RelatedKind, RelatedName: t.RelatedName,
		Priority: task.Priority(t.Priority), Participants: t.State.Participants, Reminders: t.State.Reminders}
	if t.RelatedID != nil {
		f.RelatedID = t.RelatedID.String()
	}
	if t.StartAt != nil {
		f.StartAt = t.StartAt.UTC().Format(time.RFC3339)
	}
	if t.DueAt != nil {
		f.DueAt = t.DueAt.UTC().Format(time.RFC3339)
	}
	s := task.State{Fields: f, AssignedBy: t.AssignedBy, AssignedAt: t.AssignedAt, Creator: t.CreatorID, Source: t.Source,
		Status: task.Status(t.Status), Note: t.Note, Checklist: t.State.Checklist, Comments: int(t.CommentCount),
		Reminded: t.State.Reminded, Overdue: t.State.Overdue, EditVersion: t.Version, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt}
	if t.OwnerID != nil {
		s.Assignee = *t.OwnerID
	}
	if t.CompletedAt != nil {
		s.CompletedAt = *t.CompletedAt
	}
	return task.Restore(t.ID, s)
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

var table = readmodels.Cols(
	[]readmodels.Col[Task]{
		readmodels.IDCol("id", "{id} PRIMARY KEY", func(t *Task) *uuid.UUID { return &t.ID }),
		readmodels.TextCol("title", func(t *Task) *string { return &t.Title }),
		readmodels.TextCol("description", func(t *Task) *string { return &t.Description }),
		readmodels.TextCol("related_kind", func(t *Task) *string { return &t.RelatedKind }),
		readmodels.OptIDCol("related_id", true, func(t *Task) **uuid.UUID { return &t.RelatedID }),
		readmodels.TextCol("related_name", func(t *Task) *string { return &t.RelatedName }),
		readmodels.TextCol("priority", func(t *Task) *string { return &t.Priority }),
		readmodels.TextCol("status", func(t *Task) *string { return &t.Status }),
		readmodels.OptTimeCol("start_at", func(t *Task) **time.Time { return &t.StartAt }),
		readmodels.OptTimeCol("due_at", func(t *Task) **time.Time { return &t.DueAt }),
	},
	readmodels.OwnershipCols(func(t *Task) *readmodels.Ownership { return &t.Ownership }),
	[]readmodels.Col[Task]{
		readmodels.IDCol("creator_id", "{id} NOT NULL", func(t *Task) *uuid.UUID { return &t.CreatorID }),
		readmodels.TextCol("creator_name", func(t *Task) *string { return &t.CreatorName }),
		readmodels.IDCol("assigned_by", "{id} NOT NULL", func(t *Task) *uuid.UUID { return &t.AssignedBy }),
		readmodels.TimeCol("assigned_at", func(t *Task) *time.Time { return &t.AssignedAt }),
		readmodels.TextCol("source", func(t *Task) *string { return &t.Source }),
		readmodels.TextCol("note", func(t *Task) *string { return &t.Note }),
		readmodels.OptTimeCol("completed_at", func(t *Task) **time.Time { return &t.CompletedAt }),
		readmodels.Int64Col("checklist_done", func(t *Task) *int64 { return &t.ChecklistDone }),
		readmodels.Int64Col("checklist_total", func(t *Task) *int64 { return &t.ChecklistTotal }),
		readmodels.Int64Col("comment_count", func(t *Task) *int64 { return &t.CommentCount }),
		readmodels.OptTimeCol("next_alert_at", func(t *Task) **time.Time { return &t.NextAlertAt }),
		readmodels.JSONCol("state", func(t *Task) any { return &t.State }),
		readmodels.TimeCol("created_at", func(t *Task) *time.Time { return &t.CreatedAt }),
		readmodels.TimeCol("updated_at", func(t *Task) *time.Time { return &t.UpdatedAt }),
		readmodels.Int64Col("version", func(t *Task) *int64 { return &t.Version }),
		readmodels.PositionCol("position", func(t *Task) *uint64 { return &t.Position }),
		readmodels.WriteOnly("priority_key", "TEXT NOT NULL", func(_ readmodels.Dialect, t *Task) any { return t.PriorityKey() }),
		readmodels.WriteOnly("search", "TEXT NOT NULL", func(_ readmodels.Dialect, t *Task) any { return t.SearchText() }),
	})

// Columns are the readable columns, in Scan order; InsertColumns every column, in Args order.
var (
	Columns       = table.Select()
	InsertColumns = table.Insert()
)

// Args are the row's values in InsertColumns order.
func Args(d readmodels.Dialect, t *Task) []any { return table.Args(d, t) }

// Scan reads one row in Columns order.
func Scan(row readmodels.Scanner) (*Task, error) { return table.Scan(row) }

// Sorts are the orders the list offers (each served by an index in keyset order): by due time
// (tasks without one last), priority (urgent first), creation and last change.
var Sorts = map[string]readmodels.SortColumn{
	"dueAt":     {Column: "due_at", IsTime: true, Nullable: true},
	"priority":  {Column: "priority_key"},
	"createdAt": {Column: "created_at", IsTime: true}, "updatedAt": {Column: "updated_at", IsTime: true},
}

// SortKeys are the sorts' names.
func SortKeys() []string { return []string{"dueAt", "priority", "createdAt", "updatedAt"} }

var spec = readmodels.ListSpec[*Task]{
	Columns:     Columns,
	Sorts:       Sorts,
	DefaultSort: "dueAt",
	Scan:        func(r readmodels.Scanner) (*Task, error) { return Scan(r) },
	Value: func(t *Task, col string) (any, string) {
		switch col {
		case "due_at":
			return t.DueAt, t.ID.String()
		case "priority_key":
			return t.PriorityKey(), t.ID.String()
		case "created_at":
			return &t.CreatedAt, t.ID.String()
		}
		return &t.UpdatedAt, t.ID.String()
	},
}

// Tables are the names of one generation's task tables.
type Tables struct{ Rows, Members, Comments string }

// TablesOf names a generation's tables.
func TablesOf(gen int) Tables {
	n := func(s string) string { return readmodels.TableName(s, gen) }
	return Tables{Rows: n("tasks"), Members: n("task_members"), Comments: n("task_comments")}
}

// TableDDL is the task tables of one generation: the rows (with an index per offered sort, for
// everyone and per owner; the creator's list by creator and due time), who is involved in each
// task, and the comments.
func TableDDL(t Tables) []string {
	return append([]string{table.Create(t.Rows),
		`CREATE INDEX ` + t.Rows + `_creator ON ` + t.Rows + ` (creator_id, COALESCE(due_at, {far_future}), id)`,
		`CREATE INDEX ` + t.Rows + `_related ON ` + t.Rows + ` (related_id)`,
		`CREATE INDEX ` + t.Rows + `_alert ON ` + t.Rows + ` (next_alert_at, id)`,
		`CREATE TABLE ` + t.Members + ` (task_id {id} NOT NULL, user_id {id} NOT NULL, PRIMARY KEY (user_id, task_id))`,
		`CREATE INDEX ` + t.Members + `_task ON ` + t.Members + ` (task_id)`,
		`CREATE TABLE ` + t.Comments + ` (id {id} PRIMARY KEY, task_id {id} NOT NULL, text TEXT NOT NULL, by_id {id} NOT NULL,
			by_name TEXT NOT NULL, at {time} NOT NULL, position {bigint} NOT NULL)`,
		`CREATE INDEX ` + t.Comments + `_task ON ` + t.Comments + ` (task_id, position)`,
	}, readmodels.OwnershipIndexes(t.Rows, Sorts)...)
}

// Reader is who reads: their scope (tasks.read) and their id (the tasks they are involved in).
type Reader = readmodels.Involved

// ReaderOf is the reader of an actor.
func ReaderOf(a access.Actor) Reader { return readmodels.InvolvedOf(a, role.TasksRead) }

// visible is the reader's condition: involved, or the assignee inside the scope.
func (v *Views) visible(r Reader) (string, []any) {
	return r.Condition(v.Gens.Table(Projection, "task_members"), "task_id")
}

// member is the condition "the reader is involved" (one ? for the reader's id).
func (v *Views) member() string {
	return readmodels.Membership(v.Gens.Table(Projection, "task_members"), "task_id")
}

// The views of the task list.
const (
	ViewMine          = "mine"
	ViewCreated       = "created"
	ViewSubordinates  = "subordinates"
	ViewParticipating = "participating"
	ViewOverdue       = "overdue"
	ViewToday         = "today"
	ViewAll           = "all"
)

// ViewNames lists them.
var ViewNames = []string{ViewMine, ViewCreated, ViewSubordinates, ViewParticipating, ViewOverdue, ViewToday, ViewAll}

// Query is a task search.
type Query struct {
	Reader Reader
	// View is one of ViewNames ("": mine). Overdue and today are the reader's own open tasks.
	View     string
	Q        string
	Status   []string
	Priority []string
	Assignee *uuid.UUID
	// RelatedID lists the tasks about one record.
	RelatedID *uuid.UUID
	// DueFrom and DueTo bound the due time (DueTo excluded); Now is the time overdue is judged
	// at, and DayStart/DayEnd are today's bounds in the reader's time zone (view today).
	DueFrom, DueTo   *time.Time
	Now              time.Time
	DayStart, DayEnd time.Time
	Sort             string
	Limit            int
	Cursor           string
}

var openStatuses = []any{string(task.NotStarted), string(task.InProgress)}

// Search lists tasks with keyset pagination; what the reader may read is part of the statement.
func (v *Views) Search(ctx context.Context, q Query) (readmodels.Page[*Task], error) {
	t := v.Gens.Table(Projection, "tasks")
	lq, err := v.SearchQuery(t, readmodels.Scope{All: true}, q.Q, q.Status)
	if err != nil {
		return readmodels.Page[*Task]{}, err
	}
	if cond, args := v.visible(q.Reader); cond != "" {
		lq.Add(cond, args...)
	}
	me := q.Reader.User.String()
	open := func() { lq.Add("status IN (?, ?)", openStatuses...) }
	branch := true // the reader's scope may split into per-owner branches
	switch q.View {
	case "", ViewMine:
		lq.Add("owner_id = ?", me)
		branch = false
	case ViewCreated:
		lq.Add("creator_id = ?", me)
	case ViewSubordinates:
		prefix := q.Reader.Scope.SubordinatePrefix
		if q.Reader.Scope.None {
			lq.Add("1 = 0")
		} else {
			lq.Add("owner_superior_path >= ? AND owner_superior_path < ?", prefix, prefix+"\uffff")
		}
	case ViewParticipating:
		lq.Add(v.member()+" AND owner_id <> ? AND creator_id <> ?", me, me, me)
		branch = false
	case ViewOverdue:
		lq.Add("owner_id = ?", me)
		open()
		lq.Add("due_at < ?", v.Dialect.Time(q.Now))
		branch = false
	case ViewToday:
		lq.Add("owner_id = ?", me)
		lq.Add("due_at >= ? AND due_at < ?", v.Dialect.Time(q.DayStart), v.Dialect.Time(q.DayEnd))
		branch = false
	case ViewAll:
	default:
		return readmodels.Page[*Task]{}, &readmodels.ValidationError{Field: "view", Message: "must be one of " + strings.Join(ViewNames, ", ")}
	}
	if len(q.Priority) > 0 {
		lq.Add("priority IN ("+strings.TrimSuffix(strings.Repeat("?,", len(q.Priority)), ",")+")", readmodels.AnySlice(q.Priority)...)
	}
	if q.Assignee != nil {
		lq.Add("owner_id = ?", q.Assignee.String())
		branch = false
	}
	if q.RelatedID != nil {
		lq.Add("related_id = ?", q.RelatedID.String())
	}
	if q.DueFrom != nil {
		lq.Add("due_at >= ?", v.Dialect.Time(*q.DueFrom))
	}
	if q.DueTo != nil {
		lq.Add("due_at < ?", v.Dialect.Time(*q.DueTo))
	}
	// A reader whose scope is a few assignees reads each one's rows in sort order, and the tasks
	// they are involved in beside.
	if branch && !q.Reader.Scope.None {
		branches, err := v.OwnerBranches(ctx, v.Gens.Table(Projection, "task_org_users"), q.Reader.Scope, nil, nil)
		if err != nil {
			return readmodels.Page[*Task]{}, err
		}
		if branches != nil {
			lq.Branches = readmodels.Besides(branches, readmodels.Cond{SQL: v.member(), Args: []any{me}})
		}
	}
	lq.Sort, lq.Limit, lq.Cursor = q.Sort, q.Limit, q.Cursor
	s := spec
	s.Table = t
	return readmodels.List(ctx, v.DB, s, *lq)
}

// Get returns one task if the reader may read it.
func (v *Views) Get(ctx context.Context, r Reader, id uuid.UUID) (*Task, error) {
	cond, args := v.visible(r)
	return readmodels.GetWhere(ctx, v.DB, v.Gens.Table(Projection, "tasks"), Columns, cond, args, id, Scan)
}

// AlertsDue are tasks whose next reminder or overdue notice is due at now, earliest first (the
// reminder process; the index on next_alert_at serves it: closed tasks and tasks with nothing
// left to fire have none).
func (v *Views) AlertsDue(ctx context.Context, now time.Time, limit int) ([]uuid.UUID, error) {
	return v.IDs(ctx, `SELECT id FROM `+v.Gens.Table(Projection, "tasks")+` WHERE next_alert_at <= ? ORDER BY next_alert_at, id LIMIT ?`,
		v.Dialect.Time(now), limit)
}

// Comment is a comment as the task's page shows it.
type Comment = readmodels.Comment

// MaxComments is how many comments one read returns (the newest).
const MaxComments = readmodels.MaxComments

// Comments are a readable task's comments, oldest first.
func (v *Views) Comments(ctx context.Context, r Reader, id uuid.UUID) ([]Comment, error) {
	if _, err := v.Get(ctx, r, id); err != nil {
		return nil, err
	}
	return v.LatestComments(ctx, v.Gens.Table(Projection, "task_comments"), "task_id", id)
}

// MarshalJSON writes the row with the assignee named as such, whether it is overdue now, and the
// state's lists.
func (t Task) MarshalJSON() ([]byte, error) {
	type plain Task
	var assignee uuid.UUID
	if t.OwnerID != nil {
		assignee = *t.OwnerID
	}
	st := t.State
	for _, l := range []*[]string{&st.Participants} {
		if *l == nil {
			*l = []string{}
		}
	}
	if st.Reminders == nil {
		st.Reminders = []int{}
	}
	if st.Checklist == nil {
		st.Checklist = []task.Item{}
	}
	return json.Marshal(struct {
		plain
		AssigneeID   uuid.UUID   `json:"assigneeId"`
		AssigneeName string      `json:"assigneeName"`
		Overdue      bool        `json:"overdue"`
		Participants []string    `json:"participants"`
		Reminders    []int       `json:"reminders"`
		Checklist    []task.Item `json:"checklist"`
	}{plain(t), assignee, t.OwnerName, t.Overdue(time.Now()), st.Participants, st.Reminders, st.Checklist})
}

// Overdue reports whether the task is open and its due time has passed: recorded so by the
// reminder process, or by now.
func (t *Task) Overdue(now time.Time) bool {
	return task.Open(task.Status(t.Status)) && t.DueAt != nil && (t.State.Overdue || t.DueAt.Before(now))
}
