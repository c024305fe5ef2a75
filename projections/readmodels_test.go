package projections

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
)

const eng1 = "eng-1"

// mainEngine runs the main scenario into a fake store and an engine that has
// applied all of it.
func mainEngine(t *testing.T) (*Engine, *scenario) {
	t.Helper()
	st := newFakeStore()
	s := newScenario(t, st)
	s.mainScenario(eng1)
	e, _ := openEngine(t, st, Options{})
	running(t, e)
	waitFor(t, e, s.last)
	return e, s
}

func TestEngagementSummary(t *testing.T) {
	e, s := mainEngine(t)
	ctx := context.Background()
	got, err := e.Engagement(ctx, eng1)
	if err != nil {
		t.Fatal(err)
	}
	hist, err := s.led.History(ctx, eng1)
	if err != nil {
		t.Fatal(err)
	}
	want := Counts{Events: len(hist), Stakeholders: 4, Requirements: 2, OpenQuestions: 1, OpenAssumptions: 1, OpenChanges: 1,
		FeaturesProposed: 3, Milestones: 2, Delays: 3, Decisions: 2, Informations: 2, Indicators: 3, Deliveries: 1, DeliveriesAwaiting: 1}
	if got.Counts != want {
		t.Errorf("counts = %+v\nwant     %+v", got.Counts, want)
	}
	if got.Phase != domain.PhaseDelivery || got.Title != "Data platform" || !got.OpenedAt.Equal(day(0)) || !got.LastActivityAt.Equal(day(52)) {
		t.Errorf("summary = %+v", got)
	}
	if got.Position != s.last || got.LastEventType != domain.TypeDeliveryMade {
		t.Errorf("position %d type %s, want %d %s", got.Position, got.LastEventType, s.last, domain.TypeDeliveryMade)
	}
	if len(got.Parties) != 2 || got.Parties[0].Name != "Acme" || got.Parties[1].Name != "Candor Consulting" {
		t.Errorf("parties = %+v", got.Parties)
	}
	if _, err := e.Engagement(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown engagement: err = %v, want ErrNotFound", err)
	}
}

func TestEngagementListFilterAndCursor(t *testing.T) {
	st := newFakeStore()
	s := newScenario(t, st)
	ids := []string{"e-01", "e-02", "e-03", "e-04", "e-05"}
	for i, id := range ids {
		s.at(float64(i)).do(id, domain.OpenEngagement{ActorID: alice, EngagementID: id, Title: id, ClientName: "C", SupplierName: "S",
			Opener: domain.NewStakeholder{StakeholderID: alice, Party: domain.PartySupplier, Name: "Alice"}})
		if i%2 == 0 {
			s.do(id, domain.AddStakeholder{ActorID: alice, NewStakeholder: domain.NewStakeholder{StakeholderID: bob, Party: domain.PartyClient, Name: "Bob"}})
			s.do(id, domain.AdvancePhase{ActorID: alice, To: domain.PhaseScoping})
		}
	}
	e, _ := openEngine(t, st, Options{})
	running(t, e)
	waitFor(t, e, s.last)
	ctx := context.Background()

	tests := []struct {
		name  string
		phase domain.Phase
		limit int
		want  []string
	}{
		{"all in pages of 2", "", 2, ids},
		{"scoping", domain.PhaseScoping, 2, []string{"e-01", "e-03", "e-05"}},
		{"emergence", domain.PhaseEmergence, 10, []string{"e-02", "e-04"}},
		{"closed", domain.PhaseClosed, 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			cursor, pages := "", 0
			for {
				l, err := e.Engagements(ctx, EngagementFilter{Phase: tt.phase}, Page{Cursor: cursor, Limit: tt.limit})
				if err != nil {
					t.Fatal(err)
				}
				pages++
				for _, it := range l.Items {
					got = append(got, it.ID)
				}
				if l.NextCursor == "" {
					break
				}
				cursor = l.NextCursor
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v in %d pages, want %v", got, pages, tt.want)
			}
		})
	}
	if _, err := e.Engagements(ctx, EngagementFilter{}, Page{Cursor: "garbage!"}); !errors.Is(err, ErrInvalidCursor) {
		t.Errorf("bad cursor: err = %v", err)
	}
}

