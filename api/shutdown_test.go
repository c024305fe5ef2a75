package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/candor-ledger/candor/api"
	"github.com/candor-ledger/candor/eventstore"
)

// fakeReadModels has applied everything up to a position that the test
// moves; WaitFor blocks until then.
type fakeReadModels struct {
	applied atomic.Uint64
}

func (f *fakeReadModels) WaitFor(ctx context.Context, pos eventstore.Position) error {
	for uint64(pos) > f.applied.Load() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

func (f *fakeReadModels) Checkpoints() map[string]eventstore.Position {
	return map[string]eventstore.Position{"engagements": eventstore.Position(f.applied.Load())}
}

// TestReadYourWrites: a read naming the position of a write waits for the
// read models, answers once they have it, and answers 503 not_caught_up
// when they do not within the bound. The lag is a metric.
func TestReadYourWrites(t *testing.T) {
	rm := &fakeReadModels{}
	ts := startServerWith(t, api.Config{RateLimit: -1, WaitTimeout: 100 * time.Millisecond}, rm)
	_, tok := ts.newPrincipal("Sam", "member")
	id, _ := ts.openEngagement(tok, "supplier", "RYW")
	r := must(t, ts.post(tok, "/v1/engagements/"+id+"/stakeholders", map[string]any{"party": "client", "name": "C"}), 201)
	pos := r.Header.Get("X-Candor-Position")
	if pos == "" {
		t.Fatal("no X-Candor-Position on a write")
	}
	r = ts.do(req{method: "GET", path: "/v1/engagements/" + id, token: tok, header: map[string]string{"X-Candor-Position": pos}})
	if r.Status != 503 || r.problem(t).Code != api.CodeNotCaughtUp || r.Header.Get("Retry-After") == "" {
		t.Fatalf("behind read models: %d %s", r.Status, r.Body)
	}
	m := must(t, ts.get("", "/metrics"), 200)
	if !strings.Contains(string(m.Body), `candor_projection_lag_events{projection="engagements"}`) {
		t.Errorf("no lag metric")
	}
	go func() { time.Sleep(20 * time.Millisecond); rm.applied.Store(1 << 40) }()
	must(t, ts.get(tok, "/v1/engagements/"+id+"?min_position="+pos), 200)
}

// TestShutdownFinishesWrites: writes in flight when the server is told to
// stop either complete and are answered, or are refused before anything
// is written; after a restart the log holds exactly the acknowledged ones.
func TestShutdownFinishesWrites(t *testing.T) {
	ts := startServer(t, testConfig())
	clientID, _ := ts.newPrincipal("Chloe", "member")
	_, tok := ts.newPrincipal("Sam", "member")
	id, _, _ := ts.scopedEngagement(tok, clientID, "Shutdown")
	before := countType(ts.allEvents(tok, id, ""), "requirement.raised")

	var acked atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	client := &http.Client{Timeout: 10 * time.Second} // not validating: some requests fail on purpose
	for i := range 40 {
		wg.Go(func() {
			<-start
			body := strings.NewReader(fmt.Sprintf(`{"title":"w%d"}`, i))
			hr, _ := http.NewRequest("POST", ts.url+"/v1/engagements/"+id+"/requirements", body)
			hr.Header.Set("Authorization", "Bearer "+tok)
			hr.Header.Set("Content-Type", "application/json")
			res, err := client.Do(hr)
			if err != nil {
				return // refused: the listener was closed
			}
			res.Body.Close()
			if res.StatusCode == 201 {
				acked.Add(1)
			}
		})
	}
	close(start)
	time.Sleep(2 * time.Millisecond)
	ts.srv.BeginShutdown()
	r := ts.get("", "/readyz")
	if r.Status != 503 || !strings.Contains(string(r.Body), "shutting_down") {
		t.Errorf("readyz while shutting down: %d %s", r.Status, r.Body)
	}
	ts.stop()
	wg.Wait()
	ts.start()
	log := ts.allEvents(tok, id, "")
	checkGapless(t, log)
	if n := countType(log, "requirement.raised") - before; int64(n) != acked.Load() {
		t.Fatalf("%d requirements stored, %d acknowledged", n, acked.Load())
	}
	t.Logf("%d of 40 writes acknowledged before shutdown", acked.Load())
}
