package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

type eventPage struct {
	Items []struct {
		ID       string
		Type     string
		Revision uint64
		Position uint64
		Actor    string
		Data     map[string]any
	}
	NextCursor *string `json:"next_cursor"`
}

// allEvents pages through the event log of an engagement.
func (ts *testServer) allEvents(token, id, query string) eventPage {
	ts.t.Helper()
	var all eventPage
	path := "/v1/engagements/" + id + "/events?limit=7" + query
	for {
		var p eventPage
		must(ts.t, ts.get(token, path), http.StatusOK).json(ts.t, &p)
		all.Items = append(all.Items, p.Items...)
		if p.NextCursor == nil {
			return all
		}
		path = "/v1/engagements/" + id + "/events?limit=7&cursor=" + *p.NextCursor + query
	}
}

// checkGapless fails unless the log's revisions are 0..n-1 with increasing
// positions and no event id twice.
func checkGapless(t *testing.T, log eventPage) {
	t.Helper()
	seen := map[string]bool{}
	for i, e := range log.Items {
		if e.Revision != uint64(i) {
			t.Fatalf("event %d has revision %d", i, e.Revision)
		}
		if i > 0 && e.Position <= log.Items[i-1].Position {
			t.Fatalf("position %d after %d", e.Position, log.Items[i-1].Position)
		}
		if seen[e.ID] {
			t.Fatalf("event %s twice", e.ID)
		}
		seen[e.ID] = true
	}
}

func countType(log eventPage, typ string) int {
	n := 0
	for _, e := range log.Items {
		if e.Type == typ {
			n++
		}
	}
	return n
}

// TestConcurrentWriters: 50 clients write to one engagement at once.
// Without If-Match every write lands exactly once; with the same If-Match
// exactly one wins and the others get 412; retrying on 412 with a fresh
// ETag, all eventually land. The log stays gapless throughout.
func TestConcurrentWriters(t *testing.T) {
	const clients = 50
	ts := startServer(t, testConfig())
	clientID, _ := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, _, _ := ts.scopedEngagement(supplier, clientID, "Busy")
	path := "/v1/engagements/" + id + "/requirements"

	run := func(f func(i int) int) map[int]int {
		var mu sync.Mutex
		statuses := map[int]int{}
		var wg sync.WaitGroup
		for i := range clients {
			wg.Go(func() {
				st := f(i)
				mu.Lock()
				statuses[st]++
				mu.Unlock()
			})
		}
		wg.Wait()
		return statuses
	}

	t.Run("without If-Match", func(t *testing.T) {
		before := countType(ts.allEvents(supplier, id, ""), "requirement.raised")
		st := run(func(i int) int {
			return ts.post(supplier, path, map[string]any{"title": fmt.Sprintf("free %d", i)}).Status
		})
		if st[201] != clients {
			t.Fatalf("statuses %v", st)
		}
		log := ts.allEvents(supplier, id, "")
		checkGapless(t, log)
		if n := countType(log, "requirement.raised") - before; n != clients {
			t.Fatalf("%d requirements raised, want %d", n, clients)
		}
	})

	t.Run("same If-Match", func(t *testing.T) {
		etag := must(t, ts.get(supplier, "/v1/engagements/"+id), 200).Header.Get("ETag")
		before := countType(ts.allEvents(supplier, id, ""), "requirement.raised")
		st := run(func(i int) int {
			return ts.do(req{method: "POST", path: path, token: supplier, body: map[string]any{"title": fmt.Sprintf("guarded %d", i)},
				header: map[string]string{"If-Match": etag}}).Status
		})
		if st[201] != 1 || st[412] != clients-1 {
			t.Fatalf("statuses %v, want one 201 and %d 412", st, clients-1)
		}
		log := ts.allEvents(supplier, id, "")
		checkGapless(t, log)
		if n := countType(log, "requirement.raised") - before; n != 1 {
			t.Fatalf("%d requirements raised, want 1", n)
		}
	})

	t.Run("If-Match with retries", func(t *testing.T) {
		before := countType(ts.allEvents(supplier, id, ""), "requirement.raised")
		st := run(func(i int) int {
			for {
				etag := ts.get(supplier, "/v1/engagements/"+id).Header.Get("ETag")
				r := ts.do(req{method: "POST", path: path, token: supplier, body: map[string]any{"title": fmt.Sprintf("retried %d", i)},
					header: map[string]string{"If-Match": etag}})
				if r.Status != http.StatusPreconditionFailed {
					return r.Status
				}
			}
		})
		if st[201] != clients {
			t.Fatalf("statuses %v", st)
		}
		log := ts.allEvents(supplier, id, "")
		checkGapless(t, log)
		if n := countType(log, "requirement.raised") - before; n != clients {
			t.Fatalf("%d requirements raised, want %d", n, clients)
		}
	})
}

