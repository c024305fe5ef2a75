package api_test

import (
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestLifecycle walks one engagement from emergence to closure through
// every write operation of the contract, each succeeding, then reads every
// resource back. The validating client checks each response against the
// contract, so this is also the test of the read schemas on real data.
func TestLifecycle(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	clientPID, client := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	_, auditor := ts.newPrincipal("Ann Auditor", "auditor")
	lateID, late := ts.newPrincipal("Lee Late", "member")

	id, sam := ts.openEngagement(supplier, "supplier", "Lifecycle")
	e := "/v1/engagements/" + id
	used := map[string]bool{"openEngagement": true}
	// step posts as token and returns the last segment of Location (the new
	// id), checking the status.
	step := func(op, token, path string, body any, status int) string {
		t.Helper()
		used[op] = true
		r := ts.post(token, e+path, body)
		if r.Status != status {
			t.Fatalf("%s: status %d, want %d: %s", op, r.Status, status, r.Body)
		}
		if status == http.StatusCreated {
			loc := r.Header.Get("Location")
			must(t, ts.get(token, loc), http.StatusOK) // the Location resolves
			return loc[strings.LastIndexByte(loc, '/')+1:]
		}
		return ""
	}
	future := func(days int) string {
		return time.Now().Add(time.Duration(days) * 24 * time.Hour).UTC().Format(time.RFC3339)
	}

	// Emergence.
	chloe := step("addStakeholder", supplier, "/stakeholders", map[string]any{"party": "client", "name": "Chloe", "principal_id": clientPID}, 201)
	expert := step("inviteExpert", supplier, "/experts", map[string]any{"name": "Eve Expert", "expertise": "billing"}, 201)
	step("commitExpert", supplier, "/experts/"+expert+"/commitment", map[string]any{}, 200)
	other := step("inviteExpert", supplier, "/experts", map[string]any{"name": "Otto"}, 201)
	step("withdrawExpert", supplier, "/experts/"+other+"/withdrawal", map[string]any{"reason": "busy"}, 200)
	step("joinDiscussion", client, "/discussion", map[string]any{"note": "glad to join"}, 200)
	step("joinParty", supplier, "/parties", map[string]any{"party": "provider", "name": "Implementor Ltd"}, 201)
	step("definePerimeter", supplier, "/perimeters", map[string]any{"party": "provider", "description": "hosting", "includes": []string{"servers"}}, 200)
	step("advancePhase", supplier, "/phase", map[string]any{"to": "scoping"}, 200)

	// Scoping.
	lee := step("addStakeholder", supplier, "/stakeholders", map[string]any{"party": "supplier", "name": "Lee", "principal_id": lateID}, 201)
	step("briefStakeholder", supplier, "/stakeholders/"+lee+"/briefings", map[string]any{"summary": "context so far"}, 200)
	workshop := step("holdWorkshop", supplier, "/workshops", map[string]any{"participants": []string{sam, chloe}, "notes": "two hours"}, 201)
	indicator := step("defineIndicator", client, "/indicators", map[string]any{"name": "Invoices exported per day", "target": 100, "direction": "at_least", "workshop_id": workshop}, 201)
	step("measureIndicator", client, "/indicators/"+indicator+"/measurements", map[string]any{"value": 42}, 201)
	requirement := step("raiseRequirement", client, "/requirements", map[string]any{"title": "Export invoices"}, 201)
	question := step("askQuestion", supplier, "/requirements/"+requirement+"/questions", map[string]any{"text": "Which format?"}, 201)
	step("clarifyRequirement", client, "/requirements/"+requirement+"/clarifications", map[string]any{"clarification": "CSV", "question_id": question}, 200)
	assumption := step("makeAssumption", supplier, "/assumptions", map[string]any{"statement": "UTF-8", "requirement_id": requirement}, 201)
	step("validateAssumption", client, "/assumptions/"+assumption+"/validation", map[string]any{}, 200)
	wrong := step("makeAssumption", supplier, "/assumptions", map[string]any{"statement": "Monthly"}, 201)
	step("rejectAssumption", client, "/assumptions/"+wrong+"/rejection", map[string]any{"reason": "daily"}, 200)
	change := step("requestChange", client, "/changes", map[string]any{"description": "Add PDF"}, 201)
	step("approveChange", client, "/changes/"+change+"/approval", map[string]any{}, 200)
	change2 := step("requestChange", supplier, "/changes", map[string]any{"description": "Drop CSV"}, 201)
	step("rejectChange", client, "/changes/"+change2+"/rejection", map[string]any{"reason": "no"}, 200)
	feature := step("proposeFeature", supplier, "/features", map[string]any{"title": "Dark mode"}, 201)
	step("acceptFeature", client, "/features/"+feature+"/acceptance", map[string]any{}, 200)
	feature2 := step("proposeFeature", supplier, "/features", map[string]any{"title": "Blockchain"}, 201)
	step("declineFeature", client, "/features/"+feature2+"/decline", map[string]any{"reason": "no"}, 200)
	milestone := step("planMilestone", supplier, "/milestones", map[string]any{"title": "Beta", "due_date": future(30)}, 201)
	difficulty := step("reportDifficulty", supplier, "/difficulties", map[string]any{"description": "Legacy API", "milestone_id": milestone}, 201)
	delay := step("discloseDelay", supplier, "/milestones/"+milestone+"/delays", map[string]any{"new_due_date": future(45), "reason": "Legacy API"}, 201)
	cost := step("discloseCostImpact", supplier, "/cost-impacts", map[string]any{"amount": 150000, "currency": "EUR", "reason": "extra days", "difficulty_id": difficulty}, 201)
	gap := step("discloseSkillsGap", supplier, "/skills-gaps", map[string]any{"skill": "COBOL", "difficulty_id": difficulty}, 201)
	risk, dependency := governanceSteps(step, supplier, client, sam, chloe, milestone, difficulty, opened(t, ts, supplier, e))
	info := step("informClient", supplier, "/communications", map[string]any{"subject": "Delay", "channel": "call", "recipients": []string{chloe}, "about": []string{delay}}, 201)
	step("acknowledgeInformation", client, "/communications/"+info+"/acknowledgements", map[string]any{}, 200)
	decision := step("makeDecision", supplier, "/decisions", map[string]any{"title": "Database", "kind": "technical", "options": []string{"PostgreSQL", "SQLite"}, "chosen": "SQLite", "participants": []string{sam, chloe}}, 201)
	step("signAgreement", client, "/agreement", map[string]any{"signatories": []string{sam, chloe}, "reference": "C-1"}, 201)
	step("advancePhase", supplier, "/phase", map[string]any{"to": "delivery"}, 200)

	// Delivery and acceptance.
	delivery := step("makeDelivery", supplier, "/deliveries", map[string]any{"title": "Beta", "milestone_id": milestone, "requirement_ids": []string{requirement}}, 201)
	need := step("raiseNeedAtDelivery", client, "/deliveries/"+delivery+"/needs", map[string]any{"title": "Filter by date"}, 201)
	step("acceptDelivery", client, "/deliveries/"+delivery+"/acceptance", map[string]any{"comment": "ok"}, 200)
	delivery2 := step("makeDelivery", supplier, "/deliveries", map[string]any{"title": "Docs"}, 201)
	step("rejectDelivery", client, "/deliveries/"+delivery2+"/rejection", map[string]any{"reason": "incomplete"}, 200)
	acceptanceReads := acceptanceSteps(step, supplier, client, delivery2)
	step("removeStakeholder", late, "/stakeholders/"+lee+"/removal", map[string]any{"reason": "moved on"}, 200)
	step("advancePhase", supplier, "/phase", map[string]any{"to": "acceptance"}, 200)
	lesson := step("recordLesson", client, "/lessons", map[string]any{"text": "Disclose early"}, 201)

	// Every read, with real ids, as the auditor (who reads everything).
	reads := map[string]string{
		"getEngagement": "", "listEvents": "/events", "listLessons": "/lessons", "getLesson": "/lessons/" + lesson,
		"listParties": "/parties", "getParty": "/parties/provider", "listPerimeters": "/perimeters",
		"listStakeholders": "/stakeholders", "getStakeholder": "/stakeholders/" + lee,
		"listExperts": "/experts", "getExpert": "/experts/" + expert, "getDiscussion": "/discussion", "getAgreement": "/agreement",
		"listWorkshops": "/workshops", "getWorkshop": "/workshops/" + workshop,
		"listIndicators": "/indicators", "getIndicator": "/indicators/" + indicator, "listMeasurements": "/indicators/" + indicator + "/measurements",
		"listRequirements": "/requirements", "getRequirement": "/requirements/" + need, "listQuestions": "/requirements/" + requirement + "/questions",
		"getQuestion": "/requirements/" + requirement + "/questions/" + question, "listClarifications": "/requirements/" + requirement + "/clarifications",
		"listAssumptions": "/assumptions", "getAssumption": "/assumptions/" + assumption,
		"listChanges": "/changes", "getChange": "/changes/" + change, "listFeatures": "/features", "getFeature": "/features/" + feature,
		"listMilestones": "/milestones", "getMilestone": "/milestones/" + milestone, "listDelays": "/milestones/" + milestone + "/delays",
		"getDelay": "/milestones/" + milestone + "/delays/" + delay, "listDifficulties": "/difficulties", "getDifficulty": "/difficulties/" + difficulty,
		"listCostImpacts": "/cost-impacts", "getCostImpact": "/cost-impacts/" + cost, "listSkillsGaps": "/skills-gaps", "getSkillsGap": "/skills-gaps/" + gap,
		"listCommunications": "/communications", "getCommunication": "/communications/" + info,
		"listDecisions": "/decisions", "getDecision": "/decisions/" + decision,
		"listDeliveries": "/deliveries", "getDelivery": "/deliveries/" + delivery, "listNeeds": "/deliveries/" + delivery + "/needs",
		// The read models: with the whole story, every optional part of
		// their schemas shows up in the responses validated here.
		"getEngagementSummary": "/summary", "getTimeline": "/timeline", "getRequirementsBoard": "/requirements-board",
		"getDelayRegister": "/delay-register", "getDecisionLog": "/decision-log", "getCommunicationsReport": "/communications-report",
		"getIndicatorStatus": "/indicator-status", "getStakeholderRegister": "/stakeholder-register", "getTransparency": "/transparency",
		"getKnowledge": "/stakeholders/" + chloe + "/knowledge", "verifyEngagement": "/verification", "getFeed": "/feed",
		"exportEngagement": "/export",
		"listRisks":        "/risks", "getRisk": "/risks/" + risk, "listDependencies": "/dependencies", "getDependency": "/dependencies/" + dependency,
		"getRAIDRegister": "/raid-register",
	}
	maps.Copy(reads, acceptanceReads)
	ts.waitProjections()
	for op, path := range reads {
		r := must(t, ts.get(auditor, e+path), http.StatusOK)
		if strings.HasPrefix(op, "list") && !strings.Contains(string(r.Body), `"items":[{`) {
			t.Errorf("%s: empty list: %s", op, r.Body)
		}
	}
	// The measurement's own URL came from the write's Location, already read.
	step("closeEngagement", supplier, "/closure", map[string]any{"summary": "done"}, 200)
	var eng struct{ Phase string }
	must(t, ts.get(client, e), http.StatusOK).json(t, &eng)
	if eng.Phase != "closed" {
		t.Errorf("phase %q", eng.Phase)
	}

	for _, op := range engagementOps(t, http.MethodPost) {
		if !used[op.id] {
			t.Errorf("write %s is not exercised by this test", op.id)
		}
	}
	for _, op := range engagementOps(t, http.MethodGet) {
		if _, ok := reads[op.id]; !ok && op.id != "getMeasurement" {
			t.Errorf("read %s is not exercised by this test", op.id)
		}
	}
}
