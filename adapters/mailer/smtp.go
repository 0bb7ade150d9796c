// Package mailer sends Chronicle's e-mail: the notifications users asked to have by e-mail, the
// password-reset links and the administrators' test message, through the SMTP server of the
// settings.
//
// The mailer is a background process that runs in one process at a time (a lease in the
// read-model database, like the reminder process). It reads the notifications read model in log
// order after its own checkpoint, and for each notification whose recipient has an e-mail address
// and wants that kind by e-mail it writes a row of the outbox keyed by the notification's id
// (notifications have stable ids, the same after any rebuild, so a restart or a rebuild never
// queues one twice), then sends what is due. A failed delivery is tried again after 1, 2, 4, 8 and
// 16 minutes; after MaxAttempts it is marked failed, for administrators to see.
package mailer

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"strconv"
	"time"

	"github.com/chronicle-crm/chronicle/domain/settings"
)

// Server is the outgoing mail server with its password in clear (opened for one delivery).
type Server struct {
	settings.SMTP
	Password string
}

// RootCAs, when not nil, replaces the system's roots in verifying the server's certificate (tests).
var RootCAs *x509.CertPool

// DialTimeout bounds the connection to the server; SendTimeout one whole delivery.
var (
	DialTimeout = 10 * time.Second
	SendTimeout = 30 * time.Second
)

// Send delivers one message (the complete RFC 5322 text) to one address: with TLS from the
// first byte (tls), after STARTTLS (starttls: refused when the server does not offer it), or in
// clear (none); with AUTH PLAIN when a username is set.
func Send(ctx context.Context, s Server, to string, msg []byte) error {
	if !s.Enabled() {
		return errors.New("no mail server is set")
	}
	ctx, cancel := context.WithTimeout(ctx, SendTimeout)
	defer cancel()
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	d := &net.Dialer{Timeout: DialTimeout}
	var conn net.Conn
	var err error
	tlsConfig := &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12, RootCAs: RootCAs}
	if s.TLS == settings.TLSImplicit {
		conn, err = (&tls.Dialer{NetDialer: d, Config: tlsConfig}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello("chronicle"); err != nil {
		return err
	}
	if s.TLS == settings.TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return errors.New("the server does not offer STARTTLS")
		}
		if err := c.StartTLS(tlsConfig); err != nil {
			return err
		}
	}
	if s.Username != "" {
		if err := c.Auth(plainAuth{user: s.Username, password: s.Password}); err != nil {
			return fmt.Errorf("authentication: %w", err)
		}
	}
	if err := c.Mail(envelope(s.From)); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// plainAuth is AUTH PLAIN (RFC 4616). net/smtp's PlainAuth refuses a server without TLS except on
// localhost; the TLS mode is the administrator's choice here (none is for a relay they trust).
type plainAuth struct{ user, password string }

func (a plainAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.password), nil
}

func (a plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge")
	}
	return nil, nil
}
