package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// ContentSecurityPolicy allows only the UI's own scripts (no inline script). Ant Design writes
// its styles at run time (CSS-in-JS), hence 'unsafe-inline' for styles only.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; " +
	"base-uri 'self'; form-action 'self'; frame-ancestors 'none'"

// Cache policies: Vite puts a content hash in every name under assets/, so those never change;
// everything else (index.html above all) must be revalidated so a new release shows at once.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// notBuiltPage is served in place of the UI when the binary was built without it.
const notBuiltPage = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Chronicle CRM</title></head>` +
	"<body><p>Chronicle's web UI is not built: run <code>make web</code> (needs Node 20 and npm), then restart.</p></body></html>\n"

// reserved are the server's own paths: never client routes of the UI.
var reserved = []string{"/api", "/metrics", "/healthz", "/readyz"}

// encodings are the precompressed variants looked for next to a file, preferred first.
var encodings = []struct{ coding, ext string }{{"br", ".br"}, {"gzip", ".gz"}}

type handler struct {
	fsys  fs.FS
	etags map[string]string // every servable file (regular, not hidden) -> its entity tag
}

// NewHandler serves the single-page application in fsys (the contents of a Vite build: index.html,
// assets/ and whatever public/ held) for GET and HEAD:
//   - a file is served as it is; under assets/ it is cached as immutable, anything else is
//     revalidated (no-cache, with an ETag);
//   - a missing file under assets/ is 404; the server's own paths (/api, /metrics, /healthz,
//     /readyz) are 404 here too;
//   - any other path is a client route and gets index.html;
//   - when fsys holds no index.html, client routes get a one-line page saying how to build the UI;
//   - name.br or name.gz next to a file is served instead when Accept-Encoding allows it (br
//     first), with Content-Encoding, Vary: Accept-Encoding and the file's own Content-Type.
//
// Every response carries ContentSecurityPolicy, X-Content-Type-Options: nosniff,
// Referrer-Policy: no-referrer and X-Frame-Options: DENY.
func NewHandler(fsys fs.FS) http.Handler {
	h := &handler{fsys: fsys, etags: map[string]string{}}
	_ = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // an unreadable entry is simply not served
		}
		if name != "." && strings.HasPrefix(d.Name(), ".") { // the dist placeholder, editor files
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(b)
		h.etags[name] = `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
		return nil
	})
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := path.Clean("/" + r.URL.Path)
	for _, prefix := range reserved {
		if p == prefix || strings.HasPrefix(p, prefix+"/") {
			http.NotFound(w, r)
			return
		}
	}
	name := strings.TrimPrefix(p, "/")
	switch {
	case name == "" || name == "index.html":
	case h.etags[name] != "":
		cache := cacheRevalidate
		if strings.HasPrefix(name, "assets/") {
			cache = cacheImmutable
		}
		h.serve(w, r, name, cache)
		return
	case name == "assets" || strings.HasPrefix(name, "assets/"):
		http.NotFound(w, r)
		return
	}
	if h.etags["index.html"] == "" {
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Cache-Control", cacheRevalidate)
		hd.Set("Content-Length", strconv.Itoa(len(notBuiltPage)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = io.WriteString(w, notBuiltPage)
		}
		return
	}
	h.serve(w, r, "index.html", cacheRevalidate)
}

// serve answers with the file name, or with its best precompressed variant the client accepts.
func (h *handler) serve(w http.ResponseWriter, r *http.Request, name, cache string) {
	hd := w.Header()
	served, variants := name, false
	for _, e := range encodings {
		if h.etags[name+e.ext] == "" {
			continue
		}
		variants = true
		if served == name && accepts(r.Header.Get("Accept-Encoding"), e.coding) {
			served = name + e.ext
			hd.Set("Content-Encoding", e.coding)
		}
	}
	if variants {
		hd.Add("Vary", "Accept-Encoding")
	}
	f, err := h.fsys.Open(served)
	if err != nil {
		hd.Del("Content-Encoding")
		http.Error(w, "cannot read "+name, http.StatusInternalServerError)
		return
	}
	defer f.Close()
	content, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			hd.Del("Content-Encoding")
			http.Error(w, "cannot read "+name, http.StatusInternalServerError)
			return
		}
		content = bytes.NewReader(b)
	}
	// The type is the original file's: never sniffed from compressed bytes.
	if ctype := mime.TypeByExtension(path.Ext(name)); ctype != "" {
		hd.Set("Content-Type", ctype)
	} else if served != name {
		hd.Set("Content-Type", "application/octet-stream")
	}
	hd.Set("Cache-Control", cache)
	hd.Set("ETag", h.etags[served])
	http.ServeContent(w, r, name, time.Time{}, content)
}

// accepts reports whether an Accept-Encoding header value allows the content coding: named with
// a non-zero weight, or covered by a non-zero "*" and not named (RFC 9110 section 12.5.3).
func accepts(header, coding string) bool {
	star := false
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.TrimSpace(name)
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(p, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					f = 0
				}
				q = f
			}
		}
		switch {
		case strings.EqualFold(name, coding):
			return q > 0
		case name == "*":
			star = q > 0
		}
	}
	return star
}
