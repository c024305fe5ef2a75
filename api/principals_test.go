package api_test

import (
	"net/http"
	"testing"

	"github.com/candor-ledger/candor/api"
)

// TestDisablePrincipal: a disabled principal's tokens answer 401 at once;
// they work again only once it is enabled; both are idempotent and answer
// the principal.
func TestDisablePrincipal(t *testing.T) {
	ts := startServer(t, testConfig())
	id, member := ts.newPrincipal("Mia Member", "member")
	var p api.PrincipalOut
	must(t, ts.post(ts.admin, "/v1/principals/"+id+"/disable", nil), 200).json(t, &p)
	if !p.Disabled || p.ID != id {
		t.Fatalf("disable answered %+v", p)
	}
	if r := ts.get(member, "/v1/me"); r.Status != http.StatusUnauthorized || r.problem(t).Code != api.CodeUnauthenticated {
		t.Fatalf("a disabled principal's token: %d %s", r.Status, r.Body)
	}
	must(t, ts.post(ts.admin, "/v1/principals/"+id+"/disable", nil), 200).json(t, &p)
	must(t, ts.get(ts.admin, "/v1/principals/"+id), 200).json(t, &p)
	if !p.Disabled {
		t.Errorf("GET principal after disabling: %+v", p)
	}
	must(t, ts.post(ts.admin, "/v1/principals/"+id+"/enable", nil), 200).json(t, &p)
	if p.Disabled {
		t.Errorf("enable answered %+v", p)
	}
	must(t, ts.get(member, "/v1/me"), 200)
	must(t, ts.post(ts.admin, "/v1/principals/"+id+"/enable", nil), 200)

	for _, path := range []string{"/v1/principals/00000000-0000-7000-8000-000000000000/disable", "/v1/principals/00000000-0000-7000-8000-000000000000/enable"} {
		if r := ts.post(ts.admin, path, nil); r.Status != 404 {
			t.Errorf("%s: %d %s", path, r.Status, r.Body)
		}
	}
	if r := ts.post(ts.admin, "/v1/principals/not-a-uuid/disable", nil); r.Status != 400 || r.problem(t).Code != api.CodeInvalidParameter {
		t.Errorf("malformed id: %d %s", r.Status, r.Body)
	}
	if r := ts.post(ts.admin, "/v1/principals/"+id+"/disable", map[string]any{"reason": "x"}); r.Status != 400 && r.Status != 415 && r.Status != 422 {
		t.Errorf("a body where none is taken: %d %s", r.Status, r.Body)
	}
}

// TestLastAdminIsKept: the admin cannot revoke its own last token, nor
// disable itself, when nobody else could manage principals afterwards.
func TestLastAdminIsKept(t *testing.T) {
	ts := startServer(t, testConfig())
	var me api.PrincipalOut
	must(t, ts.get(ts.admin, "/v1/me"), 200).json(t, &me)
	var toks struct{ Items []api.TokenOut }
	must(t, ts.get(ts.admin, "/v1/principals/"+me.ID+"/tokens"), 200).json(t, &toks)

	r := ts.do(req{method: http.MethodDelete, path: "/v1/tokens/" + toks.Items[0].ID, token: ts.admin})
	if r.Status != http.StatusConflict || r.problem(t).Code != api.CodeLastAdmin {
		t.Fatalf("revoking the last admin token: %d %s", r.Status, r.Body)
	}
	r = ts.post(ts.admin, "/v1/principals/"+me.ID+"/disable", nil)
	if r.Status != http.StatusConflict || r.problem(t).Code != api.CodeLastAdmin {
		t.Fatalf("disabling the last admin: %d %s", r.Status, r.Body)
	}
	must(t, ts.get(ts.admin, "/v1/me"), 200)

	// With a second admin holding a token, the first may go.
	_, second := ts.newPrincipal("Second Admin", "admin")
	if r := ts.do(req{method: http.MethodDelete, path: "/v1/tokens/" + toks.Items[0].ID, token: second}); r.Status != http.StatusNoContent {
		t.Fatalf("revoking one of two admins' tokens: %d %s", r.Status, r.Body)
	}
	if r := ts.get(ts.admin, "/v1/me"); r.Status != http.StatusUnauthorized {
		t.Errorf("revoked admin token: %d", r.Status)
	}
}
