package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestOpeningATakenIDLeaksNothing: opening an engagement with the id of one
// the caller may not see answers exactly what reading it answers, 404
// engagement_not_found (same status, problem and headers, whatever
// If-Match or Idempotency-Key say); whoever may see it gets 409
// engagement_already_opened. Nothing is stored either way.
func TestOpeningATakenIDLeaksNothing(t *testing.T) {
	ts := startServer(t, testConfig())
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	_, outsider := ts.newPrincipal("Oscar Outsider", "member")
	formerID, former := ts.newPrincipal("Fay Former", "member")
	_, auditor := ts.newPrincipal("Ann Auditor", "auditor")

	const taken = "taken-engagement"
	open := map[string]any{"engagement_id": taken, "title": "Taken", "client_name": "c", "supplier_name": "s",
		"opener": map[string]any{"party": "supplier", "name": "Sam"}}
	must(t, ts.do(req{method: http.MethodPost, path: "/v1/engagements", token: supplier, body: open,
		header: map[string]string{"Idempotency-Key": "open-taken"}}), http.StatusCreated)
	sh := ts.addStakeholder(supplier, taken, "supplier", "Fay", formerID)
	must(t, ts.post(supplier, "/v1/engagements/"+taken+"/stakeholders/"+sh+"/removal", map[string]any{}), http.StatusOK)
	etag := ts.get(supplier, "/v1/engagements/"+taken).Header.Get("ETag")

	for _, who := range []struct{ name, token string }{{"outsider", outsider}, {"former stakeholder", former}} {
		read := must(t, ts.get(who.token, "/v1/engagements/"+taken), http.StatusNotFound)
		for _, h := range []map[string]string{nil, {"If-Match": etag}, {"If-Match": `"99"`}, {"Idempotency-Key": "open-taken"}, {"Idempotency-Key": "another"}} {
			r := ts.do(req{method: http.MethodPost, path: "/v1/engagements", token: who.token, body: open, header: h})
			sameAnswer(t, who.name, h, r, read)
		}
	}
	for _, who := range []struct{ name, token string }{{"opener", supplier}, {"admin", ts.admin}} {
		r := must(t, ts.post(who.token, "/v1/engagements", open), http.StatusConflict)
		if p := r.problem(t); p.Code != "engagement_already_opened" {
			t.Errorf("%s: %+v", who.name, p)
		}
	}
	must(t, ts.post(auditor, "/v1/engagements", open), http.StatusForbidden)
	if now := ts.get(supplier, "/v1/engagements/"+taken).Header.Get("ETag"); now != etag {
		t.Errorf("ETag %s -> %s", etag, now)
	}
	// The outsider opens engagements of its own as usual.
	mine := map[string]any{"engagement_id": "not-taken", "title": "Mine", "client_name": "c", "supplier_name": "s",
		"opener": map[string]any{"party": "supplier", "name": "Oscar"}}
	must(t, ts.post(outsider, "/v1/engagements", mine), http.StatusCreated)
}

// sameAnswer fails unless write answers what read did: status, problem
// (but for the request's own path and id) and headers (but for the date,
// the request id and the length, which follows the path).
func sameAnswer(t *testing.T, who string, h map[string]string, write, read response) {
	t.Helper()
	if write.Status != read.Status {
		t.Fatalf("%s, %v: status %d, a read answers %d: %s", who, h, write.Status, read.Status, write.Body)
	}
	pw, pr := write.problem(t), read.problem(t)
	pw.Instance, pr.Instance, pw.RequestID, pr.RequestID = "", "", "", ""
	if pw.Type != pr.Type || pw.Title != pr.Title || pw.Status != pr.Status || pw.Detail != pr.Detail || pw.Code != pr.Code || len(pw.Errors)+len(pr.Errors) > 0 {
		t.Errorf("%s, %v: problem %+v, a read answers %+v", who, h, pw, pr)
	}
	skip := []string{"Date", "X-Request-Id", "Content-Length"}
	for k := range mergeKeys(write.Header, read.Header) {
		if !slices.Contains(skip, k) && !slices.Equal(write.Header.Values(k), read.Header.Values(k)) {
			t.Errorf("%s, %v: header %s %q, a read answers %q", who, h, k, write.Header.Values(k), read.Header.Values(k))
		}
	}
}

func mergeKeys(a, b http.Header) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// TestAddStakeholderLeaksNoPrincipal: a member, who may not list
// principals, cannot tell from addStakeholder whether a principal id
// exists: an unknown one is answered as a known one (201, the stakeholder
// linked to it). An admin, who may list them, is told (422).
func TestAddStakeholderLeaksNoPrincipal(t *testing.T) {
	ts := startServer(t, testConfig())
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	knownID, _ := ts.newPrincipal("Kim Known", "member")
	auditorID, _ := ts.newPrincipal("Ann Auditor", "auditor")
	const unknownID = "01a2427f-0000-7000-8000-000000000000"
	id, _ := ts.openEngagement(supplier, "supplier", "Principals")

	var shapes []string
	for _, pid := range []string{knownID, unknownID, auditorID} {
		r := must(t, ts.post(supplier, "/v1/engagements/"+id+"/stakeholders", map[string]any{"party": "supplier", "name": "n", "principal_id": pid}), http.StatusCreated)
		var w writeResult
		r.json(t, &w)
		if len(w.Events) != 1 || w.Events[0].Data["principal_id"] != pid {
			t.Fatalf("principal %s: %s", pid, r.Body)
		}
		keys := []string{}
		for k := range r.Header {
			if k != "Date" && k != "Content-Length" {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		shapes = append(shapes, strings.Join(keys, ","))
	}
	if shapes[0] != shapes[1] || shapes[0] != shapes[2] {
		t.Errorf("headers differ: %q", shapes)
	}

	// An admin (here the opener of its own engagement) is told.
	adminEng, _ := ts.openEngagement(ts.admin, "supplier", "Admin's")
	r := must(t, ts.post(ts.admin, "/v1/engagements/"+adminEng+"/stakeholders", map[string]any{"party": "supplier", "name": "n", "principal_id": unknownID}), http.StatusUnprocessableEntity)
	if p := r.problem(t); len(p.Errors) != 1 || p.Errors[0].Pointer != "/principal_id" {
		t.Errorf("admin: %+v", p)
	}
	// A principal id is a UUID: anything else names no principal, for anyone.
	must(t, ts.post(supplier, "/v1/engagements/"+id+"/stakeholders", map[string]any{"party": "supplier", "name": "n", "principal_id": "no-such-principal"}), http.StatusUnprocessableEntity)
}
