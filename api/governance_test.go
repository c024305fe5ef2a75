package api_test

import (
	"net/http"
	"testing"
	"time"
)

// governanceSteps runs every governance write of the contract inside
// TestLifecycle, and returns a risk and a dependency to read back.
func governanceSteps(step func(op, token, path string, body any, status int) string, supplier, client, sam, chloe, milestone, difficulty, opened string) (risk, dependency string) {
	step("agreeTolerances", supplier, "/tolerances", map[string]any{"time_days": 5, "cost_amount": 100000, "currency": "EUR", "agreed_by": []string{sam, chloe}}, 200)
	step("agreeCadence", supplier, "/cadences", map[string]any{"stakeholder_id": chloe, "every_days": 7}, 200)
	risk = step("raiseRisk", supplier, "/risks", map[string]any{"title": "Staff leave", "probability": 2, "impact": 5, "owner_id": sam,
		"response": "Pair on operations", "milestone_id": milestone}, 201)
	step("reviewRisk", client, "/risks/"+risk+"/reviews", map[string]any{"probability": 4, "impact": 5, "note": "rumours"}, 200)
	step("escalateRisk", supplier, "/risks/"+risk+"/escalation", map[string]any{"escalated_to": chloe, "reason": "budget"}, 200)
	other := step("raiseRisk", client, "/risks", map[string]any{"title": "Legal", "probability": 1, "impact": 1, "owner_id": chloe, "response": "Accept"}, 201)
	step("closeRisk", client, "/risks/"+other+"/closure", map[string]any{"reason": "reviewed"}, 200)
	third := step("raiseRisk", supplier, "/risks", map[string]any{"title": "Quota", "probability": 5, "impact": 5, "owner_id": sam, "response": "Ask early"}, 201)
	happened := step("recordRiskOccurred", supplier, "/risks/"+third+"/occurrence", map[string]any{"description": "Quota refused"}, 201)
	step("assignDifficulty", supplier, "/difficulties/"+happened+"/assignment", map[string]any{"owner_id": sam, "severity": "critical"}, 200)
	step("resolveDifficulty", supplier, "/difficulties/"+difficulty+"/resolution", map[string]any{"resolution": "Adapter written"}, 200)
	// Due when the engagement opened: late by now.
	dependency = step("raiseDependency", supplier, "/dependencies", map[string]any{"title": "VPN access", "owed_by": chloe, "due_date": opened, "milestone_id": milestone}, 201)
	// A slip of 30 days: past the tolerance, an exception.
	late := step("discloseDelay", supplier, "/milestones/"+milestone+"/delays", map[string]any{"new_due_date": time.Now().Add(60 * 24 * time.Hour).UTC().Format(time.RFC3339),
		"reason": "No VPN", "dependency_id": dependency}, 201)
	exception := "exception-" + late
	step("proposeExceptionOptions", supplier, "/exceptions/"+exception+"/options", map[string]any{"options": []string{"Move Beta", "Cut SSO"}, "recommendation": "Move Beta"}, 200)
	step("decideException", client, "/exceptions/"+exception+"/decision", map[string]any{"chosen": "Move Beta", "rationale": "SSO matters"}, 200)
	lifecycleReads = map[string]string{"getTolerances": "/tolerances", "listExceptions": "/exceptions", "getException": "/exceptions/" + exception,
		"listCadences": "/cadences"}
	step("meetDependency", client, "/dependencies/"+dependency+"/fulfilment", map[string]any{"note": "done"}, 200)
	change := step("requestChange", client, "/changes", map[string]any{"description": "Add XML"}, 201)
	step("assessChangeImpact", supplier, "/changes/"+change+"/impact", map[string]any{"schedule_impact_days": 4, "cost_impact": 120000,
		"currency": "EUR", "approver_id": chloe, "approve_by": opened}, 200)
	step("delegateChangeApproval", client, "/changes/"+change+"/delegation", map[string]any{"delegate_id": chloe}, 200)
	report := step("issueHighlightReport", supplier, "/highlight-reports", map[string]any{"from": opened,
		"to": time.Now().UTC().Format(time.RFC3339Nano), "channel": "email", "recipients": []string{chloe}}, 201)
	lifecycleReads["getHighlightReport"] = "/highlight-reports/" + report
	return risk, dependency
}

// lifecycleReads are the reads of what governanceSteps wrote, for
// TestLifecycle to check (with acceptanceSteps').
var lifecycleReads map[string]string

