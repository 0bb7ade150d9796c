package web_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/chronicle-crm/chronicle/web"
)

const (
	indexHTML = `<!doctype html><html><head><script type="module" src="/assets/index-Bx1.js"></script></head><body><div id="root"></div></body></html>`
	appJS     = `console.log("the app")`
)

// built is what a Vite build with precompression leaves in web/dist.
func built() fstest.MapFS {
	return fstest.MapFS{
		".placeholder":            {Data: []byte("kept by git")},
		"index.html":              {Data: []byte(indexHTML)},
		"index.html.gz":           {Data: []byte("gzip of index")},
		"favicon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		"assets/index-Bx1.js":     {Data: []byte(appJS)},
		"assets/index-Bx1.js.br":  {Data: []byte("brotli of the app")},
		"assets/index-Bx1.js.gz":  {Data: []byte("gzip of the app")},
		"assets/index-Cq2.css":    {Data: []byte("body{margin:0}")},
		"assets/index-Cq2.css.gz": {Data: []byte("gzip of the css")},
		"assets/logo-D3.png":      {Data: []byte("\x89PNG\r\n\x1a\n")},
	}
}

func get(t *testing.T, h http.Handler, method, path string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func wantSecurityHeaders(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
			"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"X-Frame-Options":        "DENY",
	}
	for k, v := range want {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestIndexAndClientRoutes(t *testing.T) {
	h := web.NewHandler(built())
	for _, path := range []string{"/", "/index.html", "/leads", "/leads/0190a5c4-8a5e-7b2c-9d3e-1f2a3b4c5d6e/history", "/org/users?page=2", "/../../etc/passwd"} {
		rec := get(t, h, http.MethodGet, path)
		if rec.Code != http.StatusOK || rec.Body.String() != indexHTML {
			t.Fatalf("GET %s = %d %q, want index.html", path, rec.Code, rec.Body.String())
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", path, ct)
		}
		if cc := rec.Header().Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", path, cc)
		}
		if rec.Header().Get("Content-Encoding") != "" || rec.Header().Get("Vary") != "Accept-Encoding" {
			t.Errorf("GET %s without Accept-Encoding: Content-Encoding %q, Vary %q", path, rec.Header().Get("Content-Encoding"), rec.Header().Get("Vary"))
		}
		wantSecurityHeaders(t, rec)
	}
	// index.html is revalidated: its ETag answers 304.
	etag := get(t, h, http.MethodGet, "/").Header().Get("ETag")
	if etag == "" {
		t.Fatal("index.html has no ETag")
	}
	if rec := get(t, h, http.MethodGet, "/customers", "If-None-Match", etag); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("revalidation = %d %q, want 304", rec.Code, rec.Body.String())
	}
	// HEAD answers the headers only.
	rec := get(t, h, http.MethodHead, "/leads")
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != strconv.Itoa(len(indexHTML)) {
		t.Fatalf("HEAD = %d, body %q, Content-Length %q", rec.Code, rec.Body.String(), rec.Header().Get("Content-Length"))
	}
}

func TestAssetsAreImmutable(t *testing.T) {
	h := web.NewHandler(built())
	rec := get(t, h, http.MethodGet, "/assets/index-Bx1.js")
	if rec.Code != http.StatusOK || rec.Body.String() != appJS {
		t.Fatalf("asset = %d %q", rec.Code, rec.Body.String())
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("asset Cache-Control %q", cc)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("asset Content-Type %q", ct)
	}
	wantSecurityHeaders(t, rec)
	if rec := get(t, h, http.MethodGet, "/assets/logo-D3.png"); rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/png" ||
		rec.Header().Get("Vary") != "" {
		t.Errorf("png asset = %d, Content-Type %q, Vary %q", rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Vary"))
	}
	// A file outside assets/ (from Vite's public/) has no hash in its name: revalidated.
	rec = get(t, h, http.MethodGet, "/favicon.svg")
	if rec.Code != http.StatusOK || rec.Header().Get("Cache-Control") != "no-cache" || rec.Header().Get("Content-Type") != "image/svg+xml" {
		t.Errorf("favicon = %d, Cache-Control %q, Content-Type %q", rec.Code, rec.Header().Get("Cache-Control"), rec.Header().Get("Content-Type"))
	}
}

func TestMissingAssetsAndServerPathsAre404(t *testing.T) {
	h := web.NewHandler(built())
	for _, path := range []string{"/assets/index-OLD.js", "/assets/", "/assets", "/api/v1/nothing", "/api", "/metrics/x", "/healthz", "/readyz/"} {
		rec := get(t, h, http.MethodGet, path)
		if rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "root") {
			t.Errorf("GET %s = %d %q, want 404", path, rec.Code, rec.Body.String())
		}
		if cc := rec.Header().Get("Cache-Control"); strings.Contains(cc, "immutable") {
			t.Errorf("GET %s: a 404 is cached as %q", path, cc)
		}
		wantSecurityHeaders(t, rec)
	}
	// Hidden files (the committed dist placeholder) are not served: the path is a client route.
	if rec := get(t, h, http.MethodGet, "/.placeholder"); rec.Body.String() != indexHTML {
		t.Errorf("GET /.placeholder = %q", rec.Body.String())
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	h := web.NewHandler(built())
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
		rec := get(t, h, m, "/leads")
		if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s = %d, Allow %q", m, rec.Code, rec.Header().Get("Allow"))
		}
		wantSecurityHeaders(t, rec)
	}
}

