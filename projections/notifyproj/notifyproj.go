// Package notifyproj derives the in-app notifications from the event log: a task given to
// someone, a task done (to its creator and to whoever assigned it), a comment on a task (to its
// creator and assignee), a reminder and an overdue notice (recorded on the task by the reminder
// process), a lead, customer or opportunity assigned to someone, a contract, receipt or payment
// voucher waiting for someone's approval (each step's approvers in turn) and the outcome for its
// submitter, an announcement published (to each user of its audience, found in the projection's
// copy of the organisation: everyone, or the users of its departments and those below), a work
// log submitted to someone (each recipient) and a comment on a work log (to its writer), a
// schedule entry put in someone's calendar and its reminders; and applies what users read.
//
// Nothing is sent from here: the inbox is a read model like any, rebuilt to the same rows (each
// notification's id comes from its event and recipient), and the live stream to the browser
// reads it. A rebuild or a replay therefore never notifies anyone twice.
package notifyproj

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/announcement"
	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/contract"
	"github.com/chronicle-crm/chronicle/domain/customer"
	"github.com/chronicle-crm/chronicle/domain/department"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/finance"
	"github.com/chronicle-crm/chronicle/domain/lead"
	"github.com/chronicle-crm/chronicle/domain/notification"
	"github.com/chronicle-crm/chronicle/domain/opportunity"
	"github.com/chronicle-crm/chronicle/domain/schedule"
	"github.com/chronicle-crm/chronicle/domain/task"
	"github.com/chronicle-crm/chronicle/domain/user"
	"github.com/chronicle-crm/chronicle/domain/worklog"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/kit"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/notifyview"
)

// Projector builds the notifications read model.
type Projector struct{ registry *event.Registry }

// New builds the projector.
func New(registry *event.Registry) *Projector { return &Projector{registry: registry} }

func (*Projector) Name() string { return notifyview.Projection }

func names(gen int) (t notifyview.Tables, tasks, depts, users string) {
	n := func(s string) string { return readmodels.TableName(s, gen) }
	return notifyview.TablesOf(gen), n("notify_tasks"), n("notify_org_depts"), n("notify_org_users")
}

func (*Projector) Schema(_ *readmodels.DB, gen int) []string {
	t, tasks, depts, users := names(gen)
	ddl := append(notifyview.TableDDL(t), `CREATE TABLE `+tasks+` (id {id} PRIMARY KEY, title TEXT NOT NULL, creator TEXT NOT NULL,
		assignee TEXT NOT NULL, assigned_by TEXT NOT NULL)`,
		`CREATE TABLE `+readmodels.TableName("notify_approvals", gen)+` (subject TEXT PRIMARY KEY, title TEXT NOT NULL, process TEXT NOT NULL)`,
		`CREATE TABLE `+readmodels.TableName("notify_worklogs", gen)+` (id {id} PRIMARY KEY, title TEXT NOT NULL, writer TEXT NOT NULL)`)
	return append(ddl, kit.OrgTreeDDL(depts, users)...)
}

func (*Projector) Drop(_ *readmodels.DB, gen int) []string {
	t, tasks, depts, users := names(gen)
	var drop []string
	for _, x := range []string{t.Rows, t.Counts, tasks, depts, users, readmodels.TableName("notify_approvals", gen), readmodels.TableName("notify_worklogs", gen)} {
		drop = append(drop, `DROP TABLE IF EXISTS `+x)
	}
	return drop
}

// KeepIndexes implements engine.KeepIndexes: marking read finds a user's notifications by the
// user index.
func (*Projector) KeepIndexes(gen int) []string {
	t, _, depts, users := names(gen)
	return append([]string{t.Rows + "_user", t.Rows + "_unread"}, kit.OrgTreeIndexes(depts, users)...)
}

// Wants implements engine.Selective.
func (*Projector) Wants(e eventstore.Event) bool {
	switch eventstore.StreamKind(e.StreamID) {
	case task.StreamPrefix, notification.StreamPrefix, user.StreamPrefix, department.StreamPrefix:
		return true
	case schedule.StreamPrefix:
		return e.Type == (schedule.Created{}).EventType() || e.Type == (schedule.OwnerChanged{}).EventType() || e.Type == (schedule.Reminded{}).EventType()
	case announcement.StreamPrefix:
		return e.Type == announcement.Published{}.EventType()
	case worklog.StreamPrefix:
		return e.Type != (worklog.Updated{}).EventType() && e.Type != (worklog.Read{}).EventType()
	case lead.StreamPrefix, customer.StreamPrefix, opportunity.StreamPrefix:
		return strings.HasSuffix(e.Type, ".assigned.v1")
	}
	_, approvals := subjects[eventstore.StreamKind(e.StreamID)]
	return approvals
}

