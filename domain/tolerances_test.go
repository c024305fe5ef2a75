package domain

import (
	"testing"
	"time"
)

// withTolerances: 5 days and 1,000.00 EUR agreed at scoping, then the
// delivery phase with milestone ms-1 due at `due`.
func withTolerances(t testing.TB) *script {
	return scoping(t).do(
		AgreeTolerances{ActorID: sup, TimeDays: 5, CostAmount: 100000, Currency: "EUR", AgreedBy: []string{sup, cli}},
		SignAgreement{ActorID: cli, AgreementID: "agr-1", Signatories: []string{cli, sup}},
		AdvancePhase{ActorID: sup, To: PhaseDelivery},
		PlanMilestone{ActorID: sup, MilestoneID: "ms-1", Title: "Beta", DueDate: due},
	)
}

func delay(id string, d int) DiscloseDelay {
	return DiscloseDelay{ActorID: sup, DelayID: id, MilestoneID: "ms-1", NewDueDate: due.Add(time.Duration(d) * 24 * time.Hour), Reason: "late"}
}

// withTimeException: a 6-day slip raised exception-dl-1.
func withTimeException(t testing.TB) *script { return withTolerances(t).do(delay("dl-1", 6)) }

func withOptions(t testing.TB) *script {
	return withTimeException(t).do(ProposeExceptionOptions{ActorID: sup, ExceptionID: "exception-dl-1",
		Options: []string{"Move the date", "Drop the PDF export"}, Recommendation: "Move the date"})
}

