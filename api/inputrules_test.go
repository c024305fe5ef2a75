package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/candor-ledger/candor/api"
)

// TestBodiesAreIJSON: a body that is JSON but not I-JSON (RFC 7493) is
// refused, 400 malformed_json naming the place (RFC 6901), and nothing is
// stored; encoding/json alone would store U+FFFD for the bad text and the
// last of duplicate keys.
func TestBodiesAreIJSON(t *testing.T) {
	ts := startServer(t, testConfig())
	clientID, _ := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, _, _ := ts.scopedEngagement(supplier, clientID, "I-JSON")
	eng := "/v1/engagements/" + id

	tests := []struct {
		name, path, body string
		pointer, detail  string
	}{
		{"lone high surrogate", eng + "/requirements", `{"title":"a\ud800b"}`, "/title", "lone surrogate escape"},
		{"lone low surrogate", eng + "/requirements", `{"title":"\udc00"}`, "/title", "lone surrogate escape"},
		{"reversed pair", eng + "/requirements", `{"title":"\ude00\ud83d"}`, "/title", "lone surrogate escape"},
		{"raw invalid UTF-8", eng + "/requirements", "{\"title\":\"bad \xff\xfe\xc3( bytes\"}", "/title", "invalid UTF-8"},
		{"invalid UTF-8 in an array", eng + "/communications", "{\"subject\":\"s\",\"channel\":\"call\",\"recipients\":[\"x\",\"\xc3\"]}", "/recipients/1", "invalid UTF-8"},
		{"duplicate key", eng + "/requirements", `{"title":"first","title":"second"}`, "/title", "duplicate key"},
		{"duplicate key, nested", "/v1/engagements", `{"title":"t","client_name":"c","supplier_name":"s","opener":{"party":"supplier","name":"a","name":"b"}}`, "/opener/name", "duplicate key"},
		{"duplicate key, escaped in the pointer", eng + "/requirements", `{"title":"t","a/b~c":1,"a/b~c":2}`, "/a~1b~0c", "duplicate key"},
		{"duplicate key, same after unescaping", eng + "/requirements", `{"title":"t","ti\u0074le":"u"}`, "/title", "duplicate key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := ts.get(supplier, eng).Header.Get("ETag")
			r := ts.do(req{method: http.MethodPost, path: tt.path, token: supplier, body: tt.body})
			if r.Status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.Status, r.Body)
			}
			p := r.problem(t)
			if p.Code != api.CodeMalformedJSON || !strings.Contains(p.Detail, "I-JSON") {
				t.Errorf("problem %+v", p)
			}
			if len(p.Errors) != 1 || p.Errors[0].Pointer != tt.pointer || p.Errors[0].Detail != tt.detail {
				t.Errorf("errors %+v, want pointer %q: %s", p.Errors, tt.pointer, tt.detail)
			}
			if after := ts.get(supplier, eng).Header.Get("ETag"); after != before {
				t.Errorf("ETag %s -> %s: something was stored", before, after)
			}
		})
	}

	// A surrogate pair is one character, stored as such.
	var w writeResult
	must(t, ts.post(supplier, eng+"/requirements", []byte(`{"title":"smile \ud83d\ude00"}`)), http.StatusCreated).json(t, &w)
	if got := w.Events[0].Data["title"]; got != "smile 😀" {
		t.Errorf("title %q", got)
	}
}

// TestProblemPointersAreRFC6901: whichever layer refuses a body (the
// contract's validation, the I-JSON check, the domain), the problem names
// the place with an RFC 6901 pointer: keys and array indexes separated by
// "/", "~" and "/" in keys escaped as ~0 and ~1.
func TestProblemPointersAreRFC6901(t *testing.T) {
	ts := startServer(t, testConfig())
	clientID, _ := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, _, clientSH := ts.scopedEngagement(supplier, clientID, "Pointers")
	eng := "/v1/engagements/" + id

	tests := []struct {
		name, path string
		body       any
		status     int
		pointer    string
	}{
		{"domain, nested field", "/v1/engagements", map[string]any{"engagement_id": "same-id", "title": "t", "client_name": "c", "supplier_name": "s",
			"opener": map[string]any{"stakeholder_id": "same-id", "party": "supplier", "name": "n"}}, 409, "/opener/stakeholder_id"},
		{"domain, array element", eng + "/communications", map[string]any{"subject": "s", "channel": "call", "recipients": []string{clientSH, "nobody"}}, 404, "/recipients/1"},
		{"domain, array element of a reference list", eng + "/communications", map[string]any{"subject": "s", "channel": "call", "recipients": []string{clientSH}, "about": []string{"nothing-known"}}, 404, "/about/0"},
		{"schema, nested field", "/v1/engagements", map[string]any{"title": "t", "client_name": "c", "supplier_name": "s",
			"opener": map[string]any{"party": "supplier", "name": "n", "email": 12}}, 422, "/opener/email"},
		{"schema, array element", eng + "/communications", map[string]any{"subject": "s", "channel": "call", "recipients": []any{clientSH, 7}}, 422, "/recipients/1"},
		{"schema, escaped key", eng + "/requirements", `{"title":"t","a/b~c":1}`, 422, "/a~1b~0c"},
		{"I-JSON, escaped key", eng + "/requirements", `{"title":"t","x~/":1,"x~/":1}`, 400, "/x~0~1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(req{method: http.MethodPost, path: tt.path, token: supplier, body: tt.body})
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			p := r.problem(t)
			if len(p.Errors) != 1 || p.Errors[0].Pointer != tt.pointer {
				t.Errorf("errors %+v, want the one pointer %q", p.Errors, tt.pointer)
			}
		})
	}
}

