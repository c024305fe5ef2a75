package domain

import "testing"

// Stages with acceptance criteria: req-1 has c-1, agreed (the client
// defined it), and c-2, proposed by the supplier then agreed; c-3 stays
// proposed. The delivery of req-1 comes after.
func withCriteria(t testing.TB) *script {
	return delivery(t).do(
		DefineAcceptanceCriterion{ActorID: cli, CriterionID: "c-1", RequirementID: "req-1", Text: "A PDF/A-3 per invoice"},
		DefineAcceptanceCriterion{ActorID: sup, CriterionID: "c-2", RequirementID: "req-1", Text: "Under 2 s per invoice"},
		AgreeAcceptanceCriterion{ActorID: cli, CriterionID: "c-2", RequirementID: "req-1"},
		DefineAcceptanceCriterion{ActorID: sup, CriterionID: "c-3", RequirementID: "req-1", Text: "Dark mode"},
	)
}

func deliveredWithCriteria(t testing.TB) *script {
	return withCriteria(t).do(MakeDelivery{ActorID: sup, DeliveryID: "dlv", Title: "Beta", RequirementIDs: []string{"req-1"}})
}

func rejectedWithCriteria(t testing.TB) *script {
	return deliveredWithCriteria(t).do(RejectDelivery{ActorID: cli, DeliveryID: "dlv", Reason: "slow",
		Verdicts: Verdicts{CriteriaMet: []string{"c-1"}, CriteriaUnmet: []string{"c-2"}}})
}

func TestDecideAcceptanceCriteria(t *testing.T) {
	met := func(ids ...string) Verdicts { return Verdicts{CriteriaMet: ids} }
	split := func(met, unmet []string) Verdicts { return Verdicts{CriteriaMet: met, CriteriaUnmet: unmet} }
	one := []string{"c-1"}
	for _, sc := range []scenario{
		{name: "the client defines: agreed at once", given: delivery,
			when: DefineAcceptanceCriterion{ActorID: cli, CriterionID: "c", RequirementID: "req-1", Text: "PDF/A-3"},
			then: []Event{&CriterionDefined{CriterionID: "c", RequirementID: "req-1", Text: "PDF/A-3", AgreedBy: cli}}},
		{name: "the supplier proposes", given: delivery,
			when: DefineAcceptanceCriterion{ActorID: sup, CriterionID: "c", RequirementID: "req-1", Text: "PDF/A-3"},
			then: []Event{&CriterionDefined{CriterionID: "c", RequirementID: "req-1", Text: "PDF/A-3"}}},
		{name: "criterion of no requirement", given: delivery,
			when: DefineAcceptanceCriterion{ActorID: sup, CriterionID: "c", RequirementID: "nope", Text: "x"}, code: CodeRequirementNotFound},
		{name: "blank criterion", given: delivery,
			when: DefineAcceptanceCriterion{ActorID: sup, CriterionID: "c", RequirementID: "req-1", Text: " "}, code: CodeFieldRequired, field: "text"},
		{name: "criterion in emergence", given: emergence,
			when: DefineAcceptanceCriterion{ActorID: sup, CriterionID: "c", RequirementID: "req-1", Text: "x"}, code: CodeWrongPhase},
		{name: "the client agrees", given: withCriteria, when: AgreeAcceptanceCriterion{ActorID: cli, CriterionID: "c-3", RequirementID: "req-1"},
			then: []Event{&CriterionAgreed{CriterionID: "c-3"}}},
		{name: "the supplier does not agree", given: withCriteria, when: AgreeAcceptanceCriterion{ActorID: sup, CriterionID: "c-3"}, code: CodeActorWrongParty},
		{name: "agreed twice", given: withCriteria, when: AgreeAcceptanceCriterion{ActorID: cli, CriterionID: "c-1"}, code: CodeCriterionAlreadyAgreed},
		{name: "agreed under another requirement", given: withCriteria,
			when: AgreeAcceptanceCriterion{ActorID: cli, CriterionID: "c-3", RequirementID: "req-2"}, code: CodeCriterionNotFound},

		{name: "accept: every criterion met", given: deliveredWithCriteria, when: AcceptDelivery{ActorID: cli, DeliveryID: "dlv", Verdicts: met("c-1", "c-2")},
			then: []Event{&DeliveryAccepted{DeliveryID: "dlv", Verdicts: met("c-1", "c-2")}}},
		{name: "accept with one unmet", given: deliveredWithCriteria, when: AcceptDelivery{ActorID: cli, DeliveryID: "dlv", Verdicts: split(one, []string{"c-2"})},
			code: CodeCriterionNotMet, field: "criteria_unmet"},
		{name: "accept without verdicts", given: deliveredWithCriteria, when: AcceptDelivery{ActorID: cli, DeliveryID: "dlv"},
			code: CodeCriteriaIncomplete, field: "criteria_met"},
		{name: "accept with one verdict missing", given: deliveredWithCriteria,
			when: AcceptDelivery{ActorID: cli, DeliveryID: "dlv", Verdicts: met("c-1")}, code: CodeCriteriaIncomplete},
		{name: "a proposed criterion is not judged", given: deliveredWithCriteria,
			when: AcceptDelivery{ActorID: cli, DeliveryID: "dlv", Verdicts: split(one, []string{"c-2", "c-3"})},
			code: CodeCriterionNotOfDelivery, field: "criteria_unmet.1"},
		{name: "an unknown criterion", given: deliveredWithCriteria,
			when: AcceptDelivery{ActorID: cli, DeliveryID: "dlv", Verdicts: met("c-1", "c-2", "zz")},
			code: CodeCriterionNotFound, field: "criteria_met.2"},
		{name: "a criterion judged twice", given: deliveredWithCriteria,
			when: AcceptDelivery{ActorID: cli, DeliveryID: "dlv", Verdicts: split([]string{"c-1", "c-2"}, one)},
			code: CodeCriterionJudgedTwice, field: "criteria_unmet.0"},
		{name: "reject: one unmet", given: deliveredWithCriteria, when: RejectDelivery{ActorID: cli, DeliveryID: "dlv", Reason: "slow", Verdicts: split(one, []string{"c-2"})},
			then: []Event{&DeliveryRejected{DeliveryID: "dlv", Reason: "slow", Verdicts: split(one, []string{"c-2"})}}},
		{name: "reject with every criterion met", given: deliveredWithCriteria,
			when: RejectDelivery{ActorID: cli, DeliveryID: "dlv", Reason: "meh", Verdicts: met("c-1", "c-2")}, code: CodeNoCriterionUnmet},
		{name: "a delivery without criteria: no verdicts", given: acceptance, when: AcceptDelivery{ActorID: cli, DeliveryID: "dlv-1"},
			then: []Event{&DeliveryAccepted{DeliveryID: "dlv-1"}}},
		{name: "a criterion agreed after the handover counts from the next version",
			given: func(t testing.TB) *script {
				return deliveredWithCriteria(t).do(AgreeAcceptanceCriterion{ActorID: cli, CriterionID: "c-3"})
			},
			when: AcceptDelivery{ActorID: cli, DeliveryID: "dlv", Verdicts: met("c-1", "c-2")},
			then: []Event{&DeliveryAccepted{DeliveryID: "dlv", Verdicts: met("c-1", "c-2")}}},

		{name: "deliver again", given: rejectedWithCriteria, when: RedeliverDelivery{ActorID: sup, DeliveryID: "dlv", Changes: "Cached fonts"},
			then: []Event{&DeliveryRedelivered{DeliveryID: "dlv", Version: 2, Changes: "Cached fonts"}}},
		{name: "deliver again what awaits acceptance", given: deliveredWithCriteria,
			when: RedeliverDelivery{ActorID: sup, DeliveryID: "dlv", Changes: "x"}, code: CodeDeliveryNotRejected},
		{name: "the client does not deliver", given: rejectedWithCriteria,
			when: RedeliverDelivery{ActorID: cli, DeliveryID: "dlv", Changes: "x"}, code: CodeActorWrongParty},
		{name: "deliver again without saying what changed", given: rejectedWithCriteria,
			when: RedeliverDelivery{ActorID: sup, DeliveryID: "dlv", Changes: ""}, code: CodeFieldRequired, field: "changes"},
	} {
		t.Run(sc.name, sc.run)
	}
}

