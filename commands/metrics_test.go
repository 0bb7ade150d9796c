package commands_test

import (
	"errors"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/commands"
)

type recorded struct {
	name string
	err  error
}

type recorder struct{ got []recorded }

func (r *recorder) Command(name string, err error, _ time.Duration) {
	r.got = append(r.got, recorded{name, err})
}

func TestMeasureRecordsNameAndOutcome(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	boom := errors.New("boom")
	res, err := commands.Measure(rec, commands.LeadClaim, func() (commands.Result, error) { return commands.Result{Version: 3}, nil })
	if err != nil || res.Version != 3 {
		t.Fatalf("Measure changed the result: %+v %v", res, err)
	}
	if _, err := commands.Measure(rec, commands.LeadRelease, func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("Measure lost the error: %v", err)
	}
	want := []recorded{{commands.LeadClaim, nil}, {commands.LeadRelease, boom}}
	if len(rec.got) != len(want) || rec.got[0] != want[0] || rec.got[1] != want[1] {
		t.Fatalf("recorded %+v, want %+v", rec.got, want)
	}
}