// subjects are the stream kinds whose events carry approvals, and what a notification calls
// their subject (its id is the stream's: a receipt is found on its contract's receivables).
var subjects = map[string]string{contract.StreamPrefix: "contract", finance.LedgerPrefix: "receipt", finance.PayablePrefix: "payment"}

func (p *Projector) NewBatch(tx *engine.Tx) engine.Batch {
	return &batch{p: p, tx: tx, rows: tx.Table("notifications"), counts: tx.Table("notification_counts"), tasks: tx.Table("notify_tasks"),
		approvals: tx.Table("notify_approvals"), worklogs: tx.Table("notify_worklogs"),
		tree: kit.OrgTree{Depts: tx.Table("notify_org_depts"), Users: tx.Table("notify_org_users")}}
}

type batch struct {
	p                   *Projector
	tx                  *engine.Tx
	rows, counts, tasks string
	approvals, worklogs string
	tree                kit.OrgTree
}

// taskInfo is what the projection keeps of a task to address its notifications.
type taskInfo struct{ title, creator, assignee, assignedBy string }

func (b *batch) Apply(ctx context.Context, e eventstore.Event) error {
	if !b.p.Wants(e) {
		return nil
	}
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	switch eventstore.StreamKind(e.StreamID) {
	case user.StreamPrefix, department.StreamPrefix:
		return b.tree.Follow(ctx, b.tx, d)
	}
	switch d := d.(type) {
	case notification.Read:
		return b.read(ctx, e, d)
	case lead.Assigned:
		return b.notify(ctx, e, d.To, notification.RecordAssigned, "lead", d.LeadID, "", "", d.By)
	case customer.Assigned:
		return b.notify(ctx, e, d.To, notification.RecordAssigned, "customer", d.CustomerID, "", "", d.By)
	case opportunity.Assigned:
		return b.notify(ctx, e, d.To, notification.RecordAssigned, "opportunity", d.OpportunityID, "", "", d.By)
	case schedule.Created:
		to := append([]string{d.OwnerID}, d.Fields.Participants...)
		return b.notifyEach(ctx, e, to, notification.ScheduleAssigned, "schedule", d.ScheduleID, d.Fields.Title, d.Fields.Start, d.By)
	case schedule.OwnerChanged:
		return b.notify(ctx, e, d.OwnerID, notification.ScheduleAssigned, "schedule", d.ScheduleID, d.Title, "", d.By)
	case schedule.Reminded:
		if d.Occurrence == "" {
			return nil
		}
		return b.notifyEach(ctx, e, d.To, notification.ScheduleReminder, "schedule", d.ScheduleID, d.Title, d.Start, d.By)
	case task.Created:
		info := taskInfo{title: d.Fields.Title, creator: d.By, assignee: d.AssigneeID, assignedBy: d.By}
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.tasks+` (id, title, creator, assignee, assigned_by) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`, d.TaskID, info.title, info.creator, info.assignee, info.assignedBy); err != nil {
			return err
		}
		return b.notify(ctx, e, d.AssigneeID, notification.TaskAssigned, "task", d.TaskID, info.title, "", d.By)
	case announcement.Published:
		return b.announce(ctx, e, d)
	case worklog.Drafted:
		_, err := b.tx.Exec(ctx, `INSERT INTO `+b.worklogs+` (id, title, writer) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			d.LogID, string(d.Kind)+" "+d.Period, d.By)
		return err
	case worklog.Submitted:
		title := string(d.Kind) + " " + d.Period
		for _, r := range d.Recipients {
			if err := b.notify(ctx, e, r, notification.WorkLogSubmitted, "worklog", d.LogID, title, "", d.By); err != nil {
				return err
			}
		}
		return nil
	case worklog.Commented:
		var title, writer string
		err := b.tx.QueryRow(ctx, `SELECT title, writer FROM `+b.worklogs+` WHERE id = ?`, d.LogID).Scan(&title, &writer)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		// to the writer (a reply of the writer's tells no one)
		return b.notify(ctx, e, writer, notification.WorkLogCommented, "worklog", d.LogID, title, clip(d.Text, 200), d.By)
	}
	if kind, ok := subjects[eventstore.StreamKind(e.StreamID)]; ok {
		return b.approval(ctx, e, d, kind, e.StreamID[strings.IndexByte(e.StreamID, '-')+1:])
	}
	if eventstore.StreamKind(e.StreamID) != task.StreamPrefix {
		return nil
	}
	id := strings.TrimPrefix(e.StreamID, task.StreamPrefix+"-")
	info, err := b.task(ctx, id)
	if err != nil || info == nil {
		return err
	}
	switch d := d.(type) {
	case task.Updated:
		if d.Patch.Title != nil {
			_, err = b.tx.Exec(ctx, `UPDATE `+b.tasks+` SET title = ? WHERE id = ?`, *d.Patch.Title, id)
		}
		return err
	case task.Assigned:
		if _, err := b.tx.Exec(ctx, `UPDATE `+b.tasks+` SET assignee = ?, assigned_by = ? WHERE id = ?`, d.AssigneeID, d.By, id); err != nil {
			return err
		}
		return b.notify(ctx, e, d.AssigneeID, notification.TaskAssigned, "task", id, info.title, "", d.By)
	case task.StatusChanged:
		if d.To != task.Done {
			return nil
		}
		return b.notifyAll(ctx, e, []string{info.creator, info.assignedBy}, notification.TaskDone, id, info.title, d.Note, d.By)
	case task.Commented:
		return b.notifyAll(ctx, e, []string{info.creator, info.assignee}, notification.TaskCommented, id, info.title, clip(d.Text, 200), d.By)
	case task.Reminded:
		return b.notify(ctx, e, info.assignee, notification.TaskReminder, "task", id, info.title, d.DueAt, d.By)
	case task.FellOverdue:
		return b.notifyAll(ctx, e, []string{info.assignee, info.assignedBy}, notification.TaskOverdue, id, info.title, d.DueAt, d.By)
	case task.Deleted:
		_, err = b.tx.Exec(ctx, `DELETE FROM `+b.tasks+` WHERE id = ?`, id)
		return err
	}
	return nil
}

func (b *batch) task(ctx context.Context, id string) (*taskInfo, error) {
	var t taskInfo
	err := b.tx.QueryRow(ctx, `SELECT title, creator, assignee, assigned_by FROM `+b.tasks+` WHERE id = ?`, id).
		Scan(&t.title, &t.creator, &t.assignee, &t.assignedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &t, err
}

// notifyAll notifies each recipient of a task once, never the actor who caused it.
func (b *batch) notifyAll(ctx context.Context, e eventstore.Event, to []string, kind, taskID, title, detail, by string) error {
	return b.notifyEach(ctx, e, to, kind, "task", taskID, title, detail, by)
}

// notifyEach notifies each recipient once, never the actor who caused it.
func (b *batch) notifyEach(ctx context.Context, e eventstore.Event, to []string, kind, subjectKind, subjectID, title, detail, by string) error {
	to = slices.Clone(to)
	slices.Sort(to)
	for _, u := range slices.Compact(to) {
		if err := b.notify(ctx, e, u, kind, subjectKind, subjectID, title, detail, by); err != nil {
			return err
		}
	}
	return nil
}

// notify adds the notification e makes for recipient (none for the actor themselves, or for the
// system), counting it unread.
func (b *batch) notify(ctx context.Context, e eventstore.Event, recipient, kind, subjectKind, subjectID, title, detail, by string) error {
	to, err := uuid.Parse(recipient)
	if err != nil || to == uuid.Nil || recipient == by {
		return nil
	}
	name := ""
	if actor, err := uuid.Parse(by); err == nil {
		p, err := b.tree.Lookup(ctx, b.tx, actor)
		if err != nil {
			return err
		}
		name = p.Name
	}
	n := notifyview.Notification{ID: notification.ID(e.ID, to), UserID: to, Kind: kind, SubjectKind: subjectKind, SubjectID: subjectID,
		Title: title, Detail: detail, ActorID: by, ActorName: name, At: e.OccurredAt, Position: e.Position}
	res, err := b.tx.Exec(ctx, `INSERT INTO `+b.rows+` (`+notifyview.InsertColumns+`) VALUES `+kit.Placeholders(1, 12)+` ON CONFLICT (id) DO NOTHING`,
		notifyview.Args(b.tx.DB.Dialect, &n)...)
	if err != nil {
		return err
	}
	if k, err := res.RowsAffected(); err != nil || k == 0 {
		return err
	}
	_, err = b.tx.Exec(ctx, `INSERT INTO `+b.counts+` (user_id, unread, latest, changed) VALUES (?, 1, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET unread = `+b.counts+`.unread + 1, latest = excluded.latest, changed = excluded.changed`,
		to.String(), int64(e.Position), int64(e.Position))
	return err
}

// read marks a user's notifications read and lowers their unread count by as many as changed.
func (b *batch) read(ctx context.Context, e eventstore.Event, d notification.Read) error {
	var res sql.Result
	var err error
	if d.UpTo > 0 {
		res, err = b.tx.Exec(ctx, `UPDATE `+b.rows+` SET is_read = ? WHERE user_id = ? AND is_read = ? AND position <= ?`, true, d.UserID, false, int64(d.UpTo))
	} else if len(d.IDs) > 0 {
		args := []any{true, d.UserID, false}
		for _, id := range d.IDs {
			args = append(args, id)
		}
		res, err = b.tx.Exec(ctx, `UPDATE `+b.rows+` SET is_read = ? WHERE user_id = ? AND is_read = ? AND id IN (`+
			strings.TrimSuffix(strings.Repeat("?,", len(d.IDs)), ",")+`)`, args...)
	} else {
		return nil
	}
	if err != nil {
		return err
	}
	k, err := res.RowsAffected()
	if err != nil || k == 0 {
		return err
	}
	_, err = b.tx.Exec(ctx, `UPDATE `+b.counts+` SET unread = unread - ?, changed = ? WHERE user_id = ?`, k, int64(e.Position), d.UserID)
	return err
}

// approval follows a subject's approval: a submission asks its first step's approvers, a
// decision the next step's, and the submitter hears of the outcome (approved at the last step,
// or rejected).
func (b *batch) approval(ctx context.Context, e eventstore.Event, d event.Event, kind, subject string) error {
	// a contract has one approval at a time; a contract's receipts and a payable's vouchers each
	// have their own, named by the event (ApprovalSubjectID)
	key := kind + ":" + subject
	if c, ok := d.(approval.SubjectCarrier); ok && c.ApprovalSubjectID() != "" {
		key = kind + ":" + c.ApprovalSubjectID()
	}
	if c, ok := d.(approval.SubmittedCarrier); ok {
		s := c.ApprovalSubmission()
		p := approval.Started(s)
		title := strings.TrimSpace(s.Subject.Number + " " + s.Subject.Title)
		if err := b.saveProcess(ctx, key, title, p); err != nil {
			return err
		}
		return b.ask(ctx, e, p.Waiting(), kind, subject, title, s.By)
	}
	var change any
	switch c := d.(type) {
	case approval.DecidedCarrier:
		change = c.ApprovalDecision()
	case approval.WithdrawnCarrier:
		change = c.ApprovalWithdrawal()
	default:
		return nil
	}
	var title, js string
	err := b.tx.QueryRow(ctx, `SELECT title, process FROM `+b.approvals+` WHERE subject = ?`, key).Scan(&title, &js)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	var p approval.Process
	if err := json.Unmarshal([]byte(js), &p); err != nil {
		return err
	}
	before := slices.Clone(p.Waiting())
	p.Apply(change)
	if err := b.saveProcess(ctx, key, title, &p); err != nil {
		return err
	}
	dec, ok := change.(approval.Decided)
	if !ok {
		return nil
	}
	if !p.IsPending() {
		return b.notify(ctx, e, p.SubmitterID, notification.ApprovalDecided, kind, subject, title, dec.Decision, dec.By)
	}
	var next []string
	for _, u := range p.Waiting() {
		if !slices.Contains(before, u) {
			next = append(next, u)
		}
	}
	return b.ask(ctx, e, next, kind, subject, title, p.SubmitterID)
}

func (b *batch) ask(ctx context.Context, e eventstore.Event, approvers []string, kind, subject, title, by string) error {
	for _, u := range approvers {
		if err := b.notify(ctx, e, u, notification.ApprovalRequested, kind, subject, title, "", by); err != nil {
			return err
		}
	}
	return nil
}

func (b *batch) saveProcess(ctx context.Context, key, title string, p *approval.Process) error {
	js, err := json.Marshal(p)
	if err != nil {
		return err
	}
	_, err = b.tx.Exec(ctx, `INSERT INTO `+b.approvals+` (subject, title, process) VALUES (?, ?, ?)
		ON CONFLICT (subject) DO UPDATE SET title = excluded.title, process = excluded.process`, key, title, string(js))
	return err
}

// announce notifies every user of an announcement's audience (from the projection's copy of the
// organisation, as it is at the announcement's place in the log) but its publisher.
func (b *batch) announce(ctx context.Context, e eventstore.Event, d announcement.Published) error {
	stmt, args := `SELECT id FROM `+b.tree.Users, []any(nil)
	if a := d.Fields.Audience; !a.Everyone {
		var ors []string
		for _, dept := range a.Departments {
			path, err := b.tree.DeptPath(ctx, b.tx, dept)
			if err != nil {
				return err
			}
			ors, args = append(ors, "(dept_path >= ? AND dept_path < ?)"), append(args, path, path+"\uffff")
		}
		if len(ors) == 0 {
			return nil
		}
		stmt += ` WHERE ` + strings.Join(ors, " OR ")
	}
	rows, err := b.tx.QueryContext(ctx, b.tx.DB.Q(stmt+` ORDER BY id`), args...)
	if err != nil {
		return err
	}
	var to []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		to = append(to, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, u := range to {
		if err := b.notify(ctx, e, u, notification.AnnouncementPublished, "announcement", d.AnnouncementID, d.Fields.Title, "", d.By); err != nil {
			return err
		}
	}
	return nil
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func (b *batch) Flush(context.Context) error { return nil }
