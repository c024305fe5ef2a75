package demo_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/demo"
	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/ledger"
)

// The demo must tell the story it promises: each anti-pattern of the seed
// texts is visible in the folded state.
func TestLoadTellsTheStory(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	reg, err := auth.Open(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()

	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	d, err := demo.Load(ctx, store, reg, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []demo.Access{d.Client, d.Supplier, d.Auditor} {
		p, err := reg.Authenticate(a.Token)
		if err != nil || p.ID != a.PrincipalID || string(p.Role) != a.Role {
			t.Fatalf("token of %s: %+v, %v", a.Name, p, err)
		}
	}

	s, _, err := ledger.New(store, ledger.Options{}).Load(ctx, d.EngagementID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Phase != domain.PhaseAcceptance {
		t.Errorf("phase %s, want acceptance", s.Phase)
	}
	if c, ok := s.StakeholderByPrincipal(d.Client.PrincipalID); !ok || c.Party != domain.PartyClient {
		t.Errorf("client token's stakeholder: %+v", c)
	}
	if c, ok := s.StakeholderByPrincipal(d.Supplier.PrincipalID); !ok || c.Party != domain.PartySupplier {
		t.Errorf("supplier token's stakeholder: %+v", c)
	}
	if len(s.Delays) != 1 || s.Delays[0].LeadTime() >= 0 {
		t.Errorf("want one delay disclosed after its due date, got %+v", s.Delays)
	}
	withoutClient := 0
	for _, dec := range s.Decisions {
		if len(dec.ClientParticipants) == 0 {
			withoutClient++
		}
	}
	if withoutClient != 1 {
		t.Errorf("%d decisions without the client, want 1", withoutClient)
	}
	unbriefed := 0
	for _, sh := range s.Stakeholders {
		if sh.Late && !sh.Briefed {
			unbriefed++
		}
	}
	if unbriefed != 1 {
		t.Errorf("%d late stakeholders never briefed, want 1", unbriefed)
	}
	if len(s.Informed) != 1 || len(s.Informed[0].Acknowledgements) != 1 {
		t.Errorf("want one information acknowledged by one of two recipients: %+v", s.Informed)
	}
	if len(s.Features) != 1 || s.Features[0].Status != domain.StatusProposed {
		t.Errorf("want one feature never accepted: %+v", s.Features)
	}
	if len(s.Deliveries) != 1 || s.Deliveries[0].Status != domain.StatusAccepted {
		t.Errorf("want one accepted delivery: %+v", s.Deliveries)
	}
	if rep, err := ledger.VerifyAll(ctx, store, ledger.StreamPrefix); err != nil || !rep.OK() {
		t.Errorf("hash chain of the demo: %+v, %v", rep, err)
	}
}
