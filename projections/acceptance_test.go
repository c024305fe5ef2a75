package projections

import (
	"context"
	"testing"

	"github.com/candor-ledger/candor/domain"
)

// TestRedeliveryAwaitsAcceptance: a delivery rejected then delivered again
// counts as awaiting acceptance in the engagement's summary until it is
// accepted.
func TestRedeliveryAwaitsAcceptance(t *testing.T) {
	st := newFakeStore()
	s := newScenario(t, st)
	s.mainScenario(eng1) // del-1 awaits acceptance
	s.at(53).do(eng1, domain.RejectDelivery{ActorID: bob, DeliveryID: "del-1", Reason: "crashes"})
	s.at(54).do(eng1, domain.RedeliverDelivery{ActorID: alice, DeliveryID: "del-1", Changes: "fixed"})
	e, _ := openEngine(t, st, Options{})
	running(t, e)
	waitFor(t, e, s.last)
	sum, err := e.Engagement(context.Background(), eng1)
	if err != nil || sum.Counts.DeliveriesAwaiting != 1 || sum.Counts.Deliveries != 1 {
		t.Fatalf("after the redelivery: %+v, %v", sum.Counts, err)
	}
	s.at(55).do(eng1, domain.AcceptDelivery{ActorID: bob, DeliveryID: "del-1"})
	waitFor(t, e, s.last)
	if sum, err = e.Engagement(context.Background(), eng1); err != nil || sum.Counts.DeliveriesAwaiting != 0 {
		t.Fatalf("after its acceptance: %+v, %v", sum.Counts, err)
	}
}
