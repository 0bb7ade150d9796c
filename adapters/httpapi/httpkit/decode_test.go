package httpkit_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/domain/field"
)

type contactIn struct {
	Name  string `json:"name"`
	Phone string `json:"phone"`
}

type customerIn struct {
	Name     string               `json:"name"`
	Remark   httpkit.Opt[string]  `json:"remark"`
	Contacts []contactIn          `json:"contacts"`
	Custom   map[string]any       `json:"custom"`
	Tags     []string             `json:"tags"`
	Extra    httpkit.Opt[float64] `json:"extra"`
}

// problem decodes body into a customerIn and returns the problem it answers (status 0: accepted).
func problem(t *testing.T, body string) httpkit.Problem {
	t.Helper()
	var in customerIn
	err := httpkit.DecodeJSON([]byte(body), &in)
	if err == nil {
		return httpkit.Problem{}
	}
	return httpkit.ProblemFor(err)
}

func TestDecodeRefusesControlAndBidiCharacters(t *testing.T) {
	for _, tc := range []struct {
		body, field string
	}{
		{`{"name":"a\u0000b"}`, "name"},
		{`{"name":"ok","contacts":[{"name":"x"},{"name":"\u001b[2J"}]}`, "contacts[1].name"},
		{`{"remark":"del\u007f"}`, "remark"},
		{`{"tags":["ok","\u0085"]}`, "tags[1]"},
		{`{"custom":{"来源":"invoice\u202egpj.exe"}}`, "custom.来源"},
		{`{"custom":{"a":{"b":["\u2066"]}}}`, "custom.a.b[0]"},
		{`{"custom":{"k\u0000":"v"}}`, `custom."k\x00"`},
	} {
		p := problem(t, tc.body)
		if p.Status != http.StatusUnprocessableEntity || p.Code != "validation_failed" || len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
			t.Errorf("%s: %+v, want 422 validation_failed on %s", tc.body, p, tc.field)
		}
	}
	// Every bad string is named, not only the first.
	p := problem(t, `{"name":"\u0000","contacts":[{"name":"\u0001","phone":"\u0002"}]}`)
	if got := len(p.Errors); p.Status != 422 || got != 3 {
		t.Fatalf("%+v, want three field errors", p)
	}
	// Tab, line feed and carriage return, bidi marks and Chinese text are fine.
	if p := problem(t, `{"name":"王小明\u200f","remark":"line\r\nline\ttab","custom":{"备注":"x"}}`); p.Status != 0 {
		t.Fatalf("refused good text: %+v", p)
	}
}

func TestDecodeRefusesRepeatedKeys(t *testing.T) {
	for _, tc := range []struct{ body, field string }{
		{`{"name":"a","name":"b"}`, "name"},
		{`{"name":"a","Name":"b"}`, "Name"},
		{`{"name":"a","NAME":"b"}`, "NAME"},
		{`{"contacts":[{"name":"a","phone":"1","nAme":"b"}]}`, "contacts[0].nAme"},
		{`{"custom":{"k":1,"K":2}}`, "custom.K"},
		{`{"custom":{"k":1,"\u212a":2}}`, "custom.\u212a"}, // KELVIN SIGN folds to k for encoding/json
	} {
		p := problem(t, tc.body)
		if p.Status != http.StatusBadRequest || p.Code != "malformed_json" || len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
			t.Errorf("%s: %+v, want 400 malformed_json on %s", tc.body, p, tc.field)
		}
	}
	// The same key in different objects is fine.
	if p := problem(t, `{"name":"a","contacts":[{"name":"b"},{"name":"c"}]}`); p.Status != 0 {
		t.Fatalf("%+v", p)
	}
}

func TestDecodeRefusesInvalidUTF8(t *testing.T) {
	for _, body := range []string{
		"{\"name\":\"a\xffb\"}",
		"{\"name\":\"\xe4\xb8\"}",        // a cut-off 3-byte sequence
		`{"name":"\ud800"}`,              // a lone high surrogate
		`{"name":"\udc00x"}`,             // a lone low surrogate
		`{"name":"\ud83d\u0041"}`,        // a high surrogate without its low half
		`{"custom":{"\ud800":"key"}}`,    // in a member name too
		`{"tags":["ok","a\\","\ud800"]}`, // after an escaped backslash
	} {
		p := problem(t, body)
		if p.Status != http.StatusBadRequest || p.Code != "malformed_json" || !strings.Contains(p.Detail, "UTF-8") {
			t.Errorf("%q: %+v, want 400 malformed_json about UTF-8", body, p)
		}
	}
	var in customerIn
	if err := httpkit.DecodeJSON([]byte(`{"name":"\ud83d\ude00 \\ud800 \ufffd"}`), &in); err != nil || in.Name != "😀 \\ud800 \ufffd" {
		t.Fatalf("a surrogate pair, an escaped backslash and U+FFFD itself: %v %q", err, in.Name)
	}
}

