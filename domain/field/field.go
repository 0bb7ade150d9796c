// Package field holds what every aggregate uses to validate its fields: one error type naming the
// field and the problem, and checks for text, phone numbers and e-mail addresses.
package field

import (
	"fmt"
	"net/mail"
	"strings"
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

// Text checks UTF-8 validity and a length limit in characters.
func Text(name, v string, max int) error {
	if !utf8.ValidString(v) {
		return &Error{Field: name, Message: "is not valid UTF-8"}
	}
	if n := utf8.RuneCountInString(v); n > max {
		return Errorf(name, "is %d characters long; at most %d", n, max)
	}
	return nil
}

// Phone accepts digits, spaces and + - ( ) # 转 (extension), with 3 to 20 digits; empty is fine.
func Phone(name, v string) error {
	if v == "" {
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

// Email accepts a plain address (no display name); empty is fine.
func Email(name, v string) error {
	if v == "" {
		return nil
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || !strings.Contains(v[strings.LastIndex(v, "@"):], ".") {
		return Errorf(name, "is not an e-mail address: %q", v)
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
