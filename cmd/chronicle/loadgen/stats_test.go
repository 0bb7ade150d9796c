package loadgen

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	var hundred []time.Duration
	for i := 1; i <= 100; i++ {
		hundred = append(hundred, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		values []time.Duration
		p      float64
		want   time.Duration
	}{
		{hundred, 50, 50 * time.Millisecond},
		{hundred, 95, 95 * time.Millisecond},
		{hundred, 99, 99 * time.Millisecond},
		{hundred, 100, 100 * time.Millisecond},
		{hundred, 0.1, 1 * time.Millisecond},
		{[]time.Duration{7}, 99, 7},
		{[]time.Duration{1, 2, 3, 4}, 50, 2}, // rank ceil(2) = 2
		{[]time.Duration{1, 2, 3, 4}, 51, 3}, // rank ceil(2.04) = 3
		{[]time.Duration{1, 2, 3, 4}, 99, 4}, // the maximum
		{[]time.Duration{10, 20}, 95, 20},    // few values: the top one
		{nil, 50, 0},
	} {
		if got := Percentile(c.values, c.p); got != c.want {
			t.Errorf("p%v of %v = %v, want %v", c.p, c.values, got, c.want)
		}
	}
}

// The recorders of several virtual users merge into per-operation and overall figures.
func TestSummarizeMergesRecorders(t *testing.T) {
	a, b := newRecorder(), newRecorder()
	for i := 1; i <= 50; i++ {
		a.record("list", time.Duration(i)*time.Millisecond, "", "")
		b.record("list", time.Duration(50+i)*time.Millisecond, "", "")
	}
	b.record("update", 11*time.Second, "412", "PATCH: 412")
	b.record("update", 5*time.Millisecond, "transport", "reset")
	b.record("update", 3*time.Millisecond, "", "")
	ops, all := summarize([]*recorder{a, b}, Ops, 2*time.Second)
	if len(ops) != 2 || ops[0].Op != "list" || ops[1].Op != "update" {
		t.Fatalf("operations %+v, want list then update", ops)
	}
	list, upd := ops[0], ops[1]
	if list.Requests != 100 || list.P50 != 50 || list.P95 != 95 || list.P99 != 99 || list.Max != 100 || list.ErrorCount != 0 {
		t.Errorf("list %+v", list)
	}
	if list.Throughput != 50 {
		t.Errorf("list throughput %v, want 100 requests / 2 s", list.Throughput)
	}
	if upd.Requests != 3 || upd.ErrorCount != 2 || upd.Errors["412"] != 1 || upd.Errors["transport"] != 1 || upd.Over10s != 1 || upd.Max != 11000 {
		t.Errorf("update %+v", upd)
	}
	if all.Requests != 103 || all.ErrorCount != 2 || all.Over10s != 1 || all.Max != 11000 {
		t.Errorf("overall %+v", all)
	}
	var out bytes.Buffer
	(&Report{Ops: ops, Overall: all}).Print(&out)
	for _, want := range []string{"2 (412:1 transport:1)", "update error: PATCH: 412", "overall"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestParseMix(t *testing.T) {
	mix, err := ParseMix("list=40, search2=15,update=0,detail=5")
	if err != nil {
		t.Fatal(err)
	}
	if len(mix) != 3 || mix[0] != (mixEntry{"list", 40}) || mix[1] != (mixEntry{"search2", 55}) || mix[2] != (mixEntry{"detail", 60}) {
		t.Fatalf("mix %+v", mix)
	}
	for _, bad := range []string{"", "list", "list=x", "list=-1", "lists=3", "update=0"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("mix %q accepted", bad)
		}
	}
	if _, err := ParseMix(DefaultMix); err != nil {
		t.Fatalf("default mix: %v", err)
	}
}

func TestNextCursor(t *testing.T) {
	body := []byte(`{"items":[{"id":"a","remark":"\"nextCursor\":\"fake\""}],"nextCursor":"eyJ0Ijo1fQ","total":3}`)
	if got := nextCursor(body); got != "eyJ0Ijo1fQ" {
		t.Fatalf("cursor %q", got)
	}
	if got := nextCursor([]byte(`{"items":[],"nextCursor":"","total":0}`)); got != "" {
		t.Fatalf("cursor of the last page %q", got)
	}
}