func TestDecideTolerances(t *testing.T) {
	agree := func(mod func(*AgreeTolerances)) AgreeTolerances {
		c := AgreeTolerances{ActorID: sup, TimeDays: 5, CostAmount: 100000, Currency: "EUR", AgreedBy: []string{sup, cli}}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	cost := func(id string, amount int64, cur string) DiscloseCostImpact {
		return DiscloseCostImpact{ActorID: sup, CostImpactID: id, Amount: amount, Currency: cur, Reason: "extra days"}
	}
	decided := func(t testing.TB) *script {
		return withOptions(t).do(DecideException{ActorID: cli, ExceptionID: "exception-dl-1", Chosen: "Move the date"})
	}
	for _, sc := range []scenario{
		{name: "agree", given: scoping, when: agree(nil), then: []Event{&TolerancesAgreed{TimeDays: 5, CostAmount: 100000, Currency: "EUR", AgreedBy: []string{sup, cli}}}},
		{name: "agree without the client", given: scoping, when: agree(func(c *AgreeTolerances) { c.AgreedBy = []string{sup} }), code: CodeNoClientParticipant},
		{name: "agree after scoping", given: delivery, when: agree(nil), code: CodeWrongPhase},
		{name: "negative tolerance", given: scoping, when: agree(func(c *AgreeTolerances) { c.TimeDays = -1 }), code: CodeInvalidNumber, field: "time_days"},
		{name: "negative cost", given: scoping, when: agree(func(c *AgreeTolerances) { c.CostAmount = -1 }), code: CodeInvalidAmount},
		{name: "bad currency", given: scoping, when: agree(func(c *AgreeTolerances) { c.Currency = "eur" }), code: CodeInvalidCurrency},

		{name: "a delay within the tolerance", given: withTolerances, when: delay("dl-1", 5),
			then: []Event{&DelayDisclosed{DelayID: "dl-1", MilestoneID: "ms-1", PreviousDueDate: due, NewDueDate: due.Add(5 * 24 * time.Hour), Reason: "late"}}},
		{name: "a delay past it raises an exception in the same decision", given: withTolerances, when: delay("dl-1", 6),
			then: []Event{&DelayDisclosed{DelayID: "dl-1", MilestoneID: "ms-1", PreviousDueDate: due, NewDueDate: due.Add(6 * 24 * time.Hour), Reason: "late"},
				&ExceptionRaised{ExceptionID: "exception-dl-1", Kind: ExceptionTime, TriggerID: "dl-1", Days: 6, Tolerance: 5}}},
		{name: "no second exception while one is open", given: withTimeException, when: delay("dl-2", 9),
			then: []Event{&DelayDisclosed{DelayID: "dl-2", MilestoneID: "ms-1", PreviousDueDate: due.Add(6 * 24 * time.Hour), NewDueDate: due.Add(9 * 24 * time.Hour), Reason: "late"}}},
		{name: "once decided, the next counts from where it stood", given: decided, when: delay("dl-2", 11),
			then: []Event{&DelayDisclosed{DelayID: "dl-2", MilestoneID: "ms-1", PreviousDueDate: due.Add(6 * 24 * time.Hour), NewDueDate: due.Add(11 * 24 * time.Hour), Reason: "late"}}},
		{name: "and is raised past it", given: decided, when: delay("dl-2", 12),
			then: []Event{&DelayDisclosed{DelayID: "dl-2", MilestoneID: "ms-1", PreviousDueDate: due.Add(6 * 24 * time.Hour), NewDueDate: due.Add(12 * 24 * time.Hour), Reason: "late"},
				&ExceptionRaised{ExceptionID: "exception-dl-2", Kind: ExceptionTime, TriggerID: "dl-2", Days: 12, Tolerance: 5, Base: 6}}},
		{name: "no tolerances, no exception", given: delivery, when: DiscloseDelay{ActorID: sup, DelayID: "dl-1", MilestoneID: "ms-1", NewDueDate: due.Add(90 * 24 * time.Hour), Reason: "late"},
			then: []Event{&DelayDisclosed{DelayID: "dl-1", MilestoneID: "ms-1", PreviousDueDate: due, NewDueDate: due.Add(90 * 24 * time.Hour), Reason: "late"}}},
		{name: "a claimed delay: the exception happened then too", given: withTolerances,
			when: DiscloseDelay{ActorID: sup, Claim: claim(t0.Add(630 * time.Minute)), DelayID: "dl-1", MilestoneID: "ms-1", NewDueDate: due.Add(6 * 24 * time.Hour), Reason: "late"},
			then: []Event{&DelayDisclosed{Header: Header{EngagementID: eng, ActorID: sup, At: t0.Add(11 * time.Hour), OccurredAt: t0.Add(630 * time.Minute)}, DelayID: "dl-1", MilestoneID: "ms-1", PreviousDueDate: due, NewDueDate: due.Add(6 * 24 * time.Hour), Reason: "late"},
				&ExceptionRaised{Header: Header{EngagementID: eng, ActorID: sup, At: t0.Add(11 * time.Hour), OccurredAt: t0.Add(630 * time.Minute)}, ExceptionID: "exception-dl-1", Kind: ExceptionTime, TriggerID: "dl-1", Days: 6, Tolerance: 5}}},
		{name: "a cost within the tolerance", given: withTolerances, when: cost("c-1", 100000, "EUR"),
			then: []Event{&CostImpactDisclosed{CostImpactID: "c-1", Amount: 100000, Currency: "EUR", Reason: "extra days"}}},
		{name: "costs that add up past it", given: func(t testing.TB) *script { return withTolerances(t).do(cost("c-1", 60000, "EUR")) },
			when: cost("c-2", 50000, "EUR"),
			then: []Event{&CostImpactDisclosed{CostImpactID: "c-2", Amount: 50000, Currency: "EUR", Reason: "extra days"},
				&ExceptionRaised{ExceptionID: "exception-c-2", Kind: ExceptionCost, TriggerID: "c-2", Amount: 110000, Currency: "EUR", Tolerance: 100000}}},
		{name: "another currency is not counted", given: withTolerances, when: cost("c-1", 500000, "USD"),
			then: []Event{&CostImpactDisclosed{CostImpactID: "c-1", Amount: 500000, Currency: "USD", Reason: "extra days"}}},

		{name: "options", given: withTimeException, when: ProposeExceptionOptions{ActorID: sup, ExceptionID: "exception-dl-1", Options: []string{"a", "b"}},
			then: []Event{&ExceptionOptionsProposed{ExceptionID: "exception-dl-1", Options: []string{"a", "b"}}}},
		{name: "options from the client", given: withTimeException, when: ProposeExceptionOptions{ActorID: cli, ExceptionID: "exception-dl-1", Options: []string{"a"}}, code: CodeActorWrongParty},
		{name: "no options", given: withTimeException, when: ProposeExceptionOptions{ActorID: sup, ExceptionID: "exception-dl-1"}, code: CodeInvalidOptions},
		{name: "a recommendation that is no option", given: withTimeException,
			when: ProposeExceptionOptions{ActorID: sup, ExceptionID: "exception-dl-1", Options: []string{"a"}, Recommendation: "b"}, code: CodeNotAnOption},
		{name: "options of no exception", given: withTimeException, when: ProposeExceptionOptions{ActorID: sup, ExceptionID: "nope", Options: []string{"a"}}, code: CodeExceptionNotFound},
		{name: "decide", given: withOptions, when: DecideException{ActorID: cli, ExceptionID: "exception-dl-1", Chosen: "Drop the PDF export", Rationale: "the date matters more"},
			then: []Event{&ExceptionDecided{ExceptionID: "exception-dl-1", Chosen: "Drop the PDF export", Rationale: "the date matters more"}}},
		{name: "decide before the options", given: withTimeException, when: DecideException{ActorID: cli, ExceptionID: "exception-dl-1", Chosen: "x"}, code: CodeNoOptionsProposed},
		{name: "the supplier does not decide", given: withOptions, when: DecideException{ActorID: sup, ExceptionID: "exception-dl-1", Chosen: "Move the date"}, code: CodeActorWrongParty},
		{name: "a choice that is no option", given: withOptions, when: DecideException{ActorID: cli, ExceptionID: "exception-dl-1", Chosen: "Both"}, code: CodeNotAnOption},
		{name: "decided twice", given: decided, when: DecideException{ActorID: cli, ExceptionID: "exception-dl-1", Chosen: "Move the date"}, code: CodeExceptionNotOpen},

		{name: "cadence", given: scoping, when: AgreeCadence{ActorID: sup, StakeholderID: cli, EveryDays: 7},
			then: []Event{&CadenceAgreed{StakeholderID: cli, EveryDays: 7}}},
		{name: "cadence of the supplier", given: scoping, when: AgreeCadence{ActorID: sup, StakeholderID: sup2, EveryDays: 7}, code: CodeNotClientSide},
		{name: "cadence of zero days", given: scoping, when: AgreeCadence{ActorID: sup, StakeholderID: cli, EveryDays: 0}, code: CodeInvalidNumber},
		{name: "cadence after scoping", given: delivery, when: AgreeCadence{ActorID: sup, StakeholderID: cli, EveryDays: 7}, code: CodeWrongPhase},
	} {
		t.Run(sc.name, sc.run)
	}
}

// TestExceptionReplay: folding the recorded stream again applies the
// exception once and raises none: the policy runs in Decide only.
func TestExceptionReplay(t *testing.T) {
	s := withOptions(t).do(DecideException{ActorID: cli, ExceptionID: "exception-dl-1", Chosen: "Move the date"}, delay("dl-2", 7))
	st, err := Fold(s.events...)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Exceptions) != 1 {
		t.Fatalf("%d exceptions after replay, want 1", len(st.Exceptions))
	}
	x := st.Exceptions[0]
	if x.Status != StatusDecided || x.DecidedBy != cli || x.Chosen != "Move the date" || st.Tolerances.TimeBase != 6 ||
		len(x.Options) != 2 || x.Recommendation != "Move the date" {
		t.Fatalf("exception after replay: %+v, tolerances %+v", x, st.Tolerances)
	}
	raised := 0
	for _, e := range s.events {
		if _, ok := e.(*ExceptionRaised); ok {
			raised++
		}
	}
	if raised != 1 {
		t.Fatalf("%d exception.raised recorded, want 1", raised)
	}
	c := st.Clone()
	c.Exceptions[0].Options[0] = "changed"
	c.Tolerances.AgreedBy[0] = "changed"
	if x.Options[0] == "changed" || st.Tolerances.AgreedBy[0] == "changed" {
		t.Fatal("Clone shares the exceptions or the tolerances")
	}
}
