package httpkit_test

import (
	"errors"
	"net/url"
	"testing"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
)

func TestParamsCollectsEveryBadParameter(t *testing.T) {
	v, _ := url.ParseQuery("status=new,bogus&ownerId=x&pool=maybe&limit=9999&from=yesterday&order=up&q=星河")
	p := httpkit.Params(v)
	st := p.List("status", []string{"new", "following"}, "must be new or following; got %q")
	p.UUID("ownerId")
	p.Bool("pool")
	p.Limit()
	p.Time("from")
	p.Enum("order", "asc", "desc")
	if q := p.Str("q"); q != "星河" {
		t.Fatalf("q = %q", q)
	}
	if len(st) != 1 || st[0] != "new" {
		t.Fatalf("status = %v", st)
	}
	err := p.Err()
	var se *httpkit.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("Err = %v, want a StatusError", err)
	}
	if se.Status != 422 || se.Code != "validation_failed" {
		t.Fatalf("status %d code %s", se.Status, se.Code)
	}
	want := []string{"status", "ownerId", "pool", "limit", "from", "order"}
	if len(se.Fields) != len(want) {
		t.Fatalf("fields = %+v, want %v", se.Fields, want)
	}
	for i, f := range se.Fields {
		if f.Field != want[i] || f.Message == "" {
			t.Errorf("field %d = %+v, want %s", i, f, want[i])
		}
	}
	if se.Detail != "status: "+se.Fields[0].Message {
		t.Errorf("detail = %q", se.Detail)
	}
	if p := httpkit.ProblemFor(err); p.Status != 422 || len(p.Errors) != len(want) {
		t.Errorf("problem = %+v", p)
	}
}

func TestParamsGoodAndAbsent(t *testing.T) {
	v, _ := url.ParseQuery("pool=true&limit=20&ownerId=0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e&from=2026-11-22T09:30:00%2B08:00")
	p := httpkit.Params(v)
	if b := p.Bool("pool"); b == nil || !*b {
		t.Errorf("pool = %v", b)
	}
	if n := p.Limit(); n != 20 {
		t.Errorf("limit = %d", n)
	}
	if id := p.UUID("ownerId"); id == nil || id.String() != "0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e" {
		t.Errorf("ownerId = %v", id)
	}
	if tm := p.Time("from"); tm == nil || tm.Hour() != 1 {
		t.Errorf("from = %v", tm)
	}
	if p.Bool("locked") != nil || p.UUID("actor") != nil || p.Time("to") != nil || p.Enum("order", "asc") != "" {
		t.Error("absent parameters must read as absent")
	}
	if err := p.Err(); err != nil {
		t.Fatalf("Err = %v", err)
	}
}
