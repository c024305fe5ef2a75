package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/candor-ledger/candor/api"
)

// specOp is one operation of the contract.
type specOp struct {
	method, path, id string
	op               *openapi3.Operation
}

// engagementOps lists the operations on one engagement (path under
// /v1/engagements/{engagement_id}), from the contract itself, so that a new
// route is in the matrix without anyone adding it.
func engagementOps(t *testing.T, method string) []specOp {
	doc := loadSpec(t)
	var out []specOp
	for _, path := range doc.Paths.InMatchingOrder() {
		if !strings.HasPrefix(path, "/v1/engagements/{engagement_id}") {
			continue
		}
		for m, op := range doc.Paths.Value(path).Operations() {
			if m == method {
				out = append(out, specOp{m, path, op.OperationID, op})
			}
		}
	}
	slices.SortFunc(out, func(a, b specOp) int { return strings.Compare(a.id, b.id) })
	return out
}

// sampleBody builds the smallest body its schema accepts: required
// properties only, each with a plausible value.
func sampleBody(s *openapi3.SchemaRef) any {
	v := s.Value
	switch {
	case len(v.Enum) > 0:
		return v.Enum[0]
	case v.Type.Is("object"):
		m := map[string]any{}
		for _, name := range v.Required {
			m[name] = sampleBody(v.Properties[name])
		}
		return m
	case v.Type.Is("array"):
		return []any{sampleBody(v.Items)}
	case v.Type.Is("string") && v.Format == "date-time":
		return time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	case v.Type.Is("string") && v.Pattern != "":
		return patternSample(v.Pattern, "x-id")
	case v.Type.Is("string"):
		return "x"
	case v.Type.Is("number"), v.Type.Is("integer"):
		return 1
	case v.Type.Is("boolean"):
		return true
	}
	return nil
}

func fillPath(path, engagementID string) string {
	path = strings.ReplaceAll(path, "{engagement_id}", engagementID)
	path = strings.ReplaceAll(path, "{party}", "provider")
	for strings.Contains(path, "{") {
		i := strings.IndexByte(path, '{')
		j := strings.IndexByte(path, '}')
		path = path[:i] + "unknown-id" + path[j+1:]
	}
	return path
}

// TestAuthorizationMatrix runs every write and read operation of the
// contract as each kind of caller, against an engagement where the caller
// is a stakeholder ("own") and one where it is not ("foreign").
func TestAuthorizationMatrix(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	clientID, client := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	_, auditor := ts.newPrincipal("Ann Auditor", "auditor")
	_, outsider := ts.newPrincipal("Oscar Outsider", "member")
	own, _, _ := ts.scopedEngagement(supplier, clientID, "Own")
	foreign, _ := ts.openEngagement(outsider, "supplier", "Foreign")

	type caller struct {
		name, token   string
		stakeholderOf string // the target where the caller is a stakeholder
	}
	// "own" is the supplier's and client's engagement; "foreign" is the
	// outsider's, where they are nobody.
	callers := []caller{
		{"admin", ts.admin, ""}, {"member-client", client, "own"}, {"member-supplier", supplier, "own"},
		{"auditor", auditor, ""}, {"outsider", outsider, "foreign"},
	}
	writes := engagementOps(t, http.MethodPost)
	if len(writes) < 40 {
		t.Fatalf("only %d write operations found in the contract", len(writes))
	}
	for _, op := range writes {
		body := sampleBody(op.op.RequestBody.Value.Content.Get("application/json").Schema)
		for _, c := range callers {
			for _, target := range []struct{ name, id string }{{"own", own}, {"foreign", foreign}} {
				t.Run(fmt.Sprintf("%s/%s/%s", op.id, c.name, target.name), func(t *testing.T) {
					r := ts.post(c.token, fillPath(op.path, target.id), body)
					var p problem
					if r.Status >= 400 {
						p = r.problem(t)
					}
					switch {
					case c.name == "auditor":
						want(t, r, p, 403, api.CodeReadOnlyRole)
					case c.name == "admin":
						want(t, r, p, 403, "actor_not_stakeholder")
					case c.stakeholderOf != target.name:
						want(t, r, p, 404, "engagement_not_found")
					default:
						// A stakeholder passes authorization: what comes back is
						// the domain's answer (success, or a rule such as the
						// wrong party, an unknown reference, the wrong phase).
						if r.Status == 401 || (r.Status == 404 && p.Code == "engagement_not_found") ||
							(r.Status == 403 && p.Code != "actor_wrong_party") {
							t.Errorf("stakeholder refused: %d %s", r.Status, r.Body)
						}
					}
				})
			}
		}
	}
	t.Run("openEngagement", func(t *testing.T) {
		body := sampleBody(loadSpec(t).Components.Schemas["OpenEngagement"])
		for _, c := range callers {
			r := ts.post(c.token, "/v1/engagements", body)
			wantStatus := 201
			if c.name == "auditor" {
				wantStatus = 403
			}
			if r.Status != wantStatus {
				t.Errorf("%s: status %d, want %d: %s", c.name, r.Status, wantStatus, r.Body)
			}
		}
	})
	reads := engagementOps(t, http.MethodGet)
	ts.waitProjections() // so that "own" is in every read model
	for _, op := range reads {
		for _, c := range callers {
			for _, target := range []struct{ name, id string }{{"own", own}, {"foreign", foreign}} {
				t.Run(fmt.Sprintf("%s/%s/%s", op.id, c.name, target.name), func(t *testing.T) {
					r := ts.get(c.token, fillPath(op.path, target.id))
					var p problem
					if r.Status >= 400 {
						p = r.problem(t)
					}
					seesAll := c.name == "admin" || c.name == "auditor"
					if !seesAll && c.stakeholderOf != target.name {
						want(t, r, p, 404, "engagement_not_found")
						return
					}
					if r.Status != 200 && !(r.Status == 404 && p.Code != "engagement_not_found") {
						t.Errorf("reader refused: %d %s", r.Status, r.Body)
					}
				})
			}
		}
	}
}

