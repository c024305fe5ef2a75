package api_test

import (
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/projections"
)

// cacheCounter reads a read-model cache counter from /metrics.
func cacheCounter(t *testing.T, ts *testServer, name string) int {
	t.Helper()
	m := must(t, ts.get("", "/metrics"), http.StatusOK).Body
	match := regexp.MustCompile(`(?m)^` + name + ` (\d+)`).FindSubmatch(m)
	if match == nil {
		t.Fatalf("no %s in /metrics", name)
	}
	n, err := strconv.Atoi(string(match[1]))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReadModelCache: a repeated read-model GET is served from memory, and
// a write to the engagement is seen by the next GET at once (with
// read-your-writes), never a cached answer from before it.
func TestReadModelCache(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	_, token := ts.newPrincipalDirect("Sam Supplier", auth.RoleMember)
	eng, _ := ts.openEngagement(token, "supplier", "Cached")
	ts.waitProjections()
	path := "/v1/engagements/" + eng + "/summary"

	hits, misses := cacheCounter(t, ts, "candor_read_model_cache_hits_total"), cacheCounter(t, ts, "candor_read_model_cache_misses_total")
	first := must(t, ts.get(token, path), http.StatusOK)
	second := must(t, ts.get(token, path), http.StatusOK)
	if string(first.Body) != string(second.Body) {
		t.Fatalf("the same GET answered differently:\n%s\n%s", first.Body, second.Body)
	}
	if h, m := cacheCounter(t, ts, "candor_read_model_cache_hits_total"), cacheCounter(t, ts, "candor_read_model_cache_misses_total"); h != hits+1 || m != misses+1 {
		t.Fatalf("after two GETs: hits %d→%d, misses %d→%d; want one of each", hits, h, misses, m)
	}

	// A write, then a GET that asks to see it.
	w := must(t, ts.post(token, "/v1/engagements/"+eng+"/experts", map[string]any{"name": "Ada", "expertise": "caching"}), http.StatusCreated)
	r := ts.do(req{method: http.MethodGet, path: path, token: token, header: map[string]string{"X-Candor-Position": w.Header.Get("X-Candor-Position")}})
	must(t, r, http.StatusOK)
	var before, after projections.EngagementSummary
	first.json(t, &before)
	r.json(t, &after)
	if after.Revision <= before.Revision || string(r.Body) == string(first.Body) {
		t.Fatalf("the GET after a write shows the engagement as before it:\nbefore %s\nafter  %s", first.Body, r.Body)
	}
	// And the timeline, cached per query string too, shows the new fact.
	tl := "/v1/engagements/" + eng + "/timeline?limit=50"
	var a, b struct{ Items []projections.TimelineEntry }
	must(t, ts.get(token, tl), http.StatusOK).json(t, &a)
	must(t, ts.post(token, "/v1/engagements/"+eng+"/experts", map[string]any{"name": "Grace", "expertise": "more caching"}), http.StatusCreated)
	ts.waitProjections()
	must(t, ts.get(token, tl), http.StatusOK).json(t, &b)
	if len(b.Items) != len(a.Items)+1 {
		t.Fatalf("timeline had %d entries, %d after a write; want one more", len(a.Items), len(b.Items))
	}
}
