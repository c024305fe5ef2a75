package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/candor-ledger/candor/e2e"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/esdb"
	"github.com/candor-ledger/candor/eventstore/esdb/esdbstandin"
)

// Names and addresses that appear nowhere else, so that finding them in a
// file can only mean the person's data is there in clear.
const (
	erasedName  = "Zoé Quintavalle-Erasable"
	erasedEmail = "zoe.quintavalle@erasable.example"
	keptName    = "Bastien Marchetti-Kept"
	keptTitle   = "Say the delay the day it is known, plainly stored" // a lesson, not personal: stored as it is
)

// TestErasureLeavesNoTrace runs against the real process: after an
// erasure through the API, the erased name and address are in none of
// events.db, readmodels.db, evidence.db, keys.db (their -wal and -journal
// too), the server's log file, the event feed, an export bundle or any
// read model, before and after `candor projections rebuild`; the other
// stakeholder's name still shows where their data is read, and text that
// is not personal is found by the same grep in the stores.
// On EventStoreDB (the in-process stand-in) the events are read back from
// it instead of events.db; keys.db stays in the data directory.
func TestErasureLeavesNoTrace(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { erasureLeavesNoTrace(t, nil) })
	t.Run("esdb-standin", func(t *testing.T) {
		binary(t)
		sa := esdbstandin.StartT(t)
		erasureLeavesNoTrace(t, func() []byte {
			s, err := esdb.Open(context.Background(), sa.ConnString())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			evs, err := s.ReadAll(context.Background(), eventstore.Start, 100000)
			if err != nil {
				t.Fatal(err)
			}
			var all []byte
			for _, ev := range evs {
				all = append(append(all, ev.Data...), ev.Metadata...)
			}
			return all
		}, "CANDOR_EVENTSTORE="+sa.ConnString())
	})
}