// TestDotIDsRefused: "." and ".." (any id made only of dots) would make a
// Location or a path that names something else ("/v1/engagements/.." is
// the collection): refused as ids in bodies (422) and in paths (400).
func TestDotIDsRefused(t *testing.T) {
	ts := startServer(t, testConfig())
	clientID, _ := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, _, _ := ts.scopedEngagement(supplier, clientID, "Dots")
	eng := "/v1/engagements/" + id
	open := func(engagementID, stakeholderID string) map[string]any {
		return map[string]any{"engagement_id": engagementID, "title": "t", "client_name": "c", "supplier_name": "s",
			"opener": map[string]any{"stakeholder_id": stakeholderID, "party": "supplier", "name": "n"}}
	}
	for _, dots := range []string{".", "..", "..."} {
		for _, tt := range []struct {
			path    string
			body    any
			pointer string
		}{
			{"/v1/engagements", open(dots, "sh-1"), "/engagement_id"},
			{"/v1/engagements", open("dots-ok", dots), "/opener/stakeholder_id"},
			{eng + "/requirements", map[string]any{"requirement_id": dots, "title": "t"}, "/requirement_id"},
			{eng + "/stakeholders", map[string]any{"stakeholder_id": dots, "party": "client", "name": "n"}, "/stakeholder_id"},
		} {
			r := must(t, ts.post(supplier, tt.path, tt.body), http.StatusUnprocessableEntity)
			if p := r.problem(t); p.Code != api.CodeValidationFailed || len(p.Errors) != 1 || p.Errors[0].Pointer != tt.pointer {
				t.Errorf("POST %s with id %q: %+v, want %s refused", tt.path, dots, p, tt.pointer)
			}
		}
	}
	for _, path := range []string{eng + "/requirements/..", eng + "/requirements/.", eng + "/requirements/%2e%2e", eng + "/requirements/%2E", "/v1/engagements/%2e%2e/requirements"} {
		r := must(t, ts.get(supplier, path), http.StatusBadRequest)
		if p := r.problem(t); p.Code != api.CodeInvalidParameter {
			t.Errorf("GET %s: %+v", path, p)
		}
	}
	// Dots among other characters are fine, and so is the Location.
	r := must(t, ts.post(supplier, eng+"/requirements", map[string]any{"requirement_id": "..v1.2..", "title": "t"}), http.StatusCreated)
	if loc := r.Header.Get("Location"); loc != eng+"/requirements/..v1.2.." {
		t.Errorf("Location %q", loc)
	}
}

// TestTimesAndIntegersAsTheContractSays: a date-time the contract refuses
// (no such day, a leap second) is refused by the validation, naming the
// field, never later without a pointer; an integer the contract accepts in
// any JSON spelling (1e3, 1000.0) is accepted as that integer.
func TestTimesAndIntegersAsTheContractSays(t *testing.T) {
	ts := startServer(t, testConfig())
	clientID, _ := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, _, _ := ts.scopedEngagement(supplier, clientID, "Spellings")
	eng := "/v1/engagements/" + id
	for _, due := range []string{"2999-02-30T00:00:00Z", "2999-01-01T00:00:60Z", "2999-01-01T00:00:00+24:00", "2999-01-01t00:00:00z", "3000-01-01T00:00:00Z"} {
		r := must(t, ts.post(supplier, eng+"/milestones", map[string]any{"title": "m", "due_date": due}), http.StatusUnprocessableEntity)
		if p := r.problem(t); p.Code != api.CodeValidationFailed || len(p.Errors) == 0 || p.Errors[0].Pointer != "/due_date" {
			t.Errorf("due_date %s: %+v", due, p)
		}
	}
	for _, amount := range []string{"1e3", "1000.0", "1.0e+3", "1000"} {
		var w writeResult
		must(t, ts.post(supplier, eng+"/cost-impacts", []byte(`{"amount":`+amount+`,"currency":"EUR","reason":"r"}`)), http.StatusCreated).json(t, &w)
		if got := w.Events[0].Data["amount"]; got != float64(1000) {
			t.Errorf("amount %s stored as %v", amount, got)
		}
	}
}
