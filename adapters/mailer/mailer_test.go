package mailer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/mailer"
	"github.com/chronicle-crm/chronicle/adapters/mailer/smtptest"
	"github.com/chronicle-crm/chronicle/domain/settings"
	"github.com/chronicle-crm/chronicle/readmodels/notifyview"
)

// testCert is a self-signed certificate for 127.0.0.1, and a pool that trusts it.
func testCert(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtptest"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

func server(s *smtptest.Server, mode string) mailer.Server {
	return mailer.Server{SMTP: settings.SMTP{Host: s.Host, Port: s.Port, TLS: mode, Username: "crm", From: "Chronicle <crm@example.com>"}, Password: "pw"}
}

// The TLS modes (not run in parallel: RootCAs is the package's).
func TestSendTLSModes(t *testing.T) {
	config, pool := testCert(t)
	mailer.RootCAs = pool
	t.Cleanup(func() { mailer.RootCAs = nil })
	msg := mailer.Compose("Chronicle <crm@example.com>", "a@example.com", "主题 subject", "正文\nbody", time.Now())
	ctx := context.Background()

	starttls := smtptest.StartTLS(t, config)
	if err := mailer.Send(ctx, server(starttls, settings.TLSStartTLS), "a@example.com", msg); err != nil {
		t.Fatal(err)
	}
	if m := starttls.Messages(); len(m) != 1 || !m[0].TLS || m[0].Auth != "crm\x00pw" || m[0].Subject != "主题 subject" || strings.TrimSpace(m[0].Body) != "正文\nbody" {
		t.Fatalf("starttls: %+v", m)
	}
	implicit := smtptest.StartImplicitTLS(t, config)
	if err := mailer.Send(ctx, server(implicit, settings.TLSImplicit), "a@example.com", msg); err != nil {
		t.Fatal(err)
	}
	if m := implicit.Messages(); len(m) != 1 || !m[0].TLS {
		t.Fatalf("implicit: %+v", m)
	}
	// starttls is refused by a server that does not offer it: nothing is sent in clear.
	plain := smtptest.Start(t)
	if err := mailer.Send(ctx, server(plain, settings.TLSStartTLS), "a@example.com", msg); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("starttls over a plain server: %v", err)
	}
	if len(plain.Messages()) != 0 {
		t.Fatal("sent in clear")
	}
	// A certificate the client does not trust is refused.
	mailer.RootCAs = x509.NewCertPool()
	if err := mailer.Send(ctx, server(implicit, settings.TLSImplicit), "a@example.com", msg); err == nil {
		t.Fatal("an untrusted certificate was accepted")
	}
	// Wrong credentials are the server's refusal.
	plain.RequireAuth("crm", "other")
	if err := mailer.Send(ctx, server(plain, settings.TLSNone), "a@example.com", msg); err == nil || !strings.Contains(err.Error(), "535") {
		t.Fatalf("wrong password: %v", err)
	}
}

func TestCompose(t *testing.T) {
	t.Parallel()
	// A subject with a line break cannot add a header.
	msg := string(mailer.Compose("crm@example.com", "a@example.com", "hello\r\nBcc: evil@example.com", "x", time.Now()))
	head, _, _ := strings.Cut(msg, "\r\n\r\n")
	if strings.Contains(head, "\r\nBcc:") {
		t.Fatalf("header injection: %q", head)
	}
	n := &notifyview.Notification{Kind: "approval_requested", SubjectKind: "receipt", SubjectID: "c-1", Title: "合同 HT-001", ActorName: "王五"}
	subject, body := mailer.NotificationMail("https://crm.example.com/", n, "en")
	if !strings.HasPrefix(subject, "[Chronicle] Waiting for your approval / 有待你审批的事项") ||
		!strings.Contains(body, "https://crm.example.com/contracts/c-1?tab=receivables") || strings.Index(body, "Open:") > strings.Index(body, "查看：") {
		t.Fatalf("%s\n%s", subject, body)
	}
}
