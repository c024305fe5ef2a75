//go:build unix

package e2e_test

import (
	"bufio"
	"context"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/candor-ledger/candor/e2e"
)

// TestDataDirectoryIsHeld: while a server runs, an offline rebuild or a
// second server on its data directory is refused, naming the server's
// process, and the server is unharmed; once it was killed (kill -9), the
// lock is gone with it.
func TestDataDirectoryIsHeld(t *testing.T) {
	e := start(t, "").withMember()
	eng := e.openEngagement("Held")
	pid := strconv.Itoa(e.srv.PID())
	for _, args := range [][]string{
		{"projections", "rebuild", "--data", e.dataDir, "timeline"},
		{"serve", "--addr", "127.0.0.1:0", "--data", e.dataDir},
		{"admin-token", "--data", e.dataDir},
	} {
		ctx, cancel := contextWithTimeout(time.Minute)
		out, err := exec.CommandContext(ctx, e.bin, args...).CombinedOutput()
		cancel()
		var exit *exec.ExitError
		if !asExit(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "is used by another candor process") ||
			!strings.Contains(string(out), "pid "+pid) {
			t.Errorf("%v beside the server (pid %s): %v\n%s", args, pid, err, out)
		}
	}
	e.waitCaughtUp(30 * time.Second)
	if r := e.do(e2e.Request{Method: http.MethodGet, Path: "/v1/engagements/" + eng + "/timeline", Token: e.member}); r.Status != http.StatusOK {
		t.Errorf("the server after the refusals: timeline %d %s", r.Status, r.Body)
	}
	if r := e.do(e2e.Request{Method: http.MethodGet, Path: "/readyz"}); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"projections":"ok"`) {
		t.Errorf("/readyz after the refusals: %d %s", r.Status, r.Body)
	}
	if err := e.srv.Kill(); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(e.bin, "projections", "list", "--data", e.dataDir).CombinedOutput(); err != nil {
		t.Errorf("projections list after the server was killed: %v\n%s", err, out)
	}
}

func asExit(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	*target = e
	return ok
}

// TestFilesArePrivate: under the usual umask (022), the server creates its
// data directory 0700 and every file in it 0600, and tightens a directory
// left open to others.
func TestFilesArePrivate(t *testing.T) {
	binary(t)
	old := syscall.Umask(0o022) // the server inherits it
	t.Cleanup(func() { syscall.Umask(old) })
	dir := filepath.Join(t.TempDir(), "fresh", "data")
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil { // for the harness's log beside it
		t.Fatal(err)
	}
	e := start(t, dir).withMember()
	e.openEngagement("Private")
	e.waitCaughtUp(30 * time.Second)
	check := func(when string) {
		t.Helper()
		n := 0
		err := filepath.WalkDir(e.dataDir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			want := fs.FileMode(0o600)
			if d.IsDir() {
				want = 0o700
			}
			if fi.Mode().Perm() != want {
				t.Errorf("%s: %s is %v, want %v", when, path, fi.Mode().Perm(), want)
			}
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n < 7 { // the directory, the lock, two databases with their logs and shared memory
			t.Errorf("%s: only %d entries in the data directory", when, n)
		}
	}
	check("new")
	if err := e.srv.Stop(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(e.dataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	e.restart()
	check("restarted on a directory made 0755")
	// The log is written out by a goroutine of the server's: wait for it.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(e.srv.Logs(), "open to other users"); {
		if time.Now().After(deadline) {
			t.Fatalf("tightening the directory was not said:\n%s", e.srv.Logs())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sse reads an event stream: the ids and comments it sends, and whether
// it ended.
type sse struct {
	comments chan string
	ids      chan string
	done     chan struct{}
}

func openFeed(t *testing.T, e *env, token, engagementID string) *sse {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+"/v1/engagements/"+engagementID+"/feed", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("feed: %d", res.StatusCode)
	}
	s := &sse{comments: make(chan string, 1000), ids: make(chan string, 1000), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			switch line := sc.Text(); {
			case strings.HasPrefix(line, ":"):
				s.comments <- strings.TrimSpace(line[1:])
			case strings.HasPrefix(line, "id: "):
				s.ids <- line[4:]
			}
		}
	}()
	t.Cleanup(func() { res.Body.Close() })
	return s
}

// ends waits for the stream's end, within a bound that only catches a
// hang (the end is driven by the change, not by a timer), and returns its
// comments.
func (s *sse) ends(t *testing.T) string {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the feed is still open 5s after its caller lost the right to read it")
	}
	close(s.comments)
	var all []string
	for c := range s.comments {
		all = append(all, c)
	}
	return strings.Join(all, "\n")
}

// TestFeedEndsWhenAccessEnds runs against the real process: an open feed
// ends as soon as its token is revoked, its principal disabled, or its
// stakeholder removed.
func TestFeedEndsWhenAccessEnds(t *testing.T) {
	e := start(t, "").withMember()
	eng := e.openEngagement("Feeds")
	ctx := context.Background()
	stakeholder := func(name string) (principal, token, stakeholderID string) {
		t.Helper()
		principal, token, err := e.cl.NewMember(ctx, e.admin, name)
		if err != nil {
			t.Fatal(err)
		}
		r := e.do(e2e.Request{Method: http.MethodPost, Path: "/v1/engagements/" + eng + "/stakeholders", Token: e.member,
			Body: map[string]any{"party": "supplier", "name": name, "principal_id": principal}})
		if r.Status != http.StatusCreated {
			t.Fatalf("add stakeholder: %d %s", r.Status, r.Body)
		}
		loc := r.Header.Get("Location")
		return principal, token, loc[strings.LastIndexByte(loc, '/')+1:]
	}

	t.Run("token revoked", func(t *testing.T) {
		principal, token, _ := stakeholder("Rita Revoked")
		f := openFeed(t, e, token, eng)
		var toks struct{ Items []struct{ ID string } }
		if err := e.do(e2e.Request{Method: http.MethodGet, Path: "/v1/principals/" + principal + "/tokens", Token: e.admin}).JSON(&toks); err != nil {
			t.Fatal(err)
		}
		if r := e.do(e2e.Request{Method: http.MethodDelete, Path: "/v1/tokens/" + toks.Items[0].ID, Token: e.admin}); r.Status != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		if c := f.ends(t); !strings.Contains(c, "revoked") {
			t.Errorf("closing comments %q", c)
		}
	})
	t.Run("principal disabled", func(t *testing.T) {
		principal, token, _ := stakeholder("Dino Disabled")
		f := openFeed(t, e, token, eng)
		if r := e.do(e2e.Request{Method: http.MethodPost, Path: "/v1/principals/" + principal + "/disable", Token: e.admin}); r.Status != http.StatusOK {
			t.Fatalf("disable: %d %s", r.Status, r.Body)
		}
		if c := f.ends(t); !strings.Contains(c, "disabled") {
			t.Errorf("closing comments %q", c)
		}
	})
	t.Run("stakeholder removed", func(t *testing.T) {
		_, token, sid := stakeholder("Remi Removed")
		f := openFeed(t, e, token, eng)
		if r := e.do(e2e.Request{Method: http.MethodPost, Path: "/v1/engagements/" + eng + "/stakeholders/" + sid + "/removal", Token: e.member,
			Body: map[string]any{"reason": "left"}}); r.Status != http.StatusOK {
			t.Fatalf("remove: %d %s", r.Status, r.Body)
		}
		if c := f.ends(t); !strings.Contains(c, "no longer a stakeholder") {
			t.Errorf("closing comments %q", c)
		}
	})
}
