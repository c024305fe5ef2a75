package api_test

import (
	"maps"
	"slices"
)

// The governance writes in the fuzz fixture: who sends them, to which
// engagement, and the risk and dependency their paths name (df-1 is the
// fixture's difficulty).
func init() {
	maps.Copy(fuzzWrites, map[string]struct{ phase, caller string }{
		"raiseRisk":          {"scoping", "supplier"},
		"reviewRisk":         {"scoping", "client"},
		"escalateRisk":       {"scoping", "supplier"},
		"recordRiskOccurred": {"scoping", "supplier"},
		"closeRisk":          {"scoping", "client"},
		"assignDifficulty":   {"scoping", "supplier"},
		"resolveDifficulty":  {"scoping", "supplier"},
		"raiseDependency":    {"scoping", "supplier"},
		"meetDependency":     {"scoping", "supplier"},

		"assessChangeImpact":     {"scoping", "supplier"},
		"delegateChangeApproval": {"scoping", "client"},

		"defineAcceptanceCriterion": {"scoping", "supplier"},
		"agreeAcceptanceCriterion":  {"scoping", "client"},
		"redeliverDelivery":         {"acceptance", "supplier"},

		"agreeTolerances":         {"scoping", "supplier"},
		"proposeExceptionOptions": {"scoping", "supplier"},
		"decideException":         {"scoping", "client"},
		"agreeCadence":            {"scoping", "supplier"},

		"issueHighlightReport": {"scoping", "supplier"},
	})
	fuzzParams["exception_id"] = "exception-dl-x"
	fuzzParams["report_id"] = "hr-1"
	fuzzParams["criterion_id"] = "ac-1"
	fuzzParams["risk_id"] = "rk-1"
	fuzzParams["dependency_id"] = "dp-1"
	fuzzParams["difficulty_id"] = "df-1"
	fuzzSteps = append(fuzzSteps,
		struct{ phase, op, caller, body string }{"scoping", "raiseRisk", "supplier",
			`{"risk_id":"rk-1","title":"Staff leave","probability":2,"impact":4,"owner_id":"sh-supplier","response":"Pair"}`},
		struct{ phase, op, caller, body string }{"scoping", "raiseDependency", "supplier",
			`{"dependency_id":"dp-1","title":"VPN access","owed_by":"sh-client","due_date":"2090-01-01T00:00:00Z"}`},
		struct{ phase, op, caller, body string }{"scoping", "assessChangeImpact", "supplier",
			`{"schedule_impact_days":3,"cost_impact":90000,"currency":"EUR","approver_id":"sh-client","approve_by":"2090-01-01T00:00:00Z"}`},
		struct{ phase, op, caller, body string }{"scoping", "defineAcceptanceCriterion", "supplier", `{"criterion_id":"ac-1","text":"One PDF per invoice"}`},
	)
	// Tolerances are agreed in scoping, before the later fixtures move on:
	// then a delay past them raises exception-dl-x, given its options.
	i := slices.IndexFunc(fuzzSteps, func(s struct{ phase, op, caller, body string }) bool { return s.phase == "delivery" })
	fuzzSteps = slices.Insert(fuzzSteps, i,
		struct{ phase, op, caller, body string }{"scoping", "agreeTolerances", "supplier",
			`{"time_days":5,"cost_amount":100000,"currency":"EUR","agreed_by":["sh-supplier","sh-client"]}`},
		struct{ phase, op, caller, body string }{"scoping", "discloseDelay", "supplier", `{"delay_id":"dl-x","new_due_date":"2090-03-01T00:00:00Z","reason":"No data"}`},
		struct{ phase, op, caller, body string }{"scoping", "proposeExceptionOptions", "supplier", `{"options":["Move Beta","Cut scope"]}`},
	)
}
