package readmodels

import "regexp"

var secretKey = regexp.MustCompile(`(?i)"(passwordHash|password|secret|totpSecret|recoveryCodes)"\s*:\s*("(?:[^"\\]|\\.)*"|\[[^\]]*\])`)

// Redact replaces the values of secret fields (password hashes, 2FA secrets) in event data: the
// operation log and record histories never show them.
func Redact(data []byte) []byte {
	return secretKey.ReplaceAll(data, []byte(`"$1":"[redacted]"`))
}
