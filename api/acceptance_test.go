package api_test

import (
	"maps"
	"net/http"
	"testing"
)

// acceptanceSteps runs the acceptance-criteria writes inside TestLifecycle,
// in the delivery phase, after delivery (of requirement) was accepted and
// rejected was rejected: a criterion proposed and agreed on a requirement
// of its own, a delivery of it accepted against it, and the rejected
// delivery delivered again then accepted. It returns the reads to check.
func acceptanceSteps(step func(op, token, path string, body any, status int) string, supplier, client, rejected string) map[string]string {
	req := step("raiseRequirement", client, "/requirements", map[string]any{"title": "Archive invoices"}, 201)
	crit := step("defineAcceptanceCriterion", supplier, "/requirements/"+req+"/acceptance-criteria", map[string]any{"text": "Kept ten years"}, 201)
	step("agreeAcceptanceCriterion", client, "/requirements/"+req+"/acceptance-criteria/"+crit+"/agreement", map[string]any{"comment": "yes"}, 200)
	d := step("makeDelivery", supplier, "/deliveries", map[string]any{"title": "Archive", "requirement_ids": []string{req}}, 201)
	step("acceptDelivery", client, "/deliveries/"+d+"/acceptance", map[string]any{"criteria_met": []string{crit}}, 200)
	step("redeliverDelivery", supplier, "/deliveries/"+rejected+"/versions", map[string]any{"changes": "Completed"}, 200)
	step("acceptDelivery", client, "/deliveries/"+rejected+"/acceptance", map[string]any{}, 200)
	reads := map[string]string{
		"listAcceptanceCriteria": "/requirements/" + req + "/acceptance-criteria",
		"getAcceptanceCriterion": "/requirements/" + req + "/acceptance-criteria/" + crit,
	}
	maps.Copy(reads, lifecycleReads)
	return reads
}