func TestPrecompressedVariants(t *testing.T) {
	h := web.NewHandler(built())
	for _, c := range []struct {
		path, accept, body, encoding string
	}{
		{"/assets/index-Bx1.js", "gzip, deflate, br, zstd", "brotli of the app", "br"},
		{"/assets/index-Bx1.js", "br;q=0.5, gzip;q=1", "brotli of the app", "br"}, // br is preferred when both are allowed
		{"/assets/index-Bx1.js", "gzip", "gzip of the app", "gzip"},
		{"/assets/index-Bx1.js", "br;q=0, gzip", "gzip of the app", "gzip"},
		{"/assets/index-Bx1.js", "BR", "brotli of the app", "br"},
		{"/assets/index-Bx1.js", "*", "brotli of the app", "br"},
		{"/assets/index-Bx1.js", "*;q=0", appJS, ""},
		{"/assets/index-Bx1.js", "br;q=0, *", "gzip of the app", "gzip"},
		{"/assets/index-Bx1.js", "identity", appJS, ""},
		{"/assets/index-Bx1.js", "", appJS, ""},
		{"/assets/index-Cq2.css", "br, gzip", "gzip of the css", "gzip"}, // no .br of this file
		{"/leads", "gzip, br", "gzip of index", "gzip"},                  // index.html's own variant
	} {
		rec := get(t, h, http.MethodGet, c.path, "Accept-Encoding", c.accept)
		if rec.Code != http.StatusOK || rec.Body.String() != c.body || rec.Header().Get("Content-Encoding") != c.encoding {
			t.Errorf("%s with Accept-Encoding %q = %d %q encoded %q, want %q encoded %q", c.path, c.accept, rec.Code, rec.Body.String(),
				rec.Header().Get("Content-Encoding"), c.body, c.encoding)
		}
		if rec.Header().Get("Vary") != "Accept-Encoding" {
			t.Errorf("%s with Accept-Encoding %q: Vary %q", c.path, c.accept, rec.Header().Get("Vary"))
		}
		ct := rec.Header().Get("Content-Type")
		if want := map[string]string{".js": "javascript", ".css": "text/css", "/leads": "text/html"}; !strings.Contains(ct, want[c.path[strings.LastIndexAny(c.path, "./"):]]) {
			t.Errorf("%s with Accept-Encoding %q: Content-Type %q", c.path, c.accept, ct)
		}
	}
	// Each variant has its own entity tag, so a cache never mixes them up.
	br := get(t, h, http.MethodGet, "/assets/index-Bx1.js", "Accept-Encoding", "br").Header().Get("ETag")
	gz := get(t, h, http.MethodGet, "/assets/index-Bx1.js", "Accept-Encoding", "gzip").Header().Get("ETag")
	id := get(t, h, http.MethodGet, "/assets/index-Bx1.js").Header().Get("ETag")
	if br == "" || br == gz || gz == id || br == id {
		t.Errorf("ETags br %s, gzip %s, identity %s", br, gz, id)
	}
}

func TestNotBuilt(t *testing.T) {
	h := web.NewHandler(fstest.MapFS{".placeholder": {Data: []byte("kept by git")}})
	for _, path := range []string{"/", "/leads/42"} {
		rec := get(t, h, http.MethodGet, path)
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, "Chronicle's web UI is not built: run <code>make web</code> (needs Node 20 and npm), then restart.") ||
			strings.Count(strings.TrimSpace(body), "\n") != 0 || strings.Contains(body, "<script") {
			t.Fatalf("GET %s without a build = %d %q", path, rec.Code, body)
		}
		if rec.Header().Get("Content-Type") != "text/html; charset=utf-8" || rec.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s without a build: Content-Type %q, Cache-Control %q", path, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
		}
		wantSecurityHeaders(t, rec)
	}
	if rec := get(t, h, http.MethodGet, "/assets/index-Bx1.js"); rec.Code != http.StatusNotFound {
		t.Errorf("an asset without a build = %d, want 404", rec.Code)
	}
	if rec := get(t, h, http.MethodHead, "/"); rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD without a build = %d %q", rec.Code, rec.Body.String())
	}
}

// TestEmbedded: the binary's own handler answers / (with the UI, or with the not-built page when
// web/dist holds only the placeholder) and carries the security headers.
func TestEmbedded(t *testing.T) {
	rec := get(t, web.Handler(), http.MethodGet, "/")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), "text/html") || rec.Body.Len() == 0 {
		t.Fatalf("GET / = %d %q", rec.Code, rec.Body.String())
	}
	wantSecurityHeaders(t, rec)
	if rec := get(t, web.Handler(), http.MethodGet, "/.placeholder"); strings.Contains(rec.Body.String(), "Vite build") {
		t.Errorf("the dist placeholder is served: %q", rec.Body.String())
	}
}
