package api_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/ncruces/go-sqlite3/driver"

	"github.com/candor-ledger/candor/api"
	"github.com/candor-ledger/candor/demo"
	"github.com/candor-ledger/candor/projections"
)

// loadDemo tells the sample story into the server's store and waits until
// the read models have it.
func (ts *testServer) loadDemo() demo.Demo {
	ts.t.Helper()
	d, err := demo.Load(context.Background(), ts.store, ts.reg, time.Now())
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.waitProjections()
	return d
}

// TestReadModelsServeTheDemo reads every read-model endpoint of the sample
// engagement and checks the facts the story is made of.
func TestReadModelsServeTheDemo(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	d := ts.loadDemo()
	client, auditor := d.Client.Token, d.Auditor.Token
	eng := "/v1/engagements/" + d.EngagementID

	t.Run("summary", func(t *testing.T) {
		var s projections.EngagementSummary
		must(t, ts.get(client, eng+"/summary"), 200).json(t, &s)
		if s.ID != d.EngagementID || s.Title != "Maison Dupont online shop" || s.Counts.Requirements == 0 || s.Counts.Events == 0 {
			t.Errorf("%+v", s)
		}
	})
	t.Run("timeline in pages", func(t *testing.T) {
		var all []projections.TimelineEntry
		path := eng + "/timeline?limit=7"
		for pages := 0; ; pages++ {
			var p api.TimelineOut
			must(t, ts.get(client, path), 200).json(t, &p)
			all = append(all, p.Items...)
			if p.NextCursor == nil {
				break
			}
			if pages > 100 {
				t.Fatal("no end")
			}
			path = eng + "/timeline?limit=7&cursor=" + *p.NextCursor
		}
		events := ts.allEvents(client, d.EngagementID, "")
		if len(all) != len(events.Items) {
			t.Fatalf("timeline has %d entries, the log %d events", len(all), len(events.Items))
		}
		for i, e := range all {
			if e.Revision != uint64(i) || e.Type != events.Items[i].Type || e.Summary == "" {
				t.Fatalf("entry %d: %+v", i, e)
			}
		}
		r := ts.get(client, eng+"/timeline?cursor=forged")
		if r.Status != 400 || r.problem(t).Code != api.CodeInvalidParameter {
			t.Errorf("forged cursor: %d %s", r.Status, r.Body)
		}
	})
	t.Run("requirements board", func(t *testing.T) {
		var b projections.RequirementsBoard
		must(t, ts.get(client, eng+"/requirements-board"), 200).json(t, &b)
		titles := map[string]bool{}
		for _, r := range b.Requirements {
			titles[r.Title] = true
		}
		if !titles["Checkout in three steps"] || !slices.ContainsFunc(b.Features, func(f projections.Feature) bool { return f.Title == "Wishlist" }) {
			t.Errorf("%+v", b)
		}
	})
	t.Run("delay register", func(t *testing.T) {
		var r projections.DelayRegister
		must(t, ts.get(client, eng+"/delay-register"), 200).json(t, &r)
		if len(r.Milestones) == 0 || !slices.ContainsFunc(r.Delays, func(d projections.Delay) bool { return d.DisclosedAfterDue && d.LeadTimeDays < 0 }) {
			t.Errorf("the story's late disclosure is missing: %+v", r)
		}
	})
	t.Run("decision log", func(t *testing.T) {
		var p api.Page[projections.Decision]
		must(t, ts.get(client, eng+"/decision-log"), 200).json(t, &p)
		if !slices.ContainsFunc(p.Items, func(d projections.Decision) bool { return d.WithoutClient }) {
			t.Errorf("the hosting decision taken without the client is missing: %+v", p)
		}
	})
	t.Run("communications report", func(t *testing.T) {
		var c projections.Communications
		must(t, ts.get(client, eng+"/communications-report"), 200).json(t, &c)
		if len(c.Informations) == 0 || c.LastClientInformedAt == nil {
			t.Errorf("%+v", c)
		}
	})
	t.Run("indicator status", func(t *testing.T) {
		var p api.Page[projections.Indicator]
		must(t, ts.get(client, eng+"/indicator-status?limit=1"), 200).json(t, &p)
		if len(p.Items) != 1 || p.NextCursor == nil || p.Items[0].Status == "" {
			t.Errorf("%+v", p)
		}
	})
	t.Run("stakeholder register", func(t *testing.T) {
		var p api.Page[projections.Stakeholder]
		must(t, ts.get(client, eng+"/stakeholder-register"), 200).json(t, &p)
		if !slices.ContainsFunc(p.Items, func(s projections.Stakeholder) bool { return s.NeverBriefed }) {
			t.Errorf("the late stakeholder never briefed is missing: %+v", p)
		}
	})
	t.Run("transparency", func(t *testing.T) {
		var one, all projections.TransparencyReport
		must(t, ts.get(client, eng+"/transparency"), 200).json(t, &one)
		must(t, ts.get(auditor, "/v1/transparency"), 200).json(t, &all)
		if one.EngagementID != d.EngagementID || one.Delays.DisclosedAfterDue == 0 || len(one.Decisions.WithoutClient) == 0 || len(one.UnbriefedStakeholders) == 0 {
			t.Errorf("engagement report: %+v", one)
		}
		if all.EngagementID != "" || all.Engagements != 1 || all.Delays.Count != one.Delays.Count {
			t.Errorf("store report: %+v", all)
		}
	})
	t.Run("knowledge", func(t *testing.T) {
		var e struct {
			StakeholderID string `json:"stakeholder_id"`
		}
		must(t, ts.get(client, eng), 200).json(t, &e)
		var k projections.Knowledge
		must(t, ts.get(auditor, eng+"/stakeholders/"+e.StakeholderID+"/knowledge"), 200).json(t, &k)
		if k.StakeholderID != e.StakeholderID || len(k.Items) == 0 {
			t.Errorf("%+v", k)
		}
		r := ts.get(auditor, eng+"/stakeholders/nobody/knowledge")
		if r.Status != 404 || r.problem(t).Code != "stakeholder_not_found" {
			t.Errorf("unknown stakeholder: %d %s", r.Status, r.Body)
		}
	})
	t.Run("summaries list", func(t *testing.T) {
		_, other := ts.newPrincipal("Oscar Outsider", "member")
		ts.openEngagement(other, "supplier", "Not the client's")
		ts.waitProjections()
		var mine, everything api.EngagementSummaryList
		must(t, ts.get(client, "/v1/engagement-summaries"), 200).json(t, &mine)
		must(t, ts.get(auditor, "/v1/engagement-summaries"), 200).json(t, &everything)
		if len(mine.Items) != 1 || mine.Items[0].ID != d.EngagementID || len(everything.Items) != 2 {
			t.Errorf("client sees %d, auditor %d", len(mine.Items), len(everything.Items))
		}
		var emergence api.EngagementSummaryList
		must(t, ts.get(auditor, "/v1/engagement-summaries?phase=emergence"), 200).json(t, &emergence)
		if len(emergence.Items) != 1 || emergence.Items[0].Title != "Not the client's" {
			t.Errorf("phase filter: %+v", emergence.Items)
		}
		var legacy struct{ Items []struct{ Title string } }
		must(t, ts.get(auditor, "/v1/engagements?phase=emergence"), 200).json(t, &legacy)
		if len(legacy.Items) != 1 || legacy.Items[0].Title != "Not the client's" {
			t.Errorf("phase filter on the folded list: %+v", legacy.Items)
		}
	})
	t.Run("readiness and metrics", func(t *testing.T) {
		var rd api.Readiness
		must(t, ts.get("", "/readyz"), 200).json(t, &rd)
		if rd.Projections == nil || rd.Checks["projections"] != "ok" || len(rd.Projections.Projections) != len(projections.Names()) {
			t.Errorf("%+v", rd)
		}
		m := string(must(t, ts.get("", "/metrics"), 200).Body)
		for _, name := range []string{"candor_projection_events_applied_total", "candor_projection_lag_seconds"} {
			if !strings.Contains(m, name) {
				t.Errorf("metrics lack %s", name)
			}
		}
	})
}

