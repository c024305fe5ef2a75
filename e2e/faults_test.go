package e2e_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/candor-ledger/candor/e2e"
	"github.com/candor-ledger/candor/eventstore/esdb/esdbstandin"
)

// mountTmpfs mounts a size-limited tmpfs at dir, or skips the test saying
// why (mounting needs root and a kernel/sandbox that allows it).
func mountTmpfs(t *testing.T, dir string, size string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a size-limited tmpfs (needs root and mount permission): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Logf("umount %s: %v: %s", dir, err, out)
		}
	})
}

// fill writes a file in dir until the file system is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	for {
		if _, err := f.Write(buf); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			break
		}
	}
	// Take the last partial blocks too.
	for _, n := range []int{4096, 512, 1} {
		for {
			if _, err := f.Write(buf[:n]); err != nil {
				break
			}
		}
	}
	return path
}

func inviteExpert(e *env, engagementID, name, expertise string) *e2e.Response {
	return e.do(e2e.Request{Method: http.MethodPost, Path: "/v1/engagements/" + engagementID + "/experts",
		Token: e.member, Body: map[string]string{"name": name, "expertise": expertise}})
}

// TestDiskFull fills the file system under the data directory: writes fail
// with 503 problem+json while reads keep working, and once space returns
// writes succeed again, with nothing lost or corrupted.
func TestDiskFull(t *testing.T) {
	binary(t)
	dir := filepath.Join(t.TempDir(), "data")
	mountTmpfs(t, dir, "32m")
	e := start(t, dir).withMember()
	eng := e.openEngagement("Disk full")
	acked := map[string]bool{}
	for i := range 20 {
		name := fmt.Sprintf("before-%d", i)
		if r := inviteExpert(e, eng, name, "x"); r.Status != http.StatusCreated {
			t.Fatalf("write before the disk filled: %d %s", r.Status, r.Body)
		}
		acked[name] = true
	}

	filler := fill(t, dir)
	// The WAL may still have room for a few writes; large ones fill it.
	big := strings.Repeat("y", 1000)
	refused := 0
	for i := 0; i < 2000 && refused < 5; i++ {
		name := fmt.Sprintf("full-%d", i)
		r := inviteExpert(e, eng, name, big)
		switch {
		case r.Status == http.StatusCreated:
			acked[name] = true
		case r.Status == http.StatusServiceUnavailable:
			p := wantProblem(t, "write on a full disk", r)
			if p.Code != "unavailable" {
				t.Errorf("write on a full disk: code %q, want unavailable", p.Code)
			}
			refused++
		default:
			t.Fatalf("write on a full disk: %d %s, want 201 or 503", r.Status, r.Body)
		}
	}
	if refused == 0 {
		t.Fatal("no write was refused on a full disk")
	}
	// Reads keep working.
	for _, path := range []string{"/v1/engagements/" + eng, "/v1/engagements/" + eng + "/experts", "/v1/engagements/" + eng + "/events"} {
		if r := e.do(e2e.Request{Method: http.MethodGet, Path: path, Token: e.member}); r.Status != http.StatusOK {
			t.Errorf("GET %s on a full disk: %d %s", path, r.Status, r.Body)
		}
	}

	// Space returns: writes succeed again (the store retries by itself).
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := inviteExpert(e, eng, "after", "x")
		if r.Status == http.StatusCreated {
			acked["after"] = true
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes still fail 30s after space returned: %d %s", r.Status, r.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if r := e.do(e2e.Request{Method: http.MethodGet, Path: "/readyz"}); r.Status != http.StatusOK {
		t.Errorf("/readyz after recovery: %d %s", r.Status, r.Body)
	}

	// Nothing corrupted: after a crash and a restart the log is whole and
	// holds every acknowledged write once.
	_ = e.srv.Kill()
	e.restart()
	checkExperts(t, e, eng, acked)
}

// checkExperts checks the engagement's log and that it holds exactly the
// acknowledged expert names, each once (refused writes stored nothing).
func checkExperts(t *testing.T, e *env, eng string, acked map[string]bool) {
	t.Helper()
	evs, err := e.events(e.member, eng)
	if err != nil {
		t.Fatal(err)
	}
	checkLog(t, eng, evs, map[string]bool{})
	seen := map[string]int{}
	for _, ev := range evs {
		if ev.Type == "expert.invited" {
			var d struct {
				Name string `json:"name"`
			}
			_ = jsonUnmarshal(ev.Data, &d)
			seen[d.Name]++
		}
	}
	for name := range acked {
		if seen[name] != 1 {
			t.Errorf("acknowledged write %s stored %d times", name, seen[name])
		}
	}
	for name, n := range seen {
		if !acked[name] {
			t.Errorf("write %s stored %d times but was not acknowledged", name, n)
		}
	}
}

