// Package web serves Candor's web front end: the single-page app whose
// sources are in src/ (TypeScript, Preact, built by Vite), embedded into the
// binary from dist/. The build is committed so that `go run ./cmd/candor
// serve` needs no Node; CI rebuilds it and fails when it differs.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// CSP is the app page's Content-Security-Policy: its own scripts and styles
// only, calls to its own origin only, no framing. (The API's routes keep
// their stricter default-src 'none'.)
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Handler serves the app: index.html at "/" (never cached, so that a new
// build is picked up at once) and the content-hashed files under /assets/
// (cached for a year). It is meant to be mounted for GET and HEAD of "/"
// and "/assets/..." only; other paths answer 404.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // cannot happen: dist is embedded at build time
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		switch p := r.URL.Path; {
		case p == "/":
			h.Set("Cache-Control", "no-cache")
			http.ServeFileFS(w, r, sub, "index.html")
		case strings.HasPrefix(p, "/assets/") && !strings.HasSuffix(p, "/") && path.Clean(p) == p:
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
			files.ServeHTTP(w, r)
		default: // no directory listings, no other files
			http.NotFound(w, r)
		}
	})
}
