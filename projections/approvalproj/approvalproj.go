// Package approvalproj projects the approval inbox: it follows the streams of every kind of
// subject that goes through approval and recognises their submissions, decisions and withdrawals
// by the approval payloads their events carry (approval.SubmittedCarrier and the like), so a
// new kind of subject adds its stream kind here and nothing else.
package approvalproj

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/chronicle-crm/chronicle/domain/approval"
	"github.com/chronicle-crm/chronicle/domain/contract"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/finance"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/approvalview"
)

// kinds maps the stream kinds of subjects to the inbox's kind.
var kinds = map[string]string{contract.StreamPrefix: approval.KindContract, finance.LedgerPrefix: approval.KindReceipt,
	finance.PayablePrefix: approval.KindPayment}

// Projector builds the inbox.
type Projector struct{ registry *event.Registry }

// New builds the projector.
func New(registry *event.Registry) *Projector { return &Projector{registry: registry} }

func (*Projector) Name() string { return approvalview.Projection }

func (*Projector) Schema(_ *readmodels.DB, gen int) []string {
	return approvalview.DDL(approvalview.Names(gen))
}

func (*Projector) Drop(_ *readmodels.DB, gen int) []string {
	t := approvalview.Names(gen)
	return []string{`DROP TABLE IF EXISTS ` + t.Rows, `DROP TABLE IF EXISTS ` + t.Waiting, `DROP TABLE IF EXISTS ` + t.Decided}
}

// KeepIndexes implements engine.KeepIndexes: a decision finds the waiting rows by subject.
func (*Projector) KeepIndexes(gen int) []string {
	return []string{approvalview.Names(gen).Waiting + "_subject"}
}

// Wants implements engine.Selective.
func (*Projector) Wants(e eventstore.Event) bool {
	_, ok := kinds[eventstore.StreamKind(e.StreamID)]
	return ok
}

func (p *Projector) NewBatch(tx *engine.Tx) engine.Batch {
	return &batch{p: p, tx: tx, rows: tx.Table("approvals"), waiting: tx.Table("approval_waiting"), decided: tx.Table("approval_decided")}
}

// batch writes each event directly: approvals are few beside the records they approve.
type batch struct {
	p                      *Projector
	tx                     *engine.Tx
	rows, waiting, decided string
}

func (b *batch) Apply(ctx context.Context, e eventstore.Event) error {
	kind, ok := kinds[eventstore.StreamKind(e.StreamID)]
	if !ok {
		return nil
	}
	subject := strings.TrimPrefix(e.StreamID, eventstore.StreamKind(e.StreamID)+"-")
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	if c, ok := d.(approval.SubjectCarrier); ok {
		subject = c.ApprovalSubjectID()
	}
	switch d := d.(type) {
	case approval.SubmittedCarrier:
		return b.submitted(ctx, e, kind, subject, d.ApprovalSubmission())
	case approval.DecidedCarrier:
		return b.changed(ctx, e, subject, d.ApprovalDecision())
	case approval.WithdrawnCarrier:
		return b.changed(ctx, e, subject, d.ApprovalWithdrawal())
	}
	return nil
}

func (b *batch) submitted(ctx context.Context, e eventstore.Event, kind, subject string, s approval.Submitted) error {
	p := approval.Started(s)
	steps, err := json.Marshal(p.Steps)
	if err != nil {
		return err
	}
	amount, _ := money.ParseAmount("amount", s.Subject.Amount)
	dl := b.tx.DB.Dialect
	if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.rows+` (subject_id, seq, kind, purpose, number, title, amount, submitter_id, submitted_at, status, step, steps, updated_at, position)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, subject, e.Version, kind, s.Purpose, s.Subject.Number, s.Subject.Title,
		readmodels.MoneyArg(dl, amount), s.By, dl.Time(s.At), p.Status, p.Current, string(steps), dl.Time(e.OccurredAt), int64(e.Position)); err != nil {
		return fmt.Errorf("store submission: %w", err)
	}
	return b.wait(ctx, subject, e.Version, p, e.OccurredAt)
}

// wait replaces who the submission waits for.
func (b *batch) wait(ctx context.Context, subject string, seq int64, p *approval.Process, since time.Time) error {
	if _, err := b.tx.Exec(ctx, `DELETE FROM `+b.waiting+` WHERE subject_id = ? AND seq = ?`, subject, seq); err != nil {
		return err
	}
	for _, u := range p.Waiting() {
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.waiting+` (user_id, subject_id, seq, since) VALUES (?, ?, ?, ?)`, u, subject, seq, b.tx.DB.Dialect.Time(since)); err != nil {
			return err
		}
	}
	return nil
}

// changed applies a decision or withdrawal (approval.Decided, approval.WithdrawnBy) to the
// subject's latest submission.
func (b *batch) changed(ctx context.Context, e eventstore.Event, subject string, change any) error {
	var seq int64
	var status, purpose, submitter, steps string
	var step int
	var submitted readmodels.Time
	err := b.tx.QueryRow(ctx, `SELECT seq, status, purpose, submitter_id, submitted_at, step, steps FROM `+b.rows+` WHERE subject_id = ? ORDER BY seq DESC LIMIT 1`, subject).
		Scan(&seq, &status, &purpose, &submitter, &submitted, &step, &steps)
	if err != nil {
		return fmt.Errorf("approval of %s: %w", subject, err)
	}
	p := &approval.Process{Purpose: purpose, SubmitterID: submitter, SubmittedAt: submitted.T, Status: status, Current: step}
	if err := json.Unmarshal([]byte(steps), &p.Steps); err != nil {
		return err
	}
	p.Apply(change)
	js, err := json.Marshal(p.Steps)
	if err != nil {
		return err
	}
	dl := b.tx.DB.Dialect
	if _, err := b.tx.Exec(ctx, `UPDATE `+b.rows+` SET status = ?, step = ?, steps = ?, updated_at = ?, position = ? WHERE subject_id = ? AND seq = ?`,
		p.Status, p.Current, string(js), dl.Time(e.OccurredAt), int64(e.Position), subject, seq); err != nil {
		return err
	}
	if d, ok := change.(approval.Decided); ok {
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.decided+` (user_id, subject_id, seq, step, decided_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			d.By, subject, seq, d.Step, dl.Time(d.At)); err != nil {
			return err
		}
	}
	return b.wait(ctx, subject, seq, p, e.OccurredAt)
}

func (b *batch) Flush(context.Context) error { return nil }