func TestTimeline(t *testing.T) {
	e, s := mainEngine(t)
	ctx := context.Background()
	hist, err := s.led.History(ctx, eng1)
	if err != nil {
		t.Fatal(err)
	}
	// Pages of 7 over 44 facts (the chunks hold 64) must give every fact once, in order.
	var got []TimelineEntry
	cursor := ""
	for {
		p, err := e.Timeline(ctx, eng1, Page{Cursor: cursor, Limit: 7})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Items...)
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if len(got) != len(hist) {
		t.Fatalf("%d timeline entries, want %d", len(got), len(hist))
	}
	for i, h := range hist {
		g := got[i]
		if g.Position != h.Position || g.Revision != h.Revision || g.Type != h.Type || g.EventID != h.ID.String() ||
			g.ActorID != h.Event.Head().ActorID || !g.At.Equal(h.Event.Head().At) || g.Summary == "" || g.CorrelationID != "corr-"+eng1 {
			t.Errorf("entry %d = %+v, event %s at %d", i, g, h.Type, h.Position)
		}
	}
	if got[3].ActorName != "Bob" || got[3].ActorParty != domain.PartyClient { // JoinDiscussion
		t.Errorf("fourth actor = %q %q", got[3].ActorName, got[3].ActorParty)
	}
	var delay TimelineEntry
	for _, g := range got {
		if g.Type == domain.TypeDelayDisclosed {
			delay = g
			break
		}
	}
	if want := "Delay disclosed on milestone m-1: 2026-02-04 -> 2026-02-14, 10.0 days before the due date"; delay.Summary != want {
		t.Errorf("delay summary = %q, want %q", delay.Summary, want)
	}
}

func TestRequirementsBoard(t *testing.T) {
	e, _ := mainEngine(t)
	b, err := e.Requirements(context.Background(), eng1, day(60))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Requirements) != 2 {
		t.Fatalf("requirements = %+v", b.Requirements)
	}
	r1, r2 := b.Requirements[0], b.Requirements[1]
	if r1.ID != "req-1" || !r1.Clarified || len(r1.Questions) != 1 || r1.Questions[0].Status != domain.StatusAnswered ||
		r1.Questions[0].AgeDays != 1 || len(r1.Clarifications) != 1 || r1.Clarifications[0].Text != "Semicolon" ||
		len(r1.Changes) != 1 || r1.Changes[0].Status != domain.StatusApproved || !slices.Equal(r1.DeliveredIn, []string{"del-1"}) {
		t.Errorf("req-1 = %+v", r1)
	}
	if r2.ID != "req-2" || r2.Clarified || len(r2.Questions) != 1 || r2.Questions[0].Status != domain.StatusOpen || r2.Questions[0].AgeDays != 48 {
		t.Errorf("req-2 = %+v", r2)
	}
	if len(b.Changes) != 1 || b.Changes[0].ID != "ch-2" || b.Changes[0].Status != domain.StatusOpen {
		t.Errorf("loose changes = %+v", b.Changes)
	}
	wantA := []struct {
		id     string
		status domain.Status
		age    float64
	}{{"as-1", domain.StatusOpen, 47}, {"as-2", domain.StatusValidated, 1}}
	if len(b.Assumptions) != len(wantA) {
		t.Fatalf("assumptions = %+v", b.Assumptions)
	}
	for i, w := range wantA {
		if a := b.Assumptions[i]; a.ID != w.id || a.Status != w.status || a.AgeDays != w.age {
			t.Errorf("assumption %d = %+v, want %+v", i, a, w)
		}
	}
	var fs []string
	for _, f := range b.Features {
		fs = append(fs, f.ID+":"+string(f.Status))
	}
	if !slices.Equal(fs, []string{"f-1:accepted", "f-2:proposed", "f-3:declined"}) || !slices.Equal(b.Features[1].DeliveredIn, []string{"del-1"}) {
		t.Errorf("features = %v %+v", fs, b.Features)
	}
}

