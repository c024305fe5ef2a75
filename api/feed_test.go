package api_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ends reads f until the stream ends and returns the comments and the ids
// of the events it had still to deliver. The bound only catches a hang:
// the end is driven by the revocation itself, not by a timer.
func (f *feed) ends(t *testing.T) (comments, ids []string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case m, ok := <-f.msgs:
			if !ok {
				return comments, ids
			}
			comments = append(comments, m.Comments...)
			if m.ID != "" {
				ids = append(ids, m.ID)
			}
		case <-timeout:
			t.Fatal("the stream is still open 5s after the caller lost its right to read it")
		}
	}
}

// tokenIDs lists the ids of a principal's tokens, oldest first.
func (ts *testServer) tokenIDs(principalID string) []string {
	ts.t.Helper()
	var page struct{ Items []struct{ ID string } }
	must(ts.t, ts.get(ts.admin, "/v1/principals/"+principalID+"/tokens"), 200).json(ts.t, &page)
	var out []string
	for _, it := range page.Items {
		out = append(out, it.ID)
	}
	return out
}

func hasComment(comments []string, part string) bool {
	return slices.ContainsFunc(comments, func(c string) bool { return strings.Contains(c, part) })
}

// TestFeedEndsWhenAccessEnds: an open feed ends as soon as its token is
// revoked, its principal disabled, or its member removed from the
// engagement's stakeholders; revoking another token of the same principal
// does not end it.
func TestFeedEndsWhenAccessEnds(t *testing.T) {
	ts := startServer(t, testConfig())
	clientID, _ := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, _, _ := ts.scopedEngagement(supplier, clientID, "Access")
	eng := "/v1/engagements/" + id
	raise := func(title string) uint64 {
		var w writeResult
		must(t, ts.post(supplier, eng+"/requirements", map[string]any{"title": title}), 201).json(t, &w)
		return w.Position
	}

	t.Run("token revoked", func(t *testing.T) {
		var second struct{ Token string }
		must(t, ts.post(ts.admin, "/v1/principals/"+clientID+"/tokens", map[string]any{"label": "feed"}), 201).json(t, &second)
		toks := ts.tokenIDs(clientID)
		f := ts.openFeed(second.Token, id, "")
		// Another token of the same principal: the feed goes on.
		must(t, ts.do(req{method: http.MethodDelete, path: "/v1/tokens/" + toks[0], token: ts.admin}), 204)
		pos := raise("after another token went")
		for {
			got, _ := f.next(t)
			if got == pos {
				break
			}
		}
		must(t, ts.do(req{method: http.MethodDelete, path: "/v1/tokens/" + toks[len(toks)-1], token: ts.admin}), 204)
		if comments, _ := f.ends(t); !hasComment(comments, "revoked") {
			t.Errorf("no closing comment naming the revocation: %q", comments)
		}
	})

	t.Run("principal disabled", func(t *testing.T) {
		memberID, member := ts.newPrincipal("Dora Disabled", "member")
		ts.addStakeholder(supplier, id, "supplier", "Dora Disabled", memberID)
		f := ts.openFeed(member, id, "")
		must(t, ts.post(ts.admin, "/v1/principals/"+memberID+"/disable", nil), 200)
		if comments, _ := f.ends(t); !hasComment(comments, "disabled") {
			t.Errorf("no closing comment naming the disabling: %q", comments)
		}
	})

	t.Run("stakeholder removed", func(t *testing.T) {
		memberID, member := ts.newPrincipal("Remy Removed", "member")
		sid := ts.addStakeholder(supplier, id, "supplier", "Remy Removed", memberID)
		f := ts.openFeed(member, id, "")
		_, observer := ts.newPrincipal("Olga Observer", "member")
		// The supplier lead (a stakeholder still) sees the removal; the
		// removed one's feed ends before it.
		lead := ts.openFeed(supplier, id, "")
		var w writeResult
		must(t, ts.post(supplier, eng+"/stakeholders/"+sid+"/removal", map[string]any{"reason": "left the project"}), 200).json(t, &w)
		comments, ids := f.ends(t)
		if !hasComment(comments, "no longer a stakeholder") {
			t.Errorf("no closing comment naming the removal: %q", comments)
		}
		if slices.Contains(ids, strconv.FormatUint(w.Position, 10)) {
			t.Errorf("the removed stakeholder's feed delivered its removal (%d)", w.Position)
		}
		for {
			got, ev := lead.next(t)
			if got == w.Position {
				if ev.Type != "stakeholder.left" {
					t.Errorf("the lead's feed got %s at the removal's position", ev.Type)
				}
				break
			}
		}
		if r := ts.get(observer, eng+"/feed"); r.Status != 404 {
			t.Errorf("an outsider opens the feed: %d", r.Status)
		}
	})
}
