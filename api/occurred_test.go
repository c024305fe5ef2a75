package api_test

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/candor-ledger/candor/api"
	"github.com/candor-ledger/candor/projections"
)

// TestOccurredAtAndAsOfBasis, over HTTP: a fact recorded after it happened
// keeps both times; as_of reads the past as recorded by then (the default)
// or, with as_of_basis=occurred, as it happened by then; a claimed time in
// the future or before the opening is refused with 422 and stores nothing.
func TestOccurredAtAndAsOfBasis(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	clientID, client := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, _, clientSH := ts.scopedEngagement(supplier, clientID, "Said and recorded")
	eng := "/v1/engagements/" + id

	// The moment the client stakeholder joined, as the server recorded it:
	// the facts below are said to have happened then, and are recorded later.
	var sh struct {
		JoinedAt time.Time `json:"joined_at"`
	}
	must(t, ts.get(supplier, eng+"/stakeholders/"+clientSH), 200).json(t, &sh)
	then := sh.JoinedAt.UTC().Format(time.RFC3339Nano)

	var req writeResult
	must(t, ts.post(client, eng+"/requirements", map[string]any{"title": "said in a call", "occurred_at": then}), 201).json(t, &req)
	if got := req.Events[0].Data["occurred_at"]; got != then {
		t.Errorf("event data occurred_at = %v, want %s", got, then)
	}
	must(t, ts.post(supplier, eng+"/communications", map[string]any{"subject": "told in a call", "channel": "call",
		"recipients": []string{clientSH}, "occurred_at": then}), 201)
	ts.waitProjections()

	var r struct {
		RaisedAt         time.Time  `json:"raised_at"`
		RaisedOccurredAt *time.Time `json:"raised_occurred_at"`
	}
	must(t, ts.get(supplier, eng+"/requirements/"+req.Events[0].Data["requirement_id"].(string)), 200).json(t, &r)
	if r.RaisedOccurredAt == nil || !r.RaisedOccurredAt.Equal(sh.JoinedAt) || !r.RaisedAt.After(sh.JoinedAt) {
		t.Errorf("requirement raised at %s, said %v: want said %s, recorded after", r.RaisedAt, r.RaisedOccurredAt, then)
	}

	titles := func(query string) []string {
		t.Helper()
		var p struct{ Items []struct{ Title string } }
		must(t, ts.get(supplier, eng+"/requirements"+query), 200).json(t, &p)
		var out []string
		for _, it := range p.Items {
			out = append(out, it.Title)
		}
		return out
	}
	subjects := func(query string) []string {
		t.Helper()
		var k projections.Knowledge
		must(t, ts.get(client, eng+"/stakeholders/"+clientSH+"/knowledge"+query), 200).json(t, &k)
		var out []string
		for _, it := range k.Items {
			out = append(out, it.Subject)
		}
		return out
	}
	asOf := "?as_of=" + url.QueryEscape(then)
	for _, tt := range []struct {
		query        string
		requirements []string
		knowledge    []string
	}{
		{asOf, nil, nil}, // recorded after `then`: not yet known
		{asOf + "&as_of_basis=recorded", nil, nil},
		{asOf + "&as_of_basis=occurred", []string{"said in a call"}, []string{"told in a call"}},
		{"", []string{"said in a call"}, []string{"told in a call"}},
	} {
		if got := titles(tt.query); !slices.Equal(got, tt.requirements) {
			t.Errorf("requirements%s: %v, want %v", tt.query, got, tt.requirements)
		}
		if got := subjects(tt.query); !slices.Equal(got, tt.knowledge) {
			t.Errorf("knowledge%s: %v, want %v", tt.query, got, tt.knowledge)
		}
	}

	// A basis needs a time.
	for _, q := range []string{"?as_of_basis=occurred", "?as_of_position=1&as_of_basis=occurred", asOf + "&as_of_basis=later"} {
		if r := ts.get(supplier, eng+q); r.Status != 400 || r.problem(t).Code != api.CodeInvalidParameter {
			t.Errorf("%s: %d %s", q, r.Status, r.Body)
		}
	}

	// Refused claims store nothing.
	etag := must(t, ts.get(supplier, eng), 200).Header.Get("ETag")
	for _, tt := range []struct{ occurred, code string }{
		{time.Now().Add(time.Hour).UTC().Format(time.RFC3339), "date_in_future"},
		{"1999-01-01T00:00:00Z", "date_before_opening"},
	} {
		r := ts.post(client, eng+"/requirements", map[string]any{"title": "x", "occurred_at": tt.occurred})
		if p := r.problem(t); r.Status != 422 || p.Code != tt.code || len(p.Errors) != 1 || p.Errors[0].Pointer != "/occurred_at" {
			t.Errorf("occurred_at %s: %d %s, want 422 %s on /occurred_at", tt.occurred, r.Status, r.Body, tt.code)
		}
	}
	if now := must(t, ts.get(supplier, eng), 200).Header.Get("ETag"); now != etag {
		t.Errorf("refused claims changed the engagement: ETag %s, then %s", etag, now)
	}
}