func TestDelayRegister(t *testing.T) {
	e, _ := mainEngine(t)
	reg, err := e.Delays(context.Background(), eng1)
	if err != nil {
		t.Fatal(err)
	}
	want := []Delay{
		{ID: "d-1", MilestoneID: "m-1", OriginalDueDate: day(30), PreviousDueDate: day(30), NewDueDate: day(40), DisclosedAt: day(20), LeadTimeDays: 10},
		{ID: "d-2", MilestoneID: "m-1", OriginalDueDate: day(30), PreviousDueDate: day(40), NewDueDate: day(55), DisclosedAt: day(45), LeadTimeDays: -5, DisclosedAfterDue: true},
		{ID: "d-3", MilestoneID: "m-2", OriginalDueDate: day(50), PreviousDueDate: day(50), NewDueDate: day(60), DisclosedAt: day(46), LeadTimeDays: 4},
	}
	if len(reg.Delays) != len(want) {
		t.Fatalf("delays = %+v", reg.Delays)
	}
	for i, w := range want {
		g := reg.Delays[i]
		if g.ID != w.ID || g.MilestoneID != w.MilestoneID || !g.OriginalDueDate.Equal(w.OriginalDueDate) || !g.PreviousDueDate.Equal(w.PreviousDueDate) ||
			!g.NewDueDate.Equal(w.NewDueDate) || !g.DisclosedAt.Equal(w.DisclosedAt) || g.LeadTimeDays != w.LeadTimeDays || g.DisclosedAfterDue != w.DisclosedAfterDue {
			t.Errorf("delay %d = %+v\nwant %+v", i, g, w)
		}
	}
	if m := reg.Milestones[0]; m.ID != "m-1" || !m.DueDate.Equal(day(55)) || m.Delays != 2 || !m.OriginalDueDate.Equal(day(30)) {
		t.Errorf("m-1 = %+v", m)
	}
}

func TestDecisionLog(t *testing.T) {
	e, _ := mainEngine(t)
	ds, err := e.Decisions(context.Background(), eng1)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 {
		t.Fatalf("decisions = %+v", ds)
	}
	if d := ds[0]; d.ID != "dec-1" || d.WithoutClient || len(d.ClientParticipants) != 1 || d.ClientParticipants[0] != (Person{ID: bob, Name: "Bob", Party: domain.PartyClient}) {
		t.Errorf("dec-1 = %+v", d)
	}
	if d := ds[1]; d.ID != "dec-2" || !d.WithoutClient || len(d.ClientParticipants) != 0 || len(d.Participants) != 2 || d.Participants[1].Name != "Dave" {
		t.Errorf("dec-2 = %+v", d)
	}
}

func TestCommunications(t *testing.T) {
	e, _ := mainEngine(t)
	c, err := e.Communications(context.Background(), eng1)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Informations) != 2 || c.LastClientInformedAt == nil || !c.LastClientInformedAt.Equal(day(50)) {
		t.Fatalf("communications = %+v", c)
	}
	i1, i2 := c.Informations[0], c.Informations[1]
	if i1.Channel != domain.ChannelMeeting || !slices.Equal(i1.AcknowledgedBy, []string{bob}) || !slices.Equal(i1.NotAcknowledged, []string{carol}) ||
		i1.Recipients[0].AcknowledgedAt == nil || !i1.Recipients[0].AcknowledgedAt.Equal(day(22)) {
		t.Errorf("info-1 = %+v", i1)
	}
	// Dave is a supplier-side recipient: he has nothing to acknowledge.
	if len(i2.AcknowledgedBy) != 0 || !slices.Equal(i2.NotAcknowledged, []string{bob}) {
		t.Errorf("info-2 = %+v", i2)
	}
}

