package projections

import (
	"context"
	"testing"

	"github.com/candor-ledger/candor/domain"
)

// toleranceScenario: 5 days and 1,000.00 EUR agreed at scoping; Bob (client)
// to be informed every 7 days from day 2. The figures at day 30:
//   - the delay of day 10 slips m-1 by 10 days: an exception, decided by
//     Bob on day 13 (3 days to the decision); the cost impact of day 14
//     (1,500.00 EUR) raises another, open for 16 days;
//   - Bob was informed on days 5 and 20: the gap from 5 to 20 is a breach,
//     and the 10 days since day 20 another (overdue).
func (s *scenario) toleranceScenario(eng string) {
	s.at(0).do(eng, domain.OpenEngagement{ActorID: alice, EngagementID: eng, Title: "Tolerances", ClientName: "Acme", SupplierName: "Candor",
		Opener: domain.NewStakeholder{StakeholderID: alice, Party: domain.PartySupplier, Name: "Alice"}})
	s.at(0.1).do(eng, domain.AddStakeholder{ActorID: alice, NewStakeholder: domain.NewStakeholder{StakeholderID: bob, Party: domain.PartyClient, Name: "Bob"}})
	s.at(1).do(eng, domain.AdvancePhase{ActorID: alice, To: domain.PhaseScoping})
	s.at(2).do(eng, domain.AgreeTolerances{ActorID: alice, TimeDays: 5, CostAmount: 100000, Currency: "EUR", AgreedBy: []string{alice, bob}})
	s.at(2).do(eng, domain.AgreeCadence{ActorID: alice, StakeholderID: bob, EveryDays: 7})
	s.at(3).do(eng, domain.SignAgreement{ActorID: bob, AgreementID: "agr", Signatories: []string{alice, bob}})
	s.at(3).do(eng, domain.PlanMilestone{ActorID: alice, MilestoneID: "m-1", Title: "MVP", DueDate: day(30)})
	s.at(4).do(eng, domain.AdvancePhase{ActorID: alice, To: domain.PhaseDelivery})
	s.at(5).do(eng, domain.InformClient{ActorID: alice, InformationID: "i-1", Subject: "Kick-off", Channel: domain.ChannelEmail, Recipients: []string{bob}})
	s.at(10).do(eng, domain.DiscloseDelay{ActorID: alice, DelayID: "d-1", MilestoneID: "m-1", NewDueDate: day(40), Reason: "data late"})
	s.at(11).do(eng, domain.ProposeExceptionOptions{ActorID: alice, ExceptionID: "exception-d-1", Options: []string{"Move MVP", "Cut SSO"}})
	s.at(13).do(eng, domain.DecideException{ActorID: bob, ExceptionID: "exception-d-1", Chosen: "Move MVP"})
	s.at(14).do(eng, domain.DiscloseCostImpact{ActorID: alice, CostImpactID: "c-1", Amount: 150000, Currency: "EUR", Reason: "extra days"})
	s.at(20).do(eng, domain.InformClient{ActorID: alice, InformationID: "i-2", Subject: "Weekly", Channel: domain.ChannelEmail, Recipients: []string{bob}})
}

func TestTransparencyExceptionsAndCadence(t *testing.T) {
	st := newFakeStore()
	s := newScenario(t, st)
	s.toleranceScenario(eng1)
	e, _ := openEngine(t, st, Options{})
	running(t, e)
	waitFor(t, e, s.last)
	rep, err := e.Transparency(context.Background(), eng1, day(30))
	if err != nil {
		t.Fatal(err)
	}
	ex := rep.Exceptions
	if ex.Open != 1 || ex.Decided != 1 || len(ex.ByAge) != 1 || ex.ByAge[0].ID != "exception-c-1" || ex.ByAge[0].Kind != domain.ExceptionCost ||
		ex.ByAge[0].AgeDays != 16 || ex.MeanDaysToDecision == nil || *ex.MeanDaysToDecision != 3 || *ex.MaxDaysToDecision != 3 {
		t.Errorf("exceptions %+v", ex)
	}
	ca := rep.Cadence
	if ca.Agreed != 1 || ca.Breaches != 2 || len(ca.Overdue) != 1 || ca.Overdue[0].StakeholderID != bob || ca.Overdue[0].DaysSince != 10 ||
		!ca.Overdue[0].LastInformed.Equal(day(20)) {
		t.Errorf("cadence %+v", ca)
	}
	// At day 21 the current gap is within the cadence: one breach, none overdue.
	if rep, err = e.Transparency(context.Background(), eng1, day(21)); err != nil || rep.Cadence.Breaches != 1 || len(rep.Cadence.Overdue) != 0 {
		t.Errorf("cadence at day 21: %+v, %v", rep.Cadence, err)
	}
	// The report over every engagement counts the same.
	if all, err := e.Transparency(context.Background(), "", day(30)); err != nil || all.Exceptions.Open != 1 || all.Cadence.Breaches != 2 {
		t.Errorf("over all engagements: %+v %+v, %v", all.Exceptions, all.Cadence, err)
	}
}
