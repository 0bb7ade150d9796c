package usercmd

import (
	"strings"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"

	"github.com/chronicle-crm/chronicle/domain/user"
)

// The reasons a password is refused, as the stable codes of the 422 problem's field errors.
const (
	PasswordTooShort         = "password_too_short"
	PasswordTooLong          = "password_too_long"
	PasswordCommon           = "password_common"
	PasswordContainsUsername = "password_contains_username"
	PasswordContainsName     = "password_contains_display_name"
	PasswordRepeated         = "password_repeated"
	PasswordKeyboardRun      = "password_keyboard_run"
	PasswordTooWeak          = "password_too_weak"
)

// MinPasswordScore is the lowest zxcvbn score accepted (0 to 4; 3: "safely unguessable:
// moderate protection from offline slow-hash scenarios", about 10^8 guesses and more).
const MinPasswordScore = 3

// strengthRunes bounds the text the strength estimator reads: its matching grows faster than
// the length, and a password that long is judged on its first strengthRunes characters.
const strengthRunes = 64

// minInputRunes: a username or display name shorter than this is not looked for inside
// passwords (a two-letter name such as "li" is part of too many good passwords).
const minInputRunes = 3

// keyboardRows are the sequences a keyboard run follows, either way: the rows of a US keyboard
// (shifted and not), the alphabet and the digits.
var keyboardRows = []string{
	"`1234567890-=", "qwertyuiop[]\\", "asdfghjkl;'", "zxcvbnm,./",
	"~!@#$%^&*()_+", "qwertyuiop{}|", "asdfghjkl:\"", "zxcvbnm<>?",
	"abcdefghijklmnopqrstuvwxyz", "0123456789",
}

// checkStrength refuses a password that contains one of the user's names, is one character
// repeated, is a run along a keyboard row (or the alphabet), or that zxcvbn judges guessable.
// names are the username and the display name.
func checkStrength(pw string, names ...string) error {
	lower := strings.ToLower(pw)
	for i, n := range names {
		n = strings.ToLower(strings.TrimSpace(n))
		if utf8.RuneCountInString(n) < minInputRunes || !strings.Contains(lower, n) {
			continue
		}
		if i == 0 {
			return refuse(PasswordContainsUsername, "must not contain your username")
		}
		return refuse(PasswordContainsName, "must not contain your display name")
	}
	if repeated(lower) {
		return refuse(PasswordRepeated, "is one character repeated; choose a password that is hard to guess")
	}
	if keyboardRun(lower) {
		return refuse(PasswordKeyboardRun, "is a run of neighbouring keys; choose a password that is hard to guess")
	}
	judged := pw
	if utf8.RuneCountInString(pw) > strengthRunes {
		judged = string([]rune(pw)[:strengthRunes])
	}
	if zxcvbn.PasswordStrength(judged, names).Score < MinPasswordScore {
		return refuse(PasswordTooWeak, "is too easy to guess: add words or characters that do not follow a pattern (a long passphrase works well)")
	}
	return nil
}

func refuse(code, msg string) error {
	return &user.ValidationError{Field: "password", Message: msg, Code: code}
}

// repeated: every character of s is its first.
func repeated(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	return strings.Trim(s, string(first)) == ""
}

// keyboardRun: s walks one of keyboardRows one key at a time in one direction (wrapping round
// the row's end, so "90123456789" is a run too).
func keyboardRun(s string) bool {
	for _, row := range keyboardRows {
		for _, r := range []string{row, reverse(row)} {
			if runAlong(s, r) {
				return true
			}
		}
	}
	return false
}

func runAlong(s, row string) bool {
	i := strings.IndexByte(row, s[0])
	if i < 0 {
		return false
	}
	for k := 1; k < len(s); k++ {
		i = (i + 1) % len(row)
		if s[k] != row[i] {
			return false
		}
	}
	return true
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}