func TestIndicators(t *testing.T) {
	e, _ := mainEngine(t)
	is, err := e.Indicators(context.Background(), eng1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, in := range is {
		got = append(got, in.ID+":"+in.Status)
	}
	if !slices.Equal(got, []string{"ind-1:on_target", "ind-2:off_target", "ind-3:unmeasured"}) {
		t.Errorf("statuses = %v", got)
	}
	if l := is[0].Latest; l == nil || l.Value != 99.5 || len(is[0].Measurements) != 2 {
		t.Errorf("ind-1 = %+v", is[0])
	}
}

func TestIndicatorLateMeasurementDoesNotReplaceLatest(t *testing.T) {
	latest := &Measurement{Value: 100, MeasuredAt: day(10)}
	tests := []struct {
		dir    domain.Direction
		target float64
		m      *Measurement
		want   string
	}{
		{domain.AtLeast, 99, nil, IndicatorUnmeasured},
		{domain.AtLeast, 99, latest, IndicatorOnTarget},
		{domain.AtLeast, 100, latest, IndicatorOnTarget},
		{domain.AtLeast, 101, latest, IndicatorOffTarget},
		{domain.AtMost, 100, latest, IndicatorOnTarget},
		{domain.AtMost, 99, latest, IndicatorOffTarget},
	}
	for _, tt := range tests {
		if got := indicatorStatus(tt.dir, tt.target, tt.m); got != tt.want {
			t.Errorf("%s %g with %+v = %s, want %s", tt.dir, tt.target, tt.m, got, tt.want)
		}
	}
}

func TestStakeholderRegister(t *testing.T) {
	e, _ := mainEngine(t)
	ss, err := e.Stakeholders(context.Background(), eng1)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range ss {
		got = append(got, s.ID+":"+boolStr(s.Late, "late")+boolStr(s.NeverBriefed, "+unbriefed"))
	}
	if want := []string{alice + ":", bob + ":", carol + ":late+unbriefed", dave + ":late"}; !slices.Equal(got, want) {
		t.Errorf("register = %v, want %v", got, want)
	}
	if d := ss[3]; d.BriefedBy != alice || d.BriefedAt == nil || !d.BriefedAt.Equal(day(7)) {
		t.Errorf("dave = %+v", d)
	}
}

func boolStr(b bool, s string) string {
	if b {
		return s
	}
	return ""
}

func TestTransparencyHandComputed(t *testing.T) {
	e, _ := mainEngine(t)
	r, err := e.Transparency(context.Background(), eng1, day(60))
	if err != nil {
		t.Fatal(err)
	}
	// Lead times 10, -5, 4 days: median 4, one after the due date.
	if r.Delays.Count != 3 || r.Delays.MedianLeadTimeDays == nil || *r.Delays.MedianLeadTimeDays != 4 || r.Delays.DisclosedAfterDue != 1 {
		t.Errorf("delays = %+v", r.Delays)
	}
	// as-1 made at day 13 is open (47 days); as-2 was validated.
	if r.OpenAssumptions.Open != 1 || len(r.OpenAssumptions.OlderThan7Days) != 1 || r.OpenAssumptions.OlderThan7Days[0].ID != "as-1" ||
		r.OpenAssumptions.OlderThan7Days[0].AgeDays != 47 {
		t.Errorf("open assumptions = %+v", r.OpenAssumptions)
	}
	if len(r.OpenQuestions) != 1 || r.OpenQuestions[0].ID != "q-2" || r.OpenQuestions[0].AgeDays != 48 {
		t.Errorf("open questions = %+v", r.OpenQuestions)
	}
	// Last informed at day 50.
	if r.DaysSinceClientInformed == nil || *r.DaysSinceClientInformed != 10 {
		t.Errorf("days since informed = %v", r.DaysSinceClientInformed)
	}
	if len(r.NotAcknowledged) != 2 || !slices.Equal(r.NotAcknowledged[0].Waiting, []string{carol}) || r.NotAcknowledged[0].AgeDays != 39 ||
		!slices.Equal(r.NotAcknowledged[1].Waiting, []string{bob}) || r.NotAcknowledged[1].AgeDays != 10 {
		t.Errorf("not acknowledged = %+v", r.NotAcknowledged)
	}
	if r.Decisions.Total != 2 || len(r.Decisions.WithoutClient) != 1 || r.Decisions.WithoutClient[0].ID != "dec-2" {
		t.Errorf("decisions = %+v", r.Decisions)
	}
	if f := r.Features; f.Proposed != 3 || f.Accepted != 1 || f.NeverAccepted != 2 || len(f.DeliveredNotAccepted) != 1 || f.DeliveredNotAccepted[0].ID != "f-2" {
		t.Errorf("features = %+v", f)
	}
	if len(r.UnbriefedStakeholders) != 1 || r.UnbriefedStakeholders[0].StakeholderID != carol || r.UnbriefedStakeholders[0].DaysSinceJoin != 54 {
		t.Errorf("unbriefed = %+v", r.UnbriefedStakeholders)
	}
	if in := r.Indicators; in.Total != 3 || in.OnTarget != 1 || len(in.Unmeasured) != 1 || in.Unmeasured[0].ID != "ind-3" ||
		len(in.OffTarget) != 1 || in.OffTarget[0].ID != "ind-2" {
		t.Errorf("indicators = %+v", in)
	}
	// At day 15 the same data gives other ages: time-relative figures come from now.
	early, err := e.Transparency(context.Background(), eng1, day(15))
	if err != nil {
		t.Fatal(err)
	}
	if early.OpenQuestions[0].AgeDays != 3 || len(early.OpenAssumptions.OlderThan7Days) != 0 {
		t.Errorf("at day 15: questions %+v, old assumptions %+v", early.OpenQuestions, early.OpenAssumptions.OlderThan7Days)
	}
}

func TestTransparencyAcrossEngagements(t *testing.T) {
	st := newFakeStore()
	s := newScenario(t, st)
	s.mainScenario("eng-a")
	// A second, smaller engagement: one delay disclosed 2 days late, never informed.
	s.at(0).do("eng-b", domain.OpenEngagement{ActorID: alice, EngagementID: "eng-b", Title: "B", ClientName: "C", SupplierName: "S",
		Opener: domain.NewStakeholder{StakeholderID: alice, Party: domain.PartySupplier, Name: "Alice"}})
	s.at(0).do("eng-b", domain.AddStakeholder{ActorID: alice, NewStakeholder: domain.NewStakeholder{StakeholderID: bob, Party: domain.PartyClient, Name: "Bob"}})
	s.at(1).do("eng-b", domain.AdvancePhase{ActorID: alice, To: domain.PhaseScoping})
	s.at(1).do("eng-b", domain.PlanMilestone{ActorID: alice, MilestoneID: "mb", Title: "X", DueDate: day(10)})
	s.at(2).do("eng-b", domain.SignAgreement{ActorID: bob, AgreementID: "ab", Signatories: []string{alice, bob}})
	s.at(2).do("eng-b", domain.AdvancePhase{ActorID: alice, To: domain.PhaseDelivery})
	s.at(12).do("eng-b", domain.DiscloseDelay{ActorID: alice, DelayID: "db", MilestoneID: "mb", NewDueDate: day(20), Reason: "late"})
	e, _ := openEngine(t, st, Options{})
	running(t, e)
	waitFor(t, e, s.last)

	r, err := e.Transparency(context.Background(), "", day(60))
	if err != nil {
		t.Fatal(err)
	}
	// Lead times 10, -5, 4, -2: median (-2+4)/2 = 1; two after their due date.
	if r.Engagements != 2 || r.Delays.Count != 4 || *r.Delays.MedianLeadTimeDays != 1 || r.Delays.DisclosedAfterDue != 2 {
		t.Errorf("delays = %+v over %d engagements", r.Delays, r.Engagements)
	}
	if r.NeverInformed != 1 || *r.DaysSinceClientInformed != 10 {
		t.Errorf("never informed %d, days since %v", r.NeverInformed, *r.DaysSinceClientInformed)
	}
}

func TestKnowledgeAsOf(t *testing.T) {
	e, s := mainEngine(t)
	ctx := context.Background()
	kinds := func(k Knowledge) []string {
		var out []string
		for _, it := range k.Items {
			out = append(out, it.Kind+":"+it.RefID)
		}
		return out
	}
	all, err := e.Knowledge(ctx, eng1, carol, ledger.AsOf{}, BasisRecorded)
	if err != nil {
		t.Fatal(err)
	}
	// Carol was informed of info-1 only.
	if got := kinds(all); !slices.Equal(got, []string{"informed:info-1"}) {
		t.Errorf("carol knew %v", got)
	}
	bobAt := func(at time.Time) []string {
		k, err := e.Knowledge(ctx, eng1, bob, ledger.AsOf{Time: &at}, BasisRecorded)
		if err != nil {
			t.Fatal(err)
		}
		return kinds(k)
	}
	if got, want := bobAt(day(21.5)), []string{"workshop:ws-1", "signed:agr-1", "informed:info-1"}; !slices.Equal(got, want) {
		t.Errorf("bob as of day 21.5 = %v, want %v", got, want)
	}
	if got, want := bobAt(day(60)), []string{"workshop:ws-1", "signed:agr-1", "informed:info-1", "acknowledged:info-1", "decision:dec-1", "informed:info-2"}; !slices.Equal(got, want) {
		t.Errorf("bob as of day 60 = %v, want %v", got, want)
	}
	// By position: up to the first information only.
	hist, _ := s.led.History(ctx, eng1)
	var infoPos eventstore.Position
	for _, h := range hist {
		if h.Type == domain.TypeClientInformed {
			infoPos = h.Position
			break
		}
	}
	k, err := e.Knowledge(ctx, eng1, dave, ledger.AsOf{Position: &infoPos}, BasisRecorded)
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(k); !slices.Equal(got, []string{"briefed:" + alice}) {
		t.Errorf("dave as of %d = %v", infoPos, got)
	}
}

func TestFeedResumesFromPosition(t *testing.T) {
	st := newFakeStore()
	s := newScenario(t, st)
	s.mainScenario(eng1)
	// Another engagement whose id starts with eng1's must not leak in.
	s.do(eng1+"0", domain.OpenEngagement{ActorID: alice, EngagementID: eng1 + "0", Title: "other", ClientName: "C", SupplierName: "S",
		Opener: domain.NewStakeholder{StakeholderID: alice, Party: domain.PartySupplier, Name: "Alice"}})
	hist, err := s.led.History(context.Background(), eng1)
	if err != nil {
		t.Fatal(err)
	}
	seen := len(hist) - 4 // as if a client had seen all but the last 4 events
	lastID := hist[seen-1].Position
	resume, err := ParseLastEventID(" " + uintStr(uint64(lastID)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []FeedEvent
	err = Feed(ctx, st, eng1, resume, func(fe FeedEvent) error {
		got = append(got, fe)
		if len(got) == 5 { // 4 remaining + one appended live
			cancel()
		}
		if len(got) == 4 {
			go s.at(53).do(eng1, domain.AcceptDelivery{ActorID: bob, DeliveryID: "del-1"})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || got[0].Position != hist[seen].Position || got[4].Type != domain.TypeDeliveryAccepted {
		t.Fatalf("feed gave %d events, first at %d", len(got), got[0].Position)
	}
	for _, fe := range got {
		if fe.Position <= lastID || len(fe.Data) == 0 {
			t.Errorf("event %+v", fe)
		}
	}
	if _, err := ParseLastEventID("abc"); !errors.Is(err, ErrInvalidCursor) {
		t.Errorf("bad Last-Event-ID: %v", err)
	}
}

func uintStr(n uint64) string {
	return string(appendUint(nil, n))
}

func appendUint(b []byte, n uint64) []byte {
	if n >= 10 {
		b = appendUint(b, n/10)
	}
	return append(b, byte('0'+n%10))
}
