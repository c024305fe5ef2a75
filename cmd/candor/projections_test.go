package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/projections"
)

// demoStore writes the sample engagement into a new embedded store in dir.
func demoStore(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := auth.Open(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loadDemo(ctx, store, reg, nil); err != nil {
		t.Fatal(err)
	}
	reg.Close()
	store.Close()
}

// generation returns the generation `projections list` shows for name.
func generation(t *testing.T, list, name string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + name + `\s+\d+\s+(\d+)\s+\d+\s+0\s+serving$`).FindStringSubmatch(list)
	if m == nil {
		t.Fatalf("%s not listed as serving and caught up:\n%s", name, list)
	}
	return m[1]
}

// TestProjectionsCommand rebuilds the read models of the demo store
// offline, all then one, and lists them.
func TestProjectionsCommand(t *testing.T) {
	dir := t.TempDir()
	demoStore(t, dir)
	ctx := context.Background()

	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"projections", "rebuild", "--data", dir}, &out, &errOut); code != 0 {
		t.Fatalf("rebuild all: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	for _, n := range projections.Names() {
		if !strings.Contains(out.String(), n+": 100%") || !strings.Contains(out.String(), n+": rebuilt up to position") {
			t.Errorf("no progress for %s:\n%s", n, out.String())
		}
	}
	list := func() string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := run(ctx, []string{"projections", "list", "--data", dir}, &out, &errOut); code != 0 {
			t.Fatalf("list: exit %d\n%s%s", code, out.String(), errOut.String())
		}
		return out.String()
	}
	before := list()
	for _, n := range projections.Names() {
		generation(t, before, n)
	}
	out.Reset()
	if code := run(ctx, []string{"projections", "rebuild", "--data", dir, projections.NameTimeline}, &out, &errOut); code != 0 {
		t.Fatalf("rebuild timeline: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	if strings.Contains(out.String(), projections.NameEngagements) {
		t.Errorf("rebuilt more than asked:\n%s", out.String())
	}
	after := list()
	if generation(t, after, projections.NameTimeline) == generation(t, before, projections.NameTimeline) {
		t.Errorf("timeline not in a new generation:\n%s\n%s", before, after)
	}
	if generation(t, after, projections.NameEngagements) != generation(t, before, projections.NameEngagements) {
		t.Errorf("engagements rebuilt too:\n%s\n%s", before, after)
	}

	for _, args := range [][]string{{"projections"}, {"projections", "nope"}, {"projections", "rebuild", "--data", dir, "nope"}, {"projections", "list", "x"}} {
		if code := run(ctx, args, io.Discard, io.Discard); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	var help bytes.Buffer
	if code := run(ctx, []string{"projections", "--help"}, io.Discard, &help); code != 0 || !strings.Contains(help.String(), "Stop the server first") {
		t.Errorf("help: exit %d\n%s", code, help.String())
	}
}

// flakyRunner fails its first runs, then runs until cancelled.
type flakyRunner struct {
	fails int32
	runs  atomic.Int32
}

func (f *flakyRunner) Run(ctx context.Context) error {
	if f.runs.Add(1) <= f.fails {
		return errors.New("subscription dropped")
	}
	<-ctx.Done()
	return nil
}

// TestRunProjectionsRestarts: a failing Run is started again (after a
// pause) until the context ends.
func TestRunProjectionsRestarts(t *testing.T) {
	r := &flakyRunner{fails: 3}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var logs lockedBuffer
	go func() {
		defer close(done)
		runProjections(ctx, r, &runState{}, slog.New(slog.NewTextHandler(&logs, nil)), time.Millisecond, 4*time.Millisecond)
	}()
	for r.runs.Load() <= r.fails {
		select {
		case <-done:
			t.Fatal("gave up")
		default:
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if n := strings.Count(logs.String(), "restarting"); n != 3 {
		t.Errorf("%d restarts logged, want 3:\n%s", n, logs.String())
	}
}

// blockingRunner says when it runs, fails when told, else runs until
// cancelled.
type blockingRunner struct {
	started chan struct{}
	fail    chan error
}

func (b *blockingRunner) Run(ctx context.Context) error {
	b.started <- struct{}{}
	select {
	case err := <-b.fail:
		return err
	case <-ctx.Done():
		return nil
	}
}

// TestRunProjectionsTellsRestarting: while the read models wait to be
// started again after a failure, the run state says so (for /readyz);
// running, it does not.
func TestRunProjectionsTellsRestarting(t *testing.T) {
	r := &blockingRunner{started: make(chan struct{}), fail: make(chan error)}
	state := &runState{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		// A pause far longer than the test: the second run never starts.
		runProjections(ctx, r, state, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Hour, time.Hour)
	}()
	<-r.started
	if state.Restarting() {
		t.Error("running, the state says restarting")
	}
	r.fail <- errors.New("no such table: timeline_3")
	deadline := time.Now().Add(5 * time.Second)
	for !state.Restarting() {
		if time.Now().After(deadline) {
			t.Fatal("after a failure, the state never says restarting")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}

// TestServeKeepsReadModels: serve creates the read models next to the
// store and reports them in /readyz.
func TestServeKeepsReadModels(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	dir := t.TempDir()
	url, _, stop := serveOnce(t, dir)
	res, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"projections":{`) {
		t.Errorf("readyz: %d %s", res.StatusCode, body)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "readmodels.db")); err != nil {
		t.Errorf("no read models: %v", err)
	}
}
