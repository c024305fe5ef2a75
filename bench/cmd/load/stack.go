package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/candor-ledger/candor/e2e"
)

// runner holds what every scenario shares: the options and the binary.
type runner struct {
	o   options
	tmp string
	bin string
}

func newRunner(ctx context.Context, o options) (*runner, error) {
	tmp, err := os.MkdirTemp("", "candor-load-")
	if err != nil {
		return nil, err
	}
	r := &runner{o: o, tmp: tmp, bin: o.bin}
	if r.bin == "" {
		repo, err := filepath.Abs(o.repo)
		if err != nil {
			return nil, err
		}
		logf("building %s/cmd/candor", repo)
		if r.bin, err = e2e.BuildBinary(ctx, repo, tmp, false); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func (r *runner) close() {
	if r.o.keepData {
		logf("data kept in %s", r.tmp)
		return
	}
	_ = os.RemoveAll(r.tmp)
}

// stack is a running server with a member, its tokens and engagements.
type stack struct {
	srv         *e2e.Server
	cl          *e2e.Client
	dataDir     string
	admin       string
	memberID    string
	tokens      []string
	engagements []string
}

// newDataDir returns a fresh data directory under the runner's temp folder.
func (r *runner) newDataDir(name string) (string, error) {
	dir := filepath.Join(r.tmp, name)
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	return dir, os.MkdirAll(dir, 0o755)
}

// startServer starts the binary on dataDir with the admin token.
func (r *runner) startServer(ctx context.Context, dataDir, admin string) (*e2e.Server, error) {
	// The server's log goes to a file beside its data, not through a pipe
	// into this process: a load's access log is tens of MB.
	return e2e.Start(ctx, e2e.ServerConfig{
		Binary: r.bin, DataDir: dataDir, AdminToken: admin, Env: r.o.serverEnv,
		ReadyTimeout: 10 * time.Minute, // a prefilled store may replay for a while
		LogFile:      filepath.Clean(dataDir) + ".server.log",
	})
}

// setUp creates the member, its tokens and the engagements on a running
// server.
func (r *runner) setUp(ctx context.Context, srv *e2e.Server, dataDir, admin string) (*stack, error) {
	s := &stack{srv: srv, cl: e2e.NewClient(srv.URL), dataDir: dataDir, admin: admin}
	start := time.Now()
	var err error
	if s.memberID, err = s.cl.CreatePrincipal(ctx, admin, "load member", "member"); err != nil {
		return nil, err
	}
	s.tokens = make([]string, r.o.tokens)
	if err := parallel(ctx, 8, len(s.tokens), func(i int) error {
		t, err := s.cl.IssueToken(ctx, admin, s.memberID, fmt.Sprintf("load %d", i))
		s.tokens[i] = t
		return err
	}); err != nil {
		return nil, fmt.Errorf("issue tokens: %w", err)
	}
	logf("issued %d tokens in %s", len(s.tokens), time.Since(start).Round(time.Millisecond))
	start = time.Now()
	s.engagements = make([]string, r.o.engagements)
	if err := parallel(ctx, 32, len(s.engagements), func(i int) error {
		id, err := s.cl.OpenEngagement(ctx, s.tokenFor(i), fmt.Sprintf("Load engagement %d", i))
		s.engagements[i] = id
		return err
	}); err != nil {
		return nil, fmt.Errorf("open engagements: %w", err)
	}
	logf("opened %d engagements in %s", len(s.engagements), time.Since(start).Round(time.Millisecond))
	// Reads of read models need the engagements projected first.
	if err := waitCaughtUp(ctx, srv.URL+"/metrics", 10*time.Minute); err != nil {
		return nil, err
	}
	return s, nil
}

// start builds a fresh stack on an empty data directory.
func (r *runner) start(ctx context.Context, name string) (*stack, error) {
	dir, err := r.newDataDir(name)
	if err != nil {
		return nil, err
	}
	admin := e2e.NewAdminToken()
	srv, err := r.startServer(ctx, dir, admin)
	if err != nil {
		return nil, err
	}
	s, err := r.setUp(ctx, srv, dir, admin)
	if err != nil {
		_ = srv.Kill()
		return nil, fmt.Errorf("%w\n--- server output ---\n%s", err, lastLines(srv.Logs(), 20))
	}
	return s, nil
}

func (s *stack) tokenFor(engagement int) string { return s.tokens[engagement%len(s.tokens)] }

func (s *stack) stop() {
	if err := s.srv.Stop(30 * time.Second); err != nil {
		logf("server stop: %v", err)
	}
}

// parallel runs f(0..n-1) on at most workers goroutines and returns the
// first error.
func parallel(ctx context.Context, workers, n int, f func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	next := make(chan int)
	for range min(workers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel()
					}
					mu.Unlock()
				}
			}
		}()
	}
loop:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break loop
		}
	}
	close(next)
	wg.Wait()
	if first == nil && ctx.Err() != nil && !errors.Is(ctx.Err(), context.Canceled) {
		first = ctx.Err()
	}
	return first
}

func lastLines(s string, n int) string {
	cnt := 0
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			cnt++
			if cnt > n {
				return s[i+1:]
			}
		}
	}
	return s
}

// machine describes where the numbers come from.
func machine() map[string]any {
	m := map[string]any{"goos": runtime.GOOS, "goarch": runtime.GOARCH, "cpus": runtime.NumCPU(), "go": runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if name, ok := strings.CutPrefix(line, "model name"); ok {
				_, v, _ := strings.Cut(name, ":")
				m["cpu"] = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}
