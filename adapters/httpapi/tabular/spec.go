package tabular

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/dataimport"
	"github.com/chronicle-crm/chronicle/domain/dictionary"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/money"
	"github.com/chronicle-crm/chronicle/readmodels/importview"
)

// Columns of imported and exported files. A column is found by its header, Chinese or English,
// compared without case, spaces, punctuation or a "*" required marker. Exports write the first
// header of each column, so an exported file imports again.

// Names looks up the names an export shows instead of ids and codes.
type Names interface {
	User(id *uuid.UUID) string
	// Label is the Chinese label of the item of the kind's list with that code; any other value
	// (stored before the dictionary existed) as it is.
	Label(k dictionary.Kind, code string) string
}

// ownerName is the owner's name as the row carries it (the projections keep it), else as names
// finds it (an owner the projection's copy of the organisation does not know); "" for the pool.
func ownerName(id *uuid.UUID, name string, n Names) string {
	if id == nil || name != "" {
		return name
	}
	return n.User(id)
}

// Column is one column of a module's files: T is the import row, R the read view exported.
type Column[T, R any] struct {
	Field   string   // the API field name (errors name it)
	Headers []string // accepted headers; the first is what exports write
	// Parse stores a cell's value (never empty) in an import row; nil: imports ignore the column.
	Parse func(t *T, cell string) error
	// Format shows a record in the column of an export.
	Format func(r R, n Names) string
}

// Spec is the column specification of one module's files.
type Spec[T, R any] struct {
	Name, Title string   // file names: customers-<time>.csv, 客户-<time>.csv (and the XLSX sheet)
	Required    []string // fields an import file must have a column for; "a|b": either
	Columns     []Column[T, R]
	// Sums are the fields of money columns an export adds up in a last row (合计), exactly.
	Sums []string
}

// Totals adds up an export's money columns as its rows are written.
type Totals struct {
	at   []int
	sums []money.Amount
	n    int
}

// Totals starts the totals of an export (nil when the spec sums nothing).
func (s *Spec[T, R]) Totals() *Totals {
	if len(s.Sums) == 0 {
		return nil
	}
	t := &Totals{}
	for i, c := range s.Columns {
		if slices.Contains(s.Sums, c.Field) {
			t.at = append(t.at, i)
		}
	}
	t.sums = make([]money.Amount, len(t.at))
	return t
}

// Add counts a written row.
func (t *Totals) Add(row []string) error {
	for i, col := range t.at {
		if row[col] == "" {
			continue
		}
		a, err := money.ParseTotal("total", row[col])
		if err != nil {
			return err
		}
		t.sums[i] = t.sums[i].Add(a)
	}
	t.n++
	return nil
}

// Row is the totals row: 合计 and the count in the first column, each sum in its column.
func (t *Totals) Row(width int) []string {
	out := make([]string, width)
	out[0] = fmt.Sprintf("合计（%d）", t.n)
	for i, col := range t.at {
		out[col] = t.sums[i].String()
	}
	return out
}

// Headers is the header row of an export.
func (s *Spec[T, R]) Headers() []string {
	out := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		out[i] = c.Headers[0]
	}
	return out
}

// Row is the row of a record in an export.
func (s *Spec[T, R]) Row(r R, n Names) []string {
	out := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		out[i] = c.Format(r, n)
	}
	return out
}

// Reader is a fresh reader of an import file's rows.
func (s *Spec[T, R]) Reader() dataimport.Reader[T] { return &reader[T, R]{spec: s} }

type reader[T, R any] struct {
	spec    *Spec[T, R]
	mapping []int    // file column -> index in the spec's columns, -1 ignored
	headers []string // the file's headers
}

func (rd *reader[T, R]) Header(cells []string, row int) ([]importview.ImportError, error) {
	cols := rd.spec.Columns
	byHeader := map[string]int{}
	for i, c := range cols {
		for _, h := range c.Headers {
			if _, dup := byHeader[headerKey(h)]; !dup {
				byHeader[headerKey(h)] = i
			}
		}
	}
	var problems []importview.ImportError
	rd.mapping = make([]int, len(cells))
	rd.headers = make([]string, len(cells))
	taken := map[int]string{}
	for j, h := range cells {
		rd.mapping[j] = -1
		h = strings.TrimSpace(h)
		rd.headers[j] = h
		if h == "" {
			continue
		}
		i, ok := byHeader[headerKey(h)]
		switch {
		case !ok:
			problems = append(problems, importview.ImportError{Row: row, Field: h, Message: "unknown column; ignored"})
		case taken[i] != "":
			problems = append(problems, importview.ImportError{Row: row, Field: h,
				Message: fmt.Sprintf("column %q already gives %s; ignored", taken[i], cols[i].Field)})
		default:
			taken[i] = h
			rd.mapping[j] = i
		}
	}
	for _, req := range rd.spec.Required {
		alts := strings.Split(req, "|")
		found := false
		for i, c := range cols {
			if taken[i] != "" && slices.Contains(alts, c.Field) {
				found = true
			}
		}
		if !found {
			var accepted []string
			for _, c := range cols {
				if slices.Contains(alts, c.Field) {
					accepted = append(accepted, c.Headers...)
				}
			}
			msg := "the file has no " + strings.Join(alts, " or ") + " column (accepted headers: " + strings.Join(accepted, ", ") + ")"
			problems = append(problems, importview.ImportError{Row: row, Field: alts[0], Message: msg})
			return problems, &dataimport.AbortError{Msg: msg}
		}
	}
	return problems, nil
}

func (rd *reader[T, R]) Row(cells []string) (T, []error) {
	var t T
	var errs []error
	for k, v := range cells {
		if k >= len(rd.mapping) || rd.mapping[k] < 0 {
			continue
		}
		c := rd.spec.Columns[rd.mapping[k]]
		if v = CleanCell(v); v == "" || c.Parse == nil {
			continue
		}
		if r, _, bad := field.Unsafe(v); bad { // the one text rule of every API (domain/field)
			errs = append(errs, field.Errorf(c.Field, "column %s (%q) contains U+%04X, a control or text-direction character; remove it", columnName(k), rd.headers[k], r))
			continue
		}
		if err := c.Parse(&t, v); err != nil {
			errs = append(errs, err)
		}
	}
	return t, errs
}

// Readers are the import readers of every module.
func Readers() dataimport.Readers {
	return dataimport.Readers{Customers: Customers.Reader, Leads: Leads.Reader, Contacts: Contacts.Reader, Products: Products.Reader}
}
