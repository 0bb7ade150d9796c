package usercmd

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// argon2id parameters (OWASP: m=19 MiB, t=2, p=1).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// testCost: UseTestHashCost was called; new hashes use t=1, m=64 KiB.
var testCost atomic.Bool

// UseTestHashCost makes the hashes made from now on in this process cheap (argon2id t=1, m=64 KiB
// instead of t=2, m=19 MiB). Harnesses of API tests call it: they create and sign in users
// hundreds of times under the race detector, where one real hash costs about 0.3 s of CPU.
// VerifyPassword reads the parameters from each hash, so hashes of either cost keep verifying.
// The product never calls it; the sign-in flood test runs the real binary at the real cost.
func UseTestHashCost() { testCost.Store(true) }

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// commonPasswordList is the 1,000 most common passwords of public breach lists (one a line,
// lower-case), Chinese-pinyin favourites included. Many are shorter than MinPasswordLength and
// are refused by the length rule anyway; they stay so the list reads as the lists it comes from.
//
//go:embed common_passwords.txt
var commonPasswordList string

var commonPasswords = func() map[string]bool {
	m := make(map[string]bool, 1000)
	for _, line := range strings.Split(commonPasswordList, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			m[line] = true
		}
	}
	return m
}()

// IsCommonPassword reports whether pw is on the common-password list (case-insensitively).
func IsCommonPassword(pw string) bool { return commonPasswords[strings.ToLower(pw)] }

// CheckPassword applies the password policy: 10 to 1,024 characters, not a common password,
// and (see checkStrength) not containing the user's names (the username, then the display
// name), not one repeated character, not a keyboard run and not judged guessable by zxcvbn.
// The refusal is a *user.ValidationError on "password" whose Code names the reason.
func CheckPassword(pw string, names ...string) error {
	if utf8.RuneCountInString(pw) < MinPasswordLength {
		return refuse(PasswordTooShort, fmt.Sprintf("must be at least %d characters", MinPasswordLength))
	}
	if len(pw) > 1024 {
		return refuse(PasswordTooLong, "is too long")
	}
	if IsCommonPassword(pw) {
		return refuse(PasswordCommon, "is too common: it is one of the 1,000 passwords attackers try first; choose another")
	}
	return checkStrength(pw, names...)
}

// HashPassword returns an encoded argon2id hash with a random salt.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	t, m := uint32(argonTime), uint32(argonMemory)
	if testCost.Load() {
		t, m = 1, 64
	}
	key := argon2.IDKey([]byte(pw), salt, t, m, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, t, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword checks a password against an encoded argon2id hash in constant time.
func VerifyPassword(pw, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("not an argon2id hash")
	}
	var version int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil {
		return false, err
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, err
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, err
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
