package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/candor-ledger/candor"
	"github.com/candor-ledger/candor/api"
)

// TestRoutesMatchContract: the server serves every operation of the
// contract and nothing else, checked both on the route table and over
// HTTP (a served route never answers the router's route_not_found or 405).
func TestRoutesMatchContract(t *testing.T) {
	ts := startServer(t, testConfig())
	doc := loadSpec(t)
	var spec []string
	for _, path := range doc.Paths.InMatchingOrder() {
		for method := range doc.Paths.Value(path).Operations() {
			spec = append(spec, method+" "+path)
		}
	}
	served := ts.srv.Routes()
	slices.Sort(spec)
	slices.Sort(served)
	if !slices.Equal(spec, served) {
		for _, s := range spec {
			if !slices.Contains(served, s) {
				t.Errorf("in the contract, not served: %s", s)
			}
		}
		for _, s := range served {
			if !slices.Contains(spec, s) {
				t.Errorf("served, not in the contract: %s", s)
			}
		}
	}
	for _, route := range spec {
		method, path, _ := strings.Cut(route, " ")
		var body any
		if method == http.MethodPost {
			body = map[string]any{}
		}
		r := ts.do(req{method: method, path: fillPath(path, "some-engagement"), token: ts.admin, body: body})
		if r.Status == http.StatusMethodNotAllowed || (r.Status == 404 && r.problem(t).Code == api.CodeRouteNotFound) {
			t.Errorf("%s is in the contract but answers %d: %s", route, r.Status, r.Body)
		}
	}
	for _, route := range []string{"GET /v1", "GET /v1/engagements/x/nothing", "PUT /v1/engagements", "DELETE /v1/engagements/x", "PATCH /v1/principals"} {
		method, path, _ := strings.Cut(route, " ")
		r := ts.do(req{method: method, path: path, token: ts.admin, header: map[string]string{headerUnlisted: "1"}})
		if r.Status != 404 && r.Status != 405 {
			t.Errorf("%s is not in the contract but answers %d", route, r.Status)
		}
	}
}

// headerSet reads a comma-separated list of header names, lower-cased.
func headerSet(list string) map[string]bool {
	set := map[string]bool{}
	for _, h := range strings.Split(list, ",") {
		if h = strings.TrimSpace(h); h != "" {
			set[strings.ToLower(h)] = true
		}
	}
	return set
}

