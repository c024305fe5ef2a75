package domain_test

import (
	"fmt"
	"time"

	"github.com/candor-ledger/candor/domain"
)

// A delay disclosed two days after the due date: Decide accepts it (it
// happens) and the negative lead time is what the indicators expose.
func Example() {
	at := time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC)
	var events []domain.Event
	var state *domain.Engagement
	do := func(cmd domain.Command) {
		evs, err := domain.Decide(state, cmd, at)
		if err != nil {
			fmt.Println("refused:", domain.CodeOf(err))
			return
		}
		events = append(events, evs...)
		state, _ = domain.Fold(events...)
		at = at.Add(24 * time.Hour)
	}

	do(domain.OpenEngagement{EngagementID: "eng-1", Title: "Billing", ClientName: "Acme", SupplierName: "Candor",
		Opener: domain.NewStakeholder{StakeholderID: "sam", Party: domain.PartySupplier, Name: "Sam"}})
	do(domain.AddStakeholder{ActorID: "sam", NewStakeholder: domain.NewStakeholder{StakeholderID: "claire", Party: domain.PartyClient, Name: "Claire"}})
	do(domain.AdvancePhase{ActorID: "sam", To: domain.PhaseScoping})
	do(domain.AdvancePhase{ActorID: "sam", To: domain.PhaseDelivery}) // no agreement yet
	do(domain.SignAgreement{ActorID: "claire", AgreementID: "agr-1", Signatories: []string{"claire", "sam"}})
	do(domain.AdvancePhase{ActorID: "sam", To: domain.PhaseDelivery})
	do(domain.PlanMilestone{ActorID: "sam", MilestoneID: "beta", Title: "Beta", DueDate: at.Add(48 * time.Hour)})
	at = at.Add(72 * time.Hour) // the due date passes
	do(domain.DiscloseDelay{ActorID: "sam", DelayID: "d-1", MilestoneID: "beta", NewDueDate: at.Add(7 * 24 * time.Hour), Reason: "server set-up"})
	do(domain.ValidateAssumption{ActorID: "sam", AssumptionID: "a-1"}) // only the client validates

	delay := events[len(events)-1].(*domain.DelayDisclosed)
	typ, version, data, _ := domain.Marshal(delay)
	fmt.Println(state.Phase, typ, version, delay.LeadTime())
	fmt.Println(string(data))
	// Output:
	// refused: agreement_not_signed
	// refused: actor_wrong_party
	// delivery delay.disclosed 2 -48h0m0s
	// {"engagement_id":"eng-1","actor_id":"sam","at":"2025-03-12T09:00:00Z","delay_id":"d-1","milestone_id":"beta","previous_due_date":"2025-03-10T09:00:00Z","new_due_date":"2025-03-19T09:00:00Z","reason":"server set-up"}
}
