package api_test

import (
	"net/http"
	"testing"

	"github.com/candor-ledger/candor/api"
	"github.com/candor-ledger/candor/auth"
)

// TestValidationMemoKeepsEveryInput: a request that passed validation is
// remembered by its route, path, query and header parameters, so changing
// any one of them to a bad value is still refused, every time.
func TestValidationMemoKeepsEveryInput(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	_, token := ts.newPrincipalDirect("Sam Supplier", auth.RoleMember)
	eng, _ := ts.openEngagement(token, "supplier", "Memo")
	ts.waitProjections()
	summary := "/v1/engagements/" + eng + "/summary"
	get := func(path string, header map[string]string) response {
		return ts.do(req{method: http.MethodGet, path: path, token: token, header: header})
	}
	steps := []struct {
		name   string
		path   string
		header map[string]string
		status int
	}{
		{"valid query", "/v1/engagements/" + eng + "/timeline?limit=50", nil, http.StatusOK},
		{"same path, bad query", "/v1/engagements/" + eng + "/timeline?limit=0", nil, http.StatusBadRequest},
		{"valid query again", "/v1/engagements/" + eng + "/timeline?limit=50", nil, http.StatusOK},
		{"valid header", summary, map[string]string{"X-Candor-Position": "1"}, http.StatusOK},
		{"same path, bad header", summary, map[string]string{"X-Candor-Position": "soon"}, http.StatusBadRequest},
		{"same path, no header", summary, nil, http.StatusOK},
		{"bad path", "/v1/engagements/bad*id/summary", nil, http.StatusBadRequest},
		{"bad path again", "/v1/engagements/bad*id/summary", nil, http.StatusBadRequest},
	}
	for _, st := range steps {
		r := get(st.path, st.header)
		if r.Status != st.status {
			t.Fatalf("%s: GET %s = %d %s, want %d", st.name, st.path, r.Status, r.Body, st.status)
		}
		if st.status == http.StatusBadRequest {
			// Refused by the contract's validation, not only by the
			// handler's own parsing behind it.
			if p := r.problem(t); p.Code != api.CodeInvalidParameter || p.Detail != "a parameter does not match its schema" {
				t.Errorf("%s: %q %q, want %q from validation", st.name, p.Code, p.Detail, api.CodeInvalidParameter)
			}
		}
	}
}
