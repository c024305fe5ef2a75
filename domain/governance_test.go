package domain

import (
	"reflect"
	"testing"
	"time"
)

// governanceGenerated is how many kinds of governance command the random
// sequences draw (see gen.governance).
const governanceGenerated = 18

// governance draws one governance command, often plausible, often wrong.
func (g *gen) governance(s *Engagement, a string, n int) Command {
	rate := func() int { return []int{0, 1, 3, 5, 6}[g.r.IntN(5)] }
	switch n {
	case 0:
		return RaiseRisk{ActorID: a, RiskID: g.fresh(), Title: g.text(), Probability: rate(), Impact: rate(),
			OwnerID: g.id(s, "stakeholder"), Response: "r", MilestoneID: []string{"", g.id(s, "milestone")}[g.r.IntN(2)]}
	case 1:
		return ReviewRisk{ActorID: a, RiskID: g.id(s, "risk"), Probability: rate(), Impact: rate()}
	case 2:
		return EscalateRisk{ActorID: a, RiskID: g.id(s, "risk"), EscalatedTo: g.id(s, "stakeholder"), Reason: g.text()}
	case 3:
		return RecordRiskOccurred{ActorID: a, RiskID: g.id(s, "risk"), DifficultyID: g.fresh(), Description: g.text()}
	case 4:
		return CloseRisk{ActorID: a, RiskID: g.id(s, "risk"), Reason: g.text()}
	case 5:
		return AssignDifficulty{ActorID: a, DifficultyID: g.id(s, "difficulty"), OwnerID: g.id(s, "stakeholder"),
			Severity: []Severity{SeverityLow, SeverityCritical, "bad"}[g.r.IntN(3)]}
	case 6:
		return ResolveDifficulty{ActorID: a, DifficultyID: g.id(s, "difficulty"), Resolution: g.text()}
	case 7:
		return RaiseDependency{ActorID: a, DependencyID: g.fresh(), Title: g.text(), OwedBy: g.id(s, "stakeholder"), DueDate: g.when()}
	case 9:
		return AssessChangeImpact{ActorID: a, ChangeID: g.id(s, "change"), ScheduleImpactDays: g.r.IntN(10), CostImpact: int64(g.r.IntN(3)) * 1000,
			Currency: []string{"EUR", "x"}[g.r.IntN(2)], ApproverID: g.id(s, "stakeholder"), ApproveBy: g.when()}
	case 10:
		return DelegateChangeApproval{ActorID: a, ChangeID: g.id(s, "change"), DelegateID: g.id(s, "stakeholder")}
	case 11:
		return DefineAcceptanceCriterion{ActorID: a, CriterionID: g.fresh(), RequirementID: g.id(s, "requirement"), Text: g.text()}
	case 12:
		return AgreeAcceptanceCriterion{ActorID: a, CriterionID: g.id(s, "acceptance_criterion")}
	case 13:
		for _, x := range s.Deliveries { // rejections are rare: deliver them again often
			if x.Status == StatusRejected && g.chance(0.8) {
				return RedeliverDelivery{ActorID: g.of(s, PartySupplier, a), DeliveryID: x.ID, Changes: g.text()}
			}
		}
		if g.chance(0.2) {
			return RedeliverDelivery{ActorID: a, DeliveryID: g.id(s, "delivery"), Changes: g.text()}
		}
		var vs Verdicts
		for range g.r.IntN(3) {
			if id := g.id(s, "acceptance_criterion"); g.chance(0.7) {
				vs.CriteriaMet = append(vs.CriteriaMet, id)
			} else {
				vs.CriteriaUnmet = append(vs.CriteriaUnmet, id)
			}
		}
		if g.chance(0.5) {
			return AcceptDelivery{ActorID: a, DeliveryID: g.id(s, "delivery"), Verdicts: vs}
		}
		return RejectDelivery{ActorID: a, DeliveryID: g.id(s, "delivery"), Reason: "r", Verdicts: vs}
	case 14:
		return AgreeTolerances{ActorID: a, TimeDays: g.r.IntN(4) - 1, CostAmount: int64(g.r.IntN(3)) * 50000, Currency: []string{"EUR", "x"}[g.r.IntN(2)],
			AgreedBy: g.stakeholders(s)}
	case 15, 16:
		id := g.id(s, "exception")
		for _, x := range s.Exceptions { // exceptions are rare: act on the open ones often
			if x.Status == StatusOpen && g.chance(0.8) {
				id = x.ID
			}
		}
		if n == 15 {
			return ProposeExceptionOptions{ActorID: g.of(s, PartySupplier, a), ExceptionID: id, Options: [][]string{{"a", "b"}, {"a", "b"}, {}, {"a", "a"}}[g.r.IntN(4)],
				Recommendation: []string{"", "a", "z"}[g.r.IntN(3)]}
		}
		return DecideException{ActorID: g.of(s, PartyClient, a), ExceptionID: id, Chosen: []string{"a", "b", "z"}[g.r.IntN(3)]}
	case 17:
		// One draw in ten of this case is a highlight report, from the
		// first supplier to the first client stakeholder over the whole
		// engagement (wrong when either is missing); it draws nothing
		// more, so the other sequences stay as they were.
		who, n := g.id(s, "stakeholder"), g.r.IntN(10)
		if n < 9 {
			return AgreeCadence{ActorID: a, StakeholderID: who, EveryDays: n}
		}
		c := IssueHighlightReport{ActorID: a, ReportID: g.fresh(), From: s.OpenedAt, To: s.UpdatedAt, Channel: ChannelEmail, Recipients: []string{who}}
		for _, x := range s.CurrentStakeholders() {
			if x.Party == PartySupplier && c.ActorID == a {
				c.ActorID = x.ID
			}
			if x.Party == PartyClient {
				c.Recipients = []string{x.ID}
			}
		}
		return c
	default:
		if g.chance(0.5) {
			return DiscloseDelay{ActorID: a, DelayID: g.fresh(), MilestoneID: g.id(s, "milestone"), NewDueDate: g.when().Add(1000 * time.Hour),
				Reason: "r", DependencyID: g.id(s, "dependency")}
		}
		return MeetDependency{ActorID: a, DependencyID: g.id(s, "dependency")}
	}
}