// TestAcceptanceOverHTTP: criteria agreed with the client, a delivery
// rejected against them, criterion by criterion, delivered again as version
// 2 and accepted; the refusals answer with their codes and pointers.
func TestAcceptanceOverHTTP(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	clientPID, client := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, sam, chloe := ts.scopedEngagement(supplier, clientPID, "Acceptance")
	e := "/v1/engagements/" + id

	must(t, ts.post(client, e+"/requirements", map[string]any{"requirement_id": "rq", "title": "PDF invoices"}), 201)
	r := must(t, ts.post(client, e+"/requirements/rq/acceptance-criteria", map[string]any{"criterion_id": "pdfa", "text": "PDF/A-3"}), 201)
	if loc := r.Header.Get("Location"); loc != e+"/requirements/rq/acceptance-criteria/pdfa" {
		t.Errorf("Location %q", loc)
	}
	must(t, ts.post(supplier, e+"/requirements/rq/acceptance-criteria", map[string]any{"criterion_id": "fast", "text": "Under 2 s"}), 201)
	var c struct{ Status, AgreedBy string }
	must(t, ts.get(client, e+"/requirements/rq/acceptance-criteria/fast"), 200).json(t, &c)
	if c.Status != "proposed" {
		t.Errorf("a supplier's criterion: %+v", c)
	}
	if r := ts.post(supplier, e+"/requirements/rq/acceptance-criteria/fast/agreement", map[string]any{}); r.Status != 403 || r.problem(t).Code != "actor_wrong_party" {
		t.Errorf("the supplier agrees: %d %s", r.Status, r.Body)
	}
	must(t, ts.post(client, e+"/requirements/rq/acceptance-criteria/fast/agreement", map[string]any{}), 200)
	// Agreed after the delivery below: not one of its first version's.
	must(t, ts.post(supplier, e+"/requirements/rq/acceptance-criteria", map[string]any{"criterion_id": "late", "text": "Dark mode"}), 201)

	must(t, ts.post(supplier, e+"/agreement", map[string]any{"signatories": []string{sam, chloe}}), 201)
	must(t, ts.post(supplier, e+"/phase", map[string]any{"to": "delivery"}), 200)
	must(t, ts.post(supplier, e+"/deliveries", map[string]any{"delivery_id": "dv", "title": "Beta", "requirement_ids": []string{"rq"}}), 201)
	must(t, ts.post(client, e+"/requirements/rq/acceptance-criteria/late/agreement", map[string]any{}), 200)

	for _, tc := range []struct {
		name, path string
		body       map[string]any
		status     int
		code, ptr  string
	}{
		{"accept with nothing judged", "/acceptance", map[string]any{}, 422, "criteria_incomplete", "/criteria_met"},
		{"accept with one unmet", "/acceptance", map[string]any{"criteria_met": []string{"pdfa"}, "criteria_unmet": []string{"fast"}}, 422, "criterion_not_met", "/criteria_unmet"},
		{"judge one agreed too late", "/acceptance", map[string]any{"criteria_met": []string{"pdfa", "fast", "late"}}, 422, "criterion_not_of_delivery", "/criteria_met/2"},
		{"judge one twice", "/rejection", map[string]any{"reason": "x", "criteria_met": []string{"pdfa", "fast"}, "criteria_unmet": []string{"fast"}}, 422, "criterion_judged_twice", "/criteria_unmet/0"},
		{"reject with all met", "/rejection", map[string]any{"reason": "x", "criteria_met": []string{"pdfa", "fast"}}, 422, "no_criterion_unmet", "/criteria_unmet"},
		{"redeliver what awaits", "/versions", map[string]any{"changes": "x"}, 409, "delivery_not_rejected", ""},
	} {
		r := ts.post(client, e+"/deliveries/dv"+tc.path, tc.body)
		if tc.path == "/versions" {
			r = ts.post(supplier, e+"/deliveries/dv"+tc.path, tc.body)
		}
		p := r.problem(t)
		if r.Status != tc.status || p.Code != tc.code || (tc.ptr != "" && (len(p.Errors) == 0 || p.Errors[0].Pointer != tc.ptr)) {
			t.Errorf("%s: %d %s, want %d %s at %s", tc.name, r.Status, r.Body, tc.status, tc.code, tc.ptr)
		}
	}
	must(t, ts.post(client, e+"/deliveries/dv/rejection", map[string]any{"reason": "Too slow", "criteria_met": []string{"pdfa"}, "criteria_unmet": []string{"fast"}}), 200)
	must(t, ts.post(supplier, e+"/deliveries/dv/versions", map[string]any{"changes": "Cached the fonts"}), 200)
	// Version 2 is judged against "late" too.
	must(t, ts.post(client, e+"/deliveries/dv/acceptance", map[string]any{"criteria_met": []string{"pdfa", "fast", "late"}}), 200)

	var dv struct {
		Status, Changes string
		Version         int
		CriteriaMet     []string `json:"criteria_met"`
		Earlier         []struct {
			Version       int
			Status        string
			CriteriaUnmet []string `json:"criteria_unmet"`
		} `json:"earlier_versions"`
	}
	must(t, ts.get(client, e+"/deliveries/dv"), http.StatusOK).json(t, &dv)
	if dv.Status != "accepted" || dv.Version != 2 || dv.Changes != "Cached the fonts" || len(dv.CriteriaMet) != 3 ||
		len(dv.Earlier) != 1 || dv.Earlier[0].Status != "rejected" || len(dv.Earlier[0].CriteriaUnmet) != 1 {
		t.Errorf("delivery %+v", dv)
	}
	ts.waitProjections()
	var sum struct {
		Counts struct {
			Awaiting int `json:"deliveries_awaiting"`
		} `json:"counts"`
	}
	must(t, ts.get(client, e+"/summary"), http.StatusOK).json(t, &sum)
	if sum.Counts.Awaiting != 0 {
		t.Errorf("summary counts %+v", sum.Counts)
	}
}
