package domain

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func claim(t time.Time) Claim { return Claim{OccurredAt: t} }

// TestDecideClaims: a fact may be recorded after it happened, with the
// moment it is said to have happened (occurred_at), inside the
// engagement's life and never before what it names.
func TestDecideClaims(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	h := func(d time.Duration) time.Time { return t0.Add(d) } // the script runs one command an hour from t0
	informed := func(t testing.TB) *script {
		return delivery(t).do(InformClient{ActorID: sup, Claim: claim(h(9*time.Hour + 30*time.Minute)), InformationID: "i-1",
			Subject: "Beta slips", Channel: ChannelCall, Recipients: []string{cli}})
	}
	inform := func(at time.Time, recipients []string, about ...string) InformClient {
		return InformClient{ActorID: sup, Claim: claim(at), InformationID: "i", Subject: "s", Channel: ChannelCall, Recipients: recipients, About: about}
	}
	for _, sc := range []scenario{
		{name: "told earlier, recorded now", given: delivery, when: inform(h(9*time.Hour+30*time.Minute).In(cet), []string{cli}, "req-1"),
			occurred: h(9*time.Hour + 30*time.Minute),
			then:     []Event{&ClientInformed{InformationID: "i", Subject: "s", Channel: ChannelCall, Recipients: []string{cli}, About: []string{"req-1"}}}},
		{name: "claimed at the opening", given: scoping, when: RaiseRequirement{ActorID: cli, Claim: claim(t0), RequirementID: "r", Title: "t"},
			occurred: t0, then: []Event{&RequirementRaised{RequirementID: "r", Title: "t"}}},
		{name: "claimed in the future", given: delivery, when: inform(h(12*time.Hour), []string{cli}), code: CodeDateInFuture, field: "occurred_at"},
		{name: "claimed before the opening", given: delivery, when: inform(t0.Add(-time.Minute), []string{cli}), code: CodeDateBeforeOpening, field: "occurred_at"},
		{name: "claimed out of range", given: delivery, when: inform(time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), []string{cli}), code: CodeInvalidDate, field: "occurred_at"},
		{name: "claimed before a recipient joined", given: delivery, when: inform(h(90*time.Minute), []string{cli, sup2}), code: CodeDateBeforeReference, field: "occurred_at"},
		{name: "claimed before what it is about", given: delivery, when: inform(h(8*time.Hour), []string{cli}, "req-1"), code: CodeDateBeforeReference, field: "occurred_at"},
		{name: "acknowledged before it was told", given: informed, when: AcknowledgeInformation{ActorID: cli, Claim: claim(h(9 * time.Hour)), InformationID: "i-1"},
			code: CodeDateBeforeReference, field: "occurred_at"},
		{name: "acknowledged after it was told", given: informed, when: AcknowledgeInformation{ActorID: cli, Claim: claim(h(10 * time.Hour)), InformationID: "i-1"},
			occurred: h(10 * time.Hour), then: []Event{&InformationAcknowledged{InformationID: "i-1"}}},
		{name: "joined a party before it joined", given: scoping, when: AddStakeholder{ActorID: prv, Claim: claim(h(2 * time.Hour)),
			NewStakeholder: NewStakeholder{StakeholderID: "p2", Party: PartyProvider, Name: "Pat"}}, code: CodeDateBeforeReference, field: "occurred_at"},
		{name: "joined the client early", given: scoping, when: AddStakeholder{ActorID: sup, Claim: claim(h(2 * time.Hour)),
			NewStakeholder: NewStakeholder{StakeholderID: "c3", Party: PartyClient, Name: "Cam"}},
			occurred: h(2 * time.Hour), then: []Event{&StakeholderJoined{StakeholderID: "c3", Party: PartyClient, Name: "Cam", Late: true}}},
		// The rules of the command come first: a claim never hides them.
		{name: "other rules first", given: delivery, when: ProposeFeature{ActorID: cli, Claim: claim(h(48 * time.Hour)), FeatureID: "f", Title: "t"}, code: CodeActorWrongParty},
	} {
		t.Run(sc.name, sc.run)
	}
}