// of picks, most often, a current stakeholder of party rather than a.
func (g *gen) of(s *Engagement, p Party, a string) string {
	for _, x := range s.CurrentStakeholders() {
		if x.Party == p && g.chance(0.8) {
			return x.ID
		}
	}
	return a
}

// Stages with governance items.
func withRisk(t testing.TB) *script {
	return delivery(t).do(RaiseRisk{ActorID: sup, RiskID: "rk", Title: "Provider staff leave", Probability: 2, Impact: 5,
		OwnerID: prv, Response: "Pair on operations", MilestoneID: "ms-1"})
}

func withDifficulty(t testing.TB) *script {
	return delivery(t).do(ReportDifficulty{ActorID: sup, DifficultyID: "df", Description: "Legacy API"})
}

func withDependency(t testing.TB) *script {
	// delivery() ends at t0+10h; the dependency is due at t0+12h.
	return delivery(t).do(RaiseDependency{ActorID: sup, DependencyID: "dep", Title: "VPN access", OwedBy: cli, DueDate: t0.Add(12 * time.Hour)})
}

func TestDecideRisks(t *testing.T) {
	raise := func(mod func(*RaiseRisk)) RaiseRisk {
		c := RaiseRisk{ActorID: cli, RiskID: "r2", Title: "Legal review late", Probability: 3, Impact: 4, OwnerID: cli, Response: "Start early"}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	occurred := func(t testing.TB) *script {
		return withRisk(t).do(RecordRiskOccurred{ActorID: prv, RiskID: "rk", DifficultyID: "df", Description: "He left"})
	}
	closed := func(t testing.TB) *script {
		return withRisk(t).do(CloseRisk{ActorID: sup, RiskID: "rk", Reason: "Contract signed"})
	}
	for _, sc := range []scenario{
		{name: "raise", given: delivery, when: raise(nil), then: []Event{&RiskRaised{RiskID: "r2", Title: "Legal review late",
			Probability: 3, Impact: 4, OwnerID: cli, Response: "Start early"}}},
		{name: "raise in emergence", given: emergence, when: raise(func(c *RaiseRisk) { c.ActorID = sup }), then: []Event{&RiskRaised{RiskID: "r2",
			Title: "Legal review late", Probability: 3, Impact: 4, OwnerID: cli, Response: "Start early"}}},
		{name: "probability 0", given: delivery, when: raise(func(c *RaiseRisk) { c.Probability = 0 }), code: CodeInvalidRating, field: "probability"},
		{name: "impact 6", given: delivery, when: raise(func(c *RaiseRisk) { c.Impact = 6 }), code: CodeInvalidRating, field: "impact"},
		{name: "no response", given: delivery, when: raise(func(c *RaiseRisk) { c.Response = " " }), code: CodeFieldRequired, field: "response"},
		{name: "no owner", given: delivery, when: raise(func(c *RaiseRisk) { c.OwnerID = "" }), code: CodeFieldRequired, field: "owner_id"},
		{name: "unknown owner", given: delivery, when: raise(func(c *RaiseRisk) { c.OwnerID = "ghost" }), code: CodeStakeholderNotFound, field: "owner_id"},
		{name: "owner who left", given: func(t testing.TB) *script { return delivery(t).do(RemoveStakeholder{ActorID: prv, StakeholderID: prv}) },
			when: raise(func(c *RaiseRisk) { c.OwnerID = prv }), code: CodeStakeholderLeft, field: "owner_id"},
		{name: "unknown milestone", given: delivery, when: raise(func(c *RaiseRisk) { c.MilestoneID = "ms-9" }), code: CodeMilestoneNotFound},
		{name: "id taken", given: delivery, when: raise(func(c *RaiseRisk) { c.RiskID = "req-1" }), code: CodeDuplicateID, field: "risk_id"},

		{name: "review", given: withRisk, when: ReviewRisk{ActorID: cli, RiskID: "rk", Probability: 4, Impact: 5, Response: "Hire a second engineer"},
			then: []Event{&RiskReviewed{RiskID: "rk", Probability: 4, Impact: 5, Response: "Hire a second engineer"}}},
		{name: "review with a bad rating", given: withRisk, when: ReviewRisk{ActorID: cli, RiskID: "rk", Probability: 4, Impact: 0}, code: CodeInvalidRating, field: "impact"},
		{name: "review unknown", given: withRisk, when: ReviewRisk{ActorID: cli, RiskID: "nope", Probability: 1, Impact: 1}, code: CodeRiskNotFound},
		{name: "review a closed risk", given: closed, when: ReviewRisk{ActorID: cli, RiskID: "rk", Probability: 1, Impact: 1}, code: CodeRiskNotOpen},

		{name: "escalate", given: withRisk, when: EscalateRisk{ActorID: sup, RiskID: "rk", EscalatedTo: cli, Reason: "Budget"},
			then: []Event{&RiskEscalated{RiskID: "rk", EscalatedTo: cli, Reason: "Budget"}}},
		{name: "escalate to nobody", given: withRisk, when: EscalateRisk{ActorID: sup, RiskID: "rk", EscalatedTo: "ghost", Reason: "x"}, code: CodeStakeholderNotFound},
		{name: "escalate without reason", given: withRisk, when: EscalateRisk{ActorID: sup, RiskID: "rk", EscalatedTo: cli}, code: CodeFieldRequired, field: "reason"},
		{name: "escalated risk can occur", given: func(t testing.TB) *script {
			return withRisk(t).do(EscalateRisk{ActorID: sup, RiskID: "rk", EscalatedTo: cli, Reason: "Budget"})
		}, when: RecordRiskOccurred{ActorID: cli, RiskID: "rk", DifficultyID: "df", Description: "He left"},
			then: []Event{&DifficultyReported{DifficultyID: "df", MilestoneID: "ms-1", Description: "He left"}, &RiskOccurred{RiskID: "rk", DifficultyID: "df"}}},

		{name: "occurs: becomes a difficulty", given: withRisk, when: RecordRiskOccurred{ActorID: prv, RiskID: "rk", DifficultyID: "df", Description: "He left"},
			then: []Event{&DifficultyReported{DifficultyID: "df", MilestoneID: "ms-1", Description: "He left"}, &RiskOccurred{RiskID: "rk", DifficultyID: "df"}}},
		{name: "occurs twice", given: occurred, when: RecordRiskOccurred{ActorID: prv, RiskID: "rk", DifficultyID: "df2", Description: "x"}, code: CodeRiskNotOpen},
		{name: "occurs in emergence", given: func(t testing.TB) *script {
			return emergence(t).do(RaiseRisk{ActorID: sup, RiskID: "rk", Title: "t", Probability: 1, Impact: 1, OwnerID: sup, Response: "r"})
		}, when: RecordRiskOccurred{ActorID: sup, RiskID: "rk", DifficultyID: "df", Description: "x"}, code: CodeWrongPhase},
		{name: "occurs with a taken id", given: withRisk, when: RecordRiskOccurred{ActorID: prv, RiskID: "rk", DifficultyID: "ms-1", Description: "x"}, code: CodeDuplicateID},
		{name: "occurs without description", given: withRisk, when: RecordRiskOccurred{ActorID: prv, RiskID: "rk", DifficultyID: "df"}, code: CodeFieldRequired, field: "description"},

		{name: "close", given: withRisk, when: CloseRisk{ActorID: cli, RiskID: "rk", Reason: "Contract signed"},
			then: []Event{&RiskClosed{RiskID: "rk", Reason: "Contract signed"}}},
		{name: "close without reason", given: withRisk, when: CloseRisk{ActorID: cli, RiskID: "rk"}, code: CodeFieldRequired, field: "reason"},
		{name: "close an occurred risk", given: occurred, when: CloseRisk{ActorID: cli, RiskID: "rk", Reason: "x"}, code: CodeRiskNotOpen},
		{name: "close twice", given: closed, when: CloseRisk{ActorID: cli, RiskID: "rk", Reason: "x"}, code: CodeRiskNotOpen},
	} {
		t.Run(sc.name, sc.run)
	}
}

func TestDecideIssueLifecycle(t *testing.T) {
	resolved := func(t testing.TB) *script {
		return withDifficulty(t).do(ResolveDifficulty{ActorID: sup, DifficultyID: "df", Resolution: "Adapter written"})
	}
	for _, sc := range []scenario{
		{name: "assign", given: withDifficulty, when: AssignDifficulty{ActorID: cli, DifficultyID: "df", OwnerID: sup2, Severity: SeverityHigh},
			then: []Event{&DifficultyAssigned{DifficultyID: "df", OwnerID: sup2, Severity: SeverityHigh}}},
		{name: "reassign", given: func(t testing.TB) *script {
			return withDifficulty(t).do(AssignDifficulty{ActorID: cli, DifficultyID: "df", OwnerID: sup2, Severity: SeverityHigh})
		}, when: AssignDifficulty{ActorID: sup, DifficultyID: "df", OwnerID: prv, Severity: SeverityCritical},
			then: []Event{&DifficultyAssigned{DifficultyID: "df", OwnerID: prv, Severity: SeverityCritical}}},
		{name: "bad severity", given: withDifficulty, when: AssignDifficulty{ActorID: cli, DifficultyID: "df", OwnerID: sup2, Severity: "urgent"}, code: CodeInvalidSeverity, field: "severity"},
		{name: "no owner", given: withDifficulty, when: AssignDifficulty{ActorID: cli, DifficultyID: "df", Severity: SeverityLow}, code: CodeFieldRequired, field: "owner_id"},
		{name: "unknown difficulty", given: withDifficulty, when: AssignDifficulty{ActorID: cli, DifficultyID: "nope", OwnerID: sup, Severity: SeverityLow}, code: CodeDifficultyNotFound},
		{name: "assign a resolved one", given: resolved, when: AssignDifficulty{ActorID: cli, DifficultyID: "df", OwnerID: sup, Severity: SeverityLow}, code: CodeDifficultyNotOpen},
		{name: "resolve", given: withDifficulty, when: ResolveDifficulty{ActorID: prv, DifficultyID: "df", Resolution: "Adapter written"},
			then: []Event{&DifficultyResolved{DifficultyID: "df", Resolution: "Adapter written"}}},
		{name: "resolve without saying how", given: withDifficulty, when: ResolveDifficulty{ActorID: prv, DifficultyID: "df"}, code: CodeFieldRequired, field: "resolution"},
		{name: "resolve twice", given: resolved, when: ResolveDifficulty{ActorID: prv, DifficultyID: "df", Resolution: "x"}, code: CodeDifficultyNotOpen},
	} {
		t.Run(sc.name, sc.run)
	}
}

func TestDecideDependencies(t *testing.T) {
	raise := func(mod func(*RaiseDependency)) RaiseDependency {
		c := RaiseDependency{ActorID: sup, DependencyID: "d2", Title: "Product data export", OwedBy: cli, DueDate: due, MilestoneID: "ms-1"}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	delay := func(dep string) DiscloseDelay {
		return DiscloseDelay{ActorID: sup, DelayID: "dl", MilestoneID: "ms-1", NewDueDate: due.Add(72 * time.Hour), Reason: "No VPN", DependencyID: dep}
	}
	late := func(t testing.TB) *script {
		return withDependency(t).do(RecordLesson{ActorID: sup, LessonID: "l", Text: "wait"}, RecordLesson{ActorID: sup, LessonID: "l2", Text: "wait"})
	}
	for _, sc := range []scenario{
		{name: "raise", given: delivery, when: raise(nil), then: []Event{&DependencyRaised{DependencyID: "d2", Title: "Product data export",
			OwedBy: cli, OwedByParty: PartyClient, DueDate: due, MilestoneID: "ms-1"}}},
		{name: "raise in CET", given: delivery, when: raise(func(c *RaiseDependency) { c.DueDate = due.In(time.FixedZone("CET", 3600)) }),
			then: []Event{&DependencyRaised{DependencyID: "d2", Title: "Product data export", OwedBy: cli, OwedByParty: PartyClient, DueDate: due, MilestoneID: "ms-1"}}},
		{name: "no due date", given: delivery, when: raise(func(c *RaiseDependency) { c.DueDate = time.Time{} }), code: CodeFieldRequired, field: "due_date"},
		{name: "due before opening", given: delivery, when: raise(func(c *RaiseDependency) { c.DueDate = t0.Add(-time.Hour) }), code: CodeDateBeforeOpening, field: "due_date"},
		{name: "owed by nobody", given: delivery, when: raise(func(c *RaiseDependency) { c.OwedBy = "ghost" }), code: CodeStakeholderNotFound, field: "owed_by"},
		{name: "no title", given: delivery, when: raise(func(c *RaiseDependency) { c.Title = "" }), code: CodeFieldRequired, field: "title"},
		{name: "unknown milestone", given: delivery, when: raise(func(c *RaiseDependency) { c.MilestoneID = "x" }), code: CodeMilestoneNotFound},

		{name: "met", given: withDependency, when: MeetDependency{ActorID: sup, DependencyID: "dep", Note: "VPN works"},
			then: []Event{&DependencyMet{DependencyID: "dep", Note: "VPN works"}}},
		{name: "met twice", given: func(t testing.TB) *script {
			return withDependency(t).do(MeetDependency{ActorID: sup, DependencyID: "dep"})
		},
			when: MeetDependency{ActorID: cli, DependencyID: "dep"}, code: CodeDependencyNotOpen},
		{name: "met unknown", given: withDependency, when: MeetDependency{ActorID: sup, DependencyID: "x"}, code: CodeDependencyNotFound},

		// withDependency's next command is at t0+11h, before the due date;
		// late's is at t0+13h, after it.
		{name: "delay caused by a dependency not yet late", given: withDependency, when: delay("dep"),
			then: []Event{&DelayDisclosed{DelayID: "dl", MilestoneID: "ms-1", PreviousDueDate: due, NewDueDate: due.Add(72 * time.Hour), Reason: "No VPN",
				DependencyID: "dep", DependencyParty: PartyClient}}},
		{name: "delay caused by a late client dependency", given: late, when: delay("dep"),
			then: []Event{&DelayDisclosed{DelayID: "dl", MilestoneID: "ms-1", PreviousDueDate: due, NewDueDate: due.Add(72 * time.Hour), Reason: "No VPN",
				DependencyID: "dep", DependencyLate: true, DependencyParty: PartyClient}}},
		{name: "delay caused by a dependency met late", given: func(t testing.TB) *script { return late(t).do(MeetDependency{ActorID: sup, DependencyID: "dep"}) },
			when: delay("dep"), then: []Event{&DelayDisclosed{DelayID: "dl", MilestoneID: "ms-1", PreviousDueDate: due, NewDueDate: due.Add(72 * time.Hour),
				Reason: "No VPN", DependencyID: "dep", DependencyLate: true, DependencyParty: PartyClient}}},
		{name: "delay caused by an unknown dependency", given: withDependency, when: delay("nope"), code: CodeDependencyNotFound, field: "dependency_id"},
	} {
		t.Run(sc.name, sc.run)
	}
}

// TestEvolveGovernance: what the governance facts leave in the state.
func TestEvolveGovernance(t *testing.T) {
	s := withRisk(t).do(
		ReviewRisk{ActorID: cli, RiskID: "rk", Probability: 4, Impact: 5, Response: "Hire a second engineer", Note: "rumours"},
		EscalateRisk{ActorID: sup, RiskID: "rk", EscalatedTo: cli, Reason: "Budget"},
		RecordRiskOccurred{ActorID: prv, RiskID: "rk", DifficultyID: "df", Description: "He left"},
		AssignDifficulty{ActorID: cli, DifficultyID: "df", OwnerID: prv, Severity: SeverityCritical},
		RaiseDependency{ActorID: sup, DependencyID: "dep", Title: "VPN", OwedBy: cli, DueDate: t0.Add(time.Hour)},
		DiscloseDelay{ActorID: sup, DelayID: "dl", MilestoneID: "ms-1", NewDueDate: due.Add(time.Hour), Reason: "VPN", DependencyID: "dep"},
		MeetDependency{ActorID: cli, DependencyID: "dep"},
	)
	st := s.state
	r, _ := st.Risk("rk")
	if r.Status != StatusOccurred || r.Score != 20 || r.Response != "Hire a second engineer" || len(r.Reviews) != 1 ||
		r.EscalatedTo != cli || r.DifficultyID != "df" || r.ClosedBy != prv {
		t.Errorf("risk: %+v", r)
	}
	df, _ := st.Difficulty("df")
	if df.RiskID != "rk" || df.OwnerID != prv || df.Severity != SeverityCritical || df.Status != StatusOpen || df.MilestoneID != "ms-1" {
		t.Errorf("difficulty: %+v", df)
	}
	if df.Age(df.ReportedAt.Add(48*time.Hour)) != 48*time.Hour {
		t.Errorf("age %v", df.Age(df.ReportedAt.Add(48*time.Hour)))
	}
	dep, _ := st.Dependency("dep")
	if dep.Status != StatusMet || !reflect.DeepEqual(dep.DelayIDs, []string{"dl"}) || !dep.LateAt(dep.MetAt) || dep.MetBy != cli {
		t.Errorf("dependency: %+v", dep)
	}
	if d, _ := st.Delay("dl"); d.DependencyID != "dep" || !d.DependencyLate || d.DependencyParty != PartyClient {
		t.Errorf("delay: %+v", d)
	}
	if st.KindOfID("rk") != "risk" || st.KindOfID("dep") != "dependency" {
		t.Error("KindOfID")
	}
	// A clone is deep, and folds the same.
	c := st.Clone()
	if !reflect.DeepEqual(c, st) {
		t.Fatal("clone differs")
	}
	c.Risks[0].Reviews[0].Note = "x"
	c.Dependencies[0].DelayIDs[0] = "x"
	c.Risks[0].Title = "x"
	if r.Reviews[0].Note != "rumours" || dep.DelayIDs[0] != "dl" || r.Title != "Provider staff leave" {
		t.Error("the clone shares memory with the state")
	}
	if _, ok := c.Risk("rk"); !ok {
		t.Error("the clone is not indexed")
	}
}

// TestDependencyLateAt: late while unmet after the due date, or met after
// it; the moment recorded counts.
func TestDependencyLateAt(t *testing.T) {
	dueAt := t0.Add(24 * time.Hour)
	for _, tc := range []struct {
		name string
		dep  Dependency
		now  time.Time
		late bool
	}{
		{"open, before due", Dependency{Status: StatusOpen, DueDate: dueAt}, dueAt.Add(-time.Second), false},
		{"open, at due", Dependency{Status: StatusOpen, DueDate: dueAt}, dueAt, false},
		{"open, after due", Dependency{Status: StatusOpen, DueDate: dueAt}, dueAt.Add(time.Second), true},
		{"met on time", Dependency{Status: StatusMet, DueDate: dueAt, MetAt: dueAt}, dueAt.Add(time.Hour), false},
		{"met late", Dependency{Status: StatusMet, DueDate: dueAt, MetAt: dueAt.Add(time.Minute)}, dueAt.Add(time.Hour), true},
		{"met late, said on time", Dependency{Status: StatusMet, DueDate: dueAt, MetAt: dueAt.Add(time.Minute), MetOccurredAt: dueAt}, dueAt.Add(time.Hour), true},
	} {
		if got := tc.dep.LateAt(tc.now); got != tc.late {
			t.Errorf("%s: late %v, want %v", tc.name, got, tc.late)
		}
	}
}

func TestDecideChangeImpact(t *testing.T) {
	requested := func(t testing.TB) *script {
		return delivery(t).do(add(cli, cli2, PartyClient, "Chloe"), RequestChange{ActorID: cli, ChangeID: "ch", Description: "Add PDF"})
	}
	assessed := func(t testing.TB) *script {
		return requested(t).do(AssessChangeImpact{ActorID: sup, ChangeID: "ch", ScheduleImpactDays: 5, CostImpact: 250000, Currency: "EUR", ApproverID: cli2, ApproveBy: due})
	}
	delegated := func(t testing.TB) *script {
		return assessed(t).do(DelegateChangeApproval{ActorID: cli2, ChangeID: "ch", DelegateID: cli})
	}
	assess := func(mod func(*AssessChangeImpact)) AssessChangeImpact {
		c := AssessChangeImpact{ActorID: sup, ChangeID: "ch", ScheduleImpactDays: 5, CostImpact: 250000, Currency: "EUR", ApproverID: cli2, ApproveBy: due}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	for _, sc := range []scenario{
		{name: "assess", given: requested, when: assess(nil), then: []Event{&ChangeImpactAssessed{ChangeID: "ch", ScheduleImpactDays: 5,
			CostImpact: 250000, Currency: "EUR", ApproverID: cli2, ApproveBy: due}}},
		{name: "assess without cost needs no currency", given: requested, when: assess(func(c *AssessChangeImpact) { c.CostImpact, c.Currency = 0, "" }),
			then: []Event{&ChangeImpactAssessed{ChangeID: "ch", ScheduleImpactDays: 5, ApproverID: cli2, ApproveBy: due}}},
		{name: "cost without currency", given: requested, when: assess(func(c *AssessChangeImpact) { c.Currency = "" }), code: CodeInvalidCurrency},
		{name: "approver on the supplier side", given: requested, when: assess(func(c *AssessChangeImpact) { c.ApproverID = sup2 }), code: CodeNotClientSide, field: "approver_id"},
		{name: "no approver", given: requested, when: assess(func(c *AssessChangeImpact) { c.ApproverID = "" }), code: CodeFieldRequired, field: "approver_id"},
		{name: "no date", given: requested, when: assess(func(c *AssessChangeImpact) { c.ApproveBy = time.Time{} }), code: CodeFieldRequired, field: "approve_by"},
		{name: "assess a decided change", given: func(t testing.TB) *script { return requested(t).do(ApproveChange{ActorID: cli, ChangeID: "ch"}) },
			when: assess(nil), code: CodeChangeNotOpen},

		{name: "only the approver approves", given: assessed, when: ApproveChange{ActorID: cli, ChangeID: "ch"}, code: CodeNotTheApprover},
		{name: "only the approver rejects", given: assessed, when: RejectChange{ActorID: cli, ChangeID: "ch", Reason: "no"}, code: CodeNotTheApprover},
		{name: "the approver approves", given: assessed, when: ApproveChange{ActorID: cli2, ChangeID: "ch"}, then: []Event{&ChangeApproved{ChangeID: "ch"}}},
		{name: "unassessed: any client", given: requested, when: ApproveChange{ActorID: cli, ChangeID: "ch"}, then: []Event{&ChangeApproved{ChangeID: "ch"}}},

		{name: "delegate", given: assessed, when: DelegateChangeApproval{ActorID: cli2, ChangeID: "ch", DelegateID: cli},
			then: []Event{&ChangeApprovalDelegated{ChangeID: "ch", DelegateID: cli}}},
		{name: "someone else delegates", given: assessed, when: DelegateChangeApproval{ActorID: cli, ChangeID: "ch", DelegateID: cli}, code: CodeNotTheApprover},
		{name: "delegate an unassessed change", given: requested, when: DelegateChangeApproval{ActorID: cli, ChangeID: "ch", DelegateID: cli2}, code: CodeNotTheApprover},
		{name: "delegate to the supplier", given: assessed, when: DelegateChangeApproval{ActorID: cli2, ChangeID: "ch", DelegateID: sup}, code: CodeNotClientSide},
		{name: "the delegate rejects", given: delegated, when: RejectChange{ActorID: cli, ChangeID: "ch", Reason: "too dear"},
			then: []Event{&ChangeRejected{ChangeID: "ch", Reason: "too dear"}}},
		{name: "the approver still approves", given: delegated, when: ApproveChange{ActorID: cli2, ChangeID: "ch"}, then: []Event{&ChangeApproved{ChangeID: "ch"}}},
		{name: "a new assessment drops the delegation", given: func(t testing.TB) *script { return delegated(t).do(assess(nil)) },
			when: ApproveChange{ActorID: cli, ChangeID: "ch"}, code: CodeNotTheApprover},
	} {
		t.Run(sc.name, sc.run)
	}
}