// TestOperations covers the unauthenticated endpoints and the cross-cutting
// middleware: security headers, request ids, CORS, metrics, the access log.
func TestOperations(t *testing.T) {
	ts := startServer(t, api.Config{RateLimit: -1, CORSOrigins: []string{"https://app.example.com"}})
	_, tok := ts.newPrincipal("Sam Supplier", "member")

	t.Run("health and readiness", func(t *testing.T) {
		must(t, ts.get("", "/healthz"), 200)
		var rd api.Readiness
		must(t, ts.get("", "/readyz"), 200).json(t, &rd)
		if rd.Status != "ready" {
			t.Errorf("%+v", rd)
		}
	})
	t.Run("contract and docs", func(t *testing.T) {
		r := must(t, ts.get("", "/openapi.yaml"), 200)
		if !bytes.Equal(r.Body, candor.OpenAPI) {
			t.Error("served contract differs from the embedded one")
		}
		r = must(t, ts.get("", "/docs"), 200)
		if !strings.Contains(string(r.Body), `spec-url="/openapi.yaml"`) {
			t.Errorf("docs page: %s", r.Body)
		}
		// Offline, under its policy: every script, style, image or link
		// of the page is the server's own, and the policy allows no
		// other origin.
		csp := r.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "http") || strings.Contains(csp, "*") {
			t.Errorf("docs page policy names other origins: %s", csp)
		}
		var scripts []string
		for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(string(r.Body), -1) {
			if !strings.HasPrefix(m[1], "/") || strings.HasPrefix(m[1], "//") {
				t.Errorf("docs page loads %s from elsewhere", m[1])
			}
			if strings.HasSuffix(m[1], ".js") {
				scripts = append(scripts, m[1])
			}
		}
		bundle, err := os.ReadFile("docs/redoc.standalone.js")
		if err != nil {
			t.Fatal(err)
		}
		if len(scripts) != 1 {
			t.Fatalf("docs page scripts %q, want Redoc's", scripts)
		}
		r = must(t, ts.get("", scripts[0]), 200)
		if !bytes.Equal(r.Body, bundle) || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") {
			t.Errorf("%s: %d bytes of %s, want the committed bundle (%d bytes)", scripts[0], len(r.Body), r.Header.Get("Content-Type"), len(bundle))
		}
	})
	t.Run("security headers and request id", func(t *testing.T) {
		r := ts.do(req{method: "GET", path: "/v1/me", token: tok, header: map[string]string{"X-Request-Id": "trace-123"}})
		for h, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "X-Request-Id": "trace-123"} {
			if got := r.Header.Get(h); got != v {
				t.Errorf("%s: %q, want %q", h, got, v)
			}
		}
		r = ts.do(req{method: "GET", path: "/v1/me", token: tok, header: map[string]string{"X-Request-Id": "bad id;<x>"}})
		if id := r.Header.Get("X-Request-Id"); id == "" || strings.ContainsAny(id, " ;<") {
			t.Errorf("unsafe request id kept: %q", id)
		}
	})
	t.Run("CORS", func(t *testing.T) {
		r := ts.do(req{method: "GET", path: "/v1/me", token: tok, header: map[string]string{"Origin": "https://app.example.com"}})
		if r.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
			t.Errorf("allowed origin refused: %v", r.Header)
		}
		r = ts.do(req{method: "GET", path: "/v1/me", token: tok, header: map[string]string{"Origin": "https://evil.example.com"}})
		if r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("other origin allowed")
		}
		pre, err := http.NewRequest(http.MethodOptions, ts.url+"/v1/engagements", nil)
		if err != nil {
			t.Fatal(err)
		}
		pre.Header.Set("Origin", "https://app.example.com")
		pre.Header.Set("Access-Control-Request-Method", "POST")
		res, err := http.DefaultClient.Do(pre) // a preflight is no operation of the contract
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 204 {
			t.Errorf("preflight: %d %v", res.StatusCode, res.Header)
		}
		// A browser on another origin may send every header the contract
		// takes (X-Candor-Checkpoint on a client's approval among them)...
		allowed := headerSet(res.Header.Get("Access-Control-Allow-Headers"))
		doc := loadSpec(t)
		for _, path := range doc.Paths.InMatchingOrder() {
			item := doc.Paths.Value(path)
			params := item.Parameters
			for _, op := range item.Operations() {
				params = append(params, op.Parameters...)
			}
			for _, p := range params {
				if p.Value.In == "header" && !allowed[strings.ToLower(p.Value.Name)] {
					t.Errorf("%s takes the header %s, which a preflight does not allow: %q", path, p.Value.Name, res.Header.Get("Access-Control-Allow-Headers"))
					allowed[strings.ToLower(p.Value.Name)] = true
				}
			}
		}
		// ...and read the answer's headers a front end acts on (a replayed
		// write is told apart from a new one by Idempotency-Replayed).
		r = ts.do(req{method: "GET", path: "/v1/me", token: tok, header: map[string]string{"Origin": "https://app.example.com"}})
		exposed := headerSet(r.Header.Get("Access-Control-Expose-Headers"))
		for _, h := range []string{"ETag", "Location", "Retry-After", "X-Candor-Position", "Idempotency-Replayed", "X-Candor-Integrity"} {
			if !exposed[strings.ToLower(h)] {
				t.Errorf("%s is not exposed to another origin: %q", h, r.Header.Get("Access-Control-Expose-Headers"))
			}
		}
	})
	t.Run("metrics", func(t *testing.T) {
		id, _ := ts.openEngagement(tok, "supplier", "Metrics")
		must(t, ts.get(tok, "/v1/engagements/"+id), 200)
		r := must(t, ts.get("", "/metrics"), 200)
		for _, want := range []string{
			`candor_http_request_duration_seconds_count{method="GET",route="/v1/engagements/:engagement_id",status="200"}`,
			`candor_command_duration_seconds_count{operation="openEngagement",outcome="ok"}`,
		} {
			if !strings.Contains(string(r.Body), want) {
				t.Errorf("metrics lack %s", want)
			}
		}
	})
	t.Run("access log keeps no secret nor personal data", func(t *testing.T) {
		id, _ := ts.openEngagement(tok, "supplier", "Logs")
		ts.addStakeholder(tok, id, "client", "Zoe Privatename", "")
		logs := ts.logs.String()
		if !strings.Contains(logs, `"msg":"http request"`) || !strings.Contains(logs, `"request_id"`) {
			t.Fatalf("no access log: %s", logs)
		}
		for _, secret := range []string{tok, ts.admin, "Zoe Privatename"} {
			if strings.Contains(logs, secret) {
				t.Errorf("log contains %q", secret)
			}
		}
		// Every access log line has the same fields; the route is the
		// template, never the path with its ids.
		ts.do(req{method: "GET", path: "/v1/no/such/" + id, token: tok, header: map[string]string{headerUnlisted: "1"}})
		seen := map[string]bool{}
		for line := range strings.Lines(ts.logs.String()) {
			var l map[string]any
			if err := json.Unmarshal([]byte(line), &l); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			if l["msg"] != "http request" {
				continue
			}
			for _, k := range []string{"time", "level", "request_id", "method", "route", "status", "bytes", "duration"} {
				if _, ok := l[k]; !ok {
					t.Errorf("access log line without %s: %s", k, line)
				}
			}
			route, _ := l["route"].(string)
			if strings.Contains(route, id) || !strings.HasPrefix(route, "/") && route != "unmatched" {
				t.Errorf("route %q", route)
			}
			seen[route] = true
			if route == "/v1/engagements/:engagement_id/stakeholders" && l["principal_id"] == nil {
				t.Errorf("authenticated request logged without its principal_id: %s", line)
			}
		}
		if !seen["unmatched"] || !seen["/v1/engagements/:engagement_id/stakeholders"] {
			t.Errorf("routes logged: %v", seen)
		}
	})
}

