package eventstore

import (
	"encoding/json"
	"errors"
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