// TestReadOnlyStore puts the data directory on a file system that turns
// read-only. Linux refuses to remount a file system read-only while a
// process holds a file open for writing on it (EBUSY), which a running
// server always does, so the store cannot become read-only under a running
// server here (the store's own tests cover appends on a read-only file:
// ErrUnavailable, reads working). What is tested end to end: the server
// refuses to start on a read-only store with a clear error instead of
// serving half a system, nothing stored is harmed, and once the file
// system is writable again everything acknowledged is there and writes
// succeed.
func TestReadOnlyStore(t *testing.T) {
	binary(t)
	dir := filepath.Join(t.TempDir(), "data")
	mountTmpfs(t, dir, "64m")
	e := start(t, dir).withMember()
	eng := e.openEngagement("Read-only")
	acked := map[string]bool{}
	for i := range 10 {
		name := fmt.Sprintf("rw-%d", i)
		if r := inviteExpert(e, eng, name, "x"); r.Status != http.StatusCreated {
			t.Fatalf("write: %d %s", r.Status, r.Body)
		}
		acked[name] = true
	}
	if err := e.srv.Stop(30 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount read-only with the server stopped: %v: %s", err, out)
	}
	ctx, cancel := contextWithTimeout(time.Minute)
	defer cancel()
	srv, err := e2e.Start(ctx, e2e.ServerConfig{Binary: e.bin, DataDir: e.dataDir, AdminToken: e.admin,
		Env: []string{"CANDOR_RATE_LIMIT=off"}, NoReadyWait: true, ReadyTimeout: 30 * time.Second})
	if err == nil {
		_ = srv.Stop(10 * time.Second)
		t.Fatal("the server started on a read-only store; it should refuse with a clear error")
	}
	if !strings.Contains(strings.ToLower(err.Error()), "read-only") {
		t.Errorf("the refusal does not say the store is read-only:\n%v", err)
	}

	// Writable again: after a restart, writes succeed and nothing is lost.
	if out, err := exec.Command("mount", "-o", "remount,rw", dir).CombinedOutput(); err != nil {
		t.Fatalf("remount rw: %v: %s", err, out)
	}
	e.restart()
	if r := inviteExpert(e, eng, "rw-again", "x"); r.Status != http.StatusCreated {
		t.Fatalf("write once writable again: %d %s", r.Status, r.Body)
	}
	acked["rw-again"] = true
	checkExperts(t, e, eng, acked)
}

// TestEventStoreUnreachable runs the server on EventStoreDB (the in-process
// stand-in) and stops the stand-in: writes fail fast with 503, /readyz says
// why, and the server recovers by itself when the stand-in is back.
func TestEventStoreUnreachable(t *testing.T) {
	binary(t)
	sa := esdbstandin.StartT(t)
	e := start(t, "", "CANDOR_EVENTSTORE="+sa.ConnString()).withMember()
	eng := e.openEngagement("Unreachable")
	acked := map[string]bool{}
	if r := inviteExpert(e, eng, "up-1", "x"); r.Status != http.StatusCreated {
		t.Fatalf("write: %d %s", r.Status, r.Body)
	}
	acked["up-1"] = true

	sa.Stop()
	t0 := time.Now()
	r := inviteExpert(e, eng, "down-1", "x")
	took := time.Since(t0)
	if r.Status != http.StatusServiceUnavailable {
		t.Errorf("write with the store down: %d %s, want 503", r.Status, r.Body)
	} else {
		wantProblem(t, "write with the store down", r)
	}
	// "Fast": well under the server's 15 s write timeout.
	if took > 10*time.Second {
		t.Errorf("write with the store down took %s to fail", took)
	}
	t.Logf("write with the store down answered %d in %s", r.Status, took)
	rz := e.do(e2e.Request{Method: http.MethodGet, Path: "/readyz"})
	if rz.Status != http.StatusServiceUnavailable || !strings.Contains(string(rz.Body), "store") {
		t.Errorf("/readyz with the store down: %d %s, want 503 naming the store", rz.Status, rz.Body)
	}

	ctx, cancel := contextWithTimeout(30 * time.Second)
	defer cancel()
	if err := sa.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.WaitReady(ctx, 30*time.Second); err != nil {
		t.Fatalf("server not ready again after the store came back: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	var upPosition string
	for {
		r := inviteExpert(e, eng, "up-2", "x")
		if r.Status == http.StatusCreated {
			acked["up-2"] = true
			upPosition = r.Header.Get("X-Candor-Position")
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes still fail after the store came back: %d %s", r.Status, r.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// A token issued after the outage authenticates (the principal
	// registry follows its stream again).
	tok, err := e.cl.IssueToken(ctx, e.admin, e.memberID, "after outage")
	if err != nil {
		t.Fatal(err)
	}
	if r := e.do(e2e.Request{Method: http.MethodGet, Path: "/v1/me", Token: tok}); r.Status != http.StatusOK {
		t.Errorf("new token after the outage: %d %s", r.Status, r.Body)
	}
	checkExperts(t, e, eng, acked)

	// The read models resumed from their checkpoints: a read that asks for
	// the position of the write made after the outage is answered (not 503
	// not_caught_up) and shows it.
	deadline = time.Now().Add(30 * time.Second)
	for {
		r := e.do(e2e.Request{Method: http.MethodGet, Token: e.member,
			Path: "/v1/engagements/" + eng + "/timeline?limit=200&min_position=" + upPosition})
		if r.Status == http.StatusOK {
			if !strings.Contains(string(r.Body), "up-2") {
				t.Errorf("timeline after the outage lacks the write made after it: %s", r.Body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("read models never caught up with the write after the outage: %d %s", r.Status, r.Body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
