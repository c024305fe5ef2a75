package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/candor-ledger/candor"
	"github.com/candor-ledger/candor/e2e"
)

// Personal data and secrets the server must never write to its logs.
const (
	secretName  = "Zelda Quibblesworth"
	secretEmail = "zelda.quibblesworth@example.org"
	allowedCORS = "https://app.example.com"
)

// hostile strings: stored as text (2xx) or refused (4xx), never a 5xx.
var hostile = map[string]string{
	"sql":          `'; DROP TABLE events; -- " OR 1=1`,
	"html":         `<script>alert(document.cookie)</script><img src=x onerror=alert(1)>`,
	"control":      "a\u0000b\u0007c\u001bd\r\ne",
	"invalid-utf8": "bad \xff\xfe\xc3\x28 bytes",
	"long":         strings.Repeat("ü", 20000),
	"unicode":      "\u202eevil\u200b\ufeff😀",
}

// opCase is one request sent to an operation.
type opCase struct {
	name        string
	path        string
	body        []byte // nil: none
	contentType string
	token       string
	// mayAccept: a 2xx is a legitimate answer (the input is acceptable).
	mayAccept bool
}

// TestBadInput walks every operation of openapi.yaml and sends it bad
// input: malformed JSON, wrong types, missing required fields, oversized
// bodies, unknown fields, bad ids, huge and negative pagination values,
// wrong content types and hostile strings. Never a 5xx; every 4xx is
// problem+json; a refused request leaves the event log unchanged. It also
// checks security headers, CORS, and that the logs hold no secret and no
// personal data sent in requests.
func TestBadInput(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(candor.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	e := start(t, "", "CANDOR_CORS_ORIGINS="+allowedCORS).withMember()
	ctx := context.Background()

	// Something real to address: an engagement opened by the member, whose
	// opener carries personal data, and an expert with an e-mail.
	body := e2e.OpenEngagementBody("Bad input")
	body["opener"] = map[string]any{"party": "supplier", "name": secretName, "email": secretEmail}
	resp := e.do(e2e.Request{Method: http.MethodPost, Path: "/v1/engagements", Token: e.member, Body: body})
	if resp.Status != http.StatusCreated {
		t.Fatalf("open engagement: %d %s", resp.Status, resp.Body)
	}
	loc := resp.Header.Get("Location")
	eng := loc[strings.LastIndexByte(loc, '/')+1:]
	if r := e.do(e2e.Request{Method: http.MethodPost, Path: "/v1/engagements/" + eng + "/experts", Token: e.member,
		Body: map[string]string{"name": secretName + " Jr", "email": "jr." + secretEmail}}); r.Status != http.StatusCreated {
		t.Fatalf("invite expert: %d %s", r.Status, r.Body)
	}

	snapshot := func() string { return e.logSnapshot(ctx, eng) }
	sent, accepted := 0, 0
	byStatus := map[int]int{}

	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, path := range paths {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			token := e.member
			if strings.HasPrefix(path, "/v1/principals") || strings.HasPrefix(path, "/v1/tokens") {
				token = e.admin
			}
			params := append(openapi3.Parameters{}, item.Parameters...)
			params = append(params, op.Parameters...)
			// Refused cases first, then those that may be accepted: the
			// event log is compared around the refused ones as a batch.
			cases := casesFor(path, method, op, params, token, eng, e.memberID)
			slices.SortStableFunc(cases, func(a, b opCase) int {
				switch {
				case a.mayAccept == b.mayAccept:
					return 0
				case a.mayAccept:
					return 1
				}
				return -1
			})
			before, refusedOnly := snapshot(), true
			for i, c := range cases {
				if c.mayAccept && (i == 0 || !cases[i-1].mayAccept) {
					if now := snapshot(); refusedOnly && now != before {
						t.Errorf("%s %s: refused requests changed the event log:\nbefore %s\nafter  %s", method, path, before, now)
					}
				}
				sent++
				r, err := e.cl.Do(ctx, e2e.Request{Method: method, Path: c.path, Token: c.token, Body: bodyOrNil(c.body),
					ContentType: c.contentType, Header: http.Header{"Origin": {"https://evil.example"}}})
				what := fmt.Sprintf("%s %s [%s]", method, path, c.name)
				if err != nil {
					t.Errorf("%s: %v", what, err)
					continue
				}
				byStatus[r.Status]++
				checkCommon(t, what, r)
				switch {
				case r.Status >= 500:
					t.Errorf("%s: %d %.300s", what, r.Status, r.Body)
				case r.Status >= 400:
					wantProblem(t, what, r)
				case r.Status >= 200 && r.Status < 300:
					accepted++
					if !c.mayAccept {
						refusedOnly = false
						t.Errorf("%s: accepted (%d), want a 4xx: %.200s", what, r.Status, r.Body)
					}
				}
			}
			if len(cases) > 0 && !cases[len(cases)-1].mayAccept {
				if now := snapshot(); refusedOnly && now != before {
					t.Errorf("%s %s: refused requests changed the event log:\nbefore %s\nafter  %s", method, path, before, now)
				}
			}
		}
	}
	t.Logf("%d bad requests to %d paths: %d accepted as legitimate, statuses %v", sent, len(paths), accepted, byStatus)

	t.Run("cors", func(t *testing.T) {
		pre := func(origin string) *e2e.Response {
			return e.do(e2e.Request{Method: http.MethodOptions, Path: "/v1/engagements", Header: http.Header{
				"Origin": {origin}, "Access-Control-Request-Method": {"POST"}, "Access-Control-Request-Headers": {"authorization,content-type"}}})
		}
		if r := pre(allowedCORS); r.Header.Get("Access-Control-Allow-Origin") != allowedCORS {
			t.Errorf("preflight from the configured origin: Access-Control-Allow-Origin %q", r.Header.Get("Access-Control-Allow-Origin"))
		}
		for _, o := range []string{"https://evil.example", "null", allowedCORS + ".evil.example", "http://app.example.com"} {
			if r := pre(o); r.Header.Get("Access-Control-Allow-Origin") != "" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("preflight from %s: allowed (%v)", o, r.Header)
			}
			r := e.do(e2e.Request{Method: http.MethodGet, Path: "/v1/engagements/" + eng, Token: e.member, Header: http.Header{"Origin": {o}}})
			if v := r.Header.Get("Access-Control-Allow-Origin"); v != "" {
				t.Errorf("GET with Origin %s: Access-Control-Allow-Origin %q", o, v)
			}
		}
		r := e.do(e2e.Request{Method: http.MethodGet, Path: "/v1/engagements/" + eng, Token: e.member, Header: http.Header{"Origin": {allowedCORS}}})
		if v := r.Header.Get("Access-Control-Allow-Origin"); v != allowedCORS {
			t.Errorf("GET from the configured origin: Access-Control-Allow-Origin %q", v)
		}
	})

	t.Run("logs hold no secret or personal data", func(t *testing.T) {
		logs := e.srv.Logs()
		if !strings.Contains(logs, "http request") {
			t.Fatalf("no access log captured (%d bytes): the check below would prove nothing", len(logs))
		}
		for what, s := range map[string]string{
			"admin token": e.admin, "member token": e.member, "stakeholder name": secretName,
			"stakeholder e-mail": secretEmail, "token body": strings.TrimPrefix(e.member, "cnd_"),
		} {
			if strings.Contains(logs, s) {
				t.Errorf("server logs contain the %s", what)
			}
		}
	})
}