// TestSummaryPagesForMembers: a member paging through the summaries sees
// each of its engagements once and none of the others, however the
// engagements interleave.
func TestSummaryPagesForMembers(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	_, a := ts.newPrincipal("Alice", "member")
	_, b := ts.newPrincipal("Bob", "member")
	var want []string
	for i := range 7 {
		id, _ := ts.openEngagement(a, "supplier", fmt.Sprintf("a%d", i))
		want = append(want, id)
		ts.openEngagement(b, "supplier", fmt.Sprintf("b%d", i))
	}
	ts.waitProjections()
	var got []string
	path := "/v1/engagement-summaries?limit=3"
	for range 10 {
		var p api.EngagementSummaryList
		must(t, ts.get(a, path), 200).json(t, &p)
		for _, e := range p.Items {
			got = append(got, e.ID)
		}
		if p.NextCursor == nil {
			break
		}
		path = "/v1/engagement-summaries?limit=3&cursor=" + *p.NextCursor
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestReadYourWritesFromProjections: a read that names the position of a write sees it,
// however far the read models lag; a position no write has returned yet
// (beyond the store's head) is refused at once (TestReadYourWrites shows the
// 503 not_caught_up of one the read models do not reach in time).
func TestReadYourWritesFromProjections(t *testing.T) {
	ts := startServerWithProjections(t, api.Config{RateLimit: -1, WaitTimeout: 300 * time.Millisecond})
	clientID, _ := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, _, _ := ts.scopedEngagement(supplier, clientID, "Fresh")
	for i := range 20 {
		title := fmt.Sprintf("need %d", i)
		var w writeResult
		must(t, ts.post(supplier, "/v1/engagements/"+id+"/requirements", map[string]any{"title": title}), 201).json(t, &w)
		var b projections.RequirementsBoard
		r := ts.do(req{method: "GET", path: "/v1/engagements/" + id + "/requirements-board", token: supplier,
			header: map[string]string{"X-Candor-Position": strconv.FormatUint(w.Position, 10)}})
		must(t, r, 200).json(t, &b)
		if !slices.ContainsFunc(b.Requirements, func(r projections.Requirement) bool { return r.Title == title }) {
			t.Fatalf("write %d not read back", i)
		}
		var s projections.EngagementSummary
		must(t, ts.get(supplier, fmt.Sprintf("/v1/engagements/%s/summary?min_position=%d", id, w.Position)), 200).json(t, &s)
		if uint64(s.Position) < w.Position {
			t.Fatalf("summary at %d, write at %d", s.Position, w.Position)
		}
	}
	r := ts.do(req{method: "GET", path: "/v1/engagements/" + id + "/timeline", token: supplier,
		header: map[string]string{"X-Candor-Position": "999999999"}})
	if r.Status != 400 || r.problem(t).Code != api.CodeInvalidParameter {
		t.Fatalf("position beyond the head: %d %v %s", r.Status, r.Header, r.Body)
	}
}

// TestAsOf: the folded-state reads answer for a past moment, by position
// or by time; before the engagement existed they answer 404.
func TestAsOf(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	clientID, _ := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	before := time.Now().UTC()
	time.Sleep(5 * time.Millisecond) // recorded_at strictly after `before`
	id, _, _ := ts.scopedEngagement(supplier, clientID, "Then and now")
	eng := "/v1/engagements/" + id
	var first, second writeResult
	must(t, ts.post(supplier, eng+"/requirements", map[string]any{"title": "first"}), 201).json(t, &first)
	time.Sleep(5 * time.Millisecond)
	between := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	must(t, ts.post(supplier, eng+"/requirements", map[string]any{"title": "second"}), 201).json(t, &second)

	titles := func(query string) []string {
		t.Helper()
		var p struct{ Items []struct{ Title string } }
		must(t, ts.get(supplier, eng+"/requirements"+query), 200).json(t, &p)
		var out []string
		for _, r := range p.Items {
			out = append(out, r.Title)
		}
		return out
	}
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"", []string{"first", "second"}},
		{fmt.Sprintf("?as_of_position=%d", first.Position-1), nil},
		{fmt.Sprintf("?as_of_position=%d", first.Position), []string{"first"}},
		{fmt.Sprintf("?as_of_position=%d", second.Position), []string{"first", "second"}},
		{"?as_of=" + between.Format(time.RFC3339Nano), []string{"first"}},
	} {
		if got := titles(tt.query); !slices.Equal(got, tt.want) {
			t.Errorf("%q: %v, want %v", tt.query, got, tt.want)
		}
	}
	r := must(t, ts.get(supplier, fmt.Sprintf("%s?as_of_position=%d", eng, first.Position)), 200)
	var e struct{ Revision uint64 }
	r.json(t, &e)
	if e.Revision != first.Revision || r.Header.Get("ETag") != "" {
		t.Errorf("past engagement: revision %d (want %d), ETag %q", e.Revision, first.Revision, r.Header.Get("ETag"))
	}
	r = ts.get(supplier, eng+"?as_of="+before.Format(time.RFC3339Nano))
	if r.Status != 404 || r.problem(t).Code != "engagement_not_found" {
		t.Errorf("before it existed: %d %s", r.Status, r.Body)
	}
	r = ts.get(supplier, eng+"?as_of=2026-01-01T00:00:00Z&as_of_position=3")
	if r.Status != 400 || r.problem(t).Code != api.CodeInvalidParameter {
		t.Errorf("both: %d %s", r.Status, r.Body)
	}
}

