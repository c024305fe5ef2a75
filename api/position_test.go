package api_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/candor-ledger/candor/api"
)

// TestPositionAnsweredAtOnce: a read-your-writes position that waiting
// cannot help is answered at once: 404 for an engagement that does not
// exist or that the caller may not see, 400 for a position beyond the
// store's head. The read models here never catch up and the wait is
// bounded by an hour: a read that waited would hang until the client's
// own deadline and fail the test.
func TestPositionAnsweredAtOnce(t *testing.T) {
	ts := startServerWith(t, api.Config{RateLimit: -1, WaitTimeout: time.Hour}, &fakeReadModels{})
	_, member := ts.newPrincipal("Sam", "member")
	_, outsider := ts.newPrincipal("Oscar Outsider", "member")
	id, _ := ts.openEngagement(member, "supplier", "Positions")
	head, err := ts.store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	at, beyond := strconv.FormatUint(uint64(head), 10), strconv.FormatUint(uint64(head)+1_000_000, 10)

	tests := []struct {
		name, token, path string
		header            map[string]string
		status            int
		code, parameter   string
	}{
		{"no such engagement, header", member, "/v1/engagements/no-such-engagement", map[string]string{"X-Candor-Position": at}, 404, "engagement_not_found", ""},
		{"no such engagement, query", member, "/v1/engagements/no-such-engagement/requirements?min_position=" + beyond, nil, 404, "engagement_not_found", ""},
		{"engagement not visible", outsider, "/v1/engagements/" + id + "?min_position=" + at, nil, 404, "engagement_not_found", ""},
		{"read model of no such engagement", member, "/v1/engagements/no-such-engagement/timeline?min_position=" + at, nil, 404, "engagement_not_found", ""},
		{"beyond the head, header", member, "/v1/engagements/" + id, map[string]string{"X-Candor-Position": beyond}, 400, api.CodeInvalidParameter, "header.X-Candor-Position"},
		{"beyond the head, query", member, "/v1/engagements/" + id + "/stakeholders?min_position=" + beyond, nil, 400, api.CodeInvalidParameter, "query.min_position"},
		{"beyond the head, list", member, "/v1/engagements?min_position=" + beyond, nil, 400, api.CodeInvalidParameter, "query.min_position"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ts.do(req{method: http.MethodGet, path: tt.path, token: tt.token, header: tt.header})
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Body)
			}
			p := r.problem(t)
			if p.Code != tt.code || tt.parameter != "" && (len(p.Errors) != 1 || p.Errors[0].Parameter != tt.parameter) {
				t.Errorf("problem %+v, want code %s on %q", p, tt.code, tt.parameter)
			}
		})
	}
}