func bodyOrNil(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// checkCommon: every response carries the security headers, and an error
// never lets another origin read it.
func checkCommon(t *testing.T, what string, r *e2e.Response) {
	t.Helper()
	if r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: no X-Content-Type-Options: nosniff", what)
	}
	if v := r.Header.Get("Access-Control-Allow-Origin"); v != "" {
		t.Errorf("%s: Access-Control-Allow-Origin %q for an unconfigured origin", what, v)
	}
}

// logSnapshot summarises what refused requests must not change: the
// number of appends the ledger made, the engagement's revision, the
// principals and the member's tokens.
func (e *env) logSnapshot(ctx context.Context, eng string) string {
	appends, _ := e.metricValue("candor_store_append_duration_seconds_count")
	var parts []string
	parts = append(parts, fmt.Sprintf("appends=%v", appends))
	r, err := e.cl.Do(ctx, e2e.Request{Method: http.MethodGet, Path: "/v1/engagements/" + eng, Token: e.admin})
	if err == nil {
		parts = append(parts, "etag="+r.Header.Get("ETag"))
	}
	for _, p := range []string{"/v1/principals?limit=200", "/v1/principals/" + e.memberID + "/tokens?limit=200", "/v1/engagements?limit=200"} {
		r, err := e.cl.Do(ctx, e2e.Request{Method: http.MethodGet, Path: p, Token: e.admin})
		if err == nil {
			// Ids, and what a refused request must not have disabled or revoked.
			parts = append(parts, fmt.Sprintf("%s=%d:%d:%d:%d", p, r.Status, strings.Count(string(r.Body), `"id"`),
				strings.Count(string(r.Body), `"disabled":true`), strings.Count(string(r.Body), `"revoked":true`)))
		}
	}
	return strings.Join(parts, " ")
}

