package readmodels

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands/access"
)

// Involved is a reader of records that belong to people (tasks, schedule entries): their data
// scope under the family's read permission, and their id for the records they are involved in.
type Involved struct {
	Scope Scope
	User  uuid.UUID
}

// InvolvedOf is the reader of an actor for a family whose read permission is read.
func InvolvedOf(a access.Actor, read string) Involved {
	s := ScopeOf(a, false)
	s.None = !a.Can(read)
	return Involved{Scope: s, User: a.ID}
}

// Condition is the reader's condition on the rows: involved (a row of the members table, whose
// column names the record, for the reader), or the holder inside the scope. "" is everything.
func (r Involved) Condition(members, column string) (string, []any) {
	member := Membership(members, column)
	if r.Scope.None {
		return member, []any{r.User.String()}
	}
	cond, args := r.Scope.Condition()
	if cond == "" {
		return "", nil
	}
	return "(" + cond + " OR " + member + ")", append(args, r.User.String())
}

// Membership is the condition "the reader (one ? for the user's id) is a member of the row" over
// a members table whose column names the record.
func Membership(members, column string) string {
	return "id IN (SELECT " + column + " FROM " + members + " WHERE user_id = ?)"
}

// Comment is a comment as a record's page shows it (tasks, work logs).
type Comment struct {
	ID     uuid.UUID `json:"id"`
	Text   string    `json:"text"`
	By     uuid.UUID `json:"by"`
	ByName string    `json:"byName"`
	At     time.Time `json:"at"`
}

// MaxComments is how many comments one read returns (the newest; a longer discussion is read
// from the record's history).
const MaxComments = 500

// LatestComments are the newest MaxComments comments of a record in a comment table (columns id,
// text, by_id, by_name, at, position and the column naming the record), oldest first.
func (db *DB) LatestComments(ctx context.Context, table, column string, id uuid.UUID) ([]Comment, error) {
	rows, err := db.SQL.QueryContext(ctx, db.Q(`SELECT id, text, by_id, by_name, at FROM (SELECT id, text, by_id, by_name, at, position FROM `+
		table+` WHERE `+column+` = ? ORDER BY position DESC LIMIT ?) c ORDER BY position`), id.String(), MaxComments)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Comment{}
	for rows.Next() {
		var c Comment
		var cid, by string
		var at Time
		if err := rows.Scan(&cid, &c.Text, &by, &c.ByName, &at); err != nil {
			return nil, err
		}
		c.ID, _ = uuid.Parse(cid)
		c.By, _ = uuid.Parse(by)
		c.At = at.T
		out = append(out, c)
	}
	return out, rows.Err()
}
