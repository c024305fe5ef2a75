package e2e_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candor-ledger/candor/e2e"
)

// TestCrashUnderWriteLoad kills the server with SIGKILL at random moments
// while several clients write, restarting it on the same data directory
// each time. Afterwards every write that was answered 2xx is in the event
// log exactly once, the logs are well formed, and the read models served
// after the crashes equal those of a server that rebuilt them from the
// event file alone (and the key store). Erasures run meanwhile: every one
// answered 2xx, and every one whose event was stored, reads "(erased)"
// after the crashes, and every other expert keeps their name.
func TestCrashUnderWriteLoad(t *testing.T) {
	rounds, writers, engagements := 3, 4, 6
	if long() {
		rounds, writers, engagements = 20, 8, 16
	}
	e := start(t, "").withMember()
	addr := e.srv.Addr()
	ids := make([]string, engagements)
	for i := range ids {
		ids[i] = e.openEngagement(fmt.Sprintf("Crash %d", i))
	}

	// acked: expert name -> event id, for every write answered 2xx;
	// subjects: expert name -> subject id; erased: names whose erasure was
	// answered 2xx.
	var (
		mu       sync.Mutex
		acked    = map[string]string{}
		subjects = map[string]string{}
		erased   = map[string]bool{}
		erasures atomic.Int64
		attempts atomic.Int64
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	cl := e2e.NewClient("http://" + addr)
	cl.HTTP.Timeout = 5 * time.Second
	for w := range writers {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("crash-w%d-%d", w, n)
				eng := ids[(w+n)%len(ids)]
				attempts.Add(1)
				resp, err := cl.Do(context.Background(), e2e.Request{Method: http.MethodPost,
					Path: "/v1/engagements/" + eng + "/experts", Token: e.member,
					Body: map[string]string{"name": name}})
				if err != nil || resp.Status/100 != 2 {
					// Unknown outcome (the server died) or refused: not counted.
					time.Sleep(10 * time.Millisecond)
					continue
				}
				var wr e2e.WriteResult
				if err := json.Unmarshal(resp.Body, &wr); err != nil || len(wr.Events) != 1 {
					t.Errorf("write %s: answered %d with %s", name, resp.Status, resp.Body)
					continue
				}
				loc := resp.Header.Get("Location")
				mu.Lock()
				acked[name] = wr.Events[0].ID
				subjects[name] = loc[strings.LastIndexByte(loc, '/')+1:] + "@" + eng
				mu.Unlock()
			}
		})
	}
	// The eraser erases one acknowledged expert in eight, in flight with
	// the writes and the kills.
	wg.Go(func() {
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			var name, subject string
			mu.Lock()
			for nm, sub := range subjects {
				if !erased[nm] && fnv32(nm)%8 == 0 {
					name, subject = nm, sub
					break
				}
			}
			mu.Unlock()
			if subject == "" {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			erasures.Add(1)
			resp, err := cl.Do(context.Background(), e2e.Request{Method: http.MethodPost,
				Path: "/v1/subjects/" + subject + "/erasure", Token: e.admin, Body: map[string]string{"reason": "crash test"}})
			if err != nil || resp.Status/100 != 2 {
				time.Sleep(10 * time.Millisecond) // unknown outcome: tried again
				continue
			}
			mu.Lock()
			erased[name] = true
			mu.Unlock()
		}
	})
	ackedNow := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }

	for round := range rounds {
		before := ackedNow()
		// Let some writes through, then kill at a random moment.
		deadline := time.Now().Add(10 * time.Second)
		for ackedNow() < before+20 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond)
		if err := e.srv.Kill(); err != nil {
			t.Fatal(err)
		}
		t.Logf("round %d: killed after %d acknowledged writes", round+1, ackedNow())
		e.restartAt(addr)
	}
	close(stop)
	wg.Wait()
	if len(acked) < rounds*20 {
		t.Fatalf("only %d writes acknowledged in %d rounds (%d attempts): the load did not run", len(acked), rounds, attempts.Load())
	}
	t.Logf("%d writes attempted, %d acknowledged, %d erasures asked, %d acknowledged, %d kills", attempts.Load(), len(acked), erasures.Load(), len(erased), rounds)
	if len(erased) == 0 {
		t.Fatal("no erasure was acknowledged: the eraser did not run")
	}

	// Every acknowledged write is stored exactly once.
	e.waitCaughtUp(time.Minute)
	seenIDs := map[string]bool{}
	names := map[string]int{}          // by name, erased ones aside
	storedNames := map[string]string{} // event id -> name as read
	for _, id := range ids {
		evs, err := e.events(e.admin, id)
		if err != nil {
			t.Fatal(err)
		}
		checkLog(t, id, evs, seenIDs)
		for _, ev := range evs {
			if ev.Type != "expert.invited" {
				continue
			}
			var d struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				t.Fatalf("event %s: %v", ev.ID, err)
			}
			if d.Name != "(erased)" {
				names[d.Name]++
			}
			storedNames[ev.ID] = d.Name
		}
	}
	for name, evID := range acked {
		got, ok := storedNames[evID]
		switch {
		case !ok:
			t.Errorf("acknowledged write %s (event %s) is not in the store", name, evID)
		case erased[name] && got != "(erased)":
			t.Errorf("acknowledged erasure of %s: event %s still reads %q", name, evID, got)
		case got == "(erased)":
			// An erasure in flight when the server was killed: its event
			// was stored, so its key is gone too (finished at the start).
			var f struct {
				Erased bool `json:"erased"`
			}
			resp := e.do(e2e.Request{Method: http.MethodGet, Path: "/v1/subjects/" + subjects[name], Token: e.admin})
			if err := resp.JSON(&f); err != nil || resp.Status != http.StatusOK || !f.Erased {
				t.Errorf("%s reads (erased) but its erasure is not recorded: %d %s", name, resp.Status, resp.Body)
			}
		case got != name:
			t.Errorf("write %s acknowledged as event %s, which reads %q", name, evID, got)
		}
	}
	for name, n := range names {
		if n > 1 {
			t.Errorf("write %s stored %d times", name, n)
		}
	}

	// The read models after the crashes equal a rebuild from zero: a copy
	// of the event file alone, rebuilt offline by `candor projections
	// rebuild`, then served.
	got := e.readModels(ids)
	if err := e.srv.Stop(30 * time.Second); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, tailLog(e.srv.Logs()))
	}
	fresh := filepath.Join(t.TempDir(), "fresh")
	copyEventFiles(t, e.dataDir, fresh)
	rebuild := exec.Command(e.bin, "projections", "rebuild", "--data", fresh)
	if out, err := rebuild.CombinedOutput(); err != nil {
		t.Fatalf("candor projections rebuild: %v\n%s", err, out)
	}
	e.dataDir = fresh
	e.restart()
	e.waitCaughtUp(time.Minute)
	want := e.readModels(ids)
	if len(want) != len(got) {
		t.Fatalf("captured %d read models after the crashes, %d after the rebuild", len(got), len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("read model %s differs from a rebuild from zero:\nafter crashes: %.300s\nrebuilt:       %.300s", k, got[k], w)
		}
	}
	t.Logf("read models after %d crashes equal a rebuild from zero: digest %s over %d documents", rounds, digest(got), len(got))
}