func TestDecodeMalformedBeforeInvalid(t *testing.T) {
	// A document that cannot be read is 400 even when it also holds a bad string.
	if p := problem(t, `{"name":"\u0000","bogus":1}`); p.Status != 400 || p.Code != "unknown_field" {
		t.Fatalf("%+v", p)
	}
	if p := problem(t, `{"name":"\u0000"`); p.Status != 400 || p.Code != "malformed_json" {
		t.Fatalf("%+v", p)
	}
}

func TestJSONBodiesRefusesOtherMediaTypes(t *testing.T) {
	h := httpkit.JSONBodies(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	for _, tc := range []struct {
		method, ct, body string
		status           int
	}{
		{"POST", "application/json", `{}`, 204},
		{"POST", "application/json; charset=UTF-8", `{}`, 204},
		{"PATCH", "application/json;charset=utf-8", `{}`, 204},
		{"POST", "", "", 204}, // no body: nothing to refuse (claim, release)
		{"DELETE", "", "", 204},
		{"POST", "application/x-www-form-urlencoded", `username=admin&password=x`, 415},
		{"POST", "text/plain", `{}`, 415},
		{"POST", "", `{}`, 415},
		{"PATCH", "multipart/form-data; boundary=x", `--x--`, 415},
		{"PUT", "application/xml", `<a/>`, 415},
		{"POST", "application/json; charset=latin1", `{}`, 415},
		{"POST", "application/jsonp", `{}`, 415},
	} {
		req := httptest.NewRequest(tc.method, "/api/v1/leads", strings.NewReader(tc.body))
		if tc.body == "" {
			req = httptest.NewRequest(tc.method, "/api/v1/leads", nil)
		}
		if tc.ct != "" {
			req.Header.Set("Content-Type", tc.ct)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.status {
			t.Errorf("%s %q: %d, want %d", tc.method, tc.ct, rec.Code, tc.status)
		}
		if tc.status == 415 {
			var p httpkit.Problem
			_ = json.Unmarshal(rec.Body.Bytes(), &p)
			accept := map[string]string{"POST": "Accept-Post", "PATCH": "Accept-Patch"}[tc.method]
			if p.Code != "unsupported_media_type" || (accept != "" && rec.Header().Get(accept) != "application/json") {
				t.Errorf("%s %q: %s %v", tc.method, tc.ct, rec.Body, rec.Header())
			}
		}
	}
}

func TestIfMatchForms(t *testing.T) {
	for _, tc := range []struct {
		h    string
		want int64 // 0: no pin; -1: 400
	}{
		{`"3"`, 3}, {`3`, 3}, {` "12" `, 12}, {`*`, 0},
		{`W/"3"`, -1}, {`"3", "4"`, -1}, {`"0"`, -1}, {`"-1"`, -1}, {`"+3"`, -1}, {`"3`, -1}, {`abc`, -1}, {`""`, -1},
	} {
		v, err := httpkit.ParseIfMatch(tc.h)
		switch {
		case tc.want == -1:
			if httpkit.ProblemStatus(err) != 400 || httpkit.ProblemFor(err).Code != "malformed_if_match" {
				t.Errorf("%s: %v %v, want 400 malformed_if_match", tc.h, v, err)
			}
		case tc.want == 0:
			if err != nil || v != nil {
				t.Errorf("%s: %v %v, want no pin", tc.h, v, err)
			}
		default:
			if err != nil || v == nil || *v != tc.want {
				t.Errorf("%s: %v %v, want %d", tc.h, v, err, tc.want)
			}
		}
	}
	if e := httpkit.ETag(3); e != `"3"` {
		t.Fatalf("ETag(3) = %s", e)
	}
}

func TestCheckQuery(t *testing.T) {
	for _, tc := range []struct {
		raw, field string // field "": accepted; "-": refused without a field
	}{
		{"q=%E6%98%9F%E6%B2%B3&limit=5", ""},
		{"q=a+b%2Cc", ""},
		{"q=a%00b", "q"},
		{"q=a%09b", "q"},
		{"q=a%0Ab", "q"},
		{"status=new&q=%E2%80%AE", "q"},
		{"q=%FF", "q"},
		{"a%00=1", `"a\x00"`},
		{"q=100%", "-"},
	} {
		err := httpkit.CheckQuery(tc.raw)
		if tc.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.raw, err)
			}
			continue
		}
		p := httpkit.ProblemFor(err)
		if p.Status != 400 || p.Code != "malformed_query" || (tc.field != "-" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.field)) {
			t.Errorf("%s: %+v, want 400 malformed_query on %s", tc.raw, p, tc.field)
		}
	}
	if err := httpkit.CheckPath("/api/v1/leads/\x00"); httpkit.ProblemStatus(err) != 400 {
		t.Fatalf("path: %v", err)
	}
}

