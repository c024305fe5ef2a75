package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/sqlite"
)

// runCmd runs a command line and returns its exit status and output. A
// command that should have ended but serves is stopped after a while that
// only bounds a hang.
func runCmd(args ...string) (code int, stdout, stderr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	code = run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// TestServeRefusesBadSettings: settings that would silently weaken the
// server are refused at start, naming the setting, before anything is
// opened.
func TestServeRefusesBadSettings(t *testing.T) {
	for _, tc := range []struct {
		name, env, value, says string
	}{
		{"empty rate limit", "CANDOR_RATE_LIMIT", "", "CANDOR_RATE_LIMIT"},
		{"malformed rate limit", "CANDOR_RATE_LIMIT", "lots", "CANDOR_RATE_LIMIT"},
		{"infinite rate limit", "CANDOR_RATE_LIMIT", "Inf", "CANDOR_RATE_LIMIT"},
		{"pprof on every interface", "CANDOR_PPROF_ADDR", ":6060", "loopback"},
		{"pprof on 0.0.0.0", "CANDOR_PPROF_ADDR", "0.0.0.0:6060", "loopback"},
		{"pprof on ::", "CANDOR_PPROF_ADDR", "[::]:6060", "loopback"},
		{"pprof on a name", "CANDOR_PPROF_ADDR", "example.com:6060", "loopback"},
		{"malformed demo", "CANDOR_DEMO", "yes please", "CANDOR_DEMO"},
		{"empty address", "CANDOR_ADDR", "", "CANDOR_ADDR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			dir := filepath.Join(t.TempDir(), "data")
			args := []string{"serve", "--addr", "127.0.0.1:0", "--data", dir}
			if tc.env == "CANDOR_ADDR" {
				args = []string{"serve", "--data", dir}
			}
			code, _, stderr := runCmd(args...)
			if code != 2 || !strings.Contains(stderr, tc.says) {
				t.Errorf("exit %d, want 2 naming %s:\n%s", code, tc.says, stderr)
			}
			if _, err := os.Stat(dir); err == nil {
				t.Error("refused, yet it created the data directory")
			}
		})
	}
}

func TestCheckPprofAddr(t *testing.T) {
	for addr, ok := range map[string]bool{
		"": true, "127.0.0.1:6060": true, "localhost:6060": true, "[::1]:6060": true, "127.0.0.2:0": true,
		":6060": false, "0.0.0.0:6060": false, "[::]:6060": false, "192.168.1.4:6060": false, "pprof.example:6060": false, "6060": false,
	} {
		if err := checkPprofAddr(addr, false); (err == nil) != ok {
			t.Errorf("checkPprofAddr(%q) = %v, want allowed %v", addr, err, ok)
		}
		if err := checkPprofAddr(addr, true); err != nil {
			t.Errorf("checkPprofAddr(%q, any) = %v", addr, err)
		}
	}
}

// TestServePprofAnyAddress: the flag lets pprof listen on every interface.
func TestServePprofAnyAddress(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	t.Setenv("CANDOR_PPROF_ADDR", "0.0.0.0:0")
	_, _, stop := serveOnce(t, t.TempDir(), "--pprof-any-address")
	if code := stop(); code != 0 {
		t.Errorf("serve exit %d", code)
	}
}

