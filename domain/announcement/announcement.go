// Package announcement is the announcement aggregate (公告): a company notice with a title and a
// Markdown body, addressed to everyone or to departments (a department includes its
// sub-departments), pinned or not, with an optional expiry, published, edited and withdrawn by
// holders of announcements.publish (the commands' rule).
//
// What a reader has read is not the announcement's: it is a Receipt, a stream of its own per
// announcement and reader (ReceiptID), so that reading never moves the announcement's version
// (an open edit form is not made stale by people reading) and never contends with its edits; a
// second read of the same announcement records nothing.
package announcement

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/field"
)

// ValidationError names the field that is wrong and why.
type ValidationError = field.Error

// Rule violations.
var (
	ErrNotFound  = errors.New("announcement not found")
	ErrWithdrawn = errors.New("announcement is withdrawn")
)

// StreamPrefix is the stream kind of announcements; ReceiptPrefix that of read receipts.
const (
	StreamPrefix  = "announcement"
	ReceiptPrefix = "announcement_read"
)

// Stream returns the stream id of an announcement.
func Stream(id uuid.UUID) string { return StreamPrefix + "-" + id.String() }

// ReceiptStream returns the stream id of a read receipt (its id from ReceiptID).
func ReceiptStream(id uuid.UUID) string { return ReceiptPrefix + "-" + id.String() }

// receiptNS namespaces receipt ids.
var receiptNS = uuid.MustParse("8d0f3c52-6a1e-4f0b-b7a9-2e4c6d8f1a35")

// ReceiptID is the id of the receipt of reader for the announcement: the same however often
// the reader opens it, so a second read finds the first.
func ReceiptID(announcement, reader uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(receiptNS, append(announcement[:], reader[:]...))
}

// Limits.
const (
	MaxTitle       = 200
	MaxBody        = 20000
	MaxDepartments = 50
)

// Audience is whom an announcement is addressed to: everyone, or the departments listed (each
// with its sub-departments; sorted ids, no repeats).
type Audience struct {
	Everyone    bool     `json:"everyone"`
	Departments []string `json:"departments,omitempty"`
}

// EveryoneKey is the audience key of "everyone".
const EveryoneKey = "*"

// Keys are the audience's keys as read models index them: "*" for everyone, else the
// department ids.
func (a Audience) Keys() []string {
	if a.Everyone {
		return []string{EveryoneKey}
	}
	return slices.Clone(a.Departments)
}

// Includes reports whether a reader whose department path is deptPath ("/root/…/own/", "" for
// none) is in the audience: everyone, or one of the departments is the reader's or above it.
func (a Audience) Includes(deptPath string) bool {
	if a.Everyone {
		return true
	}
	for _, d := range a.Departments {
		if strings.Contains(deptPath, "/"+d+"/") {
			return true
		}
	}
	return false
}

// ReaderKeys are the audience keys that address a reader whose department path is deptPath:
// everyone, and their department and every department above it.
func ReaderKeys(deptPath string) []string {
	keys := []string{EveryoneKey}
	for _, s := range strings.Split(deptPath, "/") {
		if s != "" {
			keys = append(keys, s)
		}
	}
	return keys
}

// Fields are what a publisher writes. ExpiresAt is an RFC 3339 time in UTC or "".
type Fields struct {
	Title     string   `json:"title"`
	Body      string   `json:"body"`
	Audience  Audience `json:"audience"`
	Pinned    bool     `json:"pinned,omitempty"`
	ExpiresAt string   `json:"expiresAt,omitempty"`
}

// normalise trims the texts (the body keeps its inner layout), writes the expiry in UTC and the
// departments lower-cased and sorted.
func (f Fields) normalise() Fields {
	f.Title = strings.TrimSpace(f.Title)
	f.Body = strings.TrimRight(strings.TrimLeft(f.Body, "\r\n"), " \t\r\n")
	f.ExpiresAt = normaliseTime(f.ExpiresAt)
	if f.Audience.Everyone {
		f.Audience.Departments = nil
	} else if f.Audience.Departments != nil {
		ds := make([]string, 0, len(f.Audience.Departments))
		for _, d := range f.Audience.Departments {
			ds = append(ds, strings.ToLower(strings.TrimSpace(d)))
		}
		slices.Sort(ds)
		f.Audience.Departments = slices.Compact(ds)
	}
	return f
}

func normaliseTime(s string) string {
	s = strings.TrimSpace(s)
	if v, err := time.Parse(time.RFC3339, s); err == nil {
		return v.UTC().Format(time.RFC3339)
	}
	return s
}

// Validate checks every field and joins all problems; publishedAt is when it is (or was)
// published: an expiry must come after it (expiry_before_publication).
func (f Fields) Validate(publishedAt time.Time) error {
	errs := []error{field.Required("title", f.Title), field.Text("title", f.Title, MaxTitle), field.Required("body", f.Body),
		field.Text("body", f.Body, MaxBody), validExpiry(f.ExpiresAt, publishedAt)}
	a := f.Audience
	switch {
	case !a.Everyone && len(a.Departments) == 0:
		errs = append(errs, &ValidationError{Field: "audience", Message: "is required: everyone, or at least one department", Code: "audience_required"})
	case len(a.Departments) > MaxDepartments:
		errs = append(errs, field.Errorf("audience.departments", "holds %d departments; at most %d", len(a.Departments), MaxDepartments))
	}
	for i, d := range a.Departments {
		if _, err := uuid.Parse(d); err != nil {
			errs = append(errs, field.Errorf(fmt.Sprintf("audience.departments[%d]", i), "is not a department id: %q", d))
		}
	}
	return errors.Join(errs...)
}

func validExpiry(s string, publishedAt time.Time) error {
	if s == "" {
		return nil
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil || v.Year() < 1900 || v.Year() > 9999 {
		return field.Errorf("expiresAt", "must be a time in RFC 3339 (2026-12-31T18:00:00+08:00); got %q", s)
	}
	if !v.After(publishedAt) {
		return &ValidationError{Field: "expiresAt", Message: "must be after the publication", Code: "expiry_before_publication"}
	}
	return nil
}

// Expiry is the expiry time (zero when none).
func (f Fields) Expiry() time.Time {
	t, _ := time.Parse(time.RFC3339, f.ExpiresAt)
	return t
}

// Patch holds what an edit changes; nil means unchanged ("" clears the expiry).
type Patch struct {
	Title     *string `json:"title,omitempty"`
	Body      *string `json:"body,omitempty"`
	ExpiresAt *string `json:"expiresAt,omitempty"`
}

// IsZero reports an empty patch.
func (p Patch) IsZero() bool { return p == (Patch{}) }