// FuzzDecodeJSON feeds the strict decoder arbitrary bytes: it never panics, never answers
// anything but 400 or 422, and accepts a body exactly when the rule does: valid JSON in valid
// UTF-8, no member name twice in an object (also not differing only in case), and no string or
// name field.SafeText refuses. `go test` runs the seeds.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{
		`{"name":"王小明","contacts":[{"name":"李"}]}`, `{"name":"a\u0000"}`, `{"a":1,"A":2}`, `{"a":1,"a":1}`,
		`{"k":"\u212a","\u212a":1,"k":2}`, "{\"a\":\"\xff\"}", `{"a":"\ud800"}`, `{"a":"\ud83d\ude00"}`,
		`{"a":"\u202e"}`, `{"a":"\r\n\t"}`, `[1,"x",{"y":null}]`, `"\u0085"`, `{} {}`, ``, `{`, `{"a":[[[[]]]]}`,
		`{"a":"\\u0000"}`, `{"":1,"":2}`, `{"ſ":1,"S":2}`, `{"a":1e999}`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got any
		err := httpkit.DecodeJSON(body, &got)
		if err != nil {
			if st := httpkit.ProblemStatus(err); st != 400 && st != 422 {
				t.Fatalf("%q: status %d (%v)", body, st, err)
			}
		}
		want, sure := ruleAccepts(body)
		if err == nil && !want {
			t.Fatalf("accepted %q, which the rule refuses", body)
		}
		if err != nil && want && sure {
			t.Fatalf("refused %q, which the rule accepts: %v", body, err)
		}
	})
}

// ruleAccepts is the rule, checked another way: by encoding/json's own decoding. sure is false
// when a decoded string holds U+FFFD (it may stand for a lone surrogate escape the plain decoder
// replaced).
func ruleAccepts(body []byte) (ok, sure bool) {
	if !utf8.Valid(body) || !json.Valid(body) {
		return false, true
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return false, true // a number out of range
	}
	sure = true
	members, ok := 0, true
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if field.SafeText("x", x) != nil {
				ok = false
			}
			sure = sure && !strings.ContainsRune(x, utf8.RuneError)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			folded := map[string]bool{}
			for k, e := range x {
				members++
				f := strings.ToUpper(strings.ToLower(k))
				if folded[f] || field.SafeText("k", k) != nil {
					ok = false
				}
				folded[f] = true
				sure = sure && !strings.ContainsRune(k, utf8.RuneError)
				walk(e)
			}
		}
	}
	walk(v)
	// A name repeated exactly collapses in the map: count the names the document holds.
	if members != countNames(body) {
		ok = false
	}
	return ok, sure
}

// countNames counts the member names of every object in body (a valid JSON document).
func countNames(body []byte) int {
	type open struct{ object, expectName bool }
	dec := json.NewDecoder(bytes.NewReader(body))
	var stack []open
	n := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return n
		}
		if d, isDelim := tok.(json.Delim); isDelim && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
		} else if top := len(stack) - 1; top >= 0 && stack[top].expectName {
			n++
			stack[top].expectName = false
			continue
		} else if isDelim {
			stack = append(stack, open{object: d == '{', expectName: d == '{'})
			continue
		}
		if top := len(stack) - 1; top >= 0 && stack[top].object {
			stack[top].expectName = true // a value ended: a name or the end comes next
		}
	}
}
