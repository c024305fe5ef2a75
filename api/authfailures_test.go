package api_test

import (
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/candor-ledger/candor/api"
	"github.com/candor-ledger/candor/auth"
)

// from returns a copy of ts whose requests leave from the loopback address
// local (Linux answers on all of 127.0.0.0/8), so that the server sees
// another client address.
func (ts *testServer) from(t *testing.T, local string) *testServer {
	t.Helper()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}, Timeout: 5 * time.Second}
	if c, err := d.Dial("tcp", ts.url[len("http://"):]); err != nil {
		t.Skipf("cannot connect from %s: %v", local, err)
	} else {
		c.Close()
	}
	vt := newValidatingTransport(t, ts.url)
	vt.base = &http.Transport{DialContext: d.DialContext}
	cp := *ts
	cp.client = &http.Client{Transport: vt, Timeout: 30 * time.Second}
	return &cp
}

// TestFailedAuthenticationIsLimitedPerAddress: a flood of bad tokens from
// one address soon gets 429 with Retry-After instead of 401; a valid token
// still passes, from that address and from another one, whose own
// failures have their own budget.
func TestFailedAuthenticationIsLimitedPerAddress(t *testing.T) {
	ts := startServer(t, api.Config{RateLimit: 1000, AuthFailureRate: 0.001, AuthFailureBurst: 3})
	_, valid := ts.newPrincipalDirect("Vera Valid", auth.RoleMember)
	flooder, other := ts.from(t, "127.0.0.1"), ts.from(t, "127.0.0.2")
	bad := []string{"", "cnd_short", auth.NewSecret()} // missing, malformed, unknown

	for i := range 3 {
		r := flooder.get(bad[i%len(bad)], "/v1/me")
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d within the burst: %d %s", i+1, r.Status, r.Body)
		}
	}
	for _, tok := range bad {
		r := flooder.get(tok, "/v1/me")
		if r.Status != http.StatusTooManyRequests || r.problem(t).Code != api.CodeRateLimited {
			t.Fatalf("failure past the burst (token %q): %d %s", tok, r.Status, r.Body)
		}
		if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n < 1 {
			t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("Content-Type %q", ct)
		}
	}
	// A valid token is never locked out by the flood.
	must(t, flooder.get(valid, "/v1/me"), 200)
	must(t, other.get(valid, "/v1/me"), 200)
	// Another address fails on its own budget.
	if r := other.get(bad[2], "/v1/me"); r.Status != http.StatusUnauthorized {
		t.Errorf("another address's first failure: %d %s", r.Status, r.Body)
	}
	// Public operations are not concerned.
	must(t, flooder.get("", "/healthz"), 200)
}
