package domain

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

func TestEvolveCannotApply(t *testing.T) {
	s := delivery(t)
	h := Header{EngagementID: eng, ActorID: sup, At: s.now}
	for name, e := range map[string]Event{
		"nil":                   nil,
		"typed nil":             (*LessonRecorded)(nil),
		"other engagement":      &LessonRecorded{Header: Header{EngagementID: "other"}, LessonID: "l"},
		"opened twice":          &EngagementOpened{Header: h},
		"duplicate id":          &RequirementRaised{Header: h, RequirementID: "ms-1"},
		"unknown milestone":     &DelayDisclosed{Header: h, DelayID: "d", MilestoneID: "nope"},
		"unknown stakeholder":   &StakeholderBriefed{Header: h, StakeholderID: "nope"},
		"unknown recipient":     &ClientInformed{Header: h, InformationID: "i", Recipients: []string{"nope"}},
		"unknown about":         &DecisionMade{Header: h, DecisionID: "d", About: []string{"nope"}},
		"unknown party":         &PerimeterDefined{Header: h, Party: "bank"},
		"party twice":           &PartyJoined{Header: h, Party: PartyClient},
		"unknown delivery":      &NeedRaisedAtDelivery{Header: h, NeedID: "n", DeliveryID: "nope"},
		"unknown phase":         &PhaseAdvanced{Header: h, To: "later"},
		"measurement reuses id": &IndicatorMeasured{Header: h, MeasurementID: "req-1", IndicatorID: "nope"},
	} {
		before := s.state.Clone()
		got, err := Evolve(s.state, e)
		if !errors.Is(err, ErrCannotApply) {
			t.Errorf("%s: err = %v, want ErrCannotApply", name, err)
		}
		if got != s.state || !reflect.DeepEqual(before, s.state) {
			t.Errorf("%s: a failed Evolve changed the state", name)
		}
	}
	if _, err := Evolve(nil, &LessonRecorded{}); !errors.Is(err, ErrCannotApply) {
		t.Errorf("first event not opened: %v", err)
	}
	if _, err := Fold(); !errors.Is(err, ErrCannotApply) {
		t.Errorf("Fold of nothing: %v", err)
	}
}

// TestEvolveState checks what the life story leaves in the state: the
// derived statuses the read models rely on.
func TestEvolveState(t *testing.T) {
	s := lifeStory(t).state
	if s.Phase != PhaseClosed || s.ClosedAt.IsZero() || s.Summary != "done" || s.Version != len(lifeStory(t).events) {
		t.Fatalf("lifecycle: phase %s closed %v version %d", s.Phase, s.ClosedAt, s.Version)
	}
	if got := len(s.PhaseHistory); got != 5 {
		t.Errorf("phase history has %d steps", got)
	}
	chloe, _ := s.Stakeholder(cli2)
	if !chloe.Late || !chloe.Briefed || chloe.BriefedBy != cli {
		t.Errorf("late stakeholder: %+v", chloe)
	}
	claire, _ := s.Stakeholder(cli)
	if claire.Late || !claire.Briefed {
		t.Errorf("founding stakeholder: %+v", claire)
	}
	if p, _ := s.Stakeholder(prv); !p.Left {
		t.Error("provider did not leave")
	}
	if _, ok := s.StakeholderByPrincipal("pr-" + prv); ok {
		t.Error("StakeholderByPrincipal finds someone who left")
	}
	if x, ok := s.StakeholderByPrincipal("pr-sam"); !ok || x.ID != sup {
		t.Error("StakeholderByPrincipal misses the opener")
	}
	if x, _ := s.Expert("x-2"); x.Status != StatusWithdrawn {
		t.Errorf("expert: %s", x.Status)
	}
	if q, _ := s.Question("q-1"); q.Status != StatusAnswered || q.AnsweredBy != cli || q.Answer != "A-3" {
		t.Errorf("question: %+v", q)
	}
	if a, _ := s.Assumption("as-2"); a.Status != StatusRejected || a.ResolvedBy != cli2 {
		t.Errorf("assumption: %+v", a)
	}
	if c, _ := s.Change("ch-1"); c.Status != StatusApproved {
		t.Errorf("change: %+v", c)
	}
	if f, _ := s.Feature("f-2"); f.Status != StatusDeclined {
		t.Errorf("feature: %+v", f)
	}
	m, _ := s.Milestone("ms-1")
	if !m.DueDate.Equal(due.Add(96*time.Hour)) || !m.OriginalDueDate.Equal(due) || len(m.DelayIDs) != 2 {
		t.Errorf("milestone: %+v", m)
	}
	if d, _ := s.Delay("dl-1"); d.LeadTime() <= 0 {
		t.Errorf("delay lead time %v", d.LeadTime())
	}
	if i, _ := s.Information("inf-1"); !i.Acknowledged(cli) || i.Acknowledged(cli2) {
		t.Errorf("information: %+v", i)
	}
	if d, _ := s.Decision("dec-1"); !reflect.DeepEqual(d.ClientParticipants, []string{cli}) {
		t.Errorf("decision: %+v", d)
	}
	if r, ok := s.Requirement("need-1"); !ok || r.Origin != OriginDelivery || r.DeliveryID != "dlv-1" {
		t.Errorf("need: %+v", r)
	}
	if d, _ := s.Delivery("dlv-2"); d.Status != StatusAccepted || d.Version != 2 || len(d.Earlier) != 1 || d.Earlier[0].Status != StatusRejected {
		t.Errorf("delivery: %+v", d)
	}
	if k, _ := s.Indicator("k-1"); len(k.Measurements) != 1 || k.OnTarget(k.Measurements[0].Value) {
		t.Errorf("indicator: %+v", k)
	}
	if p, _ := s.Party(PartyProvider); p.Perimeter == nil || p.Perimeter.Description != "Hosting" {
		t.Errorf("perimeter: %+v", p)
	}
	if s.KindOfID("cost-1") != "cost_impact" || s.KindOfID("les-1") != "lesson" || s.KindOfID(eng) != "engagement" {
		t.Error("KindOfID")
	}
	if len(s.AwaitingAcceptance()) != 0 {
		t.Error("deliveries still awaiting")
	}
}

// TestCloneIsDeep mutates every collection of a clone and checks the
// original did not move.
func TestCloneIsDeep(t *testing.T) {
	s := lifeStory(t).state
	orig := s.Clone()
	c := s.Clone()
	if !reflect.DeepEqual(c, s) {
		t.Fatal("clone differs")
	}
	c.Agreement.Signatories[0] = "x"
	c.Parties[2].Perimeter.Includes[0] = "x"
	c.Stakeholders[0].Name = "x"
	c.Workshops[0].Participants[0] = "x"
	c.Indicators[0].Measurements[0].Value = 99
	c.Requirements[0].Clarifications[0].Text = "x"
	c.Milestones[0].DelayIDs[0] = "x"
	c.Informed[0].Recipients[0] = "x"
	c.Informed[0].Acknowledgements[0].StakeholderID = "x"
	c.Decisions[0].Options[0] = "x"
	c.Decisions[0].ClientParticipants[0] = "x"
	c.Deliveries[0].RequirementIDs[0] = "x"
	c.Deliveries[0].NeedIDs[0] = "x"
	c.PhaseHistory[0].Phase = "x"
	if x, _ := c.Stakeholder(sup); x.Name != "x" {
		t.Error("clone's index does not point into the clone")
	}
	if !reflect.DeepEqual(orig, s) {
		t.Fatal("mutating a clone changed the original")
	}
	var nilState *Engagement
	if nilState.Clone() != nil {
		t.Fatal("nil clone")
	}
}