// TestKnowledgeAsOf: what a client stakeholder knew grows as they are
// informed; as of a past position or time it is what they knew then.
func TestKnowledgeAsOf(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	clientID, client := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, _, clientSH := ts.scopedEngagement(supplier, clientID, "Who knew")
	eng := "/v1/engagements/" + id
	inform := func(subject string) writeResult {
		var w writeResult
		must(t, ts.post(supplier, eng+"/communications", map[string]any{"subject": subject, "channel": "email", "recipients": []string{clientSH}}), 201).json(t, &w)
		return w
	}
	first := inform("The server set-up failed")
	time.Sleep(5 * time.Millisecond)
	between := time.Now().UTC()
	time.Sleep(5 * time.Millisecond)
	second := inform("Go-live moves by a week")
	ts.waitProjections()

	subjects := func(query string) []string {
		t.Helper()
		var k projections.Knowledge
		must(t, ts.get(client, eng+"/stakeholders/"+clientSH+"/knowledge"+query), 200).json(t, &k)
		var out []string
		for _, it := range k.Items {
			if it.Kind == projections.KnowInformed {
				out = append(out, it.Subject)
			}
		}
		return out
	}
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"", []string{"The server set-up failed", "Go-live moves by a week"}},
		{fmt.Sprintf("?as_of_position=%d", first.Position-1), nil},
		{fmt.Sprintf("?as_of_position=%d", first.Position), []string{"The server set-up failed"}},
		{fmt.Sprintf("?as_of_position=%d", second.Position), []string{"The server set-up failed", "Go-live moves by a week"}},
		{"?as_of=" + between.Format(time.RFC3339Nano), []string{"The server set-up failed"}},
	} {
		if got := subjects(tt.query); !slices.Equal(got, tt.want) {
			t.Errorf("%q: %v, want %v", tt.query, got, tt.want)
		}
	}
}

