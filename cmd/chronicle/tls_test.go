package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chronicle-crm/chronicle/adapters/app"
	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
)

// selfSignedCert writes a self-signed certificate for localhost and 127.0.0.1 and its key (PEM)
// into dir, and answers their paths and a pool that trusts the certificate.
func selfSignedCert(t *testing.T, dir string) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, roots
}

// TestServesTLS: with CHRONICLE_TLS_CERT_FILE and CHRONICLE_TLS_KEY_FILE the real server speaks
// TLS only (1.2 and up; plain HTTP on its port gets no API answer), every response carries HSTS,
// a cookie sign-in's cookies are Secure, and CHRONICLE_HTTP_REDIRECT_ADDR answers 308 to the same
// host, path and query over HTTPS and serves nothing else.
func TestServesTLS(t *testing.T) {
	const password = "Tls-test-harbour-2026"
	dir := t.TempDir()
	certFile, keyFile, roots := selfSignedCert(t, dir)
	srv := startServer(t, serverEnv("CHRONICLE_DATA_DIR="+filepath.Join(dir, "data"), "CHRONICLE_ADMIN_PASSWORD="+password,
		"CHRONICLE_LOG_LEVEL=warn", "CHRONICLE_TLS_CERT_FILE="+certFile, "CHRONICLE_TLS_KEY_FILE="+keyFile,
		"CHRONICLE_HTTP_REDIRECT_ADDR=127.0.0.1:0"))
	if !strings.HasPrefix(srv.base, "https://") {
		t.Fatalf("the server says it runs at %s", srv.base)
	}
	c := newAPIClient(srv.base)
	c.http.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}
	c.signIn(t, password)

	// Every response over TLS carries HSTS: the API, the UI, a 404, the health check.
	for _, path := range []string{"/api/v1/leads", "/", "/api/v1/nothing-here", "/healthz"} {
		req, _ := http.NewRequest(http.MethodGet, srv.base+path, nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		res, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.TLS == nil || res.TLS.Version < tls.VersionTLS12 {
			t.Fatalf("GET %s: TLS state %+v", path, res.TLS)
		}
		if got := res.Header.Get("Strict-Transport-Security"); got != app.HSTS {
			t.Fatalf("GET %s (%d): Strict-Transport-Security %q, want %q", path, res.StatusCode, got, app.HSTS)
		}
	}

	// A cookie session's cookies are Secure (and the session one HttpOnly).
	req, _ := http.NewRequest(http.MethodPost, srv.base+"/api/v1/auth/login",
		strings.NewReader(`{"username":"admin","password":"`+password+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(httpkit.SessionModeHeader, "cookie")
	res, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || len(res.Cookies()) != 2 {
		t.Fatalf("cookie sign-in: %d, cookies %v", res.StatusCode, res.Cookies())
	}
	for _, ck := range res.Cookies() {
		if !ck.Secure {
			t.Fatalf("cookie %s is not Secure: %s", ck.Name, ck.String())
		}
	}

	// TLS 1.1 is refused.
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}}
	if res, err := old.Get(srv.base + "/healthz"); err == nil {
		res.Body.Close()
		t.Fatal("a TLS 1.1 client was served")
	}

	// Plain HTTP on the TLS port gets no API answer (Go's server says 400: an HTTP request to an HTTPS server).
	plainBase := strings.Replace(srv.base, "https://", "http://", 1)
	if res, err := http.Get(plainBase + "/healthz"); err == nil {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest || !bytes.Contains(b, []byte("HTTPS")) {
			t.Fatalf("plain HTTP to the TLS port: %d %q", res.StatusCode, b)
		}
	}

	// The redirect listener answers every request with 308 to the https address, and nothing else.
	m := regexp.MustCompile(`Plain HTTP on localhost:(\d+) is redirected`).FindStringSubmatch(srv.out.String())
	if m == nil {
		t.Fatalf("the server did not say where it redirects plain HTTP: %q", srv.out.String())
	}
	_, tlsPort, _ := net.SplitHostPort(strings.TrimPrefix(srv.base, "https://"))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct{ method, path, want string }{
		{http.MethodGet, "/api/v1/leads?limit=5&q=%E7%8E%8B", "https://127.0.0.1:" + tlsPort + "/api/v1/leads?limit=5&q=%E7%8E%8B"},
		{http.MethodPost, "/api/v1/auth/login", "https://127.0.0.1:" + tlsPort + "/api/v1/auth/login"},
		{http.MethodGet, "/", "https://127.0.0.1:" + tlsPort + "/"},
	} {
		req, _ := http.NewRequest(tc.method, "http://127.0.0.1:"+m[1]+tc.path, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusPermanentRedirect || res.Header.Get("Location") != tc.want {
			t.Fatalf("%s %s on the redirect listener: %d Location %q, want 308 to %s", tc.method, tc.path, res.StatusCode, res.Header.Get("Location"), tc.want)
		}
		if bytes.Contains(b, []byte("{")) {
			t.Fatalf("the redirect listener served a body: %q", b)
		}
	}
	// Followed, the redirect ends on the TLS server.
	follow := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	res, err = follow.Get("http://127.0.0.1:" + m[1] + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.TLS == nil {
		t.Fatalf("the followed redirect: %d, TLS %v", res.StatusCode, res.TLS != nil)
	}
}

// TestTLSSettingsAreChecked: a certificate without its key (or a key alone, or a redirect without
// TLS) stops the start with one clear line, and so does a key that does not match its certificate.
func TestTLSSettingsAreChecked(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := selfSignedCert(t, dir)
	otherCert, _, _ := selfSignedCert(t, t.TempDir())
	cases := map[string]struct {
		env  map[string]string
		want string
	}{
		"certificate without key": {map[string]string{"CHRONICLE_TLS_CERT_FILE": certFile}, "CHRONICLE_TLS_CERT_FILE is set without CHRONICLE_TLS_KEY_FILE"},
		"key without certificate": {map[string]string{"CHRONICLE_TLS_KEY_FILE": keyFile}, "CHRONICLE_TLS_KEY_FILE is set without CHRONICLE_TLS_CERT_FILE"},
		"redirect without TLS":    {map[string]string{"CHRONICLE_HTTP_REDIRECT_ADDR": "127.0.0.1:0"}, "CHRONICLE_HTTP_REDIRECT_ADDR redirects plain HTTP to HTTPS"},
		"missing certificate":     {map[string]string{"CHRONICLE_TLS_CERT_FILE": filepath.Join(dir, "none.pem"), "CHRONICLE_TLS_KEY_FILE": keyFile}, "TLS certificate"},
		"key of another":          {map[string]string{"CHRONICLE_TLS_CERT_FILE": otherCert, "CHRONICLE_TLS_KEY_FILE": keyFile}, "private key does not match public key"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.env["CHRONICLE_DATA_DIR"] = t.TempDir()
			c.env["CHRONICLE_HTTP_ADDR"] = "127.0.0.1:0"
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			err := run(ctx, []string{"serve"}, &bytes.Buffer{}, env(c.env))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
		})
	}
	// The real binary refuses too, before serving anything.
	cmd := exec.Command(chronicleBinary(t), "serve")
	cmd.Env = serverEnv("CHRONICLE_DATA_DIR="+t.TempDir(), "CHRONICLE_HTTP_ADDR=127.0.0.1:0", "CHRONICLE_TLS_CERT_FILE="+certFile)
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "CHRONICLE_TLS_CERT_FILE is set without CHRONICLE_TLS_KEY_FILE") {
		t.Fatalf("chronicle serve with a certificate and no key: %v\n%s", err, out)
	}
}
