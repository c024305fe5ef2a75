package demo_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/demo"
	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/projections"
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
	// A warning by phone, recorded six days after it happened; then the
	// delay, told to two client recipients, acknowledged by one; then the
	// highlight report (below).
	if len(s.Informed) != 3 || len(s.Informed[1].Recipients) != 2 || len(s.Informed[1].Acknowledgements) != 1 {
		t.Errorf("want the delay information acknowledged by one of two recipients: %+v", s.Informed)
	}
	if w := s.Informed[0]; w.InformedAt.Sub(w.InformedOccurredAt) != 6*24*time.Hour {
		t.Errorf("the warning: informed at %s, said to be %s: want recorded six days late", w.InformedAt, w.InformedOccurredAt)
	}
	if len(s.Features) != 1 || s.Features[0].Status != domain.StatusProposed {
		t.Errorf("want one feature never accepted: %+v", s.Features)
	}
	if len(s.Deliveries) != 1 || s.Deliveries[0].Status != domain.StatusAccepted || s.Deliveries[0].Version != 2 {
		t.Errorf("want one delivery, rejected then accepted as its second version: %+v", s.Deliveries)
	}
	// What the RAID log keeps: the hosting risk occurred as the server
	// difficulty; the client's catalogue export came late; the delay passed
	// the time tolerance and the client decided the exception; the change
	// was assessed before the client approved it.
	if len(s.Risks) != 1 || s.Risks[0].Status != domain.StatusOccurred || len(s.Difficulties) != 1 || s.Difficulties[0].RiskID != s.Risks[0].ID {
		t.Errorf("want the risk that occurred as the difficulty: %+v %+v", s.Risks, s.Difficulties)
	}
	if len(s.Dependencies) != 1 || s.Dependencies[0].OwedByParty != domain.PartyClient || !s.Dependencies[0].MetAt.After(s.Dependencies[0].DueDate) {
		t.Errorf("want a client dependency met late: %+v", s.Dependencies)
	}
	if len(s.Exceptions) != 1 || s.Exceptions[0].Status != domain.StatusDecided || s.Exceptions[0].TriggerID != s.Delays[0].ID {
		t.Errorf("want the delay's exception decided: %+v", s.Exceptions)
	}
	if len(s.Changes) != 1 || s.Changes[0].Impact == nil || s.Changes[0].Status != domain.StatusApproved {
		t.Errorf("want an assessed change, approved: %+v", s.Changes)
	}
	// The highlight report: red (the delay was disclosed after its due
	// date), sent to Claire, who acknowledged it.
	r, ok := s.HighlightReport(d.HighlightReportID)
	if !ok || r.Health != domain.RAGRed {
		t.Fatalf("highlight report %+v", r)
	}
	lead, _ := s.StakeholderByPrincipal(d.Client.PrincipalID)
	if x := s.Informed[2]; x.ID != r.InformationID || !x.Acknowledged(lead.ID) || len(x.About) != 1 || x.About[0] != r.ID {
		t.Errorf("the report's information %+v", x)
	}
	if rep, err := ledger.VerifyAll(ctx, store, ledger.StreamPrefix); err != nil || !rep.OK() {
		t.Errorf("hash chain of the demo: %+v, %v", rep, err)
	}
}

// TestDemoTransparency reads the demo's story through the transparency
// report. never_informed counts engagements whose client side was never
// informed at all: 0 here, since Claire and Nicolas were told of the delay.
// The client-side person no information ever reached is Julie (marketing,
// joined late, briefed once, then left out of the delay's news); the
// finance director, Nicolas, was told but never acknowledged and was never
// briefed. The phone call recorded six days late is late recording.
func TestDemoTransparency(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "events.db"))
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
	_, pos, err := ledger.New(store, ledger.Options{}).Head(ctx, d.EngagementID)
	if err != nil {
		t.Fatal(err)
	}
	e, err := projections.Open(ctx, filepath.Join(dir, "readmodels.db"), store, projections.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- e.Run(runCtx) }()
	defer func() {
		stop()
		<-done
	}()
	if err := e.WaitFor(ctx, pos); err != nil {
		t.Fatal(err)
	}
	r, err := e.Transparency(ctx, d.EngagementID, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.NeverInformed != 0 {
		t.Errorf("never_informed = %d, want 0: the client side was informed", r.NeverInformed)
	}
	var uninformed, unbriefed []string
	for _, u := range r.UninformedStakeholders {
		uninformed = append(uninformed, u.Name)
	}
	for _, u := range r.UnbriefedStakeholders {
		unbriefed = append(unbriefed, u.Name)
	}
	if !slices.Equal(uninformed, []string{"Julie Bernard"}) {
		t.Errorf("uninformed stakeholders %v, want Julie Bernard", uninformed)
	}
	if !slices.Equal(unbriefed, []string{"Nicolas Roux"}) {
		t.Errorf("unbriefed stakeholders %v, want Nicolas Roux", unbriefed)
	}
	late := r.LateRecording.LaterThan1Day
	if r.LateRecording.Claimed == 0 || len(late) != 1 || late[0].Type != domain.TypeClientInformed || late[0].GapDays != 6 {
		t.Errorf("late recording = %+v", r.LateRecording)
	}
	if r.Delays.DisclosedAfterDue != 1 || r.Delays.MedianLeadTimeDays == nil || *r.Delays.MedianLeadTimeDays != -2 {
		t.Errorf("delays = %+v", r.Delays)
	}
}
