package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"os"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseRateLimit(t *testing.T) {
	tests := []struct {
		in    string
		rate  float64
		burst int
		bad   bool
	}{
		{"50", 50, 0, false},
		{"10:40", 10, 40, false},
		{"0.5", 0.5, 0, false},
		{"off", -1, 0, false},
		{"0", -1, 0, false},
		{"", 0, 0, true},
		{"  ", 0, 0, true},
		{"NaN", 0, 0, true},
		{"Inf", 0, 0, true},
		{"50:", 0, 0, true},
		{"-3", 0, 0, true},
		{"ten", 0, 0, true},
		{"5:0", 0, 0, true},
	}
	for _, tt := range tests {
		rate, burst, err := parseRateLimit(tt.in)
		if tt.bad {
			if !errors.Is(err, errUsage) {
				t.Errorf("%q: err %v, want a usage error", tt.in, err)
			}
			continue
		}
		if err != nil || rate != tt.rate || burst != tt.burst {
			t.Errorf("%q: %v %v %v", tt.in, rate, burst, err)
		}
	}
}

func TestServeFlagsAndEnvironment(t *testing.T) {
	t.Setenv("CANDOR_ADDR", "127.0.0.1:9999")
	t.Setenv("CANDOR_DATA_DIR", "/from/env")
	t.Setenv("CANDOR_CORS_ORIGINS", "https://a.example, https://b.example")
	t.Setenv("CANDOR_ADMIN_TOKEN", "cnd_secret")
	c, err := parseServe([]string{"--data", "/from/flag"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != "127.0.0.1:9999" || c.dataDir != "/from/flag" || c.adminToken != "cnd_secret" ||
		strings.Join(splitList(c.corsOrigins), "|") != "https://a.example|https://b.example" {
		t.Errorf("%+v", c)
	}
	var help bytes.Buffer
	if code := run(context.Background(), []string{"serve", "--help"}, &bytes.Buffer{}, &help); code != 0 {
		t.Errorf("--help exit %d", code)
	}
	for _, want := range []string{"CANDOR_ADDR", "CANDOR_DATA_DIR", "CANDOR_EVENTSTORE", "CANDOR_ADMIN_TOKEN", "CANDOR_CORS_ORIGINS", "CANDOR_RATE_LIMIT", "CANDOR_LOG_LEVEL", "--demo", "SIGTERM", "readmodels.db", "candor projections rebuild", "stop the server"} {
		if !strings.Contains(help.String(), strings.TrimPrefix(want, "--")) {
			t.Errorf("serve --help does not document %s", want)
		}
	}
	if code := run(context.Background(), []string{"serve", "--bogus"}, &bytes.Buffer{}, &bytes.Buffer{}); code != 2 {
		t.Errorf("bad flag exit %d, want 2", code)
	}
	if code := run(context.Background(), []string{"nope"}, &bytes.Buffer{}, &bytes.Buffer{}); code != 2 {
		t.Errorf("unknown command exit %d, want 2", code)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var tokenRE = regexp.MustCompile(`cnd_[A-Za-z0-9_-]{43}`)

// serveOnce runs `candor serve` on a free port, with the extra flags,
// until stop is called. stdout is what it printed by the time it served.
func serveOnce(t *testing.T, dir string, extra ...string) (url, stdout string, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, extra...), out, errOut)
	}()
	addrRE := regexp.MustCompile(`"msg":"serving","addr":"([^"]+)"`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := addrRE.FindStringSubmatch(errOut.String()); m != nil {
			url = "http://" + m[1]
			break
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited %d before serving:\n%s%s", code, out.String(), errOut.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("server did not start: %s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return url, out.String(), func() int { cancel(); return <-done }
}

// TestServeAndHealthcheck starts the binary's serve command on an empty
// data directory: it prints the admin token once, answers the healthcheck,
// stops on cancellation, and on a second start prints no token.
func TestServeAndHealthcheck(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	t.Setenv("CANDOR_ADMIN_TOKEN", "")
	dir := t.TempDir()
	url, stdout, stop := serveOnce(t, dir)
	if !tokenRE.MatchString(stdout) {
		t.Errorf("first start did not print the admin token: %q", stdout)
	}
	var hc bytes.Buffer
	if code := run(context.Background(), []string{"healthcheck", "--url", url + "/readyz"}, &hc, &hc); code != 0 {
		t.Errorf("healthcheck exit %d: %s", code, hc.String())
	}
	// The admin principal was stored: the embedded store's commit metrics
	// count it.
	if m := metricsText(t, url); !regexp.MustCompile(`(?m)^candor_store_commit_events_sum [1-9]`).MatchString(m) ||
		!strings.Contains(m, "candor_store_commit_duration_seconds_count") {
		t.Errorf("no store commit metrics after the first start:\n%s", m)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exit %d", code)
	}
	if code := run(context.Background(), []string{"healthcheck", "--url", url + "/readyz", "--timeout", "1s"}, &hc, &hc); code != 1 {
		t.Errorf("healthcheck of a stopped server exit %d, want 1", code)
	}
	_, stdout, stop = serveOnce(t, dir)
	if tokenRE.MatchString(stdout) {
		t.Errorf("second start printed a token again")
	}
	stop()
}

// TestDefaultMemoryLimit: serve sets a soft memory limit unless the
// operator chose one with GOMEMLIMIT.
func TestDefaultMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })

	t.Setenv("GOMEMLIMIT", "") // restored after the test
	os.Unsetenv("GOMEMLIMIT")
	debug.SetMemoryLimit(math.MaxInt64)
	if prev := setDefaultMemoryLimit(); prev != math.MaxInt64 {
		t.Errorf("returned %d, want the previous limit", prev)
	}
	if got := debug.SetMemoryLimit(-1); got != defaultMemoryLimit {
		t.Errorf("limit %d without GOMEMLIMIT, want %d", got, defaultMemoryLimit)
	}

	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(1 << 30) // what the runtime read from it at start
	setDefaultMemoryLimit()
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("limit %d with GOMEMLIMIT=1GiB, want it kept", got)
	}
}

func metricsText(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
