package projections

import (
	"context"
	"reflect"
	"testing"

	"github.com/candor-ledger/candor/domain"
)

// raidScenario adds risks, difficulties and dependencies to the main
// scenario (which ends at day 52); the comments give the figures at day 60.
func (s *scenario) raidScenario(eng string) {
	s.mainScenario(eng)
	// r-1: 2×5 = 10, reviewed to 4×5 = 20, escalated to Bob: open, 7 days old.
	s.at(53).do(eng, domain.RaiseRisk{ActorID: alice, RiskID: "r-1", Title: "Key engineer leaves", Probability: 2, Impact: 5, OwnerID: dave, Response: "Pair", MilestoneID: "m-2"})
	s.at(54).do(eng, domain.ReviewRisk{ActorID: bob, RiskID: "r-1", Probability: 4, Impact: 5, Note: "he has an offer"})
	s.at(55).do(eng, domain.EscalateRisk{ActorID: alice, RiskID: "r-1", EscalatedTo: bob, Reason: "budget for a second engineer"})
	// r-2: 2×2 = 4, open, 6 days old; r-3: 5×5 = 25, occurs at day 56 as dif-1.
	s.at(54).do(eng, domain.RaiseRisk{ActorID: bob, RiskID: "r-2", Title: "Legal review", Probability: 2, Impact: 2, OwnerID: bob, Response: "Start early"})
	s.at(54).do(eng, domain.RaiseRisk{ActorID: alice, RiskID: "r-3", Title: "Cluster quota", Probability: 5, Impact: 5, OwnerID: alice, Response: "Ask early"})
	s.at(56).do(eng, domain.RecordRiskOccurred{ActorID: alice, RiskID: "r-3", DifficultyID: "dif-1", Description: "Quota refused"})
	s.at(57).do(eng, domain.AssignDifficulty{ActorID: alice, DifficultyID: "dif-1", OwnerID: dave, Severity: domain.SeverityCritical})
	// r-4: closed.
	s.at(54).do(eng, domain.RaiseRisk{ActorID: alice, RiskID: "r-4", Title: "Snow", Probability: 1, Impact: 1, OwnerID: alice, Response: "Accept"})
	s.at(55).do(eng, domain.CloseRisk{ActorID: alice, RiskID: "r-4", Reason: "Spring"})
	// dif-2: reported at day 53, open, unassigned: 7 days old; dif-3 resolved.
	s.at(53).do(eng, domain.ReportDifficulty{ActorID: dave, DifficultyID: "dif-2", Description: "Flaky CI"})
	s.at(53).do(eng, domain.ReportDifficulty{ActorID: dave, DifficultyID: "dif-3", Description: "Typo"})
	s.at(54).do(eng, domain.ResolveDifficulty{ActorID: dave, DifficultyID: "dif-3", Resolution: "Fixed"})
	// dep-1 (Bob's, due day 54): open and 6 days late; it causes delay d-4.
	// dep-2 (Bob's, due day 58): met on day 57, on time. dep-3 (Dave's,
	// due day 55): met day 57, 2 days late, not the client's.
	s.at(52).do(eng, domain.RaiseDependency{ActorID: alice, DependencyID: "dep-1", Title: "Production data", OwedBy: bob, DueDate: day(54), MilestoneID: "m-2"})
	s.at(52).do(eng, domain.RaiseDependency{ActorID: alice, DependencyID: "dep-2", Title: "Sign-off", OwedBy: bob, DueDate: day(58)})
	s.at(52).do(eng, domain.RaiseDependency{ActorID: bob, DependencyID: "dep-3", Title: "Test plan", OwedBy: dave, DueDate: day(55)})
	s.at(57).do(eng, domain.MeetDependency{ActorID: alice, DependencyID: "dep-2"})
	s.at(57).do(eng, domain.MeetDependency{ActorID: bob, DependencyID: "dep-3"})
	s.at(58).do(eng, domain.DiscloseDelay{ActorID: alice, DelayID: "d-4", MilestoneID: "m-2", NewDueDate: day(70), Reason: "no production data", DependencyID: "dep-1"})
}

