package settings

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
)

// TLS modes of the SMTP connection.
const (
	TLSNone     = "none"     // plain text (a relay on the same host or network)
	TLSStartTLS = "starttls" // plain, then STARTTLS (port 587)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
)

// TLSModes lists them.
var TLSModes = []string{TLSNone, TLSStartTLS, TLSImplicit}

// SMTP is the outgoing mail server. The password is never here in clear: PasswordSealed is its
// AES-256-GCM ciphertext (sealed by the command layer with the server's secret key), so the
// operation log never holds it. An empty Host is no mail server: nothing is e-mailed.
type SMTP struct {
	Host           string `json:"host"`
	Port           int    `json:"port"`
	TLS            string `json:"tls"`
	Username       string `json:"username"`
	PasswordSealed string `json:"passwordSealed,omitempty"`
	From           string `json:"from"`
}

// Enabled reports whether a server is set.
func (s SMTP) Enabled() bool { return s.Host != "" }

// Validate checks the server's settings (an empty Host needs nothing else).
func (s SMTP) Validate() error {
	if s.Host == "" {
		return nil
	}
	var errs []error
	if len(s.Host) > 253 || strings.ContainsAny(s.Host, " \t\r\n/:@") {
		errs = append(errs, &ValidationError{Field: "smtp.host", Message: "must be a host name or an IP address"})
	}
	if s.Port < 1 || s.Port > 65535 {
		errs = append(errs, &ValidationError{Field: "smtp.port", Message: fmt.Sprintf("must be between 1 and 65535, got %d", s.Port)})
	}
	if !slices.Contains(TLSModes, s.TLS) {
		errs = append(errs, &ValidationError{Field: "smtp.tls", Message: fmt.Sprintf("must be one of none, starttls, tls; got %q", s.TLS)})
	}
	if len(s.Username) > 254 || strings.ContainsAny(s.Username, "\r\n") {
		errs = append(errs, &ValidationError{Field: "smtp.username", Message: "at most 254 characters, on one line"})
	}
	if a, err := mail.ParseAddress(s.From); err != nil || strings.ContainsAny(s.From, "\r\n") || a.Address == "" {
		errs = append(errs, &ValidationError{Field: "smtp.from", Message: "must be an e-mail address, such as crm@example.com or Chronicle <crm@example.com>"})
	}
	return errors.Join(errs...)
}