// erasureLeavesNoTrace is the test on one backend: events, when set, reads
// every stored event's bytes from a store outside the data directory.
func erasureLeavesNoTrace(t *testing.T, events func() []byte, extraEnv ...string) {
	e := start(t, "", extraEnv...).withMember()
	id := e.openEngagement("Erasure")
	add := func(name, email string) string {
		t.Helper()
		body := map[string]any{"party": "client", "name": name, "role": "Buyer"}
		if email != "" {
			body["email"] = email
		}
		resp := e.do(e2e.Request{Method: http.MethodPost, Path: "/v1/engagements/" + id + "/stakeholders", Token: e.member, Body: body})
		if resp.Status != http.StatusCreated {
			t.Fatalf("add stakeholder: %d %s", resp.Status, resp.Body)
		}
		loc := resp.Header.Get("Location")
		return loc[strings.LastIndexByte(loc, '/')+1:]
	}
	erased, _ := add(erasedName, erasedEmail), add(keptName, "")
	resp := e.do(e2e.Request{Method: http.MethodPost, Path: "/v1/engagements/" + id + "/lessons", Token: e.member,
		Body: map[string]any{"lesson_id": "lesson-1", "text": keptTitle}})
	if resp.Status != http.StatusCreated {
		t.Fatalf("record lesson: %d %s", resp.Status, resp.Body)
	}
	var w e2e.WriteResult
	if err := resp.JSON(&w); err != nil {
		t.Fatal(err)
	}
	last := w.Position
	e.waitCaughtUp(time.Minute)
	reads := []string{"", "/stakeholders", "/stakeholders/" + erased, "/events", "/timeline", "/stakeholder-register", "/summary", "/transparency"}
	readAll := func() string {
		t.Helper()
		var all strings.Builder
		for _, r := range reads {
			resp := e.do(e2e.Request{Method: http.MethodGet, Path: "/v1/engagements/" + id + r, Token: e.member})
			if resp.Status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", r, resp.Status, resp.Body)
			}
			all.Write(resp.Body)
		}
		return all.String()
	}
	if before := readAll(); !strings.Contains(before, erasedName) || !strings.Contains(before, erasedEmail) || !strings.Contains(before, keptName) {
		t.Fatalf("before the erasure the reads do not show both people:\n%.2000s", before)
	}

	subject := erased + "@" + id
	resp = e.do(e2e.Request{Method: http.MethodPost, Path: "/v1/subjects/" + subject + "/erasure", Token: e.admin,
		Body: map[string]any{"reason": "Art. 17 request received on the client's behalf"}})
	if resp.Status != http.StatusCreated {
		t.Fatalf("erase: %d %s", resp.Status, resp.Body)
	}

	// What a person reads: the erased reads "(erased)", the other as before.
	checkReads := func(when string) {
		t.Helper()
		got := readAll()
		if strings.Contains(got, erasedName) || strings.Contains(got, erasedEmail) {
			t.Fatalf("%s: a read shows the erased person:\n%.2000s", when, got)
		}
		if !strings.Contains(got, keptName) || !strings.Contains(got, `"(erased)"`) || !strings.Contains(got, "(erased) joined") {
			t.Fatalf("%s: the reads do not show the other person and the erased one as erased:\n%.2000s", when, got)
		}
	}
	checkReads("after the erasure")
	feed := readFeed(t, e, id, last)
	if strings.Contains(feed, erasedName) || strings.Contains(feed, erasedEmail) || !strings.Contains(feed, keptName) || !strings.Contains(feed, "(erased)") {
		t.Fatalf("the feed after the erasure:\n%.3000s", feed)
	}
	resp = e.do(e2e.Request{Method: http.MethodGet, Path: "/v1/engagements/" + id + "/export", Token: e.member})
	if resp.Status != http.StatusOK {
		t.Fatalf("export: %d %s", resp.Status, resp.Body)
	}
	bundle := resp.Body
	if !bytes.Contains(bundle, []byte("enc:v2:")) || !bytes.Contains(bundle, []byte(keptTitle)) {
		t.Fatalf("the bundle does not carry the events as stored:\n%.2000s", bundle)
	}
	bundleFile := filepath.Join(t.TempDir(), "bundle.json")
	if err := os.WriteFile(bundleFile, bundle, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(e.bin, "verify", "--bundle", bundleFile).CombinedOutput(); err != nil {
		t.Fatalf("verify --bundle after the erasure: %v\n%s", err, out)
	}

	// The files, once the server stopped (its logs flushed, its WAL kept).
	if err := e.srv.Stop(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	e.srv = nil
	grepFiles := func(when string) {
		t.Helper()
		files := map[string][]byte{"feed": []byte(feed), "bundle": bundle}
		if events != nil {
			files["events.db"] = events() // by that name, for the checks below
		}
		for _, base := range []string{"events.db", "readmodels.db", "evidence.db", "keys.db"} {
			for _, suffix := range []string{"", "-wal", "-journal"} {
				if b, err := os.ReadFile(filepath.Join(e.dataDir, base+suffix)); err == nil {
					files[base+suffix] = b
				}
			}
		}
		logs, err := os.ReadFile(filepath.Clean(e.dataDir) + ".log")
		if err != nil {
			t.Fatal(err)
		}
		files["server log"] = logs
		for name, b := range files {
			for _, s := range []string{erasedName, erasedEmail, "Quintavalle"} {
				if bytes.Contains(b, []byte(s)) {
					t.Errorf("%s: %s holds %q", when, name, s)
				}
			}
		}
		// The grep finds what is there: text that is not personal, in the
		// stores that keep it, and the server's own lines in its log.
		for _, name := range []string{"events.db", "readmodels.db"} {
			if !bytes.Contains(files[name], []byte(keptTitle)) && !bytes.Contains(files[name+"-wal"], []byte(keptTitle)) {
				t.Errorf("%s: %s lacks the lesson's text: the grep proves nothing", when, name)
			}
		}
		if !bytes.Contains(logs, []byte("/v1/subjects/:subject_id/erasure")) {
			t.Errorf("%s: the server log does not show the erasure's request", when)
		}
	}
	grepFiles("after the erasure")

	// A rebuild from the events never writes the name.
	rebuild := exec.Command(e.bin, "projections", "rebuild", "--data", e.dataDir)
	rebuild.Env = append(os.Environ(), extraEnv...)
	if out, err := rebuild.CombinedOutput(); err != nil {
		t.Fatalf("projections rebuild: %v\n%s", err, out)
	}
	e.restart()
	e.waitCaughtUp(time.Minute)
	checkReads("after a rebuild")
	if err := e.srv.Stop(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	e.srv = nil
	grepFiles("after a rebuild")
}

// readFeed reads the engagement's feed from its start until the event at
// position last, and returns all it sent.
func readFeed(t *testing.T, e *env, engagementID string, last uint64) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // bounds a hang only
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.srv.URL+"/v1/engagements/"+engagementID+"/feed", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.member)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("feed: %d", res.StatusCode)
	}
	var all strings.Builder
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 1<<20)
	want := "id: " + strconv.FormatUint(last, 10)
	seen := false
	for sc.Scan() {
		line := sc.Text()
		all.WriteString(line + "\n")
		if line == want {
			seen = true
		} else if seen && strings.HasPrefix(line, "data: ") {
			return all.String()
		}
	}
	t.Fatalf("the feed ended before position %d: %v\n%s", last, sc.Err(), all.String())
	return ""
}
