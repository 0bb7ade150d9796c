// Package field holds what every aggregate uses to validate its fields: one error type naming the
// field and the problem, and checks for text, phone numbers and e-mail addresses.
package field

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Error names the field that is wrong and why. Code, when set, is a stable machine-readable
// name of the reason (e.g. password_too_weak), for clients that explain it in their own words.
type Error struct {
	Field   string
	Message string
	Code    string
}

func (e *Error) Error() string { return e.Field + ": " + e.Message }

// Errorf builds an Error.
func Errorf(name, format string, args ...any) *Error {
	return &Error{Field: name, Message: fmt.Sprintf(format, args...)}
}

// Required fails for blank text.
func Required(name, v string) error {
	if strings.TrimSpace(v) == "" {
		return &Error{Field: name, Message: "is required"}
	}
	return nil
}

// Text checks UTF-8 validity, the characters text may hold (see Unsafe) and a length limit in
// characters.
func Text(name, v string, max int) error {
	if err := SafeText(name, v); err != nil {
		return err
	}
	if n := utf8.RuneCountInString(v); n > max {
		return Errorf(name, "is %d characters long; at most %d", n, max)
	}
	return nil
}

// Unsafe is the first character of s that no text of Chronicle may hold,
// and its byte offset; ok is false when there is none. Refused are the C0 control characters
// except tab, line feed and carriage return (multi-line text keeps its line breaks, CRLF
// included), DEL, the C1 control characters (U+0080 to U+009F) and the bidirectional embedding,
// override and isolate controls U+202A to U+202E and U+2066 to U+2069 (they make text read
// differently from what it holds). The bidirectional marks U+200E, U+200F and U+061C are allowed:
// they only steer neutral characters in mixed-direction names. PostgreSQL cannot store U+0000 in
// text, so refusing it everywhere keeps both engines alike. An invalid UTF-8 sequence is reported
// as utf8.RuneError.
func Unsafe(s string) (r rune, at int, ok bool) {
	for i, c := range s {
		if UnsafeRune(c) {
			return c, i, true
		}
		if c == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return utf8.RuneError, i, true
			}
		}
	}
	return 0, 0, false
}

// UnsafeRune reports whether text may not hold r (see Unsafe).
func UnsafeRune(r rune) bool {
	switch {
	case r < 0x20:
		return r != '\t' && r != '\n' && r != '\r'
	case r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// SafeText fails for text that is not valid UTF-8 or holds a character Unsafe refuses; the
// message names the character and its position (in characters, from 1). Imports check each
// cell with it, the JSON decoder each string of a request.
func SafeText(name, v string) error {
	r, at, bad := Unsafe(v)
	if !bad {
		return nil
	}
	pos := utf8.RuneCountInString(v[:at]) + 1
	if r == utf8.RuneError {
		return Errorf(name, "is not valid UTF-8 (at character %d)", pos)
	}
	return Errorf(name, "holds the control character U+%04X at character %d; remove it", r, pos)
}

// Erased is the value a personal field holds once its data subject's personal data was erased
// (domain/privacy.Erased): the checks of numbers, addresses and dates accept it, so a record whose
// personal values were erased stays editable in its other fields.
const Erased = "已删除"

// Phone accepts digits, spaces and + - ( ) # 转 (extension), with 3 to 20 digits; empty (and
// Erased) is fine.
func Phone(name, v string) error {
	if v == "" || v == Erased {
		return nil
	}
	digits := 0
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-()#转", r):
		default:
			return Errorf(name, "may hold digits, spaces and + - ( ) # only; got %q", v)
		}
	}
	if digits < 3 || digits > 20 {
		return &Error{Field: name, Message: "must have between 3 and 20 digits"}
	}
	return nil
}

// Email accepts a plain address (no display name); empty (and Erased) is fine.
func Email(name, v string) error {
	if v == "" || v == Erased {
		return nil
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || !strings.Contains(v[strings.LastIndex(v, "@"):], ".") {
		return Errorf(name, "is not an e-mail address: %q", v)
	}
	// A local part ending in *** is how an address is shown masked (z***@example.com): saved
	// back unchanged from a masked answer, it would replace the real address.
	if strings.HasSuffix(v[:strings.LastIndex(v, "@")], "***") {
		return Errorf(name, "is an address shown masked (%q): send the full address, or leave the field out", v)
	}
	return Text(name, v, 254)
}

// OneOf checks an enumerated value; empty is fine.
func OneOf(name, v string, allowed ...string) error {
	if v == "" {
		return nil
	}
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return Errorf(name, "must be one of %s; got %q", strings.Join(allowed, ", "), v)
}

// Digits returns only the digits of s (phone numbers compare by digits).
func Digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Date checks a calendar date "2006-01-02" between the years 1900 and 2999.
func Date(name, s string) error {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil || d.Format(time.DateOnly) != s || d.Year() < 1900 || d.Year() > 2999 {
		return &Error{Field: name, Message: fmt.Sprintf("must be a date written 2006-01-02; got %q", s), Code: "not_a_date"}
	}
	return nil
}