// TestAuthorizationAcrossEngagements: the reads over the whole store are
// for auditors and admins; members get 403, anonymous callers 401.
func TestAuthorizationAcrossEngagements(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	_, member := ts.newPrincipal("Sam Supplier", "member")
	_, auditor := ts.newPrincipal("Ann Auditor", "auditor")
	ts.openEngagement(member, "supplier", "Somewhere")
	ts.waitProjections()
	for _, path := range []string{"/v1/transparency", "/v1/verification"} {
		for _, c := range []struct {
			name, token string
			status      int
		}{{"admin", ts.admin, 200}, {"auditor", auditor, 200}, {"member", member, 403}, {"anonymous", "", 401}} {
			if r := ts.get(c.token, path); r.Status != c.status {
				t.Errorf("%s %s: %d, want %d: %s", c.name, path, r.Status, c.status, r.Body)
			}
		}
	}
}

func want(t *testing.T, r response, p problem, status int, code string) {
	t.Helper()
	if r.Status != status || p.Code != code {
		t.Errorf("got %d %q, want %d %q: %s", r.Status, p.Code, status, code, r.Body)
	}
}

// TestAuthorizationPrincipals runs every operation on principals and
// tokens of the contract (found there, so that a new one is in the matrix
// without anyone adding it) as each kind of caller: only admins manage
// them; members and auditors get 403 and change nothing.
func TestAuthorizationPrincipals(t *testing.T) {
	ts := startServer(t, testConfig())
	memberID, member := ts.newPrincipal("Mia Member", "member")
	_, auditor := ts.newPrincipal("Ann Auditor", "auditor")
	var toks struct{ Items []struct{ ID string } }
	must(t, ts.get(ts.admin, "/v1/principals/"+memberID+"/tokens"), 200).json(t, &toks)
	doc := loadSpec(t)
	var ops []specOp
	for _, path := range doc.Paths.InMatchingOrder() {
		if !strings.HasPrefix(path, "/v1/principals") && !strings.HasPrefix(path, "/v1/tokens") {
			continue
		}
		for m, op := range doc.Paths.Value(path).Operations() {
			ops = append(ops, specOp{m, path, op.OperationID, op})
		}
	}
	if len(ops) < 8 {
		t.Fatalf("only %d operations on principals and tokens found in the contract", len(ops))
	}
	fill := strings.NewReplacer("{principal_id}", memberID, "{token_id}", toks.Items[0].ID)
	before := ts.get(ts.admin, "/v1/principals/"+memberID+"/tokens").Body
	for _, op := range ops {
		var body any
		if op.op.RequestBody != nil {
			body = sampleBody(op.op.RequestBody.Value.Content.Get("application/json").Schema)
		}
		for _, c := range []struct{ name, token string }{{"member", member}, {"auditor", auditor}} {
			t.Run(op.id+"/"+c.name, func(t *testing.T) {
				r := ts.do(req{method: op.method, path: fill.Replace(op.path), token: c.token, body: body})
				var p problem
				if r.Status >= 400 {
					p = r.problem(t)
				}
				want(t, r, p, 403, api.CodeForbidden)
			})
		}
	}
	if after := ts.get(ts.admin, "/v1/principals/"+memberID+"/tokens").Body; string(after) != string(before) {
		t.Errorf("refused calls changed the member's tokens:\n%s\n%s", before, after)
	}
	if r := ts.get(member, "/v1/me"); r.Status != 200 {
		t.Errorf("refused calls locked the member out: %d %s", r.Status, r.Body)
	}
	// The admin passes authorization on every one of them.
	for _, op := range ops {
		var body any
		if op.op.RequestBody != nil {
			body = sampleBody(op.op.RequestBody.Value.Content.Get("application/json").Schema)
		}
		r := ts.do(req{method: op.method, path: fill.Replace(op.path), token: ts.admin, body: body})
		if r.Status == 401 || r.Status == 403 || r.Status >= 500 {
			t.Errorf("%s as admin: %d %s", op.id, r.Status, r.Body)
		}
	}
}
