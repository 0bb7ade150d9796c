package contract

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// Numbering is the administrator's pattern for contract numbers and the sequences it has issued,
// one aggregate in one stream: issuing a number appends with the stream's expected version, so
// two contracts created at once never get the same sequence number (one of them retries).
//
// A pattern is literal text with {yyyy}, {yy}, {mm}, {dd} and exactly one {seq:N} (N digits,
// zero-padded, 1 to 9). The sequence counts per distinct expansion of the rest, so
// HT-{yyyy}{mm}-{seq:4} counts per month.

// DefaultPattern applies until an administrator sets another.
const DefaultPattern = "HT-{yyyy}{mm}-{seq:4}"

// NumberingStreamPrefix is the stream kind of the numbering.
const NumberingStreamPrefix = "contractnumbering"

// NumberingID is the numbering's aggregate id (there is one).
var NumberingID = uuid.MustParse("4c3b2a19-0e8d-5f7c-a6b5-9d8e7f6a5b41")

// NumberingStream is the numbering's stream.
func NumberingStream(id uuid.UUID) string { return NumberingStreamPrefix + "-" + id.String() }

type (
	PatternSet struct {
		Pattern string    `json:"pattern"`
		By      string    `json:"by"`
		At      time.Time `json:"at"`
	}
	NumberIssued struct {
		Prefix string    `json:"prefix"` // the pattern expanded with the sequence as "{seq}"
		Seq    int64     `json:"seq"`
		Number string    `json:"number"`
		By     string    `json:"by"`
		At     time.Time `json:"at"`
	}
)

func (PatternSet) EventType() string   { return "contractnumbering.pattern_set.v1" }
func (NumberIssued) EventType() string { return "contractnumbering.number_issued.v1" }

func registerNumbering(r *event.Registry) {
	r.Register(func() event.Event { return &PatternSet{} }, func() event.Event { return &NumberIssued{} })
}

var (
	tokenRe   = regexp.MustCompile(`\{[^{}]*\}`)
	seqRe     = regexp.MustCompile(`^\{seq:([1-9])\}$`)
	literalOK = func(r rune) bool {
		return r == '-' || r == '_' || r == '/' || r == '.' || r == '#' || r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' ||
			r >= 0x4E00 && r <= 0x9FFF
	}
)

// CheckPattern validates a pattern.
func CheckPattern(p string) (string, error) {
	p = strings.TrimSpace(p)
	if err := field.Text("pattern", p, 40); err != nil {
		return "", err
	}
	seqs := 0
	for _, tok := range tokenRe.FindAllString(p, -1) {
		switch {
		case tok == "{yyyy}" || tok == "{yy}" || tok == "{mm}" || tok == "{dd}":
		case seqRe.MatchString(tok):
			seqs++
		default:
			return "", &field.Error{Field: "pattern", Message: fmt.Sprintf("%s is not a token; use {yyyy} {yy} {mm} {dd} {seq:N}", tok), Code: "bad_pattern"}
		}
	}
	if seqs != 1 {
		return "", &field.Error{Field: "pattern", Message: "needs exactly one {seq:N} (N = 1…9 digits)", Code: "bad_pattern"}
	}
	for _, r := range tokenRe.ReplaceAllString(p, "") {
		if !literalOK(r) {
			return "", &field.Error{Field: "pattern", Message: fmt.Sprintf("may hold letters, digits, Chinese characters and - _ / . # besides tokens; got %q", r), Code: "bad_pattern"}
		}
	}
	return p, nil
}

// Expand is the pattern for a day: the prefix (with "{seq}" where the sequence goes) and the
// sequence's width.
func Expand(pattern string, day time.Time) (prefix string, width int) {
	prefix = tokenRe.ReplaceAllStringFunc(pattern, func(tok string) string {
		switch tok {
		case "{yyyy}":
			return day.Format("2006")
		case "{yy}":
			return day.Format("06")
		case "{mm}":
			return day.Format("01")
		case "{dd}":
			return day.Format("02")
		}
		if m := seqRe.FindStringSubmatch(tok); m != nil {
			width, _ = strconv.Atoi(m[1])
			return "{seq}"
		}
		return tok
	})
	return prefix, width
}

// Numbering is the aggregate.
type Numbering struct {
	event.Root
	pattern string
	last    map[string]int64 // prefix → last sequence issued
}

// RehydrateNumbering rebuilds the numbering (the default before any event).
func RehydrateNumbering(id uuid.UUID, history []event.Event) (*Numbering, error) {
	if id != NumberingID {
		return nil, fmt.Errorf("contract numbering: no numbering has id %s", id)
	}
	n := &Numbering{pattern: DefaultPattern, last: map[string]int64{}}
	n.Replay(n.apply, history, nil)
	return n, nil
}

func (n *Numbering) apply(e event.Event) {
	switch e := e.(type) {
	case PatternSet:
		n.pattern = e.Pattern
	case NumberIssued:
		n.last[e.Prefix] = max(n.last[e.Prefix], e.Seq)
	}
}

// Pattern is the pattern in force.
func (n *Numbering) Pattern() string { return n.pattern }

// SetPattern changes the pattern; the same pattern records nothing.
func (n *Numbering) SetPattern(p string, by uuid.UUID, at time.Time) error {
	p, err := CheckPattern(p)
	if err != nil || p == n.pattern {
		return err
	}
	n.Record(n.apply, PatternSet{Pattern: p, By: by.String(), At: at.UTC()})
	return nil
}

// Issue gives the next number for a day (in the installation's time zone). skip tells numbers
// already taken (entered by hand): they are passed over and their sequence counted as used.
func (n *Numbering) Issue(day time.Time, taken func(number string) bool, by uuid.UUID, at time.Time) (string, error) {
	prefix, width := Expand(n.pattern, day)
	seq := n.last[prefix]
	for range 1000 {
		seq++
		s := fmt.Sprintf("%0*d", width, seq)
		if len(s) > width {
			return "", &field.Error{Field: "number", Message: fmt.Sprintf("the sequence of %s is exhausted (%d digits)", prefix, width), Code: "sequence_exhausted"}
		}
		number := strings.Replace(prefix, "{seq}", s, 1)
		if taken != nil && taken(number) {
			continue
		}
		n.Record(n.apply, NumberIssued{Prefix: prefix, Seq: seq, Number: number, By: by.String(), At: at.UTC()})
		return number, nil
	}
	return "", field.Errorf("number", "a thousand numbers after %s are taken", prefix)
}
