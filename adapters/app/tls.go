package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// HSTS is the Strict-Transport-Security header every response served over TLS carries: browsers
// that saw it come back only over HTTPS for a year.
const HSTS = "max-age=31536000"

// validateTLS checks the TLS settings together: the certificate and its key come as a pair, and a
// redirect of plain HTTP needs an HTTPS listener to send clients to.
func (c *Config) validateTLS() error {
	switch {
	case c.TLSCertFile != "" && c.TLSKeyFile == "":
		return errors.New("CHRONICLE_TLS_CERT_FILE is set without CHRONICLE_TLS_KEY_FILE: set both (the certificate chain and its private key, PEM) or neither")
	case c.TLSCertFile == "" && c.TLSKeyFile != "":
		return errors.New("CHRONICLE_TLS_KEY_FILE is set without CHRONICLE_TLS_CERT_FILE: set both (the certificate chain and its private key, PEM) or neither")
	case c.HTTPRedirectAddr != "" && c.TLSCertFile == "":
		return errors.New("CHRONICLE_HTTP_REDIRECT_ADDR redirects plain HTTP to HTTPS: it needs CHRONICLE_TLS_CERT_FILE and CHRONICLE_TLS_KEY_FILE")
	}
	return nil
}

// TLSEnabled reports whether the server listens with TLS.
func (c *Config) TLSEnabled() bool { return c.TLSCertFile != "" }

// LoadTLS reads the certificate and key of CHRONICLE_TLS_CERT_FILE and CHRONICLE_TLS_KEY_FILE, so
// that an unreadable or mismatched pair stops the start before anything listens. Serve then
// listens with TLS 1.2 or later (Go's default cipher suites) and picks up a renewed certificate
// (the files replaced, e.g. by a certificate renewal job) at the next handshake after it changed.
// Without TLS settings it does nothing.
func (a *App) LoadTLS() error {
	if !a.Config.TLSEnabled() {
		return nil
	}
	c := &certFiles{cert: a.Config.TLSCertFile, key: a.Config.TLSKeyFile, logger: a}
	if err := c.load(); err != nil {
		return err
	}
	a.tls = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.get}
	return nil
}

// certFiles is a certificate read from its files, read again when they change (checked at most
// every certCheckEvery).
type certFiles struct {
	cert, key string
	logger    *App

	mu      sync.Mutex
	current *tls.Certificate
	stamp   string // the files' sizes and modification times when current was read
	checked time.Time
}

const certCheckEvery = 10 * time.Second

func (c *certFiles) fileStamp() (string, error) {
	var b strings.Builder
	for _, p := range []string{c.cert, c.key} {
		fi, err := os.Stat(p)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%d/%d;", fi.Size(), fi.ModTime().UnixNano())
	}
	return b.String(), nil
}

func (c *certFiles) load() error {
	stamp, err := c.fileStamp()
	if err != nil {
		return fmt.Errorf("TLS certificate (CHRONICLE_TLS_CERT_FILE, CHRONICLE_TLS_KEY_FILE): %w", err)
	}
	pair, err := tls.LoadX509KeyPair(c.cert, c.key)
	if err != nil {
		return fmt.Errorf("TLS certificate %s with key %s: %w", c.cert, c.key, err)
	}
	c.current, c.stamp, c.checked = &pair, stamp, time.Now()
	return nil
}

// get is tls.Config.GetCertificate: the certificate, read again when its files changed. A
// changed pair that does not load (a renewal half written) keeps the previous certificate and
// is tried again at the next check.
func (c *certFiles) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) < certCheckEvery {
		return c.current, nil
	}
	c.checked = time.Now()
	if stamp, err := c.fileStamp(); err == nil && stamp != c.stamp {
		previous := c.current
		if err := c.load(); err != nil {
			c.current, c.checked = previous, time.Now()
			c.logger.Logger.Warn("the changed TLS certificate does not load; serving the previous one", "error", err)
		} else {
			c.logger.Logger.Info("TLS certificate read again", "file", c.cert)
		}
	}
	return c.current, nil
}

// withTLS prepares srv to serve TLS when LoadTLS loaded a certificate: its TLS settings, and the
// Strict-Transport-Security header on every response. It reports whether it did.
func (a *App) withTLS(srv *http.Server) bool {
	if a.tls == nil {
		return false
	}
	srv.TLSConfig = a.tls.Clone()
	next := srv.Handler
	srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Strict-Transport-Security", HSTS)
		next.ServeHTTP(w, r)
	})
	return true
}

// ServeRedirect answers every request on ln (CHRONICLE_HTTP_REDIRECT_ADDR) with 308 Permanent
// Redirect to the same host, path and query over HTTPS, and serves nothing else, until ctx ends or
// the returned function is called. The HTTPS port is that of CHRONICLE_PUBLIC_URL when it is an
// https address (none: 443; so a port mapped by a container or a load balancer is right), else
// the port of the TLS listener tlsLn.
func (a *App) ServeRedirect(ctx context.Context, ln, tlsLn net.Listener) (stop func()) {
	port := ""
	if u, err := url.Parse(a.Config.PublicURL); err == nil && u.Scheme == "https" {
		port = u.Port()
		if port == "" {
			port = "443"
		}
	} else if _, p, err := net.SplitHostPort(tlsLn.Addr().String()); err == nil {
		port = p
	}
	srv := &http.Server{Handler: RedirectToHTTPS(port), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute, BaseContext: func(net.Listener) context.Context { return ctx }}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Logger.Warn("the redirect of plain HTTP stopped", "error", err)
		}
	}()
	stopped := context.AfterFunc(ctx, func() { _ = srv.Close() })
	return func() { stopped(); _ = srv.Close() }
}

// RedirectToHTTPS answers every request with 308 to the same host (its port replaced by port,
// left out when it is 443), path and query over HTTPS.
func RedirectToHTTPS(port string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		if host == "" || strings.ContainsAny(host, "/\\@?#") {
			http.Error(w, "a request without a valid Host cannot be redirected to HTTPS", http.StatusBadRequest)
			return
		}
		if port != "" && port != "443" {
			host = net.JoinHostPort(host, port)
		} else if strings.Contains(host, ":") {
			host = "[" + host + "]" // an IPv6 address
		}
		target := url.URL{Scheme: "https", Host: host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
		w.Header().Set("Location", target.String())
		w.WriteHeader(http.StatusPermanentRedirect)
	})
}