// TestGovernanceOverHTTP: the governance family through the server: a risk
// that occurs becomes a difficulty, the client's late dependency behind a
// delay shows in the delay, the RAID register and the transparency
// report, and the rules answer with their problem codes.
func TestGovernanceOverHTTP(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	clientPID, client := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, sam, chloe := ts.scopedEngagement(supplier, clientPID, "Governance")
	e := "/v1/engagements/" + id
	at := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339) }

	must(t, ts.post(supplier, e+"/milestones", map[string]any{"milestone_id": "ms", "title": "Beta", "due_date": at(30 * 24 * time.Hour)}), 201)
	must(t, ts.post(supplier, e+"/risks", map[string]any{"risk_id": "rk", "title": "Staff leave", "probability": 3, "impact": 4,
		"owner_id": sam, "response": "Pair", "milestone_id": "ms"}), 201)
	r := must(t, ts.post(client, e+"/risks/rk/occurrence", map[string]any{"difficulty_id": "df", "description": "He left"}), 201)
	if loc := r.Header.Get("Location"); loc != e+"/difficulties/df" {
		t.Errorf("Location %q", loc)
	}
	var res struct{ Events []struct{ Type string } }
	r.json(t, &res)
	if len(res.Events) != 2 || res.Events[0].Type != "difficulty.reported" || res.Events[1].Type != "risk.occurred" {
		t.Errorf("events %+v", res.Events)
	}
	var df struct {
		Status      string
		RiskID      string `json:"risk_id"`
		MilestoneID string `json:"milestone_id"`
	}
	must(t, ts.get(client, e+"/difficulties/df"), 200).json(t, &df)
	if df.Status != "open" || df.RiskID != "rk" || df.MilestoneID != "ms" {
		t.Errorf("difficulty %+v", df)
	}
	// The client's dependency, due when the engagement opened (so late by
	// now): the delay it causes says so.
	must(t, ts.post(supplier, e+"/dependencies", map[string]any{"dependency_id": "dep", "title": "Product data", "owed_by": chloe, "due_date": opened(t, ts, client, e)}), 201)
	must(t, ts.post(supplier, e+"/milestones/ms/delays", map[string]any{"delay_id": "dl", "new_due_date": at(40 * 24 * time.Hour), "reason": "No data", "dependency_id": "dep"}), 201)
	var dl struct {
		DependencyID    string `json:"dependency_id"`
		DependencyLate  bool   `json:"dependency_late"`
		DependencyParty string `json:"dependency_party"`
	}
	got := must(t, ts.get(client, e+"/milestones/ms/delays/dl"), 200)
	got.json(t, &dl)
	if dl.DependencyID != "dep" || !dl.DependencyLate || dl.DependencyParty != "client" {
		t.Errorf("delay %s", got.Body)
	}

	for _, tc := range []struct {
		name, token, path string
		body              map[string]any
		status            int
		code              string
	}{
		{"rating out of range", supplier, "/risks", map[string]any{"title": "x", "probability": 0, "impact": 1, "owner_id": sam, "response": "r"}, 422, "validation_failed"},
		{"owner unknown", supplier, "/risks", map[string]any{"title": "x", "probability": 1, "impact": 1, "owner_id": "ghost", "response": "r"}, 404, "stakeholder_not_found"},
		{"occurred twice", supplier, "/risks/rk/occurrence", map[string]any{"description": "again"}, 409, "risk_not_open"},
		{"bad severity", supplier, "/difficulties/df/assignment", map[string]any{"owner_id": sam, "severity": "urgent"}, 422, "validation_failed"},
		{"unknown dependency", supplier, "/dependencies/nope/fulfilment", map[string]any{}, 404, "dependency_not_found"},
		{"delay caused by nothing", supplier, "/milestones/ms/delays", map[string]any{"new_due_date": at(50 * 24 * time.Hour), "reason": "x", "dependency_id": "nope"}, 404, "dependency_not_found"},
	} {
		r := ts.post(tc.token, e+tc.path, tc.body)
		if p := r.problem(t); r.Status != tc.status || p.Code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.Status, p.Code, tc.status, tc.code)
		}
	}

	// A change assessed for another client stakeholder to approve: Chloe
	// may not, until that stakeholder delegates (they have no login here,
	// so the delegation stays out of reach and the refusal stands).
	nico := ts.addStakeholder(supplier, id, "client", "Nicolas Roux", "")
	must(t, ts.post(client, e+"/changes", map[string]any{"change_id": "ch", "description": "Add XML"}), 201)
	must(t, ts.post(supplier, e+"/changes/ch/impact", map[string]any{"schedule_impact_days": 4, "cost_impact": 120000, "currency": "EUR",
		"approver_id": nico, "approve_by": at(7 * 24 * time.Hour)}), 200)
	r = ts.post(client, e+"/changes/ch/approval", map[string]any{})
	if p := r.problem(t); r.Status != 403 || p.Code != "not_the_approver" {
		t.Errorf("approval by someone else: %d %s", r.Status, r.Body)
	}
	var ch struct {
		Status string
		Impact struct {
			ApproverID string `json:"approver_id"`
			CostImpact int64  `json:"cost_impact"`
		}
	}
	must(t, ts.get(client, e+"/changes/ch"), 200).json(t, &ch)
	if ch.Status != "open" || ch.Impact.ApproverID != nico || ch.Impact.CostImpact != 120000 {
		t.Errorf("change %+v", ch)
	}

	ts.waitProjections()
	var reg struct {
		Risks []struct {
			ID, Status string
			Score      int
		}
		Dependencies []struct {
			ID       string
			Late     bool
			DelayIDs []string `json:"delay_ids"`
		}
		Issues []struct{ ID, RiskID string } `json:"issues"`
	}
	must(t, ts.get(client, e+"/raid-register"), http.StatusOK).json(t, &reg)
	if len(reg.Risks) != 1 || reg.Risks[0].Status != "occurred" || reg.Risks[0].Score != 12 ||
		len(reg.Dependencies) != 1 || !reg.Dependencies[0].Late || len(reg.Dependencies[0].DelayIDs) != 1 {
		t.Errorf("register %+v", reg)
	}
	var tr struct {
		Dependencies struct {
			LateClient []struct {
				ID       string
				DelayIDs []string `json:"delay_ids"`
			} `json:"late_client"`
		}
		Difficulties struct{ Open, Unassigned int }
	}
	must(t, ts.get(client, e+"/transparency"), http.StatusOK).json(t, &tr)
	if len(tr.Dependencies.LateClient) != 1 || tr.Dependencies.LateClient[0].ID != "dep" || tr.Difficulties.Open != 1 || tr.Difficulties.Unassigned != 1 {
		t.Errorf("transparency %+v", tr)
	}
}

// opened returns when the engagement at path e opened, as the API says it.
func opened(t *testing.T, ts *testServer, token, e string) string {
	t.Helper()
	var eng struct {
		OpenedAt string `json:"opened_at"`
	}
	must(t, ts.get(token, e), http.StatusOK).json(t, &eng)
	return eng.OpenedAt
}
