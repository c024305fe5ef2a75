package projections

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/ledger"
)

// lateScenario records facts after they happened: the client was told on
// day 3, which was recorded on day 9; a delay of a milestone due on day 10
// was disclosed on day 8, it is said, but recorded on day 12.
func lateScenario(s *scenario, eng string) {
	claim := func(d float64) domain.Claim { return domain.Claim{OccurredAt: day(d)} }
	s.at(0).do(eng, domain.OpenEngagement{ActorID: alice, EngagementID: eng, Title: "Late", ClientName: "Acme", SupplierName: "Candor Consulting",
		Opener: domain.NewStakeholder{StakeholderID: alice, Party: domain.PartySupplier, Name: "Alice"}})
	s.at(0.5).do(eng, domain.AddStakeholder{ActorID: alice, NewStakeholder: domain.NewStakeholder{StakeholderID: bob, Party: domain.PartyClient, Name: "Bob"}})
	s.at(1).do(eng, domain.AddStakeholder{ActorID: alice, Claim: claim(0.8), NewStakeholder: domain.NewStakeholder{StakeholderID: carol, Party: domain.PartyClient, Name: "Carol"}})
	s.at(2).do(eng, domain.AdvancePhase{ActorID: alice, To: domain.PhaseScoping})
	s.at(2).do(eng, domain.PlanMilestone{ActorID: alice, MilestoneID: "m-1", Title: "MVP", DueDate: day(10)})
	s.at(4).do(eng, domain.RaiseRequirement{ActorID: bob, Claim: claim(2.5), RequirementID: "req-1", Title: "Export"})
	s.at(9).do(eng, domain.InformClient{ActorID: alice, Claim: claim(3), InformationID: "info-1", Subject: "Data is late", Channel: domain.ChannelCall,
		Recipients: []string{bob}})
	s.at(9.5).do(eng, domain.AcknowledgeInformation{ActorID: bob, Claim: claim(9.25), InformationID: "info-1"})
	s.at(12).do(eng, domain.DiscloseDelay{ActorID: alice, Claim: claim(8), DelayID: "d-1", MilestoneID: "m-1", NewDueDate: day(20), Reason: "data late"})
	s.at(13).do(eng, domain.MakeDecision{ActorID: alice, Claim: claim(12.5), DecisionID: "dec-1", Title: "Database", Kind: domain.DecisionTechnical,
		Options: []string{"a", "b"}, Chosen: "a", Participants: []string{alice, bob}})
}

func lateEngine(t *testing.T) (*Engine, *scenario) {
	t.Helper()
	st := newFakeStore()
	s := newScenario(t, st)
	lateScenario(s, eng1)
	e, _ := openEngine(t, st, Options{})
	running(t, e)
	waitFor(t, e, s.last)
	return e, s
}

func same(t *testing.T, what string, got *time.Time, want time.Time) {
	t.Helper()
	if got == nil || !got.Equal(want) {
		t.Errorf("%s = %v, want %s", what, got, want)
	}
}

