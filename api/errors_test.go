package api_test

import (
	"strings"
	"testing"

	"github.com/candor-ledger/candor/api"
	"github.com/candor-ledger/candor/auth"
)

// TestErrorStatuses drives one request per error status and checks the
// problem document: status, stable code, and what the status requires
// (WWW-Authenticate, Retry-After, JSON-pointer errors). The contract check
// of the client covers the shape.
func TestErrorStatuses(t *testing.T) {
	ts := startServer(t, api.Config{RateLimit: -1, MaxBodyBytes: 4096})
	supplierID, supplier := ts.newPrincipal("Sam Supplier", "member")
	_ = supplierID
	clientID, _ := ts.newPrincipal("Chloe Client", "member")
	_, auditor := ts.newPrincipal("Ann Auditor", "auditor")
	_, outsider := ts.newPrincipal("Oscar Outsider", "member")
	id, _, _ := ts.scopedEngagement(supplier, clientID, "Errors")
	eng := "/v1/engagements/" + id

	tests := []struct {
		name   string
		req    req
		status int
		code   string
		// pointer or parameter expected among the problem's errors
		field string
	}{
		{"malformed JSON", req{method: "POST", path: "/v1/engagements", token: supplier, body: `{"title": `}, 400, api.CodeMalformedJSON, ""},
		{"limit out of range", req{method: "GET", path: "/v1/engagements?limit=0", token: supplier}, 400, api.CodeInvalidParameter, "query.limit"},
		{"limit not a number", req{method: "GET", path: eng + "/requirements?limit=ten", token: supplier}, 400, api.CodeInvalidParameter, "query.limit"},
		{"forged cursor", req{method: "GET", path: eng + "/requirements?cursor=bm90LWEtY3Vyc29y", token: supplier}, 400, api.CodeInvalidParameter, "query.cursor"},
		{"malformed If-Match", req{method: "POST", path: eng + "/requirements", token: supplier, body: map[string]any{"title": "x"}, header: map[string]string{"If-Match": "W/abc"}}, 400, api.CodeInvalidParameter, "header.If-Match"},
		{"malformed path id", req{method: "GET", path: eng + "/requirements/not%20an%20id", token: supplier}, 400, api.CodeInvalidParameter, "path.requirement_id"},
		{"malformed principal id", req{method: "GET", path: "/v1/principals/not-a-uuid", token: ts.admin}, 400, api.CodeInvalidParameter, "path.principal_id"},
		{"malformed token id", req{method: "DELETE", path: "/v1/tokens/0123456789", token: ts.admin}, 400, api.CodeInvalidParameter, "path.token_id"},
		{"unknown principal id", req{method: "GET", path: "/v1/principals/00000000-0000-7000-8000-000000000000", token: ts.admin}, 404, api.CodeNotFound, ""},
		{"no token", req{method: "GET", path: "/v1/engagements"}, 401, api.CodeUnauthenticated, ""},
		{"unknown token", req{method: "GET", path: "/v1/engagements", token: "cnd_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, 401, api.CodeUnauthenticated, ""},
		{"not a bearer token", req{method: "GET", path: "/v1/engagements", header: map[string]string{"Authorization": "Basic YTpi"}}, 401, api.CodeUnauthenticated, ""},
		{"auditor writes", req{method: "POST", path: eng + "/requirements", token: auditor, body: map[string]any{"title": "x"}}, 403, api.CodeReadOnlyRole, ""},
		{"member manages principals", req{method: "POST", path: "/v1/principals", token: supplier, body: map[string]any{"name": "x", "role": "member"}}, 403, api.CodeForbidden, ""},
		{"client side only", req{method: "POST", path: eng + "/discussion", token: supplier, body: map[string]any{}}, 403, "actor_wrong_party", ""},
		{"unknown engagement", req{method: "GET", path: "/v1/engagements/no-such-engagement", token: supplier}, 404, "engagement_not_found", ""},
		{"foreign engagement", req{method: "GET", path: eng, token: outsider}, 404, "engagement_not_found", ""},
		{"unknown item", req{method: "GET", path: eng + "/requirements/nope", token: supplier}, 404, "requirement_not_found", ""},
		{"unknown route", req{method: "GET", path: "/v1/nothing-here", token: supplier, header: map[string]string{headerUnlisted: "1"}}, 404, api.CodeRouteNotFound, ""},
		{"wrong method", req{method: "DELETE", path: "/v1/engagements", token: supplier, header: map[string]string{headerUnlisted: "1"}}, 405, api.CodeMethodNotAllowed, ""},
		{"domain conflict", req{method: "POST", path: eng + "/phase", token: supplier, body: map[string]any{"to": "acceptance"}}, 409, "phase_not_next", ""},
		{"engagement id taken", req{method: "POST", path: "/v1/engagements", token: supplier, body: map[string]any{
			"engagement_id": id, "title": "again", "client_name": "c", "supplier_name": "s", "opener": map[string]any{"party": "supplier", "name": "n"}}}, 409, "engagement_already_opened", ""},
		{"stale If-Match", req{method: "POST", path: eng + "/requirements", token: supplier, body: map[string]any{"title": "x"}, header: map[string]string{"If-Match": `"0"`}}, 412, api.CodePreconditionFailed, ""},
		{"body too large", req{method: "POST", path: eng + "/requirements", token: supplier, body: map[string]any{"title": strings.Repeat("x", 5000)}}, 413, api.CodePayloadTooLarge, ""},
		{"not JSON", req{method: "POST", path: eng + "/requirements", token: supplier, body: "title=x", header: map[string]string{"Content-Type": "text/plain"}}, 415, api.CodeUnsupportedMediaType, ""},
		{"unknown field", req{method: "POST", path: eng + "/requirements", token: supplier, body: map[string]any{"title": "x", "colour": "red"}}, 422, api.CodeValidationFailed, "/colour"},
		{"missing field", req{method: "POST", path: eng + "/requirements", token: supplier, body: map[string]any{}}, 422, api.CodeValidationFailed, "/title"},
		{"wrong type", req{method: "POST", path: eng + "/indicators", token: supplier, body: map[string]any{"name": "NPS", "target": "high", "direction": "at_least"}}, 422, api.CodeValidationFailed, "/target"},
		{"missing body", req{method: "POST", path: eng + "/requirements", token: supplier}, 422, api.CodeValidationFailed, ""},
		{"domain invalid", req{method: "POST", path: eng + "/decisions", token: supplier, body: map[string]any{"title": "t", "kind": "technical", "options": []string{"a"}, "chosen": "b", "participants": []string{"anyone"}}}, 422, "invalid_options", "/chosen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(tt.req)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			p := r.problem(t)
			if p.Code != tt.code || p.Status != tt.status || p.Instance == "" || p.RequestID != r.Header.Get("X-Request-Id") {
				t.Errorf("problem %+v, want code %q", p, tt.code)
			}
			if !strings.HasPrefix(p.Type, api.ProblemTypePrefix) {
				t.Errorf("type %q", p.Type)
			}
			if tt.field != "" {
				found := false
				for _, e := range p.Errors {
					found = found || e.Pointer == tt.field || e.Parameter == tt.field
				}
				if !found {
					t.Errorf("errors %+v lack %q", p.Errors, tt.field)
				}
			}
			if tt.status == 401 && !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
			}
			if tt.status == 500 || strings.Contains(string(r.Body), "goroutine") || strings.Contains(strings.ToLower(string(r.Body)), "sql") {
				t.Errorf("leaks internals: %s", r.Body)
			}
		})
	}

	t.Run("idempotency key reused", func(t *testing.T) {
		h := map[string]string{"Idempotency-Key": "reuse-1"}
		must(t, ts.do(req{method: "POST", path: eng + "/requirements", token: supplier, body: map[string]any{"title": "a"}, header: h}), 201)
		r := must(t, ts.do(req{method: "POST", path: eng + "/requirements", token: supplier, body: map[string]any{"title": "b"}, header: h}), 422)
		if p := r.problem(t); p.Code != api.CodeIdempotencyKeyReused {
			t.Errorf("code %q", p.Code)
		}
	})
}