// TestRedeliveryVersions: a rejected delivery delivered again awaits
// acceptance as version 2, keeps version 1 as it was judged, and is judged
// against the criteria agreed by its own handover.
func TestRedeliveryVersions(t *testing.T) {
	s := rejectedWithCriteria(t).do(
		AgreeAcceptanceCriterion{ActorID: cli, CriterionID: "c-3"},
		RedeliverDelivery{ActorID: sup, DeliveryID: "dlv", Changes: "Cached fonts"},
	)
	x, _ := s.state.Delivery("dlv")
	if x.Version != 2 || x.Status != StatusAwaiting || x.CriteriaMet != nil || x.Changes != "Cached fonts" || x.RedeliveredBy != sup {
		t.Fatalf("delivery after redelivery: %+v", x)
	}
	if len(x.Earlier) != 1 || x.Earlier[0].Version != 1 || x.Earlier[0].Status != StatusRejected || x.Earlier[0].Comment != "slow" ||
		len(x.Earlier[0].CriteriaMet) != 1 || len(x.Earlier[0].CriteriaUnmet) != 1 || !x.Earlier[0].DeliveredAt.Equal(x.DeliveredAt) {
		t.Fatalf("earlier versions: %+v", x.Earlier)
	}
	if n := len(s.state.AwaitingAcceptance()); n != 1 {
		t.Fatalf("%d awaiting, want 1", n)
	}
	// c-3 was agreed before version 2: it is judged now.
	_, err := Decide(s.state, AcceptDelivery{ActorID: cli, DeliveryID: "dlv", Verdicts: Verdicts{CriteriaMet: []string{"c-1", "c-2"}}}, s.now)
	if CodeOf(err) != CodeCriteriaIncomplete {
		t.Fatalf("version 2 without c-3's verdict: %v", err)
	}
	s.do(AcceptDelivery{ActorID: cli, DeliveryID: "dlv", Verdicts: Verdicts{CriteriaMet: []string{"c-3", "c-1", "c-2"}}})
	if x, _ := s.state.Delivery("dlv"); x.Status != StatusAccepted || len(x.CriteriaMet) != 3 || len(x.Earlier) != 1 {
		t.Fatalf("accepted version 2: %+v", x)
	}
	// The clone is deep.
	c := s.state.Clone()
	cx, _ := c.Delivery("dlv")
	cx.Earlier[0].CriteriaMet[0] = "changed"
	if x.Earlier[0].CriteriaMet[0] == "changed" {
		t.Fatal("Clone shares the earlier versions' verdicts")
	}
}
