package api_test

import (
	"database/sql"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/candor-ledger/candor/api"
)

// TestIntegrityBreachIsNamed: an engagement whose stored log was edited
// (an event's type) or cut (its last events removed) is never a 500: who
// may see it gets 503 integrity_breach naming the revision, without
// Retry-After, for reads and writes alike, and verification still reports;
// anyone else gets the 404 of an engagement that does not exist. Nothing
// is written at a freed revision.
func TestIntegrityBreachIsNamed(t *testing.T) {
	for _, tt := range []struct {
		name    string
		edit    string // SQL, with the stream and the requirement's position as arguments
		restart bool   // a cold ledger reads the edited log; else the running one meets it
		// the hash chain shows it (a cut end does not: the checkpoints of
		// the evidence log are for that)
		chain bool
	}{
		{"type edited", `UPDATE events SET type = 'requirement.vanished' WHERE stream = ? AND pos = ?`, true, true},
		{"last events removed", `DELETE FROM events WHERE stream = ? AND pos >= ?`, false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, testConfig())
			clientID, client := ts.newPrincipal("Chloe Client", "member")
			_, supplier := ts.newPrincipal("Sam Supplier", "member")
			_, outsider := ts.newPrincipal("Oscar Outsider", "member")
			_, auditor := ts.newPrincipal("Ann Auditor", "auditor")
			id, _, _ := ts.scopedEngagement(supplier, clientID, "Broken")
			eng := "/v1/engagements/" + id
			var w writeResult
			must(t, ts.post(supplier, eng+"/requirements", map[string]any{"title": "Export invoices"}), http.StatusCreated).json(t, &w)
			must(t, ts.post(supplier, eng+"/requirements", map[string]any{"title": "Import prices"}), http.StatusCreated)

			db, err := sql.Open("sqlite3", "file:"+filepath.Join(ts.dir, "events.db"))
			if err != nil {
				t.Fatal(err)
			}
			res, err := db.Exec(tt.edit, "engagement-"+id, w.Position)
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				t.Fatal("nothing edited")
			}
			db.Close()
			if tt.restart {
				ts.restart()
			} else {
				// The running ledger meets the cut when it next appends.
				r := ts.post(supplier, eng+"/requirements", map[string]any{"title": "At the freed revision"})
				wantIntegrityBreach(t, "write at the freed revision", r)
			}

			for _, who := range []struct{ name, token string }{{"supplier", supplier}, {"client", client}, {"auditor", auditor}} {
				rs := []response{
					ts.get(who.token, eng),
					ts.get(who.token, eng+"/requirements"),
					ts.get(who.token, eng+"/events"),
					ts.get(who.token, eng+"?as_of_position=1"),
				}
				if who.token != auditor {
					rs = append(rs, ts.post(who.token, eng+"/requirements", map[string]any{"title": "More"}))
				}
				for _, r := range rs {
					wantIntegrityBreach(t, who.name, r)
				}
				var v api.VerificationOut
				must(t, ts.get(who.token, eng+"/verification"), http.StatusOK).json(t, &v)
				if tt.chain && (v.OK || v.Broken == nil || v.Broken.Revision != w.Revision) {
					t.Errorf("%s: verification %+v", who.name, v)
				}
			}
			// Who may not see it learns nothing: the answers of an
			// engagement that does not exist.
			for _, path := range []string{eng, eng + "/requirements", eng + "/verification"} {
				if r := ts.get(outsider, path); r.Status != http.StatusNotFound || r.problem(t).Code != "engagement_not_found" {
					t.Errorf("outsider GET %s: %d %s", path, r.Status, r.Body)
				}
			}
			open := map[string]any{"engagement_id": id, "title": "t", "client_name": "c", "supplier_name": "s", "opener": map[string]any{"party": "supplier", "name": "n"}}
			if r := ts.post(outsider, "/v1/engagements", open); r.Status != http.StatusNotFound {
				t.Errorf("outsider opening the id: %d %s", r.Status, r.Body)
			}
			if !strings.Contains(ts.logs.String(), "integrity check") {
				t.Errorf("the breach is not in the server's log")
			}
		})
	}
}

func wantIntegrityBreach(t *testing.T, who string, r response) {
	t.Helper()
	if r.Status != http.StatusServiceUnavailable {
		t.Fatalf("%s: status %d, want 503: %s", who, r.Status, r.Body)
	}
	p := r.problem(t)
	if p.Code != api.CodeIntegrityBreach || !strings.Contains(p.Detail, "revision ") || r.Header.Get("Retry-After") != "" {
		t.Errorf("%s: %+v, Retry-After %q", who, p, r.Header.Get("Retry-After"))
	}
}