// casesFor builds the bad requests of one operation.
func casesFor(path, method string, op *openapi3.Operation, params openapi3.Parameters, token, eng, memberID string) []opCase {
	good := map[string]string{}
	for _, p := range params {
		if p.Value == nil || p.Value.In != "path" {
			continue
		}
		switch p.Value.Name {
		case "engagement_id":
			good[p.Value.Name] = eng
		case "principal_id":
			good[p.Value.Name] = memberID
		case "party":
			good[p.Value.Name] = "client"
		default:
			good[p.Value.Name] = uuid.NewString()
		}
	}
	fill := func(over map[string]string) string {
		out := path
		for name, v := range good {
			if o, ok := over[name]; ok {
				v = o
			}
			out = strings.ReplaceAll(out, "{"+name+"}", v)
		}
		return out
	}
	base := fill(nil)
	var cs []opCase
	add := func(c opCase) {
		if c.token == "" {
			c.token = token
		}
		cs = append(cs, c)
	}

	// Bad ids in every path parameter.
	for name := range good {
		for label, bad := range map[string]string{
			"not-a-uuid": "not-a-uuid", "traversal": "..%2F..%2Fetc%2Fpasswd", "nul": "%00", "long": strings.Repeat("a", 3000),
			"sql": url.PathEscape("1' OR '1'='1"), "script": url.PathEscape("<script>"),
			"dot": ".", "dot-dot": "..", "encoded dot-dot": "%2e%2E", "dots": "...",
		} {
			c := opCase{name: "bad " + name + " " + label, path: fill(map[string]string{name: bad})}
			if name == "party" && label == "not-a-uuid" {
				continue
			}
			if method != http.MethodGet && method != http.MethodDelete {
				c.body, c.contentType = []byte(`{}`), "application/json"
			}
			add(c)
		}
	}
	// Pagination and other query parameters.
	for _, p := range params {
		if p.Value == nil || p.Value.In != "query" {
			continue
		}
		var bads []string
		switch p.Value.Name {
		case "limit":
			bads = []string{"-1", "0", "201", "99999999999999999999999", "abc", "1.5", "%00"}
		case "cursor":
			bads = []string{"garbage", "c1:" + strings.Repeat("A", 500), "%00", "-1"}
		case "min_position":
			bads = []string{"-1", "abc", "99999999999999999999999"}
		default:
			bads = []string{"%00", strings.Repeat("x", 3000), "-1"}
		}
		for _, b := range bads {
			// A query value the schema accepts (e.g. any string for a
			// filter) may legitimately succeed.
			mayAccept := p.Value.Name != "limit" && p.Value.Name != "cursor" && p.Value.Name != "min_position"
			add(opCase{name: "query " + p.Value.Name + "=" + truncateName(b), path: base + "?" + p.Value.Name + "=" + b, mayAccept: mayAccept})
		}
	}
	// No token, a malformed one, an unknown one.
	if op.Security == nil || len(*op.Security) > 0 {
		for label, tok := range map[string]string{"no token": "-", "malformed token": "cnd_short", "unknown token": e2e.NewAdminToken()} {
			c := opCase{name: label, path: base, token: tok}
			if tok == "-" {
				c.token = ""
				cs = append(cs, c)
				continue
			}
			add(c)
		}
	}

	if op.RequestBody == nil || op.RequestBody.Value == nil {
		if method == http.MethodPost {
			// An operation that takes no body (disabling a principal):
			// one sent all the same is refused, however valid the rest.
			add(opCase{name: "body where none is taken", path: base, body: []byte(`{"reason":"x"}`), contentType: "application/json"})
		}
		return cs
	}
	mt := op.RequestBody.Value.Content.Get("application/json")
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return cs
	}
	s := mt.Schema.Value
	valid := validValue(s, 0)
	js := func(v any) []byte { return mustJSON(v) }
	for label, b := range map[string]string{
		"malformed json": `{"title": "x",`, "not json": `title=x`, "json array": `[]`, "json string": `"x"`,
		"json null": `null`, "json number": `12`, "trailing garbage": string(js(valid)) + `}{`, "deep nesting": strings.Repeat("[", 100000),
	} {
		add(opCase{name: label, path: base, body: []byte(b), contentType: "application/json"})
	}
	// Ids made only of dots would make a Location that names another path.
	for name, ps := range s.Properties {
		if ps.Ref == "#/components/schemas/Id" {
			for _, dots := range []string{".", ".."} {
				m := copyMap(valid)
				m[name] = dots
				add(opCase{name: "id " + name + "=" + dots, path: base, body: js(m), contentType: "application/json"})
			}
		}
	}
	if len(s.Required) > 0 {
		add(opCase{name: "missing required", path: base, body: []byte(`{}`), contentType: "application/json"})
		for _, req := range s.Required {
			m := copyMap(valid)
			delete(m, req)
			add(opCase{name: "missing " + req, path: base, body: js(m), contentType: "application/json"})
		}
	}
	for name, ps := range s.Properties {
		if ps.Value == nil {
			continue
		}
		m := copyMap(valid)
		m[name] = wrongType(ps.Value)
		add(opCase{name: "wrong type " + name, path: base, body: js(m), contentType: "application/json"})
	}
	// Times outside the engagement's life: before it opened, for every
	// time a write carries; in the future, for the claimed times
	// (occurred_at, and held_at and measured_at, their commands' claims).
	for name, ps := range s.Properties {
		if ps.Value == nil || ps.Value.Format != "date-time" {
			continue
		}
		m := copyMap(valid)
		m[name] = "1999-01-01T00:00:00Z"
		add(opCase{name: "before the opening " + name, path: base, body: js(m), contentType: "application/json"})
		if name == "occurred_at" || name == "held_at" || name == "measured_at" {
			m := copyMap(valid)
			m[name] = time.Now().UTC().Add(24 * time.Hour).Format(time.RFC3339)
			add(opCase{name: "in the future " + name, path: base, body: js(m), contentType: "application/json"})
		}
	}
	if s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has {
		m := copyMap(valid)
		m["zz_unknown_field"] = 1
		add(opCase{name: "unknown field", path: base, body: js(m), contentType: "application/json"})
	}
	big := copyMap(valid)
	big["zz_padding"] = strings.Repeat("x", 2<<20)
	add(opCase{name: "oversized body", path: base, body: js(big), contentType: "application/json"})
	for _, ct := range []string{"text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", ""} {
		c := opCase{name: "content type " + ct, path: base, body: js(valid), contentType: ct}
		if ct == "" {
			c.name, c.contentType = "no content type", "-"
		}
		add(c)
	}
	// JSON is UTF-8 (RFC 8259): a charset parameter means nothing, so a
	// server may ignore it; the body here is UTF-8.
	add(opCase{name: "content type charset=utf-16", path: base, body: js(valid), contentType: "application/json; charset=utf-16", mayAccept: true})
	// Hostile strings in every free-text property: acceptable as text.
	var texts []string
	for name, ps := range s.Properties {
		// Free text: no pattern, or an unanchored one (not blank).
		if v := ps.Value; v != nil && v.Type.Is("string") && len(v.Enum) == 0 && v.Format == "" && !strings.HasPrefix(v.Pattern, "^") {
			texts = append(texts, name)
		}
	}
	slices.Sort(texts)
	for label, h := range hostile {
		if len(texts) == 0 {
			break
		}
		m := copyMap(valid)
		for _, name := range texts {
			m[name] = h
		}
		add(opCase{name: "hostile " + label, path: base, body: js(m), contentType: "application/json", mayAccept: true})
	}
	// Text that is JSON but not I-JSON (RFC 7493), in an otherwise valid
	// body: refused, never stored altered (encoding/json alone would store
	// U+FFFD, or the last of two keys). json.Marshal cannot write these, so
	// they are spliced into the encoded body.
	if len(texts) > 0 {
		const mark = `"zz-splice-here"`
		m := copyMap(valid)
		m[texts[0]] = "zz-splice-here"
		b := string(js(m))
		for label, raw := range map[string]string{
			"lone surrogate escape": `"a\ud800b"`, "reversed surrogate pair": `"\ude00\ud83d"`, "raw invalid utf-8": "\"bad \xff\xfe bytes\"",
			"duplicate key": `"first","` + texts[0] + `":"second"`,
		} {
			add(opCase{name: label, path: base, body: []byte(strings.Replace(b, mark, raw, 1)), contentType: "application/json"})
		}
	}
	return cs
}