// TestIdempotentRetries: a retry with the same Idempotency-Key returns the
// first response (status and body) and writes nothing, also for the
// creation of an engagement and under concurrent retries.
func TestIdempotentRetries(t *testing.T) {
	ts := startServer(t, testConfig())
	clientID, client := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, _, _ := ts.scopedEngagement(supplier, clientID, "Retries")

	post := func(path, key string, body any) response {
		return ts.do(req{method: "POST", path: path, token: supplier, body: body, header: map[string]string{"Idempotency-Key": key}})
	}
	t.Run("sub-resource", func(t *testing.T) {
		path := "/v1/engagements/" + id + "/requirements"
		body := map[string]any{"title": "Export invoices"}
		first := must(t, post(path, "k-1", body), 201)
		before := len(ts.allEvents(supplier, id, "").Items)
		for range 3 {
			again := must(t, post(path, "k-1", body), 201)
			if string(again.Body) != string(first.Body) || again.Header.Get("Location") != first.Header.Get("Location") ||
				again.Header.Get("ETag") != first.Header.Get("ETag") {
				t.Fatalf("replay differs:\n%s\n%s", first.Body, again.Body)
			}
			if again.Header.Get("Idempotency-Replayed") != "true" {
				t.Errorf("replay not marked")
			}
		}
		if after := len(ts.allEvents(supplier, id, "").Items); after != before {
			t.Fatalf("retries wrote %d events", after-before)
		}
	})
	t.Run("action answering 200", func(t *testing.T) {
		path := "/v1/engagements/" + id + "/perimeters"
		body := map[string]any{"party": "supplier", "description": "Build and run"}
		first := must(t, post(path, "k-2", body), 200)
		again := must(t, post(path, "k-2", body), 200)
		if string(again.Body) != string(first.Body) {
			t.Fatalf("replay differs:\n%s\n%s", first.Body, again.Body)
		}
	})
	t.Run("engagement creation", func(t *testing.T) {
		body := map[string]any{"title": "Once", "client_name": "c", "supplier_name": "s", "opener": map[string]any{"party": "supplier", "name": "Sam"}}
		first := must(t, post("/v1/engagements", "k-open", body), 201)
		again := must(t, post("/v1/engagements", "k-open", body), 201)
		if string(again.Body) != string(first.Body) || again.Header.Get("Location") != first.Header.Get("Location") {
			t.Fatalf("replay differs:\n%s\n%s", first.Body, again.Body)
		}
		var list struct{ Items []struct{ Title string } }
		must(t, ts.get(supplier, "/v1/engagements?limit=200"), 200).json(t, &list)
		n := 0
		for _, e := range list.Items {
			if e.Title == "Once" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d engagements titled Once", n)
		}
	})
	t.Run("concurrent retries", func(t *testing.T) {
		path := "/v1/engagements/" + id + "/requirements"
		body := map[string]any{"title": "Concurrent"}
		before := countType(ts.allEvents(supplier, id, ""), "requirement.raised")
		var wg sync.WaitGroup
		bodies := make([]string, 20)
		for i := range bodies {
			wg.Go(func() { bodies[i] = string(must(t, post(path, "k-conc", body), 201).Body) })
		}
		wg.Wait()
		for _, b := range bodies[1:] {
			if b != bodies[0] {
				t.Fatalf("responses differ:\n%s\n%s", bodies[0], b)
			}
		}
		if n := countType(ts.allEvents(supplier, id, ""), "requirement.raised") - before; n != 1 {
			t.Fatalf("%d requirements raised", n)
		}
	})
	t.Run("key of another principal", func(t *testing.T) {
		// The same key and body from someone else is another request: it
		// must not replay the supplier's response to the client.
		r := ts.do(req{method: "POST", path: "/v1/engagements/" + id + "/requirements", token: client,
			body: map[string]any{"title": "Export invoices"}, header: map[string]string{"Idempotency-Key": "k-1"}})
		if r.Status != 422 || r.problem(t).Code != "idempotency_key_reused" {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	})
}

// TestRestartLosesNothing: after a restart on the same data directory,
// tokens, engagements, states and the event log are all there.
func TestRestartLosesNothing(t *testing.T) {
	ts := startServer(t, testConfig())
	clientID, client := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, _, _ := ts.scopedEngagement(supplier, clientID, "Durable")
	for i := range 10 {
		must(t, ts.post(supplier, "/v1/engagements/"+id+"/requirements", map[string]any{"title": fmt.Sprintf("r%d", i)}), 201)
	}
	snapshot := func() (string, string, string) {
		e := must(t, ts.get(client, "/v1/engagements/"+id), 200)
		reqs := must(t, ts.get(client, "/v1/engagements/"+id+"/requirements?limit=200"), 200)
		log, _ := json.Marshal(ts.allEvents(client, id, ""))
		return string(e.Body) + e.Header.Get("ETag"), string(reqs.Body), string(log)
	}
	e1, r1, l1 := snapshot()
	ts.restart()
	e2, r2, l2 := snapshot()
	if e1 != e2 || r1 != r2 || l1 != l2 {
		t.Fatalf("state changed across restart:\n%s\n%s", e1, e2)
	}
	// Writing goes on where it stopped.
	r := must(t, ts.post(supplier, "/v1/engagements/"+id+"/requirements", map[string]any{"title": "after"}), 201)
	var w writeResult
	r.json(t, &w)
	log := ts.allEvents(client, id, "")
	checkGapless(t, log)
	if w.Revision != uint64(len(log.Items)-1) {
		t.Fatalf("revision %d after restart, log has %d events", w.Revision, len(log.Items))
	}
	if !strings.Contains(l2, `"r9"`) {
		t.Fatalf("log lost events: %s", l2)
	}
}
