package domain

import "testing"

// TestDotIDsRefused: an id made only of dots would name another path in a
// URL ("/v1/engagements/.." is the collection); ids with dots among other
// characters are fine.
func TestDotIDsRefused(t *testing.T) {
	for _, id := range []string{".", "..", "..."} {
		t.Run(id, func(t *testing.T) {
			scenario{name: "engagement " + id, given: none, when: func() Command { c := openCmd(); c.EngagementID = id; return c }(),
				code: CodeInvalidID, field: "engagement_id"}.run(t)
			scenario{name: "requirement " + id, given: scoping, when: RaiseRequirement{ActorID: sup, RequirementID: id, Title: "t"},
				code: CodeInvalidID, field: "requirement_id"}.run(t)
		})
	}
	for _, id := range []string{"a.", ".a", "v1.2.3", "..a.."} {
		t.Run(id, func(t *testing.T) {
			scenario{name: "requirement " + id, given: scoping, when: RaiseRequirement{ActorID: sup, RequirementID: id, Title: "t"},
				then: []Event{&RequirementRaised{RequirementID: id, Title: "t"}}}.run(t)
		})
	}
}
