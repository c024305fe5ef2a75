package api

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

func TestNewRequestID(t *testing.T) {
	before := time.Now().Truncate(time.Millisecond)
	seen := map[string]bool{}
	for range 10_000 {
		s := newRequestID()
		u, err := uuid.Parse(s)
		if err != nil || u.String() != s {
			t.Fatalf("%q is not a canonical UUID: %v", s, err)
		}
		if u.Version() != 7 || u.Variant() != uuid.RFC4122 {
			t.Fatalf("%s: version %d, variant %v", s, u.Version(), u.Variant())
		}
		sec, nsec := u.Time().UnixTime()
		if at := time.Unix(sec, nsec); at.Before(before) || at.After(time.Now()) {
			t.Fatalf("%s: time %v, not between %v and now", s, at, before)
		}
		if seen[s] {
			t.Fatalf("%s made twice", s)
		}
		seen[s] = true
	}
}

// TestFixedHeaders runs the middleware that set the fixed headers:
// their keys must be in canonical form (Header.Get would not
// find them otherwise), and a value added later to one of them must not
// overwrite another.
func TestFixedHeaders(t *testing.T) {
	s := &Server{}
	for _, path := range []string{"/v1/me", "/docs"} {
		e := echo.New()
		rec := httptest.NewRecorder()
		c := e.NewContext(httptest.NewRequest(http.MethodGet, path, nil), rec)
		c.SetPath(path)
		r := &request{Context: c}
		h := s.requestID(s.securityHeaders(func(c echo.Context) error {
			c.Response().Header().Add(echo.HeaderXRequestID, "second")
			return nil
		}))
		if err := h(r); err != nil {
			t.Fatal(err)
		}
		hdr := rec.Header()
		if len(hdr) < 6 {
			t.Fatalf("%s: only %d headers: %v", path, len(hdr), hdr)
		}
		for k := range hdr {
			if http.CanonicalHeaderKey(k) != k {
				t.Errorf("%s: header key %q is not canonical", path, k)
			}
		}
		if got := hdr.Values(echo.HeaderXRequestID); len(got) != 2 || got[0] != r.id || got[1] != "second" {
			t.Errorf("%s: X-Request-Id %q", path, got)
		}
		if got := hdr.Values("X-Content-Type-Options"); len(got) != 1 || got[0] != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q after an Add to X-Request-Id", path, got)
		}
		if csp := hdr.Get("Content-Security-Policy"); (path == "/docs") != (csp == docsCSP) {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
	}
}

func TestStatusObservers(t *testing.T) {
	vec := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "h", Help: "h"}, []string{"route", "method", "status"})
	o := &statusObservers{vec: vec, route: "/a/:id", method: http.MethodGet}
	statuses := []int{200, 404, 200, 500, 404, 200}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for _, st := range statuses {
				o.get(st).Observe(0.001)
			}
		})
	}
	wg.Wait()
	if o.get(200) != o.get(200) {
		t.Error("a status has two observers")
	}
	if n := len(*o.list.Load()); n != 3 {
		t.Errorf("%d cached observers, want 3", n)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(vec)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["route"] != "/a/:id" || labels["method"] != http.MethodGet {
				t.Errorf("labels %v", labels)
			}
			got[labels["status"]] = m.GetHistogram().GetSampleCount()
		}
	}
	if want := map[string]uint64{"200": 24, "404": 16, "500": 8}; !maps.Equal(got, want) {
		t.Errorf("observations by status %v, want %v", got, want)
	}
}