func sameDays(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil || *got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// The read models show each claimed time beside the recorded one, and the
// gap between them; the trust figures keep to the recorded time.
func TestClaimsShownBesideRecordedTimes(t *testing.T) {
	e, _ := lateEngine(t)
	ctx := context.Background()

	tl, err := e.Timeline(ctx, eng1, Page{})
	if err != nil {
		t.Fatal(err)
	}
	var info, open TimelineEntry
	for _, it := range tl.Items {
		switch it.Type {
		case domain.TypeClientInformed:
			info = it
		case domain.TypeEngagementOpened:
			open = it
		case domain.TypePhaseAdvanced, domain.TypeMilestonePlanned:
			if it.OccurredAt != nil || it.RecordingGapDays != nil {
				t.Errorf("%s without a claim shows one: %+v", it.Type, it)
			}
		}
	}
	if !info.At.Equal(day(9)) {
		t.Errorf("client.informed recorded at %s, want day 9", info.At)
	}
	same(t, "timeline occurred_at", info.OccurredAt, day(3))
	sameDays(t, "timeline recording_gap_days", info.RecordingGapDays, 6)
	// The first entry names its actor like every other (issue: it named nobody).
	if open.ActorID != alice || open.ActorName != "Alice" || open.ActorParty != domain.PartySupplier {
		t.Errorf("engagement.opened entry = %+v", open)
	}

	reg, err := e.Delays(ctx, eng1)
	if err != nil {
		t.Fatal(err)
	}
	d := reg.Delays[0]
	if d.LeadTimeDays != -2 || !d.DisclosedAfterDue || !d.DisclosedAt.Equal(day(12)) {
		t.Errorf("recorded lead time %v (after due %v) from %s, want -2 from day 12", d.LeadTimeDays, d.DisclosedAfterDue, d.DisclosedAt)
	}
	same(t, "delay disclosed_occurred_at", d.DisclosedOccurredAt, day(8))
	sameDays(t, "claimed_lead_time_days", d.ClaimedLeadTimeDays, 2)
	sameDays(t, "delay recording_gap_days", d.RecordingGapDays, 4)
	if reg.Milestones[0].PlannedOccurredAt != nil {
		t.Errorf("milestone planned without a claim shows one")
	}

	c, err := e.Communications(ctx, eng1)
	if err != nil {
		t.Fatal(err)
	}
	in := c.Informations[0]
	same(t, "last_client_informed_at", c.LastClientInformedAt, day(9))
	same(t, "last_client_informed_occurred_at", c.LastClientInformedOccurredAt, day(3))
	same(t, "informed_occurred_at", in.InformedOccurredAt, day(3))
	sameDays(t, "information recording_gap_days", in.RecordingGapDays, 6)
	same(t, "acknowledged_at", in.Recipients[0].AcknowledgedAt, day(9.5))
	same(t, "acknowledged_occurred_at", in.Recipients[0].AcknowledgedOccurredAt, day(9.25))

	b, err := e.Requirements(ctx, eng1, day(20))
	if err != nil {
		t.Fatal(err)
	}
	same(t, "raised_occurred_at", b.Requirements[0].RaisedOccurredAt, day(2.5))
	people, err := e.Stakeholders(ctx, eng1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range people {
		switch p.ID {
		case carol:
			same(t, "carol joined_occurred_at", p.JoinedOccurredAt, day(0.8))
		default:
			if p.JoinedOccurredAt != nil {
				t.Errorf("%s joined without a claim shows one", p.ID)
			}
		}
	}
	decs, err := e.Decisions(ctx, eng1)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "decided_occurred_at", decs[0].DecidedOccurredAt, day(12.5))
}

// Knowledge as of a moment, on either basis: Bob was told on day 3, which
// Candor recorded on day 9.
func TestKnowledgeAsOfBasis(t *testing.T) {
	e, _ := lateEngine(t)
	ctx := context.Background()
	bobAt := func(d float64, basis Basis) []string {
		at := day(d)
		k, err := e.Knowledge(ctx, eng1, bob, ledger.AsOf{Time: &at}, basis)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range k.Items {
			out = append(out, it.Kind+":"+it.RefID)
		}
		return out
	}
	if got := bobAt(5, BasisRecorded); len(got) != 0 {
		t.Errorf("as recorded by day 5, Bob knew %v, want nothing", got)
	}
	if got, want := bobAt(5, BasisOccurred), []string{"informed:info-1"}; !slices.Equal(got, want) {
		t.Errorf("as it happened by day 5, Bob knew %v, want %v", got, want)
	}
	if got, want := bobAt(9.3, BasisOccurred), []string{"informed:info-1", "acknowledged:info-1"}; !slices.Equal(got, want) {
		t.Errorf("as it happened by day 9.3: %v, want %v", got, want)
	}
	if got, want := bobAt(9.3, BasisRecorded), []string{"informed:info-1"}; !slices.Equal(got, want) {
		t.Errorf("as recorded by day 9.3: %v, want %v", got, want)
	}
	k, err := e.Knowledge(ctx, eng1, bob, ledger.AsOf{}, BasisRecorded)
	if err != nil {
		t.Fatal(err)
	}
	same(t, "knowledge occurred_at", k.Items[0].OccurredAt, day(3))
}

// The transparency report counts from the recorded times, shows the
// claimed figures beside them, and measures late recording.
func TestTransparencyLateRecording(t *testing.T) {
	e, _ := lateEngine(t)
	r, err := e.Transparency(context.Background(), eng1, day(20))
	if err != nil {
		t.Fatal(err)
	}
	sameDays(t, "days_since_client_informed", r.DaysSinceClientInformed, 11)
	sameDays(t, "days_since_client_informed_as_claimed", r.DaysSinceClientInformedAsClaimed, 17)
	sameDays(t, "median_lead_time_days", r.Delays.MedianLeadTimeDays, -2)
	sameDays(t, "median_claimed_lead_time_days", r.Delays.MedianClaimedLeadTimeDays, 2)
	if r.Delays.DisclosedAfterDue != 1 {
		t.Errorf("disclosed after due = %d, want 1: a claim does not make a late disclosure early", r.Delays.DisclosedAfterDue)
	}
	lr := r.LateRecording
	if lr.Claimed != 6 {
		t.Errorf("claimed = %d, want 6", lr.Claimed)
	}
	sameDays(t, "max_gap_days", lr.MaxGapDays, 6)
	var got []string
	for _, l := range lr.LaterThan1Day {
		got = append(got, l.Type)
	}
	// Gaps: told 6 days late, delay 4, requirement 1.5; the others less than a day.
	if want := []string{domain.TypeClientInformed, domain.TypeDelayDisclosed, domain.TypeRequirementRaised}; !slices.Equal(got, want) {
		t.Errorf("later than 1 day: %v, want %v", got, want)
	}
	if l := lr.LaterThan1Day[0]; l.GapDays != 6 || !l.OccurredAt.Equal(day(3)) || !l.RecordedAt.Equal(day(9)) || l.EngagementID != eng1 {
		t.Errorf("first late record = %+v", l)
	}
	// Carol (client side) was never named as a recipient; Bob was.
	if u := r.UninformedStakeholders; len(u) != 1 || u[0].StakeholderID != carol || u[0].Name != "Carol" {
		t.Errorf("uninformed = %+v", u)
	}
	if r.NeverInformed != 0 {
		t.Errorf("never_informed = %d: the engagement's client was informed", r.NeverInformed)
	}
}