// TestPagination: following next_cursor visits every item once, in order.
func TestPagination(t *testing.T) {
	ts := startServer(t, testConfig())
	clientID, _ := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, _, _ := ts.scopedEngagement(supplier, clientID, "Pages")
	for i := range 7 {
		must(t, ts.post(supplier, "/v1/engagements/"+id+"/requirements", map[string]any{"title": fmt.Sprintf("r%d", i)}), 201)
	}
	var titles []string
	path := "/v1/engagements/" + id + "/requirements?limit=3"
	pages := 0
	for {
		var p struct {
			Items      []struct{ Title string }
			NextCursor *string `json:"next_cursor"`
		}
		must(t, ts.get(supplier, path), 200).json(t, &p)
		pages++
		for _, it := range p.Items {
			titles = append(titles, it.Title)
		}
		if p.NextCursor == nil {
			break
		}
		path = "/v1/engagements/" + id + "/requirements?limit=3&cursor=" + *p.NextCursor
	}
	if pages != 3 || strings.Join(titles, ",") != "r0,r1,r2,r3,r4,r5,r6" {
		t.Fatalf("%d pages: %v", pages, titles)
	}
	// The event log filters by type and actor.
	log := ts.allEvents(supplier, id, "&type=requirement.raised")
	if len(log.Items) != 7 {
		t.Fatalf("%d requirement.raised events", len(log.Items))
	}
	if log := ts.allEvents(supplier, id, "&actor=nobody"); len(log.Items) != 0 {
		t.Fatalf("actor filter kept %d", len(log.Items))
	}
}
