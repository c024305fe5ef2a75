package api_test

import (
	"net/http"
	"testing"
	"time"
)

// TestTolerancesOverHTTP: tolerances agreed at scoping; the delay that
// passes the time tolerance is answered with the exception the same write
// raised; the client decides among the supplier's options; the
// transparency report counts the decision and the cadence.
func TestTolerancesOverHTTP(t *testing.T) {
	ts := startServerWithProjections(t, testConfig())
	clientPID, client := ts.newPrincipal("Chloe Client", "member")
	_, supplier := ts.newPrincipal("Sam Supplier", "member")
	id, sam, chloe := ts.scopedEngagement(supplier, clientPID, "Tolerances")
	e := "/v1/engagements/" + id
	at := func(d time.Duration) string { return time.Now().Add(d).UTC().Format(time.RFC3339) }
	const day = 24 * time.Hour

	if r := ts.post(supplier, e+"/tolerances", map[string]any{"time_days": 5, "cost_amount": 100000, "currency": "EUR", "agreed_by": []string{sam}}); r.Status != 422 || r.problem(t).Code != "no_client_participant" {
		t.Errorf("tolerances without the client: %d %s", r.Status, r.Body)
	}
	must(t, ts.post(supplier, e+"/tolerances", map[string]any{"time_days": 5, "cost_amount": 100000, "currency": "EUR", "agreed_by": []string{sam, chloe}}), 200)
	if r := ts.post(supplier, e+"/cadences", map[string]any{"stakeholder_id": sam, "every_days": 7}); r.Status != 422 || r.problem(t).Code != "not_client_side" {
		t.Errorf("a supplier's cadence: %d %s", r.Status, r.Body)
	}
	must(t, ts.post(supplier, e+"/cadences", map[string]any{"stakeholder_id": chloe, "every_days": 7}), 200)
	var tol struct {
		TimeDays int      `json:"time_days"`
		AgreedBy []string `json:"agreed_by"`
	}
	must(t, ts.get(client, e+"/tolerances"), http.StatusOK).json(t, &tol)
	if tol.TimeDays != 5 || len(tol.AgreedBy) != 2 {
		t.Errorf("tolerances %+v", tol)
	}

	must(t, ts.post(supplier, e+"/milestones", map[string]any{"milestone_id": "ms", "title": "Beta", "due_date": at(30 * day)}), 201)
	must(t, ts.post(supplier, e+"/milestones/ms/delays", map[string]any{"delay_id": "d1", "new_due_date": at(33 * day), "reason": "small"}), 201)
	r := must(t, ts.post(supplier, e+"/milestones/ms/delays", map[string]any{"delay_id": "d2", "new_due_date": at(40 * day), "reason": "no data"}), 201)
	var res struct {
		Events []struct {
			Type string
			Data struct {
				ExceptionID string  `json:"exception_id"`
				Days        float64 `json:"days"`
			}
		}
	}
	r.json(t, &res)
	if len(res.Events) != 2 || res.Events[0].Type != "delay.disclosed" || res.Events[1].Type != "exception.raised" ||
		res.Events[1].Data.ExceptionID != "exception-d2" || res.Events[1].Data.Days != 10 {
		t.Fatalf("the delay past the tolerance: %s", r.Body)
	}
	x := e + "/exceptions/exception-d2"
	for _, tc := range []struct {
		name, token, path string
		body              map[string]any
		status            int
		code              string
	}{
		{"decided before the options", client, "/decision", map[string]any{"chosen": "x"}, 409, "exception_options_missing"},
		{"options from the client", client, "/options", map[string]any{"options": []string{"a"}}, 403, "actor_wrong_party"},
		{"a recommendation that is no option", supplier, "/options", map[string]any{"options": []string{"a"}, "recommendation": "b"}, 422, "not_an_option"},
	} {
		r := ts.post(tc.token, x+tc.path, tc.body)
		if p := r.problem(t); r.Status != tc.status || p.Code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, r.Status, r.Body, tc.status, tc.code)
		}
	}
	must(t, ts.post(supplier, x+"/options", map[string]any{"options": []string{"Move Beta", "Cut SSO"}, "recommendation": "Move Beta"}), 200)
	if r := ts.post(supplier, x+"/decision", map[string]any{"chosen": "Move Beta"}); r.Status != 403 {
		t.Errorf("the supplier decides: %d %s", r.Status, r.Body)
	}
	if r := ts.post(client, x+"/decision", map[string]any{"chosen": "Both"}); r.Status != 422 || r.problem(t).Code != "not_an_option" {
		t.Errorf("a choice that is no option: %d %s", r.Status, r.Body)
	}
	must(t, ts.post(client, x+"/decision", map[string]any{"chosen": "Cut SSO", "rationale": "the date matters"}), 200)
	var exc struct {
		Status, Chosen string
		DecidedBy      string `json:"decided_by"`
	}
	must(t, ts.get(client, x), http.StatusOK).json(t, &exc)
	if exc.Status != "decided" || exc.Chosen != "Cut SSO" || exc.DecidedBy != chloe {
		t.Errorf("exception %+v", exc)
	}

	ts.waitProjections()
	var tr struct {
		Exceptions struct {
			Open, Decided int
			Mean          *float64 `json:"mean_days_to_decision"`
		}
		Cadence struct{ Agreed, Breaches int }
	}
	must(t, ts.get(client, e+"/transparency"), http.StatusOK).json(t, &tr)
	if tr.Exceptions.Open != 0 || tr.Exceptions.Decided != 1 || tr.Exceptions.Mean == nil || tr.Cadence.Agreed != 1 || tr.Cadence.Breaches != 0 {
		t.Errorf("transparency %+v", tr)
	}
}
