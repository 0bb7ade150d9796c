package readmodels_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/readmodels"
)

// The remark is hidden only when someone else wrote it before the record's last release.
func TestPoolRemarkHidePrevious(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	released := t0.Add(time.Hour)
	for _, c := range []struct {
		what     string
		by       uuid.UUID
		at       time.Time
		released *time.Time
		reader   uuid.UUID
		hidden   bool
	}{
		{"written by another before the release", a, t0, &released, b, true},
		{"written at the release", a, released, &released, b, true},
		{"read by its author", a, t0, &released, a, false},
		{"written after the release", a, released.Add(time.Second), &released, b, false},
		{"never released", a, t0, nil, b, false},
	} {
		p := readmodels.PoolRemark{ReleasedAt: c.released}
		p.RemarkSet(c.by.String(), c.at)
		remark := "私下备注"
		p.HidePrevious(&remark, c.reader)
		if p.RemarkHidden != c.hidden || (remark == "") != c.hidden {
			t.Errorf("%s: remark %q, hidden %v; want hidden %v", c.what, remark, p.RemarkHidden, c.hidden)
		}
	}
	empty := ""
	p := readmodels.PoolRemark{ReleasedAt: &released}
	p.RemarkSet(a.String(), t0)
	if p.HidePrevious(&empty, b); p.RemarkHidden {
		t.Error("an empty remark is marked hidden")
	}
}