func truncateName(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}

func copyMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	out := make(map[string]any, len(m))
	for k, x := range m {
		out[k] = x
	}
	return out
}

// validValue makes a value that matches schema s as far as types,
// formats, enums and required fields go (domain rules may still refuse it).
func validValue(s *openapi3.Schema, depth int) any {
	if s == nil || depth > 6 {
		return nil
	}
	for _, list := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf, s.AllOf} {
		if len(list) > 0 && list[0].Value != nil {
			return validValue(list[0].Value, depth+1)
		}
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	switch {
	case s.Type.Is("object") || len(s.Properties) > 0:
		m := map[string]any{}
		for _, name := range s.Required {
			if p := s.Properties[name]; p != nil {
				m[name] = validValue(p.Value, depth+1)
			}
		}
		return m
	case s.Type.Is("array"):
		n := int(s.MinItems)
		out := make([]any, 0, n)
		for range n {
			if s.Items != nil {
				out = append(out, validValue(s.Items.Value, depth+1))
			}
		}
		return out
	case s.Type.Is("integer"), s.Type.Is("number"):
		if s.Min != nil {
			return *s.Min
		}
		return 1
	case s.Type.Is("boolean"):
		return true
	}
	switch s.Format {
	case "uuid":
		return uuid.NewString()
	case "date-time":
		return time.Now().UTC().Add(24 * time.Hour).Format(time.RFC3339)
	case "date":
		return time.Now().UTC().Add(48 * time.Hour).Format("2006-01-02")
	case "email":
		return "someone@example.com"
	case "uri":
		return "https://example.com/x"
	}
	v := strings.Repeat("v", max(int(s.MinLength), 5))
	if s.Pattern != "" {
		re, err := regexp.Compile(ecmaEscape.ReplaceAllString(s.Pattern, `\x{$1}`))
		for _, c := range []string{v, "EUR", "x"} {
			if err == nil && re.MatchString(c) {
				return c
			}
		}
	}
	return v
}

// ecmaEscape is an ECMA-262 \uXXXX escape, \x{XXXX} in Go.
var ecmaEscape = regexp.MustCompile(`\\u([0-9A-Fa-f]{4})`)

// wrongType returns a value of another JSON type than s wants.
func wrongType(s *openapi3.Schema) any {
	switch {
	case s.Type.Is("string"):
		return 12345
	case s.Type.Is("integer"), s.Type.Is("number"):
		return "not a number"
	case s.Type.Is("boolean"):
		return "yes"
	case s.Type.Is("array"):
		return map[string]any{"not": "an array"}
	case s.Type.Is("object"):
		return "not an object"
	}
	return []any{[]any{}}
}
