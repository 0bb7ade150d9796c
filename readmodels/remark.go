package readmodels

import (
	"time"

	"github.com/google/uuid"
)

// PoolRemark is the block a row whose remark (备注) is its owner's private note carries (leads,
// customers): when the record was last released to its pool, and who last set the remark and
// when. With the setting customerPool.hidePreviousOwnerRemarks, a remark written before the last
// release is shown only to its author and administrators (HidePrevious). Declared once: a view
// embeds the struct and adds PoolRemarkCols to its table.
type PoolRemark struct {
	ReleasedAt *time.Time `json:"-"`
	RemarkBy   string     `json:"-"`
	RemarkAt   *time.Time `json:"-"`
	// RemarkHidden: the remark was written by a previous owner before the record's last release
	// and the setting hides it from this reader (HidePrevious).
	RemarkHidden bool `json:"remarkHidden,omitempty"`
}

// PoolRemarkCols are the block's columns of a view whose rows embed PoolRemark.
func PoolRemarkCols[R any](get func(*R) *PoolRemark) []Col[R] {
	return []Col[R]{
		OptTimeCol("released_at", func(r *R) **time.Time { return &get(r).ReleasedAt }),
		withType(TextCol("remark_by", func(r *R) *string { return &get(r).RemarkBy }), "TEXT NOT NULL DEFAULT ''"),
		OptTimeCol("remark_at", func(r *R) **time.Time { return &get(r).RemarkAt }),
	}
}

// RemarkSet records that by set the remark at at.
func (p *PoolRemark) RemarkSet(by string, at time.Time) { p.RemarkBy, p.RemarkAt = by, &at }

// Released records the record's release to its pool at at.
func (p *PoolRemark) Released(at time.Time) { p.ReleasedAt = &at }

// HidePrevious blanks *remark for reader when someone else wrote it before the record's last
// release to its pool (the caller has checked that the setting applies to reader).
func (p *PoolRemark) HidePrevious(remark *string, reader uuid.UUID) {
	if *remark == "" || p.ReleasedAt == nil || p.RemarkAt == nil || p.RemarkAt.After(*p.ReleasedAt) || p.RemarkBy == reader.String() {
		return
	}
	*remark, p.RemarkHidden = "", true
}
