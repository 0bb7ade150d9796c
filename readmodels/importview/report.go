package importview

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
)

// The error report of an import is stored row by row in import_errors as the import runs: each
// failing row of the file with its original cells and every problem found with it, so a report of
// 100,000 bad rows is written and read a page at a time, never held whole. Seq numbers the rows in
// the order they were recorded; seq 0 is the file's header row (its cells, no problems), which
// gives the report its columns. Rows are read back in file order (import_errors_row).

// ReportRow is one row of an error report.
type ReportRow struct {
	Seq      int64
	Row      int           // the row's number in the file (the line of a CSV file)
	Cells    []string      // the row's cells as the file had them (none for a problem of the whole file)
	Problems []ImportError // what is wrong with it
}

// HeaderSeq is the seq of the header row.
const HeaderSeq = 0

// MaxCellChars is the most characters a stored cell keeps: Excel's limit of a cell (32,767).
const MaxCellChars = 32767

// ReportPage is how many rows a report reads at a time.
const ReportPage = 1000

type problem struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// AddReportRows stores rows of an import's error report. Storing a row again (a retry after an
// unknown outcome) changes nothing.
func (db *Views) AddReportRows(ctx context.Context, id uuid.UUID, rows []ReportRow) error {
	const chunk = 200 // rows a statement (5 arguments each)
	for len(rows) > 0 {
		n := min(len(rows), chunk)
		args := make([]any, 0, 5*n)
		for _, r := range rows[:n] {
			cells, err := json.Marshal(storedCells(r.Cells))
			if err != nil {
				return err
			}
			ps := make([]problem, len(r.Problems))
			for i, p := range r.Problems {
				ps[i] = problem{Field: storedText(p.Field), Message: storedText(p.Message)}
			}
			probs, err := json.Marshal(ps)
			if err != nil {
				return err
			}
			args = append(args, id.String(), r.Seq, r.Row, string(cells), string(probs))
		}
		stmt := `INSERT INTO import_errors (import_id, seq, row_no, cells, problems) VALUES ` +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?), ", n), ", ") + ` ON CONFLICT (import_id, seq) DO NOTHING`
		if _, err := db.SQL.ExecContext(ctx, db.Q(stmt), args...); err != nil {
			return fmt.Errorf("store the error report of import %s: %w", id, err)
		}
		rows = rows[n:]
	}
	return nil
}

// storedCells are the cells as the report keeps them: without the empty cells at the end of the
// row, each cell as storedText.
func storedCells(cells []string) []string {
	for len(cells) > 0 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = storedText(c)
	}
	return out
}

// storedText is text as a report keeps and writes it: valid UTF-8, at most MaxCellChars
// characters, and each control or text-direction character (which failed the row, which
// PostgreSQL cannot store (U+0000) and which XLSX cannot hold) replaced by U+FFFD, so the report
// shows where it was.
func storedText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if _, _, bad := field.Unsafe(s); bad || utf8.RuneCountInString(s) > MaxCellChars {
		var b strings.Builder
		n := 0
		for _, r := range s {
			if n == MaxCellChars {
				break
			}
			if r != '\t' && r != '\n' && r != '\r' && field.UnsafeRune(r) {
				r = '\uFFFD'
			}
			b.WriteRune(r)
			n++
		}
		s = b.String()
	}
	return s
}

// ReportHeader is the header row of an import's file; ok is false when none was stored (the file
// could not be read that far).
func (db *Views) ReportHeader(ctx context.Context, id uuid.UUID) (cells []string, ok bool, err error) {
	var raw string
	err = db.SQL.QueryRowContext(ctx, db.Q(`SELECT cells FROM import_errors WHERE import_id = ? AND seq = ?`), id.String(), HeaderSeq).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("error report header of import %s: %w", id, err)
	}
	if err := json.Unmarshal([]byte(raw), &cells); err != nil {
		return nil, false, fmt.Errorf("error report header of import %s: %w", id, err)
	}
	return cells, true, nil
}

// ReportCursor is where a page of a report starts: after this row (nil: at the beginning).
type ReportCursor struct {
	Row int
	Seq int64
}

// ReportRows reads up to limit rows of an import's error report in file order, after the cursor;
// next is the cursor of the following page (nil on the last page).
func (db *Views) ReportRows(ctx context.Context, id uuid.UUID, after *ReportCursor, limit int) (rows []ReportRow, next *ReportCursor, err error) {
	stmt, args := `SELECT seq, row_no, cells, problems FROM import_errors WHERE import_id = ? AND seq <> ?`, []any{id.String(), HeaderSeq}
	if after != nil {
		stmt, args = stmt+` AND (row_no, seq) > (?, ?)`, append(args, after.Row, after.Seq)
	}
	rs, err := db.SQL.QueryContext(ctx, db.Q(stmt+` ORDER BY row_no, seq LIMIT ?`), append(args, limit+1)...)
	if err != nil {
		return nil, nil, fmt.Errorf("error report of import %s: %w", id, err)
	}
	defer rs.Close()
	for rs.Next() {
		var r ReportRow
		var cells, probs string
		if err := rs.Scan(&r.Seq, &r.Row, &cells, &probs); err != nil {
			return nil, nil, err
		}
		var ps []problem
		if err := errors.Join(json.Unmarshal([]byte(cells), &r.Cells), json.Unmarshal([]byte(probs), &ps)); err != nil {
			return nil, nil, fmt.Errorf("error report of import %s: %w", id, err)
		}
		for _, p := range ps {
			r.Problems = append(r.Problems, ImportError{Row: r.Row, Field: p.Field, Message: p.Message})
		}
		rows = append(rows, r)
	}
	if err := rs.Err(); err != nil {
		return nil, nil, err
	}
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		next = &ReportCursor{Row: last.Row, Seq: last.Seq}
	}
	return rows, next, nil
}

// AnalyzeReports refreshes the planner's statistics of import_errors, after an import stored a
// large report: without them PostgreSQL takes a report's rows for few and reads each page by
// sorting the rest of the report instead of walking import_errors_row.
func (db *Views) AnalyzeReports(ctx context.Context) error {
	conn, err := db.SQL.Conn(ctx) // SQLite's analysis limit is a setting of the connection
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, stmt := range db.Dialect.Analyze([]string{"import_errors"}) {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("analyze import_errors: %w", err)
		}
	}
	return nil
}
