package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
)

// Every event the API returns carries its hash and its predecessor's, and
// they link: anyone can follow the chain of a stream from the wire.
func TestEventsCarryTheirHashChain(t *testing.T) {
	ts := startServer(t, testConfig())
	_, token := ts.newPrincipal("Sam", "member")
	clientID, _ := ts.newPrincipal("Chloe", "member")
	id, _, _ := ts.scopedEngagement(token, clientID, "Shop")
	var w struct {
		Events []struct {
			Revision uint64
			Hash     string `json:"hash"`
			PrevHash string `json:"prev_hash"`
		}
	}
	must(t, ts.post(token, "/v1/engagements/"+id+"/assumptions", map[string]any{"statement": "VAT from the ERP"}), http.StatusCreated).json(t, &w)
	var page struct {
		Items []struct {
			Revision uint64
			Hash     string `json:"hash"`
			PrevHash string `json:"prev_hash"`
		}
	}
	must(t, ts.get(token, "/v1/engagements/"+id+"/events"), http.StatusOK).json(t, &page)
	stored, err := ts.store.ReadStream(context.Background(), ledger.StreamName(id), eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != len(stored) || len(page.Items) < 2 {
		t.Fatalf("%d events listed, %d stored", len(page.Items), len(stored))
	}
	prev := ""
	for i, e := range page.Items {
		if want := ledger.EventHash(&stored[i]); e.Hash != want || e.PrevHash != prev {
			t.Fatalf("event %d: hash %q prev %q, want hash %q prev %q", i, e.Hash, e.PrevHash, want, prev)
		}
		prev = e.Hash
	}
	last := page.Items[len(page.Items)-1]
	if got := w.Events[len(w.Events)-1]; got.Hash != last.Hash || got.PrevHash != last.PrevHash {
		t.Fatalf("write response %+v, event log %+v", got, last)
	}
}