// TestEvolveKeepsClaims: the state shows each claimed moment beside the
// recorded one, and the trust indicators keep to the recorded one: a delay
// said to have been disclosed before the due date but recorded after it
// has a negative lead time.
func TestEvolveKeepsClaims(t *testing.T) {
	s := delivery(t) // the next command is decided at t0+11h
	dueSoon := t0.Add(11*time.Hour + 30*time.Minute)
	said := t0.Add(11*time.Hour + 15*time.Minute)
	s.do(
		PlanMilestone{ActorID: sup, MilestoneID: "ms-2", Title: "Demo", DueDate: dueSoon},                                                         // at t0+11h
		DiscloseDelay{ActorID: sup, Claim: claim(said), DelayID: "dl", MilestoneID: "ms-2", NewDueDate: dueSoon.Add(48 * time.Hour), Reason: "x"}, // at t0+12h
		InformClient{ActorID: sup, Claim: claim(said), InformationID: "i", Subject: "Demo slips", Channel: ChannelCall, Recipients: []string{cli}, About: []string{"dl"}},
		AcknowledgeInformation{ActorID: cli, InformationID: "i"},
	)
	st := s.state
	d, _ := st.Delay("dl")
	if !d.DisclosedAt.Equal(t0.Add(12*time.Hour)) || !d.DisclosedOccurredAt.Equal(said) {
		t.Errorf("delay disclosed at %s, said %s", d.DisclosedAt, d.DisclosedOccurredAt)
	}
	if d.LeadTime() != -30*time.Minute {
		t.Errorf("lead time %s: want -30m, from the recorded disclosure", d.LeadTime())
	}
	in, _ := st.Information("i")
	if !in.InformedOccurredAt.Equal(said) || !in.InformedAt.Equal(t0.Add(13*time.Hour)) {
		t.Errorf("information informed at %s, said %s", in.InformedAt, in.InformedOccurredAt)
	}
	if a := in.Acknowledgements[0]; !a.OccurredAt.IsZero() || !a.At.Equal(t0.Add(14*time.Hour)) {
		t.Errorf("acknowledgement without a claim: %+v", a)
	}
	// A clone keeps when each fact happened, so the rule holds on it too.
	_, err := Decide(st.Clone(), AcknowledgeInformation{ActorID: cli, Claim: claim(said.Add(-time.Minute)), InformationID: "i"}, s.now)
	if CodeOf(err) != CodeAlreadyAcknowledged {
		t.Errorf("got %v", err)
	}
	_, err = Decide(st.Clone(), InformClient{ActorID: sup, Claim: claim(said.Add(-time.Minute)), InformationID: "i2", Subject: "s",
		Channel: ChannelCall, Recipients: []string{cli}, About: []string{"i"}}, s.now)
	if CodeOf(err) != CodeDateBeforeReference {
		t.Errorf("about an information said to have happened later: got %v", err)
	}
}

// TestEveryCodeHasAKind: every Code* constant of errors.go is in the table
// the contract's lists are checked against.
func TestEveryCodeHasAKind(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(x ast.Node) bool {
		vs, ok := x.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || !strings.HasPrefix(vs.Names[0].Name, "Code") || len(vs.Values) != 1 {
			return true
		}
		lit, ok := vs.Values[0].(*ast.BasicLit)
		if !ok {
			return true
		}
		code, _ := strconv.Unquote(lit.Value)
		n++
		if KindOfCode(code) == 0 {
			t.Errorf("%s (%q) has no kind in codeKinds", vs.Names[0].Name, code)
		}
		return true
	})
	if n != len(Codes()) {
		t.Errorf("errors.go declares %d codes, codeKinds has %d", n, len(Codes()))
	}
}

// TestEveryCodeRefusesSomething: each code is in some command's Refusals,
// so in the contract, unless Decide no longer returns it (codes are never
// reused, so those stay declared).
func TestEveryCodeRefusesSomething(t *testing.T) {
	unused := []string{CodeUnknownCommand, CodeWrongKindOfReference, CodeExpertNotInvited}
	listed := map[string]bool{}
	for _, c := range []Command{OpenEngagement{}, AdvancePhase{}, CloseEngagement{}, RecordLesson{}, JoinParty{}, DefinePerimeter{},
		AddStakeholder{}, BriefStakeholder{}, RemoveStakeholder{}, InviteExpert{}, CommitExpert{}, WithdrawExpert{}, JoinDiscussion{},
		SignAgreement{}, HoldWorkshop{}, DefineIndicator{}, MeasureIndicator{}, RaiseRequirement{}, AskQuestion{}, ClarifyRequirement{},
		MakeAssumption{}, ValidateAssumption{}, RejectAssumption{}, RequestChange{}, ApproveChange{}, RejectChange{}, ProposeFeature{},
		AcceptFeature{}, DeclineFeature{}, PlanMilestone{}, ReportDifficulty{}, DiscloseDelay{}, DiscloseCostImpact{}, DiscloseSkillsGap{},
		InformClient{}, AcknowledgeInformation{}, MakeDecision{}, MakeDelivery{}, AcceptDelivery{}, RejectDelivery{}, RaiseNeedAtDelivery{}} {
		rs := Refusals(c)
		if len(rs) == 0 {
			t.Errorf("%T: no refusals", c)
		}
		for _, code := range rs {
			listed[code] = true
		}
	}
	for _, c := range GovernanceCommands() {
		rs := Refusals(c)
		if len(rs) == 0 {
			t.Errorf("%T: no refusals", c)
		}
		for _, code := range rs {
			listed[code] = true
		}
	}
	for _, c := range Codes() {
		if listed[c] == slices.Contains(unused, c) {
			t.Errorf("%s: listed %v, declared unused %v", c, listed[c], slices.Contains(unused, c))
		}
	}
}