// TestDataDirectoryIsHeld: while a server runs on a data directory, a
// second server, an offline rebuild or list, and admin-token are refused,
// naming the holder; once it stopped, they run.
func TestDataDirectoryIsHeld(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	dir := t.TempDir()
	_, _, stop := serveOnce(t, dir)
	for _, args := range [][]string{
		{"serve", "--addr", "127.0.0.1:0", "--data", dir},
		{"projections", "rebuild", "--data", dir, "timeline"},
		{"projections", "list", "--data", dir},
		{"admin-token", "--data", dir},
	} {
		code, stdout, stderr := runCmd(args...)
		if code != 1 || !strings.Contains(stderr, "is used by another candor process") ||
			!strings.Contains(stderr, "pid ") || !strings.Contains(stderr, "candor serve") || !strings.Contains(stderr, "stop it first") {
			t.Errorf("%v while serving: exit %d, want 1 naming the server:\n%s%s", args, code, stdout, stderr)
		}
		if strings.Contains(stdout, "cnd_") {
			t.Errorf("%v while serving printed a token", args)
		}
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exit %d", code)
	}
	if code, stdout, stderr := runCmd("projections", "list", "--data", dir); code != 0 {
		t.Errorf("projections list once stopped: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestAdminToken: on a stopped server's store where the admin's token was
// revoked (as builds that did not refuse it allowed), admin-token issues a
// token that lets an admin in again.
func TestAdminToken(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	dir := t.TempDir()
	_, _, stop := serveOnce(t, dir)
	stop()
	// Lock the admins out, behind the registry's back.
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	evs, err := store.ReadStream(ctx, auth.Stream, eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type != auth.TypeTokenIssued {
			continue
		}
		var tok struct{ ID string }
		if err := json.Unmarshal(e.Data, &tok); err != nil {
			t.Fatal(err)
		}
		data := `{"id":"` + tok.ID + `","at":"2026-01-01T00:00:00Z"}`
		if _, err := store.Append(ctx, auth.Stream, eventstore.Any(), eventstore.EventData{ID: newUUID(t), Type: auth.TypeTokenRevoked, Data: []byte(data), Metadata: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()

	code, stdout, stderr := runCmd("admin-token", "--data", dir, "--label", "regained")
	secret := tokenRE.FindString(stdout)
	if code != 0 || secret == "" {
		t.Fatalf("admin-token: exit %d\n%s%s", code, stdout, stderr)
	}
	url, _, stop := serveOnce(t, dir)
	defer stop()
	req, _ := http.NewRequest(http.MethodGet, url+"/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"role":"admin"`) {
		t.Errorf("the recovered token: %d %s", res.StatusCode, body)
	}
}

// TestHealthcheckURL: --url takes the server's base URL, as the README
// says, or /readyz itself; a 404 is named as such, not "not ready".
func TestHealthcheckURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" && r.URL.Path != "/prefix/readyz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	for _, u := range []string{srv.URL, srv.URL + "/", srv.URL + "/readyz", srv.URL + "/prefix"} {
		if code, stdout, stderr := runCmd("healthcheck", "--url", u); code != 0 || !strings.Contains(stdout, "ready") {
			t.Errorf("--url %s: exit %d %s%s", u, code, stdout, stderr)
		}
	}
	code, _, stderr := runCmd("healthcheck", "--url", srv.URL+"/readyz/nothing")
	if code != 1 || !strings.Contains(stderr, "404") || strings.Contains(stderr, "not ready") {
		t.Errorf("a 404: exit %d, want 1 naming the 404:\n%s", code, stderr)
	}
	if code, _, stderr := runCmd("healthcheck", "--url", "localhost:8080"); code != 2 {
		t.Errorf("a URL without scheme: exit %d, want 2:\n%s", code, stderr)
	}
}

// TestVerifyUnknownEngagement: an id the store has no engagement for, or
// that cannot be one, is "no engagement X", not the store's error chain.
func TestVerifyUnknownEngagement(t *testing.T) {
	dir := t.TempDir()
	demoStore(t, dir)
	for _, id := range []string{"01a2096c-0000-7000-8000-000000000000", "not an id", "../../etc", strings.Repeat("x", 300)} {
		code, stdout, stderr := runCmd("verify", "--data", dir, "--engagement", id)
		if code != 1 || !strings.Contains(stderr, "no engagement") || strings.Contains(stderr, "sqlite") || strings.Contains(stderr, "eventstore") {
			t.Errorf("verify --engagement %q: exit %d\n%s%s", id, code, stdout, stderr)
		}
	}
	code, stdout, stderr := runCmd("verify", "--data", filepath.Join(dir, "nothing"))
	if code != 1 || !strings.Contains(stderr, "no store") {
		t.Errorf("verify on a directory without a store: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "nothing")); err == nil {
		t.Error("verify created a store where there was none")
	}
}

// TestServeDemo: the demo's commands name the address the server really
// listens on, and the as_of example answers the state before the delay
// was disclosed; on a store that is not new, --demo says what to do.
func TestServeDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	t.Setenv("CANDOR_ADMIN_TOKEN", "")
	dir := t.TempDir()
	url, stdout, stop := serveOnce(t, dir, "--demo")
	defer func() { stop() }()
	var curls []string
	for _, m := range regexp.MustCompile(`curl -H "Authorization: Bearer \$C" "?([^"\s]+)"?`).FindAllStringSubmatch(stdout, -1) {
		curls = append(curls, m[1])
	}
	if len(curls) < 2 {
		t.Fatalf("the demo prints no commands to try:\n%s", stdout)
	}
	vars := regexp.MustCompile(`E=(\S+) C=(\S+)`).FindStringSubmatch(stdout)
	if vars == nil {
		t.Fatalf("the demo does not set E and C:\n%s", stdout)
	}
	waitCaughtUp(t, url)
	for _, c := range curls {
		if !strings.HasPrefix(c, url+"/") {
			t.Errorf("the demo points at %s, the server is at %s", c, url)
		}
		req, _ := http.NewRequest(http.MethodGet, strings.ReplaceAll(c, "$E", vars[1]), nil)
		req.Header.Set("Authorization", "Bearer "+vars[2])
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("%s: %d %s", c, res.StatusCode, body)
		}
		if strings.Contains(c, "as_of") && (!strings.Contains(string(body), `"delay_ids":[]`) || !strings.Contains(string(body), "Go-live")) {
			t.Errorf("%s: not the go-live milestone before its delay: %s", c, body)
		}
	}
	stop()
	stop = func() int { return 0 }

	_, stdout, stop2 := serveOnce(t, dir, "--demo")
	stop2()
	for _, want := range []string{"not new", "--data", "remove " + dir} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--demo on a store that is not new does not say %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "cnd_") {
		t.Errorf("--demo on a store that is not new printed tokens:\n%s", stdout)
	}
}

func newUUID(t *testing.T) uuid.UUID {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitCaughtUp waits until the server's read models have applied every
// event of the store (its /readyz says so).
func waitCaughtUp(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var rd struct {
			Projections struct{ Head, Position uint64 }
		}
		res, err := http.Get(url + "/readyz")
		if err == nil {
			err = json.NewDecoder(res.Body).Decode(&rd)
			res.Body.Close()
		}
		if err == nil && rd.Projections.Head > 0 && rd.Projections.Position == rd.Projections.Head {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the read models did not catch up: %+v %v", rd, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
