package readmodels

import (
	"bytes"
	"regexp"
)

var secretKey = regexp.MustCompile(`(?i)"(passwordHash|password|secret|totpSecret|recoveryCodes)"\s*:\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\])`)

// Redact replaces the values of secret fields (password hashes, 2FA secrets) in event data: the
// operation log and record histories never show them. Data that cannot hold a secret field is
// returned as it is, without running the expression (most events hold none): the name of every
// one holds PASSWORD, SECRET or RECOVERYCODES once upper-cased, which also maps the letters the
// expression's case folding matches (ſ to S).
func Redact(data []byte) []byte {
	upper := bytes.ToUpper(data)
	if !bytes.Contains(upper, []byte("PASSWORD")) && !bytes.Contains(upper, []byte("SECRET")) && !bytes.Contains(upper, []byte("RECOVERYCODES")) {
		return data
	}
	return secretKey.ReplaceAll(data, []byte(`"$1":"[redacted]"`))
}