func TestRAIDRegister(t *testing.T) {
	st := newFakeStore()
	s := newScenario(t, st)
	s.raidScenario(eng1)
	e, _ := openEngine(t, st, Options{})
	running(t, e)
	waitFor(t, e, s.last)
	ctx := context.Background()

	reg, err := e.RAID(ctx, eng1, day(60))
	if err != nil {
		t.Fatal(err)
	}
	risks := map[string]RAIDRisk{}
	for _, r := range reg.Risks {
		risks[r.ID] = r
	}
	if r := risks["r-1"]; r.Score != 20 || r.Status != domain.StatusEscalated || r.EscalatedTo != bob || r.Reviews != 1 || r.AgeDays != 7 || r.OwnerID != dave {
		t.Errorf("r-1 = %+v", r)
	}
	if r := risks["r-3"]; r.Status != domain.StatusOccurred || r.DifficultyID != "dif-1" || r.AgeDays != 2 {
		t.Errorf("r-3 = %+v", r)
	}
	if r := risks["r-4"]; r.Status != domain.StatusClosed || r.Reason != "Spring" || r.ClosedAt == nil {
		t.Errorf("r-4 = %+v", r)
	}
	issues := map[string]RAIDIssue{}
	for _, x := range reg.Issues {
		issues[x.ID] = x
	}
	if x := issues["dif-1"]; x.RiskID != "r-3" || x.Severity != domain.SeverityCritical || x.OwnerID != dave || x.Status != domain.StatusOpen || x.AgeDays != 4 {
		t.Errorf("dif-1 = %+v", x)
	}
	if x := issues["dif-3"]; x.Status != domain.StatusResolved || x.AgeDays != 1 || x.Resolution != "Fixed" {
		t.Errorf("dif-3 = %+v", x)
	}
	deps := map[string]RAIDDependency{}
	for _, x := range reg.Dependencies {
		deps[x.ID] = x
	}
	if x := deps["dep-1"]; !x.Late || x.DaysLate != 6 || !reflect.DeepEqual(x.DelayIDs, []string{"d-4"}) || x.OwedByParty != domain.PartyClient {
		t.Errorf("dep-1 = %+v", x)
	}
	if x := deps["dep-2"]; x.Late || x.Status != domain.StatusMet {
		t.Errorf("dep-2 = %+v", x)
	}
	if x := deps["dep-3"]; !x.Late || x.DaysLate != 2 {
		t.Errorf("dep-3 = %+v", x)
	}
	// Before dep-1 is due, nothing is late.
	if reg, _ := e.RAID(ctx, eng1, day(53)); reg.Dependencies[0].Late {
		t.Errorf("dep-1 late at day 53: %+v", reg.Dependencies[0])
	}

	// The delay register shows the late client dependency behind d-4.
	dr, err := e.Delays(ctx, eng1)
	if err != nil {
		t.Fatal(err)
	}
	d4 := dr.Delays[len(dr.Delays)-1]
	if d4.ID != "d-4" || d4.DependencyID != "dep-1" || !d4.DependencyLate || d4.DependencyParty != domain.PartyClient {
		t.Errorf("d-4 = %+v", d4)
	}

	// The transparency report's governance indicators.
	rep, err := e.Transparency(ctx, eng1, day(60))
	if err != nil {
		t.Fatal(err)
	}
	g := rep.GovernanceIndicators
	if g.Risks.Open != 2 || g.Risks.Escalated != 1 || g.Risks.Occurred != 1 || len(g.Risks.ByScore) != 2 ||
		g.Risks.ByScore[0].ID != "r-1" || g.Risks.ByScore[0].Score != 20 || g.Risks.ByScore[1].ID != "r-2" || g.Risks.ByScore[1].AgeDays != 6 {
		t.Errorf("risks = %+v", g.Risks)
	}
	if g.Dependencies.Open != 1 || g.Dependencies.Late != 2 || len(g.Dependencies.LateClient) != 1 ||
		g.Dependencies.LateClient[0].ID != "dep-1" || g.Dependencies.LateClient[0].DaysLate != 6 ||
		!reflect.DeepEqual(g.Dependencies.LateClient[0].DelayIDs, []string{"d-4"}) {
		t.Errorf("dependencies = %+v", g.Dependencies)
	}
	if g.Difficulties.Open != 2 || g.Difficulties.Unassigned != 1 || len(g.Difficulties.ByAge) != 2 ||
		g.Difficulties.ByAge[0].ID != "dif-2" || g.Difficulties.ByAge[0].AgeDays != 7 || g.Difficulties.ByAge[1].Severity != domain.SeverityCritical {
		t.Errorf("difficulties = %+v", g.Difficulties)
	}
	// Across all engagements, the same (there is one).
	all, err := e.Transparency(ctx, "", day(60))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(all.GovernanceIndicators, g) {
		t.Errorf("across all: %+v\nwant %+v", all.GovernanceIndicators, g)
	}

	// A rebuild from zero gives the same register.
	before := dump(t, e)
	if _, err := e.RAID(ctx, "nope", day(60)); err == nil {
		t.Error("unknown engagement: no error")
	}
	e2, _ := openEngine(t, st, Options{})
	running(t, e2)
	waitFor(t, e2, s.last)
	if after := dump(t, e2); after != before {
		t.Errorf("rebuilt read models differ")
	}
}