// TestVerification: the chain holds, then an event edited in the database
// file is reported as the first broken link, for the engagement and for
// the whole store.
func TestVerification(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	clientID, client := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	_, auditor := ts.newPrincipal("Ann Auditor", "auditor")
	id, _, _ := ts.scopedEngagement(supplier, clientID, "Tamper-evident")
	eng := "/v1/engagements/" + id
	var w writeResult
	must(t, ts.post(supplier, eng+"/requirements", map[string]any{"title": "Export invoices"}), 201).json(t, &w)
	must(t, ts.post(supplier, eng+"/requirements", map[string]any{"title": "Import prices"}), 201)

	var v api.VerificationOut
	must(t, ts.get(client, eng+"/verification"), 200).json(t, &v)
	if !v.OK || v.Broken != nil || v.Events == 0 {
		t.Fatalf("untouched: %+v", v)
	}
	must(t, ts.get(auditor, "/v1/verification"), 200).json(t, &v)
	if !v.OK || v.Streams != 1 {
		t.Fatalf("untouched store: %+v", v)
	}

	db, err := sql.Open("sqlite3", "file:"+filepath.Join(ts.dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(`UPDATE events SET data = CAST(replace(CAST(data AS TEXT), 'Export invoices', 'Export nothing') AS BLOB) WHERE pos = ?`, w.Position)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("tampered %d rows", n)
	}
	db.Close()

	for _, path := range []string{eng + "/verification", "/v1/verification"} {
		var v api.VerificationOut
		must(t, ts.get(auditor, path), 200).json(t, &v)
		if v.OK || v.Broken == nil || v.Broken.Position != w.Position || v.Broken.Revision != w.Revision ||
			v.Broken.EngagementID != id || v.Broken.Reason == "" {
			t.Errorf("%s after tampering: %+v %+v", path, v, v.Broken)
		}
	}
}

// sseMessage is one message of an event stream.
type sseMessage struct {
	ID       string
	Data     string
	Comments []string
}

// feed is an open event stream; messages arrive on msgs.
type feed struct {
	res  *http.Response
	msgs chan sseMessage
}

// openFeed connects to an engagement's feed, resuming after lastID if set.
func (ts *testServer) openFeed(token, id, lastID string) *feed {
	ts.t.Helper()
	hr, err := http.NewRequest(http.MethodGet, ts.url+"/v1/engagements/"+id+"/feed", nil)
	if err != nil {
		ts.t.Fatal(err)
	}
	hr.Header.Set("Authorization", "Bearer "+token)
	hr.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		hr.Header.Set("Last-Event-ID", lastID)
	}
	// The shared client's timeout would cut the stream.
	res, err := (&http.Client{Transport: ts.client.Transport}).Do(hr)
	if err != nil {
		ts.t.Fatal(err)
	}
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		ts.t.Fatalf("feed: %d %v", res.StatusCode, res.Header)
	}
	f := &feed{res: res, msgs: make(chan sseMessage, 100)}
	go func() {
		defer close(f.msgs)
		sc := bufio.NewScanner(res.Body)
		var m sseMessage
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				f.msgs <- m
				m = sseMessage{}
			case strings.HasPrefix(line, ":"):
				m.Comments = append(m.Comments, strings.TrimSpace(line[1:]))
			case strings.HasPrefix(line, "id: "):
				m.ID = line[4:]
			case strings.HasPrefix(line, "data: "):
				m.Data += line[6:]
			}
		}
	}()
	ts.t.Cleanup(func() { res.Body.Close() })
	return f
}