func TestRateLimit(t *testing.T) {
	ts := startServer(t, api.Config{RateLimit: 0.5, RateBurst: 2})
	_, tok := ts.newPrincipalDirect("Sam", auth.RoleMember)
	must(t, ts.get(tok, "/v1/me"), 200)
	must(t, ts.get(tok, "/v1/me"), 200)
	r := must(t, ts.get(tok, "/v1/me"), 429)
	if p := r.problem(t); p.Code != api.CodeRateLimited {
		t.Errorf("code %q", p.Code)
	}
	if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Errorf("Retry-After %q", ra)
	}
	// Another token has its own bucket.
	_, other := ts.newPrincipalDirect("Other", auth.RoleMember)
	must(t, ts.get(other, "/v1/me"), 200)
}

func TestStoreUnavailable(t *testing.T) {
	ts := startServer(t, testConfig())
	_, tok := ts.newPrincipal("Sam", "member")
	id, _ := ts.openEngagement(tok, "supplier", "Outage")
	must(t, ts.get("", "/readyz"), 200)
	if err := ts.store.Close(); err != nil {
		t.Fatal(err)
	}
	r := must(t, ts.get("", "/readyz"), 503)
	var rd api.Readiness
	r.json(t, &rd)
	if rd.Status != "not_ready" || rd.Checks["store"] != "unavailable" {
		t.Errorf("readiness %+v", rd)
	}
	// The engagement's state is cached: it keeps being served while the
	// store is down (reads keep working). What needs the store fails with 503.
	must(t, ts.get(tok, "/v1/engagements/"+id), 200)
	for _, r := range []response{
		ts.get(tok, "/v1/engagements/"+id+"/events"),
		ts.post(tok, "/v1/engagements/"+id+"/stakeholders", map[string]any{"party": "client", "name": "C"}),
	} {
		if r.Status != 503 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if p := r.problem(t); p.Code != api.CodeUnavailable || r.Header.Get("Retry-After") == "" {
			t.Errorf("problem %+v, Retry-After %q", p, r.Header.Get("Retry-After"))
		}
		if strings.Contains(string(r.Body), "closed") || strings.Contains(strings.ToLower(string(r.Body)), "sqlite") {
			t.Errorf("leaks internals: %s", r.Body)
		}
	}
}
