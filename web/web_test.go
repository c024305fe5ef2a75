package web_test

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/candor-ledger/candor/web"
)

func get(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

// TestHandler: the page, its files, its headers, and nothing else.
func TestHandler(t *testing.T) {
	h := web.Handler()
	page := get(t, h, http.MethodGet, "/")
	if page.Code != http.StatusOK || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", page.Code, page.Header().Get("Content-Type"))
	}
	if got := page.Header().Get("Content-Security-Policy"); got != web.CSP {
		t.Errorf("CSP %q", got)
	}
	if got := page.Header().Get("Cache-Control"); got != "no-cache" {
		t.Errorf("index Cache-Control %q, want no-cache", got)
	}
	body := page.Body.String()
	// The CSP allows no inline script or style: the page must have none.
	for _, bad := range []*regexp.Regexp{regexp.MustCompile(`<script(?:\s+type="module")?\s*>`), regexp.MustCompile(`<style`), regexp.MustCompile(`\sstyle=`)} {
		if bad.MatchString(body) {
			t.Errorf("index.html has %s, which the CSP forbids", bad)
		}
	}
	refs := regexp.MustCompile(`(?:src|href)="\./(assets/[^"]+)"`).FindAllStringSubmatch(body, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html references %d assets, want the script and the style sheet:\n%s", len(refs), body)
	}
	for _, r := range refs {
		res := get(t, h, http.MethodGet, "/"+r[1])
		if res.Code != http.StatusOK {
			t.Errorf("GET /%s: %d", r[1], res.Code)
			continue
		}
		if got := res.Header().Get("Cache-Control"); !strings.Contains(got, "immutable") {
			t.Errorf("GET /%s: Cache-Control %q", r[1], got)
		}
		if ct := res.Header().Get("Content-Type"); !strings.Contains(ct, "javascript") && !strings.Contains(ct, "css") {
			t.Errorf("GET /%s: Content-Type %q", r[1], ct)
		}
	}
	for _, c := range []struct {
		method, path string
		want         int
	}{
		{http.MethodHead, "/", http.StatusOK},
		{http.MethodGet, "/assets/", http.StatusNotFound}, // no listing
		{http.MethodGet, "/assets", http.StatusNotFound},  // nor there
		{http.MethodGet, "/assets/../index.html", http.StatusNotFound},
		{http.MethodGet, "/assets/nothing.js", http.StatusNotFound},
		{http.MethodGet, "/index.html", http.StatusNotFound}, // one URL for the page
		{http.MethodGet, "/v1/me", http.StatusNotFound},      // not the app's
		{http.MethodPost, "/", http.StatusMethodNotAllowed},
	} {
		if got := get(t, h, c.method, c.path).Code; got != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, got, c.want)
		}
	}
}

// budget is the limit on the app's JavaScript and CSS, gzipped.
const budget = 200 << 10

// TestBundleBudget: the built JS and CSS, gzipped, stay within 200 KiB.
func TestBundleBudget(t *testing.T) {
	var total int
	err := filepath.WalkDir("dist/assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".js") || strings.HasSuffix(p, ".css")) {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var z bytes.Buffer
		w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		_, _ = w.Write(b)
		_ = w.Close()
		t.Logf("%s: %d bytes, %d gzipped", filepath.Base(p), len(b), z.Len())
		total += z.Len()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if total == 0 {
		t.Fatal("no JS or CSS in dist/assets: run npm run build in web/")
	}
	t.Logf("JS + CSS gzipped: %.1f KiB (budget %d KiB)", float64(total)/1024, budget>>10)
	if total > budget {
		t.Errorf("JS + CSS gzipped is %d bytes, over the %d-byte budget", total, budget)
	}
}