// next returns the next message with an event, skipping comments.
func (f *feed) next(t *testing.T) (uint64, projections.FeedEvent) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-f.msgs:
			if !ok {
				t.Fatal("the stream ended")
			}
			if m.Data == "" {
				continue
			}
			var ev projections.FeedEvent
			if err := json.Unmarshal([]byte(m.Data), &ev); err != nil {
				t.Fatalf("data %q: %v", m.Data, err)
			}
			id, err := strconv.ParseUint(m.ID, 10, 64)
			if err != nil {
				t.Fatalf("id %q", m.ID)
			}
			return id, ev
		case <-timeout:
			t.Fatal("no event within 10s")
		}
	}
}

// TestFeed: events written after connecting arrive with their position as
// id; a reconnection with Last-Event-ID gets exactly the later ones; a
// heartbeat comes when idle; the stream ends on shutdown.
func TestFeed(t *testing.T) {
	ts := startServerWithProjections(t, api.Config{RateLimit: -1, HeartbeatInterval: 50 * time.Millisecond})
	clientID, client := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, _, _ := ts.scopedEngagement(supplier, clientID, "Live")
	eng := "/v1/engagements/" + id
	log := ts.allEvents(client, id, "")
	last := strconv.FormatUint(log.Items[len(log.Items)-1].Position, 10)

	f := ts.openFeed(client, id, last)
	var w writeResult
	must(t, ts.post(supplier, eng+"/requirements", map[string]any{"title": "seen live"}), 201).json(t, &w)
	pos, ev := f.next(t)
	if pos != w.Position || uint64(ev.Position) != w.Position || ev.Type != "requirement.raised" || !strings.Contains(string(ev.Data), "seen live") {
		t.Fatalf("got %d %+v, want position %d", pos, ev, w.Position)
	}
	f.res.Body.Close() // disconnect

	var later []uint64
	for i := range 3 {
		var w writeResult
		must(t, ts.post(supplier, eng+"/requirements", map[string]any{"title": fmt.Sprintf("while away %d", i)}), 201).json(t, &w)
		later = append(later, w.Position)
	}
	f = ts.openFeed(client, id, strconv.FormatUint(pos, 10))
	for _, want := range later {
		if got, _ := f.next(t); got != want {
			t.Fatalf("resumed with %d, want %d (after %d)", got, want, pos)
		}
	}

	t.Run("heartbeat", func(t *testing.T) {
		timeout := time.After(10 * time.Second)
		for {
			select {
			case m := <-f.msgs:
				if slices.Contains(m.Comments, "heartbeat") {
					return
				}
			case <-timeout:
				t.Fatal("no heartbeat")
			}
		}
	})
	t.Run("foreign engagement", func(t *testing.T) {
		_, outsider := ts.newPrincipal("Oscar Outsider", "member")
		r := ts.get(outsider, eng+"/feed")
		if r.Status != 404 {
			t.Fatalf("outsider: %d %s", r.Status, r.Body)
		}
		r = ts.do(req{method: "GET", path: eng + "/feed", token: client, header: map[string]string{"Last-Event-ID": "x"}})
		if r.Status != 400 {
			t.Fatalf("bad Last-Event-ID: %d %s", r.Status, r.Body)
		}
	})
	t.Run("shutdown ends the stream", func(t *testing.T) {
		// stop reports an error if the server could not drain, which an
		// open stream would prevent.
		ts.stop()
		for range f.msgs { // until the stream ends
		}
	})
}
