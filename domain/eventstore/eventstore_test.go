package eventstore

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestAppendSizeCountsAsEventStoreDB(t *testing.T) {
	e := EventData{
		ID: uuid.New(), Type: "线索.created.v1", OccurredAt: time.Now(), Data: json.RawMessage(`{"名":"王"}`),
		Metadata: Metadata{ActorName: "张伟", RequestID: "r1"},
	}
	// Data in UTF-8 bytes, the type in UTF-16 code units twice, metadata fields in bytes.
	want := len(`{"名":"王"}`) + 2*(2+len(".created.v1")) + len("张伟") + len("r1")
	if got := AppendSize([]EventData{e}); got != want {
		t.Errorf("AppendSize = %d, want %d", got, want)
	}
	e.Type = "😀" // two UTF-16 code units
	if got := AppendSize([]EventData{e, e}); got != 2*(len(e.Data)+4+len("张伟")+len("r1")) {
		t.Errorf("AppendSize of two events = %d", got)
	}
}

func TestValidateRefusesAppendsOverTheLimit(t *testing.T) {
	e := EventData{ID: uuid.New(), Type: "x.v1", OccurredAt: time.Now()}
	e.Data = json.RawMessage(`"` + strings.Repeat("x", MaxAppendSize-2-2*len(e.Type)) + `"`)
	if err := Validate("lead-1", 0, []EventData{e}); err != nil {
		t.Errorf("append of exactly MaxAppendSize: %v", err)
	}
	e.Data = json.RawMessage(`"` + strings.Repeat("x", MaxAppendSize-1-2*len(e.Type)) + `"`)
	err := Validate("lead-1", 0, []EventData{e})
	if !errors.Is(err, ErrAppendTooLarge) || !errors.Is(err, ErrInvalidEvent) {
		t.Errorf("append of MaxAppendSize+1: err = %v, want ErrAppendTooLarge", err)
	}
}

func TestDistinctPositions(t *testing.T) {
	in := []uint64{9, 0, 3, 9, 1, 3, 0}
	if got := DistinctPositions(in); !slices.Equal(got, []uint64{1, 3, 9}) {
		t.Errorf("DistinctPositions(%v) = %v, want [1 3 9]", in, got)
	}
	if !slices.Equal(in, []uint64{9, 0, 3, 9, 1, 3, 0}) {
		t.Errorf("DistinctPositions changed its argument: %v", in)
	}
	if got := DistinctPositions(nil); len(got) != 0 {
		t.Errorf("DistinctPositions(nil) = %v", got)
	}
}
