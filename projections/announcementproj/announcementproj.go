// Package announcementproj projects announcements into their read model: a row per live
// announcement, its audience keys, and the readers' first reads (from the receipts' streams).
// Reads never touch the announcement's row, so its version is its stream's.
package announcementproj

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/announcement"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/projections/engine"
	"github.com/chronicle-crm/chronicle/projections/kit"
	"github.com/chronicle-crm/chronicle/readmodels"
	"github.com/chronicle-crm/chronicle/readmodels/announcementview"
)

// Projector builds the announcement read model.
type Projector struct{ registry *event.Registry }

// New builds the projector.
func New(registry *event.Registry) *Projector { return &Projector{registry: registry} }

func (*Projector) Name() string { return announcementview.Projection }

func (*Projector) Schema(db *readmodels.DB, gen int) []string {
	t := announcementview.TablesOf(gen)
	return append(announcementview.TableDDL(t), db.Dialect.SearchIndex(t.Rows)...)
}

func (*Projector) Drop(db *readmodels.DB, gen int) []string {
	t := announcementview.TablesOf(gen)
	drop := db.Dialect.DropSearchIndex(t.Rows)
	for _, x := range []string{t.Rows, t.Audience, t.Reads} {
		drop = append(drop, `DROP TABLE IF EXISTS `+x)
	}
	return drop
}

// KeepIndexes implements engine.KeepIndexes: a withdrawal finds the audience and the receipts
// by announcement.
func (*Projector) KeepIndexes(gen int) []string {
	t := announcementview.TablesOf(gen)
	return []string{t.Audience + "_announcement", t.Reads + "_announcement"}
}

// Wants implements engine.Selective.
func (*Projector) Wants(e eventstore.Event) bool {
	switch eventstore.StreamKind(e.StreamID) {
	case announcement.StreamPrefix, announcement.ReceiptPrefix:
		return true
	}
	return false
}

func (p *Projector) NewBatch(tx *engine.Tx) engine.Batch {
	return &batch{p: p, tx: tx, rows: tx.Table("announcements"), audience: tx.Table("announcement_audience"), reads: tx.Table("announcement_reads")}
}

type batch struct {
	p                     *Projector
	tx                    *engine.Tx
	rows, audience, reads string
}

func (b *batch) Apply(ctx context.Context, e eventstore.Event) error {
	if !b.p.Wants(e) {
		return nil
	}
	d, err := b.p.registry.Decode(e.Type, e.Data)
	if err != nil {
		return err
	}
	if r, ok := d.(announcement.Read); ok {
		return b.read(ctx, e, r)
	}
	id, err := uuid.Parse(strings.TrimPrefix(e.StreamID, announcement.StreamPrefix+"-"))
	if err != nil {
		return err
	}
	if p, ok := d.(announcement.Published); ok {
		f := p.Fields
		row := &announcementview.Announcement{ID: id, Title: f.Title, Body: f.Body, Pinned: f.Pinned, PublishedAt: p.At, UpdatedAt: e.OccurredAt,
			Audience: announcementview.Audience{Everyone: f.Audience.Everyone, Departments: f.Audience.Departments}, Version: e.Version, Position: e.Position}
		row.PublisherID, _ = uuid.Parse(p.By)
		if x := f.Expiry(); !x.IsZero() {
			row.ExpiresAt = &x
		}
		if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.rows+` (`+announcementview.InsertColumns+`) VALUES `+
			kit.Placeholders(1, len(strings.Split(announcementview.InsertColumns, ",")))+` ON CONFLICT (id) DO NOTHING`,
			announcementview.Args(b.tx.DB.Dialect, row)...); err != nil {
			return err
		}
		for _, k := range row.Keys() {
			if _, err := b.tx.Exec(ctx, `INSERT INTO `+b.audience+` (audience_key, announcement_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, k, id.String()); err != nil {
				return err
			}
		}
		return nil
	}
	if _, ok := d.(announcement.Withdrawn); ok {
		for _, t := range []string{b.audience, b.reads} {
			if _, err := b.tx.Exec(ctx, `DELETE FROM `+t+` WHERE announcement_id = ?`, id.String()); err != nil {
				return err
			}
		}
		_, err := b.tx.Exec(ctx, `DELETE FROM `+b.rows+` WHERE id = ?`, id.String())
		return err
	}
	row, err := announcementview.Scan(b.tx.QueryRow(ctx, `SELECT `+announcementview.Columns+` FROM `+b.rows+` WHERE id = ?`, id.String()))
	if err != nil {
		return err
	}
	switch d := d.(type) {
	case announcement.Edited:
		if d.Title != nil {
			row.Title = *d.Title
		}
		if d.Body != nil {
			row.Body = *d.Body
		}
	case announcement.Pinned:
		row.Pinned = true
	case announcement.Unpinned:
		row.Pinned = false
	case announcement.ExpiryChanged:
		row.ExpiresAt = nil
		if x := (announcement.Fields{ExpiresAt: d.ExpiresAt}).Expiry(); !x.IsZero() {
			row.ExpiresAt = &x
		}
	}
	row.Version, row.UpdatedAt, row.Position = e.Version, e.OccurredAt, e.Position
	_, err = b.tx.Exec(ctx, `UPDATE `+b.rows+` SET title = ?, body = ?, pinned = ?, expires_at = ?, updated_at = ?, version = ?, position = ?,
		rank = ?, search = ? WHERE id = ?`, row.Title, row.Body, row.Pinned, optTime(b.tx.DB.Dialect, row), b.tx.DB.Dialect.Time(row.UpdatedAt),
		row.Version, int64(row.Position), row.Rank(), row.SearchText(), id.String())
	return err
}

func optTime(d readmodels.Dialect, a *announcementview.Announcement) any {
	if a.ExpiresAt == nil {
		return nil
	}
	return d.Time(*a.ExpiresAt)
}

// read keeps a reader's first read of a live announcement (a read of one withdrawn since is
// dropped with it).
func (b *batch) read(ctx context.Context, e eventstore.Event, r announcement.Read) error {
	var one int
	err := b.tx.QueryRow(ctx, `SELECT 1 FROM `+b.rows+` WHERE id = ?`, r.AnnouncementID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = b.tx.Exec(ctx, `INSERT INTO `+b.reads+` (user_id, announcement_id, at, position) VALUES (?, ?, ?, ?)
		ON CONFLICT (user_id, announcement_id) DO NOTHING`, strings.ToLower(r.UserID), r.AnnouncementID, b.tx.DB.Dialect.Time(r.At), int64(e.Position))
	return err
}

func (b *batch) Flush(context.Context) error { return nil }
