package api_test

import "maps"

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
	})
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
}