// fnv32 picks which names the eraser takes, the same on every run.
func fnv32(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// digest is a SHA-256 over the captured read models, in key order.
func digest(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%s\x00%s\x00", k, m[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// restartAt starts the server again on the same data directory and port.
func (e *env) restartAt(addr string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var err error
	for try := 0; try < 20; try++ {
		var srv *e2e.Server
		srv, err = e2e.Start(ctx, e2e.ServerConfig{Binary: e.bin, DataDir: e.dataDir, AdminToken: e.admin, Addr: addr,
			Env: append([]string{"CANDOR_RATE_LIMIT=off"}, e.extraEnv...), ReadyTimeout: time.Minute})
		if err == nil {
			e.srv, e.cl = srv, e2e.NewClient(srv.URL)
			return
		}
		time.Sleep(100 * time.Millisecond) // the port may still be held
	}
	e.t.Fatal(err)
}

// readModels captures what the server shows of each engagement: the
// engagement and its sub-collections folded from the stream, and every
// projection's read model of it (but the transparency report, whose
// figures move with the clock), every page; and the summaries list.
func (e *env) readModels(ids []string) map[string]string {
	e.t.Helper()
	out := map[string]string{"/v1/engagement-summaries": e.allPages("/v1/engagement-summaries")}
	for _, id := range ids {
		for _, sub := range []string{"", "/summary", "/requirements-board", "/delay-register", "/communications-report"} {
			path := "/v1/engagements/" + id + sub
			resp := e.do(e2e.Request{Method: http.MethodGet, Path: path, Token: e.admin})
			if resp.Status != http.StatusOK {
				e.t.Fatalf("GET %s: %d %s", path, resp.Status, resp.Body)
			}
			out[path] = string(resp.Body)
		}
		for _, sub := range []string{"/experts", "/stakeholders", "/parties",
			"/timeline", "/decision-log", "/indicator-status", "/stakeholder-register"} {
			path := "/v1/engagements/" + id + sub
			out[path] = e.allPages(path)
		}
	}
	return out
}

// allPages reads every page of a list and joins its items.
func (e *env) allPages(path string) string {
	e.t.Helper()
	var all []string
	cursor := ""
	for {
		p := path + "?limit=200"
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		resp := e.do(e2e.Request{Method: http.MethodGet, Path: p, Token: e.admin})
		if resp.Status != http.StatusOK {
			e.t.Fatalf("GET %s: %d %s", p, resp.Status, resp.Body)
		}
		var page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor *string           `json:"next_cursor"`
		}
		if err := resp.JSON(&page); err != nil {
			e.t.Fatal(err)
		}
		for _, it := range page.Items {
			all = append(all, string(it))
		}
		if page.NextCursor == nil {
			return strings.Join(all, "\n")
		}
		cursor = *page.NextCursor
	}
}

// copyEventFiles copies the event store's files (events.db and its WAL
// and shared-memory files) and the key store's (keys.db and its), which
// the envelopes of personal fields need, and nothing else, to a new
// directory.
func copyEventFiles(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	matches, err := filepath.Glob(filepath.Join(from, "events.db*"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no events.db in %s (%v)", from, err)
	}
	keys, err := filepath.Glob(filepath.Join(from, "keys.db*"))
	if err != nil || len(keys) == 0 {
		t.Fatalf("no keys.db in %s (%v)", from, err)
	}
	matches = append(matches, keys...)
	for _, m := range matches {
		src, err := os.Open(m)
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.Create(filepath.Join(to, filepath.Base(m)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, src); err != nil {
			t.Fatal(err)
		}
		src.Close()
		if err := dst.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func tailLog(s string) string {
	if len(s) > 3000 {
		return "…" + s[len(s)-3000:]
	}
	return s
}
