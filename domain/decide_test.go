package domain

import (
	"errors"
	"math"
	"testing"
	"time"
)

func none(testing.TB) *script { return newScript(nil) }

func TestDecideLifecycle(t *testing.T) {
	closed := func(t testing.TB) *script {
		return acceptance(t).do(AcceptDelivery{ActorID: cli, DeliveryID: "dlv-1"}, CloseEngagement{ActorID: sup})
	}
	for _, sc := range []scenario{
		{name: "open", given: none, when: openCmd(), then: []Event{
			&EngagementOpened{Title: "New billing platform", ClientName: "Acme", SupplierName: "Candor Consulting"},
			&StakeholderJoined{StakeholderID: sup, Party: PartySupplier, Name: "Sam", Email: "sam@example.com", PrincipalID: "pr-sam"},
		}},
		{name: "open by pointer", given: none, when: func() Command { c := openCmd(); return &c }(), then: []Event{
			&EngagementOpened{Title: "New billing platform", ClientName: "Acme", SupplierName: "Candor Consulting"},
			&StakeholderJoined{StakeholderID: sup, Party: PartySupplier, Name: "Sam", Email: "sam@example.com", PrincipalID: "pr-sam"},
		}},
		{name: "open twice", given: emergence, when: openCmd(), code: CodeEngagementExists},
		{name: "open without title", given: none, when: func() Command { c := openCmd(); c.Title = " "; return c }(), code: CodeFieldRequired, field: "title"},
		{name: "open with bad id", given: none, when: func() Command { c := openCmd(); c.EngagementID = "a b"; return c }(), code: CodeInvalidID, field: "engagement_id"},
		{name: "open by provider", given: none, when: func() Command { c := openCmd(); c.Opener.Party = PartyProvider; return c }(), code: CodeInvalidParty},
		{name: "open with bad email", given: none, when: func() Command { c := openCmd(); c.Opener.Email = "sam at home"; return c }(), code: CodeInvalidEmail, field: "opener.email"},
		{name: "open by someone else", given: none, when: func() Command { c := openCmd(); c.ActorID = "x"; return c }(), code: CodeActorNotStakeholder},
		{name: "open with opener id = engagement id", given: none, when: func() Command { c := openCmd(); c.Opener.StakeholderID = eng; return c }(), code: CodeDuplicateID},
		{name: "command before open", given: none, when: RecordLesson{ActorID: sup, LessonID: "l", Text: "x"}, code: CodeEngagementNotFound},
		{name: "nil command", given: emergence, when: nil, code: CodeUnknownCommand},
		{name: "nil pointer command", given: emergence, when: (*RecordLesson)(nil), code: CodeUnknownCommand},

		{name: "advance to scoping", given: func(t testing.TB) *script { return emergence(t) }, when: AdvancePhase{ActorID: cli, To: PhaseScoping},
			then: []Event{&PhaseAdvanced{From: PhaseEmergence, To: PhaseScoping}}},
		{name: "advance to scoping without client", given: func(t testing.TB) *script { return newScript(t).do(openCmd()) },
			when: AdvancePhase{ActorID: sup, To: PhaseScoping}, code: CodeNoClientStakeholder},
		{name: "advance to scoping after the client left", given: func(t testing.TB) *script {
			return emergence(t).do(RemoveStakeholder{ActorID: cli, StakeholderID: cli})
		}, when: AdvancePhase{ActorID: sup, To: PhaseScoping}, code: CodeNoClientStakeholder},
		{name: "skip a phase", given: emergence, when: AdvancePhase{ActorID: sup, To: PhaseDelivery}, code: CodePhaseNotNext},
		{name: "go back", given: delivery, when: AdvancePhase{ActorID: sup, To: PhaseScoping}, code: CodePhaseNotNext},
		{name: "advance to closed", given: acceptance, when: AdvancePhase{ActorID: sup, To: PhaseClosed}, code: CodeInvalidPhase, field: "to"},
		{name: "advance to nowhere", given: emergence, when: AdvancePhase{ActorID: sup, To: "later"}, code: CodeInvalidPhase},
		{name: "delivery needs agreement", given: scoping, when: AdvancePhase{ActorID: sup, To: PhaseDelivery}, code: CodeAgreementNotSigned},
		{name: "acceptance needs a delivery", given: delivery, when: AdvancePhase{ActorID: sup, To: PhaseAcceptance}, code: CodeNoDeliveryMade},
		{name: "advance to acceptance", given: func(t testing.TB) *script {
			return delivery(t).do(MakeDelivery{ActorID: sup, DeliveryID: "d", Title: "t"})
		}, when: AdvancePhase{ActorID: sup, To: PhaseAcceptance}, then: []Event{&PhaseAdvanced{From: PhaseDelivery, To: PhaseAcceptance}}},

		{name: "close", given: func(t testing.TB) *script { return acceptance(t).do(AcceptDelivery{ActorID: cli, DeliveryID: "dlv-1"}) },
			when: CloseEngagement{ActorID: cli, Summary: "done"}, then: []Event{&EngagementClosed{Summary: "done"}}},
		{name: "close with rejected delivery", given: func(t testing.TB) *script {
			return acceptance(t).do(RejectDelivery{ActorID: cli, DeliveryID: "dlv-1", Reason: "broken"})
		}, when: CloseEngagement{ActorID: cli}, then: []Event{&EngagementClosed{}}},
		{name: "close with a retention period", given: func(t testing.TB) *script { return acceptance(t).do(AcceptDelivery{ActorID: cli, DeliveryID: "dlv-1"}) },
			when: CloseEngagement{ActorID: cli, RetentionDays: 365}, then: []Event{&EngagementClosed{RetentionDays: 365}}},
		{name: "close with a negative retention", given: func(t testing.TB) *script { return acceptance(t).do(AcceptDelivery{ActorID: cli, DeliveryID: "dlv-1"}) },
			when: CloseEngagement{ActorID: cli, RetentionDays: -1}, code: CodeInvalidNumber, field: "retention_days"},
		{name: "close with a retention beyond the bound", given: func(t testing.TB) *script { return acceptance(t).do(AcceptDelivery{ActorID: cli, DeliveryID: "dlv-1"}) },
			when: CloseEngagement{ActorID: cli, RetentionDays: MaxRetentionDays + 1}, code: CodeInvalidNumber, field: "retention_days"},
		{name: "close while awaiting acceptance", given: acceptance, when: CloseEngagement{ActorID: sup}, code: CodeDeliveriesAwaiting},
		{name: "close from delivery", given: delivery, when: CloseEngagement{ActorID: sup}, code: CodeWrongPhase},
		{name: "closed takes no command", given: closed, when: RecordLesson{ActorID: sup, LessonID: "l", Text: "x"}, code: CodeEngagementClosed},
		{name: "closed takes no close", given: closed, when: CloseEngagement{ActorID: sup}, code: CodeEngagementClosed},

		{name: "lesson", given: acceptance, when: RecordLesson{ActorID: cli, LessonID: "l-1", Text: "Disclose early"},
			then: []Event{&LessonRecorded{LessonID: "l-1", Text: "Disclose early"}}},
		{name: "lesson in emergence", given: emergence, when: RecordLesson{ActorID: prv, LessonID: "l-1", Text: "x"},
			then: []Event{&LessonRecorded{LessonID: "l-1", Text: "x"}}},
		{name: "lesson without text", given: acceptance, when: RecordLesson{ActorID: cli, LessonID: "l-1"}, code: CodeFieldRequired, field: "text"},
		{name: "lesson reusing a requirement id", given: acceptance, when: RecordLesson{ActorID: cli, LessonID: "req-1", Text: "x"}, code: CodeDuplicateID, field: "lesson_id"},
		{name: "lesson reusing a stakeholder id", given: acceptance, when: RecordLesson{ActorID: cli, LessonID: cli, Text: "x"}, code: CodeDuplicateID},
		{name: "lesson reusing the engagement id", given: acceptance, when: RecordLesson{ActorID: cli, LessonID: eng, Text: "x"}, code: CodeDuplicateID},
	} {
		t.Run(sc.name, sc.run)
	}
}

func TestDecideActor(t *testing.T) {
	left := func(t testing.TB) *script { return scoping(t).do(RemoveStakeholder{ActorID: sup, StakeholderID: sup2}) }
	for _, sc := range []scenario{
		{name: "no actor", given: scoping, when: RaiseRequirement{RequirementID: "r", Title: "t"}, code: CodeActorRequired, field: "actor_id"},
		{name: "unknown actor", given: scoping, when: RaiseRequirement{ActorID: "ghost", RequirementID: "r", Title: "t"}, code: CodeActorNotStakeholder},
		{name: "actor who left", given: left, when: RaiseRequirement{ActorID: sup2, RequirementID: "r", Title: "t"}, code: CodeActorLeft},
		{name: "wrong side", given: scoping, when: ProposeFeature{ActorID: cli, FeatureID: "f", Title: "t"}, code: CodeActorWrongParty},
		{name: "provider is supplier side", given: scoping, when: ProposeFeature{ActorID: prv, FeatureID: "f", Title: "t"},
			then: []Event{&FeatureProposed{FeatureID: "f", Title: "t"}}},
	} {
		t.Run(sc.name, sc.run)
	}
}

func TestDecideErrorKinds(t *testing.T) {
	s := scoping(t)
	for _, tc := range []struct {
		cmd  Command
		kind Kind
		sent *Error
	}{
		{RaiseRequirement{ActorID: "ghost"}, KindForbidden, ErrForbidden},
		{RaiseRequirement{ActorID: cli}, KindInvalid, ErrInvalid},
		{ValidateAssumption{ActorID: cli, AssumptionID: "nope"}, KindNotFound, ErrNotFound},
		{AdvancePhase{ActorID: cli, To: PhaseAcceptance}, KindConflict, ErrConflict},
	} {
		_, err := Decide(s.state, tc.cmd, s.now)
		if KindOf(err) != tc.kind || !errors.Is(err, tc.sent) {
			t.Errorf("%T: error %v has kind %v, want %v", tc.cmd, err, KindOf(err), tc.kind)
		}
		if !errors.Is(err, &Error{Code: CodeOf(err)}) || errors.Is(err, &Error{Code: "other"}) {
			t.Errorf("%T: errors.Is by code does not work", tc.cmd)
		}
	}
}

func TestDecidePeople(t *testing.T) {
	late := func(t testing.TB) *script { return scoping(t).do(add(sup, cli2, PartyClient, "Chloe")) }
	for _, sc := range []scenario{
		{name: "join provider", given: func(t testing.TB) *script { return newScript(t).do(openCmd()) },
			when: JoinParty{ActorID: sup, Party: PartyProvider, Name: "Hosting"}, then: []Event{&PartyJoined{Party: PartyProvider, Name: "Hosting"}}},
		{name: "join twice", given: emergence, when: JoinParty{ActorID: sup, Party: PartyProvider, Name: "Other"}, code: CodePartyAlreadyJoined},
		{name: "client already there", given: emergence, when: JoinParty{ActorID: sup, Party: PartyClient, Name: "Other"}, code: CodePartyAlreadyJoined},
		{name: "join bad party", given: emergence, when: JoinParty{ActorID: sup, Party: "bank", Name: "x"}, code: CodeInvalidParty, field: "party"},
		{name: "join without name", given: emergence, when: JoinParty{ActorID: sup, Party: PartyProvider}, code: CodeFieldRequired},

		{name: "perimeter", given: emergence, when: DefinePerimeter{ActorID: prv, Party: PartyProvider, Description: "Hosting", Excludes: []string{"code"}},
			then: []Event{&PerimeterDefined{Party: PartyProvider, Description: "Hosting", Excludes: []string{"code"}}}},
		{name: "perimeter of absent party", given: func(t testing.TB) *script { return newScript(t).do(openCmd()) },
			when: DefinePerimeter{ActorID: sup, Party: PartyProvider, Description: "x"}, code: CodePartyNotFound},
		{name: "perimeter bad party", given: emergence, when: DefinePerimeter{ActorID: sup, Party: "x", Description: "x"}, code: CodeInvalidParty},
		{name: "perimeter without description", given: emergence, when: DefinePerimeter{ActorID: sup, Party: PartyClient}, code: CodeFieldRequired},

		{name: "add in emergence is not late", given: emergence, when: add(sup, cli2, PartyClient, "Chloe"),
			then: []Event{&StakeholderJoined{StakeholderID: cli2, Party: PartyClient, Name: "Chloe", PrincipalID: "pr-" + cli2}}},
		{name: "add after emergence is late", given: scoping, when: add(cli, cli2, PartyClient, "Chloe"),
			then: []Event{&StakeholderJoined{StakeholderID: cli2, Party: PartyClient, Name: "Chloe", PrincipalID: "pr-" + cli2, Late: true}}},
		{name: "add to absent party", given: func(t testing.TB) *script { return newScript(t).do(openCmd()) },
			when: add(sup, prv, PartyProvider, "Paul"), code: CodePartyNotFound},
		{name: "add bad party", given: emergence, when: add(sup, "x", "bank", "X"), code: CodeInvalidParty},
		{name: "add duplicate id", given: emergence, when: add(sup, cli, PartyClient, "Claire again"), code: CodeDuplicateID, field: "stakeholder_id"},
		{name: "add without name", given: emergence, when: add(sup, "x", PartyClient, ""), code: CodeFieldRequired, field: "name"},
		{name: "add bad email", given: emergence, when: func() Command {
			c := add(sup, "x", PartyClient, "X")
			c.Email = "not-an-email"
			return c
		}(), code: CodeInvalidEmail, field: "email"},
		{name: "principal taken", given: emergence, when: func() Command {
			c := add(sup, "x", PartyClient, "X")
			c.PrincipalID = "pr-" + cli
			return c
		}(), code: CodePrincipalTaken, field: "principal_id"},
		{name: "principal of someone who left is free", given: func(t testing.TB) *script {
			return emergence(t).do(RemoveStakeholder{ActorID: cli, StakeholderID: cli})
		}, when: func() Command {
			c := add(sup, "x", PartyClient, "X")
			c.PrincipalID = "pr-" + cli
			return c
		}(), then: []Event{&StakeholderJoined{StakeholderID: "x", Party: PartyClient, Name: "X", PrincipalID: "pr-" + cli}}},

		{name: "brief late stakeholder", given: late, when: BriefStakeholder{ActorID: cli, StakeholderID: cli2, Summary: "context"},
			then: []Event{&StakeholderBriefed{StakeholderID: cli2, Summary: "context"}}},
		{name: "brief self", given: late, when: BriefStakeholder{ActorID: cli2, StakeholderID: cli2, Summary: "x"}, code: CodeCannotBriefSelf},
		{name: "brief twice", given: func(t testing.TB) *script {
			return late(t).do(BriefStakeholder{ActorID: sup, StakeholderID: cli2, Summary: "x"})
		}, when: BriefStakeholder{ActorID: cli, StakeholderID: cli2, Summary: "x"}, code: CodeAlreadyBriefed},
		{name: "brief a founding stakeholder", given: late, when: BriefStakeholder{ActorID: sup, StakeholderID: cli, Summary: "x"}, code: CodeAlreadyBriefed},
		{name: "brief unknown", given: late, when: BriefStakeholder{ActorID: sup, StakeholderID: "ghost", Summary: "x"}, code: CodeStakeholderNotFound},
		{name: "brief without summary", given: late, when: BriefStakeholder{ActorID: sup, StakeholderID: cli2}, code: CodeFieldRequired},
		{name: "brief who left", given: func(t testing.TB) *script {
			return late(t).do(RemoveStakeholder{ActorID: cli, StakeholderID: cli2})
		}, when: BriefStakeholder{ActorID: sup, StakeholderID: cli2, Summary: "x"}, code: CodeStakeholderLeft},

		// Who may remove whom: oneself, or someone of one's own party.
		{name: "remove", given: emergence, when: RemoveStakeholder{ActorID: sup, StakeholderID: sup2, Reason: "moved"},
			then: []Event{&StakeholderLeft{StakeholderID: sup2, Reason: "moved"}}},
		{name: "remove oneself", given: emergence, when: RemoveStakeholder{ActorID: prv, StakeholderID: prv, Reason: "moved"},
			then: []Event{&StakeholderLeft{StakeholderID: prv, Reason: "moved"}}},
		{name: "client removes a client", given: late, when: RemoveStakeholder{ActorID: cli, StakeholderID: cli2},
			then: []Event{&StakeholderLeft{StakeholderID: cli2}}},
		{name: "client removes a supplier", given: emergence, when: RemoveStakeholder{ActorID: cli, StakeholderID: sup2}, code: CodeOtherPartysStakeholder},
		{name: "client removes the provider's", given: emergence, when: RemoveStakeholder{ActorID: cli, StakeholderID: prv}, code: CodeOtherPartysStakeholder},
		{name: "supplier removes a client", given: emergence, when: RemoveStakeholder{ActorID: sup, StakeholderID: cli}, code: CodeOtherPartysStakeholder},
		{name: "supplier removes the provider's", given: emergence, when: RemoveStakeholder{ActorID: sup, StakeholderID: prv}, code: CodeOtherPartysStakeholder},
		{name: "provider removes a supplier", given: emergence, when: RemoveStakeholder{ActorID: prv, StakeholderID: sup}, code: CodeOtherPartysStakeholder},
		{name: "remove twice", given: func(t testing.TB) *script {
			return emergence(t).do(RemoveStakeholder{ActorID: sup, StakeholderID: sup2})
		}, when: RemoveStakeholder{ActorID: sup, StakeholderID: sup2}, code: CodeStakeholderLeft},
		{name: "remove unknown", given: emergence, when: RemoveStakeholder{ActorID: sup, StakeholderID: "ghost"}, code: CodeStakeholderNotFound},
	} {
		t.Run(sc.name, sc.run)
	}
}

func TestDecideEmergence(t *testing.T) {
	invited := func(t testing.TB) *script {
		return emergence(t).do(InviteExpert{ActorID: sup, ExpertID: "x-1", Name: "Eve", Expertise: "billing"})
	}
	for _, sc := range []scenario{
		{name: "invite", given: emergence, when: InviteExpert{ActorID: sup, ExpertID: "x-1", Name: "Eve", Email: "eve@example.org"},
			then: []Event{&ExpertInvited{ExpertID: "x-1", Name: "Eve", Email: "eve@example.org"}}},
		{name: "invite by client", given: emergence, when: InviteExpert{ActorID: cli, ExpertID: "x-1", Name: "Eve"}, code: CodeActorWrongParty},
		{name: "invite after emergence", given: scoping, when: InviteExpert{ActorID: sup, ExpertID: "x-1", Name: "Eve"}, code: CodeWrongPhase},
		{name: "invite without name", given: emergence, when: InviteExpert{ActorID: sup, ExpertID: "x-1"}, code: CodeFieldRequired},
		{name: "invite bad email", given: emergence, when: InviteExpert{ActorID: sup, ExpertID: "x-1", Name: "E", Email: "@"}, code: CodeInvalidEmail},
		{name: "commit", given: invited, when: CommitExpert{ActorID: sup2, ExpertID: "x-1"}, then: []Event{&ExpertCommitted{ExpertID: "x-1"}}},
		{name: "commit twice", given: func(t testing.TB) *script { return invited(t).do(CommitExpert{ActorID: sup, ExpertID: "x-1"}) },
			when: CommitExpert{ActorID: sup, ExpertID: "x-1"}, code: CodeExpertAlreadyCommitted},
		{name: "commit withdrawn", given: func(t testing.TB) *script { return invited(t).do(WithdrawExpert{ActorID: sup, ExpertID: "x-1"}) },
			when: CommitExpert{ActorID: sup, ExpertID: "x-1"}, code: CodeExpertWithdrawn},
		{name: "commit unknown", given: invited, when: CommitExpert{ActorID: sup, ExpertID: "x-2"}, code: CodeExpertNotFound},
		{name: "withdraw", given: invited, when: WithdrawExpert{ActorID: sup, ExpertID: "x-1", Reason: "busy"},
			then: []Event{&ExpertWithdrew{ExpertID: "x-1", Reason: "busy"}}},
		{name: "withdraw twice", given: func(t testing.TB) *script { return invited(t).do(WithdrawExpert{ActorID: sup, ExpertID: "x-1"}) },
			when: WithdrawExpert{ActorID: sup, ExpertID: "x-1"}, code: CodeExpertWithdrawn},
		{name: "join discussion", given: emergence, when: JoinDiscussion{ActorID: cli}, then: []Event{&ClientJoinedDiscussion{}}},
		{name: "join discussion as supplier", given: emergence, when: JoinDiscussion{ActorID: sup}, code: CodeActorWrongParty},
		{name: "join discussion twice", given: func(t testing.TB) *script { return emergence(t).do(JoinDiscussion{ActorID: cli}) },
			when: JoinDiscussion{ActorID: cli}, code: CodeAlreadyInDiscussion},
		{name: "sign", given: scoping, when: SignAgreement{ActorID: sup, AgreementID: "a", Reference: "PO-7", Signatories: []string{cli, sup}},
			then: []Event{&AgreementSigned{AgreementID: "a", Reference: "PO-7", Signatories: []string{cli, sup}}}},
		{name: "sign in emergence", given: emergence, when: SignAgreement{ActorID: cli, AgreementID: "a", Signatories: []string{cli, sup2}},
			then: []Event{&AgreementSigned{AgreementID: "a", Signatories: []string{cli, sup2}}}},
		{name: "sign without the client", given: scoping, when: SignAgreement{ActorID: sup, AgreementID: "a", Signatories: []string{sup, sup2}}, code: CodeSignatoriesIncomplete},
		{name: "sign without the supplier", given: scoping, when: SignAgreement{ActorID: sup, AgreementID: "a", Signatories: []string{cli, prv}}, code: CodeSignatoriesIncomplete},
		{name: "sign no signatories", given: scoping, when: SignAgreement{ActorID: sup, AgreementID: "a"}, code: CodeFieldRequired, field: "signatories"},
		{name: "sign unknown signatory", given: scoping, when: SignAgreement{ActorID: sup, AgreementID: "a", Signatories: []string{cli, "ghost"}}, code: CodeStakeholderNotFound},
		{name: "sign duplicate signatory", given: scoping, when: SignAgreement{ActorID: sup, AgreementID: "a", Signatories: []string{cli, cli}}, code: CodeDuplicateReference},
		{name: "sign by provider", given: scoping, when: SignAgreement{ActorID: prv, AgreementID: "a", Signatories: []string{cli, sup}}, code: CodeActorWrongParty},
		{name: "sign twice", given: delivery, when: SignAgreement{ActorID: sup, AgreementID: "a2", Signatories: []string{cli, sup}}, code: CodeWrongPhase},
		{name: "sign twice in scoping", given: func(t testing.TB) *script {
			return scoping(t).do(SignAgreement{ActorID: sup, AgreementID: "a", Signatories: []string{cli, sup}})
		}, when: SignAgreement{ActorID: sup, AgreementID: "a2", Signatories: []string{cli, sup}}, code: CodeAgreementAlreadySigned},
	} {
		t.Run(sc.name, sc.run)
	}
}

func TestDecideScoping(t *testing.T) {
	withIndicator := func(t testing.TB) *script {
		return scoping(t).do(DefineIndicator{ActorID: cli, IndicatorID: "kpi-1", Name: "Invoices late", Target: 2, Direction: AtMost})
	}
	for _, sc := range []scenario{
		{name: "workshop", given: scoping, when: HoldWorkshop{ActorID: sup, WorkshopID: "w", Participants: []string{sup, cli}, Notes: "two hours"},
			then: []Event{&WorkshopHeld{WorkshopID: "w", HeldAt: scoping(t).now, Participants: []string{sup, cli}, Notes: "two hours"}}},
		// held_at is the workshop's claimed time: kept as the event's
		// occurred_at too, and checked like every claim.
		{name: "workshop in the past", given: scoping, when: HoldWorkshop{ActorID: sup, WorkshopID: "w", HeldAt: t0.Add(2 * time.Hour).In(time.FixedZone("CET", 3600)), Participants: []string{cli}},
			occurred: t0.Add(2 * time.Hour), then: []Event{&WorkshopHeld{WorkshopID: "w", HeldAt: t0.Add(2 * time.Hour), Participants: []string{cli}}}},
		{name: "workshop before the engagement opened", given: scoping, when: HoldWorkshop{ActorID: sup, WorkshopID: "w", HeldAt: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC), Participants: []string{cli}},
			code: CodeDateBeforeOpening, field: "held_at"},
		{name: "workshop before a participant joined", given: scoping, when: HoldWorkshop{ActorID: sup, WorkshopID: "w", HeldAt: t0.Add(30 * time.Minute), Participants: []string{cli}},
			code: CodeDateBeforeReference, field: "held_at"},
		{name: "workshop in the future", given: scoping, when: HoldWorkshop{ActorID: sup, WorkshopID: "w", HeldAt: t0.Add(1000 * time.Hour), Participants: []string{cli}}, code: CodeDateInFuture},
		{name: "workshop without the client", given: scoping, when: HoldWorkshop{ActorID: sup, WorkshopID: "w", Participants: []string{sup, prv}}, code: CodeNoClientParticipant},
		{name: "workshop in emergence", given: emergence, when: HoldWorkshop{ActorID: sup, WorkshopID: "w", Participants: []string{cli}}, code: CodeWrongPhase},
		{name: "indicator", given: scoping, when: DefineIndicator{ActorID: cli, IndicatorID: "k", Name: "NPS", Unit: "points", Target: 40, Direction: AtLeast},
			then: []Event{&IndicatorDefined{IndicatorID: "k", Name: "NPS", Unit: "points", Target: 40, Direction: AtLeast}}},
		{name: "indicator bad direction", given: scoping, when: DefineIndicator{ActorID: cli, IndicatorID: "k", Name: "NPS", Direction: "up"}, code: CodeInvalidDirection},
		{name: "indicator infinite target", given: scoping, when: DefineIndicator{ActorID: cli, IndicatorID: "k", Name: "NPS", Target: math.Inf(1), Direction: AtLeast}, code: CodeInvalidNumber},
		{name: "indicator unknown workshop", given: scoping, when: DefineIndicator{ActorID: cli, IndicatorID: "k", Name: "NPS", Direction: AtLeast, WorkshopID: "w"}, code: CodeWorkshopNotFound},
		{name: "measure", given: withIndicator, when: MeasureIndicator{ActorID: sup, MeasurementID: "m", IndicatorID: "kpi-1", Value: 3},
			then: []Event{&IndicatorMeasured{MeasurementID: "m", IndicatorID: "kpi-1", Value: 3, MeasuredAt: withIndicator(t).now}}},
		{name: "measure NaN", given: withIndicator, when: MeasureIndicator{ActorID: sup, MeasurementID: "m", IndicatorID: "kpi-1", Value: math.NaN()}, code: CodeInvalidNumber},
		{name: "measure in the past", given: withIndicator, when: MeasureIndicator{ActorID: sup, MeasurementID: "m", IndicatorID: "kpi-1", Value: 3, MeasuredAt: withIndicator(t).now.Add(-time.Hour)},
			occurred: withIndicator(t).now.Add(-time.Hour), then: []Event{&IndicatorMeasured{MeasurementID: "m", IndicatorID: "kpi-1", Value: 3, MeasuredAt: withIndicator(t).now.Add(-time.Hour)}}},
		{name: "measure before the indicator was defined", given: withIndicator, when: MeasureIndicator{ActorID: sup, MeasurementID: "m", IndicatorID: "kpi-1", MeasuredAt: withIndicator(t).now.Add(-2 * time.Hour)},
			code: CodeDateBeforeReference, field: "measured_at"},
		{name: "measure future", given: withIndicator, when: MeasureIndicator{ActorID: sup, MeasurementID: "m", IndicatorID: "kpi-1", MeasuredAt: t0.AddDate(1, 0, 0)}, code: CodeDateInFuture},
		{name: "measure unknown", given: withIndicator, when: MeasureIndicator{ActorID: sup, MeasurementID: "m", IndicatorID: "kpi-2"}, code: CodeIndicatorNotFound},
		{name: "measure reusing id", given: withIndicator, when: MeasureIndicator{ActorID: sup, MeasurementID: "kpi-1", IndicatorID: "kpi-1"}, code: CodeDuplicateID},
	} {
		t.Run(sc.name, sc.run)
	}
}

func TestDecideRequirements(t *testing.T) {
	asked := func(t testing.TB) *script {
		return delivery(t).do(
			AskQuestion{ActorID: sup, QuestionID: "q-1", RequirementID: "req-1", Text: "Which PDF standard?"},
			RaiseRequirement{ActorID: cli, RequirementID: "req-2", Title: "Export CSV"},
		)
	}
	assumed := func(t testing.TB) *script {
		return delivery(t).do(MakeAssumption{ActorID: sup, AssumptionID: "as-1", RequirementID: "req-1", Statement: "PDF/A is fine"})
	}
	changed := func(t testing.TB) *script {
		return delivery(t).do(RequestChange{ActorID: cli, ChangeID: "ch-1", Description: "Add logo"})
	}
	proposed := func(t testing.TB) *script {
		return delivery(t).do(ProposeFeature{ActorID: sup, FeatureID: "f-1", Title: "Dark mode"})
	}
	for _, sc := range []scenario{
		{name: "raise", given: scoping, when: RaiseRequirement{ActorID: cli, RequirementID: "r", Title: "t", Description: "d"},
			then: []Event{&RequirementRaised{RequirementID: "r", Title: "t", Description: "d"}}},
		{name: "raise in emergence", given: emergence, when: RaiseRequirement{ActorID: cli, RequirementID: "r", Title: "t"}, code: CodeWrongPhase},
		{name: "raise in acceptance", given: acceptance, when: RaiseRequirement{ActorID: cli, RequirementID: "r", Title: "t"}, code: CodeWrongPhase},
		{name: "raise without title", given: scoping, when: RaiseRequirement{ActorID: cli, RequirementID: "r"}, code: CodeFieldRequired},
		{name: "raise without id", given: scoping, when: RaiseRequirement{ActorID: cli, Title: "t"}, code: CodeFieldRequired, field: "requirement_id"},

		{name: "ask", given: delivery, when: AskQuestion{ActorID: sup, QuestionID: "q", RequirementID: "req-1", Text: "?"},
			then: []Event{&QuestionAsked{QuestionID: "q", RequirementID: "req-1", Text: "?"}}},
		{name: "ask as client", given: delivery, when: AskQuestion{ActorID: cli, QuestionID: "q", RequirementID: "req-1", Text: "?"}, code: CodeActorWrongParty},
		{name: "ask unknown requirement", given: delivery, when: AskQuestion{ActorID: sup, QuestionID: "q", RequirementID: "req-9", Text: "?"}, code: CodeRequirementNotFound},

		{name: "client clarifies", given: asked, when: ClarifyRequirement{ActorID: cli, RequirementID: "req-1", Clarification: "PDF/A-3"},
			then: []Event{&RequirementClarified{RequirementID: "req-1", Clarification: "PDF/A-3"}}},
		{name: "client answers the question", given: asked, when: ClarifyRequirement{ActorID: cli, RequirementID: "req-1", QuestionID: "q-1", Clarification: "PDF/A-3", AnsweredBy: "ignored"},
			then: []Event{&RequirementClarified{RequirementID: "req-1", QuestionID: "q-1", Clarification: "PDF/A-3", AnsweredBy: cli}}},
		{name: "supplier quotes the client", given: asked, when: ClarifyRequirement{ActorID: sup, RequirementID: "req-1", QuestionID: "q-1", Clarification: "PDF/A-3", Answer: "A-3 please", AnsweredBy: cli},
			then: []Event{&RequirementClarified{RequirementID: "req-1", QuestionID: "q-1", Clarification: "PDF/A-3", Answer: "A-3 please", AnsweredBy: cli}}},
		{name: "supplier interprets", given: asked, when: ClarifyRequirement{ActorID: sup, RequirementID: "req-1", Clarification: "it must be this"}, code: CodeQuestionNotAnswered, field: "question_id"},
		{name: "supplier quotes a supplier", given: asked, when: ClarifyRequirement{ActorID: sup, RequirementID: "req-1", QuestionID: "q-1", Clarification: "x", Answer: "y", AnsweredBy: sup2}, code: CodeNotClientSide, field: "answered_by"},
		{name: "supplier quotes nobody", given: asked, when: ClarifyRequirement{ActorID: sup, RequirementID: "req-1", QuestionID: "q-1", Clarification: "x", Answer: "y"}, code: CodeFieldRequired, field: "answered_by"},
		{name: "supplier quotes no answer", given: asked, when: ClarifyRequirement{ActorID: sup, RequirementID: "req-1", QuestionID: "q-1", Clarification: "x", AnsweredBy: cli}, code: CodeFieldRequired, field: "answer"},
		{name: "supplier quotes a ghost", given: asked, when: ClarifyRequirement{ActorID: sup, RequirementID: "req-1", QuestionID: "q-1", Clarification: "x", Answer: "y", AnsweredBy: "ghost"}, code: CodeStakeholderNotFound},
		{name: "question of another requirement", given: asked, when: ClarifyRequirement{ActorID: sup, RequirementID: "req-2", QuestionID: "q-1", Clarification: "x", Answer: "y", AnsweredBy: cli}, code: CodeQuestionOtherRequirement},
		{name: "question already answered", given: func(t testing.TB) *script {
			return asked(t).do(ClarifyRequirement{ActorID: cli, RequirementID: "req-1", QuestionID: "q-1", Clarification: "x"})
		}, when: ClarifyRequirement{ActorID: sup, RequirementID: "req-1", QuestionID: "q-1", Clarification: "x", Answer: "y", AnsweredBy: cli}, code: CodeQuestionNotOpen},
		{name: "unknown question", given: asked, when: ClarifyRequirement{ActorID: cli, RequirementID: "req-1", QuestionID: "q-9", Clarification: "x"}, code: CodeQuestionNotFound},
		{name: "clarify unknown requirement", given: asked, when: ClarifyRequirement{ActorID: cli, RequirementID: "req-9", Clarification: "x"}, code: CodeRequirementNotFound},
		{name: "clarify without text", given: asked, when: ClarifyRequirement{ActorID: cli, RequirementID: "req-1"}, code: CodeFieldRequired},

		{name: "assume", given: delivery, when: MakeAssumption{ActorID: sup, AssumptionID: "a", Statement: "s"}, then: []Event{&AssumptionMade{AssumptionID: "a", Statement: "s"}}},
		{name: "assume as client", given: delivery, when: MakeAssumption{ActorID: cli, AssumptionID: "a", Statement: "s"}, code: CodeActorWrongParty},
		{name: "assume about unknown requirement", given: delivery, when: MakeAssumption{ActorID: sup, AssumptionID: "a", Statement: "s", RequirementID: "nope"}, code: CodeRequirementNotFound},
		{name: "validate", given: assumed, when: ValidateAssumption{ActorID: cli, AssumptionID: "as-1", Comment: "yes"}, then: []Event{&AssumptionValidated{AssumptionID: "as-1", Comment: "yes"}}},
		{name: "supplier validates", given: assumed, when: ValidateAssumption{ActorID: sup, AssumptionID: "as-1"}, code: CodeActorWrongParty},
		{name: "provider rejects", given: assumed, when: RejectAssumption{ActorID: prv, AssumptionID: "as-1"}, code: CodeActorWrongParty},
		{name: "reject", given: assumed, when: RejectAssumption{ActorID: cli, AssumptionID: "as-1", Reason: "no"}, then: []Event{&AssumptionRejected{AssumptionID: "as-1", Reason: "no"}}},
		{name: "validate twice", given: func(t testing.TB) *script {
			return assumed(t).do(ValidateAssumption{ActorID: cli, AssumptionID: "as-1"})
		},
			when: RejectAssumption{ActorID: cli, AssumptionID: "as-1"}, code: CodeAssumptionNotOpen},
		{name: "validate unknown", given: assumed, when: ValidateAssumption{ActorID: cli, AssumptionID: "as-9"}, code: CodeAssumptionNotFound},

		{name: "request change", given: delivery, when: RequestChange{ActorID: sup, ChangeID: "c", RequirementID: "req-1", Description: "d", Reason: "r"},
			then: []Event{&ChangeRequested{ChangeID: "c", RequirementID: "req-1", Description: "d", Reason: "r"}}},
		{name: "request change without description", given: delivery, when: RequestChange{ActorID: sup, ChangeID: "c"}, code: CodeFieldRequired},
		{name: "request change unknown requirement", given: delivery, when: RequestChange{ActorID: sup, ChangeID: "c", RequirementID: "x", Description: "d"}, code: CodeRequirementNotFound},
		{name: "approve change", given: changed, when: ApproveChange{ActorID: cli, ChangeID: "ch-1"}, then: []Event{&ChangeApproved{ChangeID: "ch-1"}}},
		{name: "reject change", given: changed, when: RejectChange{ActorID: cli, ChangeID: "ch-1", Reason: "budget"}, then: []Event{&ChangeRejected{ChangeID: "ch-1", Reason: "budget"}}},
		{name: "supplier approves change", given: changed, when: ApproveChange{ActorID: sup, ChangeID: "ch-1"}, code: CodeActorWrongParty},
		{name: "approve twice", given: func(t testing.TB) *script { return changed(t).do(ApproveChange{ActorID: cli, ChangeID: "ch-1"}) },
			when: RejectChange{ActorID: cli, ChangeID: "ch-1"}, code: CodeChangeNotOpen},
		{name: "approve unknown", given: changed, when: ApproveChange{ActorID: cli, ChangeID: "ch-9"}, code: CodeChangeNotFound},

		{name: "propose", given: delivery, when: ProposeFeature{ActorID: sup, FeatureID: "f", Title: "t"}, then: []Event{&FeatureProposed{FeatureID: "f", Title: "t"}}},
		{name: "propose without title", given: delivery, when: ProposeFeature{ActorID: sup, FeatureID: "f"}, code: CodeFieldRequired},
		{name: "accept feature", given: proposed, when: AcceptFeature{ActorID: cli, FeatureID: "f-1"}, then: []Event{&FeatureAccepted{FeatureID: "f-1"}}},
		{name: "decline feature", given: proposed, when: DeclineFeature{ActorID: cli, FeatureID: "f-1", Reason: "no"}, then: []Event{&FeatureDeclined{FeatureID: "f-1", Reason: "no"}}},
		{name: "supplier accepts own feature", given: proposed, when: AcceptFeature{ActorID: sup, FeatureID: "f-1"}, code: CodeActorWrongParty},
		{name: "accept declined", given: func(t testing.TB) *script { return proposed(t).do(DeclineFeature{ActorID: cli, FeatureID: "f-1"}) },
			when: AcceptFeature{ActorID: cli, FeatureID: "f-1"}, code: CodeFeatureNotProposed},
		{name: "accept unknown", given: proposed, when: AcceptFeature{ActorID: cli, FeatureID: "f-9"}, code: CodeFeatureNotFound},
	} {
		t.Run(sc.name, sc.run)
	}
}

func TestDecideCommitments(t *testing.T) {
	withDifficulty := func(t testing.TB) *script {
		return delivery(t).do(ReportDifficulty{ActorID: sup, DifficultyID: "dif-1", MilestoneID: "ms-1", Description: "server set-up fails"})
	}
	later := due.Add(7 * 24 * time.Hour)
	for _, sc := range []scenario{
		{name: "plan", given: delivery, when: PlanMilestone{ActorID: sup, MilestoneID: "m", Title: "GA", DueDate: due.In(time.FixedZone("X", -7200))},
			then: []Event{&MilestonePlanned{MilestoneID: "m", Title: "GA", DueDate: due}}},
		// A due date already past is accepted (recorded late); it must fall
		// in the engagement's life.
		{name: "plan in the past", given: delivery, when: PlanMilestone{ActorID: sup, MilestoneID: "m", Title: "GA", DueDate: t0},
			then: []Event{&MilestonePlanned{MilestoneID: "m", Title: "GA", DueDate: t0}}},
		{name: "plan before the engagement opened", given: delivery, when: PlanMilestone{ActorID: sup, MilestoneID: "m", Title: "GA", DueDate: t0.Add(-time.Second)},
			code: CodeDateBeforeOpening, field: "due_date"},
		{name: "plan out of range", given: delivery, when: PlanMilestone{ActorID: sup, MilestoneID: "m", Title: "GA", DueDate: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
			code: CodeInvalidDate, field: "due_date"},
		{name: "plan without date", given: delivery, when: PlanMilestone{ActorID: sup, MilestoneID: "m", Title: "GA"}, code: CodeFieldRequired, field: "due_date"},
		{name: "plan as client", given: delivery, when: PlanMilestone{ActorID: cli, MilestoneID: "m", Title: "GA", DueDate: due}, code: CodeActorWrongParty},
		{name: "plan in acceptance", given: acceptance, when: PlanMilestone{ActorID: sup, MilestoneID: "m", Title: "GA", DueDate: due}, code: CodeWrongPhase},

		{name: "difficulty", given: delivery, when: ReportDifficulty{ActorID: prv, DifficultyID: "d", Description: "x"}, then: []Event{&DifficultyReported{DifficultyID: "d", Description: "x"}}},
		{name: "difficulty unknown milestone", given: delivery, when: ReportDifficulty{ActorID: sup, DifficultyID: "d", Description: "x", MilestoneID: "ms-9"}, code: CodeMilestoneNotFound},
		{name: "difficulty by client", given: delivery, when: ReportDifficulty{ActorID: cli, DifficultyID: "d", Description: "x"}, code: CodeActorWrongParty},

		{name: "delay", given: delivery, when: DiscloseDelay{ActorID: sup, DelayID: "dl", MilestoneID: "ms-1", NewDueDate: later, Reason: "hosting"},
			then: []Event{&DelayDisclosed{DelayID: "dl", MilestoneID: "ms-1", PreviousDueDate: due, NewDueDate: later, Reason: "hosting"}}},
		{name: "delay twice moves from the new date", given: func(t testing.TB) *script {
			return delivery(t).do(DiscloseDelay{ActorID: sup, DelayID: "dl-1", MilestoneID: "ms-1", NewDueDate: later, Reason: "x"})
		}, when: DiscloseDelay{ActorID: sup, DelayID: "dl-2", MilestoneID: "ms-1", NewDueDate: later.Add(time.Hour), Reason: "y"},
			then: []Event{&DelayDisclosed{DelayID: "dl-2", MilestoneID: "ms-1", PreviousDueDate: later, NewDueDate: later.Add(time.Hour), Reason: "y"}}},
		{name: "delay to an earlier date", given: delivery, when: DiscloseDelay{ActorID: sup, DelayID: "dl", MilestoneID: "ms-1", NewDueDate: due.Add(-time.Hour), Reason: "x"}, code: CodeNewDateNotLater, field: "new_due_date"},
		{name: "delay to the same date", given: delivery, when: DiscloseDelay{ActorID: sup, DelayID: "dl", MilestoneID: "ms-1", NewDueDate: due, Reason: "x"}, code: CodeNewDateNotLater},
		{name: "delay without date", given: delivery, when: DiscloseDelay{ActorID: sup, DelayID: "dl", MilestoneID: "ms-1", Reason: "x"}, code: CodeFieldRequired},
		{name: "delay without reason", given: delivery, when: DiscloseDelay{ActorID: sup, DelayID: "dl", MilestoneID: "ms-1", NewDueDate: later}, code: CodeFieldRequired, field: "reason"},
		{name: "delay unknown milestone", given: delivery, when: DiscloseDelay{ActorID: sup, DelayID: "dl", MilestoneID: "ms-9", NewDueDate: later, Reason: "x"}, code: CodeMilestoneNotFound},
		{name: "delay names a requirement", given: delivery, when: DiscloseDelay{ActorID: sup, DelayID: "dl", MilestoneID: "req-1", NewDueDate: later, Reason: "x"}, code: CodeMilestoneNotFound},
		{name: "delay by client", given: delivery, when: DiscloseDelay{ActorID: cli, DelayID: "dl", MilestoneID: "ms-1", NewDueDate: later, Reason: "x"}, code: CodeActorWrongParty},

		{name: "cost", given: withDifficulty, when: DiscloseCostImpact{ActorID: sup, CostImpactID: "c", DifficultyID: "dif-1", Amount: 150000, Currency: "EUR", Reason: "extra days"},
			then: []Event{&CostImpactDisclosed{CostImpactID: "c", DifficultyID: "dif-1", Amount: 150000, Currency: "EUR", Reason: "extra days"}}},
		{name: "cost zero", given: withDifficulty, when: DiscloseCostImpact{ActorID: sup, CostImpactID: "c", Currency: "EUR", Reason: "x"}, code: CodeInvalidAmount},
		{name: "cost bad currency", given: withDifficulty, when: DiscloseCostImpact{ActorID: sup, CostImpactID: "c", Amount: 1, Currency: "eur", Reason: "x"}, code: CodeInvalidCurrency},
		{name: "cost unknown difficulty", given: withDifficulty, when: DiscloseCostImpact{ActorID: sup, CostImpactID: "c", Amount: 1, Currency: "EUR", Reason: "x", DifficultyID: "dif-9"}, code: CodeDifficultyNotFound},
		{name: "skills gap", given: withDifficulty, when: DiscloseSkillsGap{ActorID: sup, SkillsGapID: "g", DifficultyID: "dif-1", Skill: "Kubernetes", Mitigation: "hire"},
			then: []Event{&SkillsGapDisclosed{SkillsGapID: "g", DifficultyID: "dif-1", Skill: "Kubernetes", Mitigation: "hire"}}},
		{name: "skills gap without skill", given: withDifficulty, when: DiscloseSkillsGap{ActorID: sup, SkillsGapID: "g"}, code: CodeFieldRequired},
		{name: "skills gap by client", given: withDifficulty, when: DiscloseSkillsGap{ActorID: cli, SkillsGapID: "g", Skill: "x"}, code: CodeActorWrongParty},
	} {
		t.Run(sc.name, sc.run)
	}
}

// TestDelayDisclosedAfterDueDate: disclosing late is allowed, and the lead
// time is negative.
func TestDelayDisclosedAfterDueDate(t *testing.T) {
	s := delivery(t)
	when := due.Add(36 * time.Hour)
	evs, err := Decide(s.state, DiscloseDelay{ActorID: sup, DelayID: "dl", MilestoneID: "ms-1", NewDueDate: when.Add(48 * time.Hour), Reason: "late"}, when)
	if err != nil {
		t.Fatal(err)
	}
	d := evs[0].(*DelayDisclosed)
	if got := d.LeadTime(); got != -36*time.Hour {
		t.Fatalf("lead time %v, want -36h", got)
	}
	early, err := Decide(s.state, DiscloseDelay{ActorID: sup, DelayID: "dl", MilestoneID: "ms-1", NewDueDate: due.Add(time.Hour), Reason: "x"}, due.Add(-72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got := early[0].(*DelayDisclosed).LeadTime(); got != 72*time.Hour {
		t.Fatalf("lead time %v, want 72h", got)
	}
}

func TestDecideCommunication(t *testing.T) {
	informed := func(t testing.TB) *script {
		return delivery(t).do(InformClient{ActorID: sup, InformationID: "inf-1", Subject: "Beta slips", Channel: ChannelCall,
			Recipients: []string{cli, sup2}, About: []string{"ms-1"}})
	}
	for _, sc := range []scenario{
		{name: "inform", given: delivery, when: InformClient{ActorID: sup, InformationID: "i", Subject: "s", Summary: "x", Channel: ChannelEmail, Recipients: []string{cli}, About: []string{"ms-1", "req-1"}},
			then: []Event{&ClientInformed{InformationID: "i", Subject: "s", Summary: "x", Channel: ChannelEmail, Recipients: []string{cli}, About: []string{"ms-1", "req-1"}}}},
		{name: "inform in emergence", given: emergence, when: InformClient{ActorID: sup, InformationID: "i", Subject: "s", Channel: ChannelMeeting, Recipients: []string{cli}},
			then: []Event{&ClientInformed{InformationID: "i", Subject: "s", Channel: ChannelMeeting, Recipients: []string{cli}}}},
		{name: "inform only the supplier", given: delivery, when: InformClient{ActorID: sup, InformationID: "i", Subject: "s", Channel: ChannelEmail, Recipients: []string{sup2}}, code: CodeNoClientRecipient},
		{name: "inform nobody", given: delivery, when: InformClient{ActorID: sup, InformationID: "i", Subject: "s", Channel: ChannelEmail}, code: CodeFieldRequired, field: "recipients"},
		{name: "inform bad channel", given: delivery, when: InformClient{ActorID: sup, InformationID: "i", Subject: "s", Channel: "pigeon", Recipients: []string{cli}}, code: CodeInvalidChannel},
		{name: "inform about nothing known", given: delivery, when: InformClient{ActorID: sup, InformationID: "i", Subject: "s", Channel: ChannelEmail, Recipients: []string{cli}, About: []string{"x"}}, code: CodeReferenceNotFound, field: "about.0"},
		{name: "inform a ghost", given: delivery, when: InformClient{ActorID: sup, InformationID: "i", Subject: "s", Channel: ChannelEmail, Recipients: []string{cli, "ghost"}}, code: CodeStakeholderNotFound},
		{name: "client informs", given: delivery, when: InformClient{ActorID: cli, InformationID: "i", Subject: "s", Channel: ChannelEmail, Recipients: []string{cli}}, code: CodeActorWrongParty},

		{name: "acknowledge", given: informed, when: AcknowledgeInformation{ActorID: cli, InformationID: "inf-1"}, then: []Event{&InformationAcknowledged{InformationID: "inf-1"}}},
		{name: "acknowledge twice", given: func(t testing.TB) *script {
			return informed(t).do(AcknowledgeInformation{ActorID: cli, InformationID: "inf-1"})
		},
			when: AcknowledgeInformation{ActorID: cli, InformationID: "inf-1"}, code: CodeAlreadyAcknowledged},
		{name: "supplier recipient acknowledges", given: informed, when: AcknowledgeInformation{ActorID: sup2, InformationID: "inf-1"}, code: CodeActorWrongParty},
		{name: "client not a recipient", given: func(t testing.TB) *script { return informed(t).do(add(sup, cli2, PartyClient, "Chloe")) },
			when: AcknowledgeInformation{ActorID: cli2, InformationID: "inf-1"}, code: CodeNotARecipient},
		{name: "acknowledge unknown", given: informed, when: AcknowledgeInformation{ActorID: cli, InformationID: "inf-9"}, code: CodeInformationNotFound},

		{name: "decision with client", given: delivery, when: MakeDecision{ActorID: sup, DecisionID: "dec", Title: "DB", Kind: DecisionTechnical,
			Options: []string{"Postgres", "SQLite"}, Chosen: "SQLite", Participants: []string{sup, cli}, About: []string{"req-1"}},
			then: []Event{&DecisionMade{DecisionID: "dec", Title: "DB", Kind: DecisionTechnical, Options: []string{"Postgres", "SQLite"}, Chosen: "SQLite",
				Participants: []string{sup, cli}, ClientParticipants: []string{cli}, About: []string{"req-1"}}}},
		{name: "decision without client is allowed", given: delivery, when: MakeDecision{ActorID: sup, DecisionID: "dec", Title: "DB", Kind: DecisionStrategic,
			Options: []string{"a"}, Chosen: "a", Participants: []string{sup, sup2}},
			then: []Event{&DecisionMade{DecisionID: "dec", Title: "DB", Kind: DecisionStrategic, Options: []string{"a"}, Chosen: "a",
				Participants: []string{sup, sup2}, ClientParticipants: []string{}}}},
		{name: "decision bad kind", given: delivery, when: MakeDecision{ActorID: sup, DecisionID: "d", Title: "t", Kind: "gut", Options: []string{"a"}, Chosen: "a", Participants: []string{sup}}, code: CodeInvalidDecisionKind},
		{name: "decision no options", given: delivery, when: MakeDecision{ActorID: sup, DecisionID: "d", Title: "t", Kind: DecisionTechnical, Participants: []string{sup}}, code: CodeInvalidOptions, field: "options"},
		{name: "decision duplicate options", given: delivery, when: MakeDecision{ActorID: sup, DecisionID: "d", Title: "t", Kind: DecisionTechnical, Options: []string{"a", "a"}, Chosen: "a", Participants: []string{sup}}, code: CodeInvalidOptions},
		{name: "decision chosen elsewhere", given: delivery, when: MakeDecision{ActorID: sup, DecisionID: "d", Title: "t", Kind: DecisionTechnical, Options: []string{"a"}, Chosen: "b", Participants: []string{sup}}, code: CodeInvalidOptions, field: "chosen"},
		{name: "decision no participant", given: delivery, when: MakeDecision{ActorID: sup, DecisionID: "d", Title: "t", Kind: DecisionTechnical, Options: []string{"a"}, Chosen: "a"}, code: CodeFieldRequired, field: "participants"},
		{name: "decision participant left", given: func(t testing.TB) *script {
			return delivery(t).do(RemoveStakeholder{ActorID: sup, StakeholderID: sup2})
		},
			when: MakeDecision{ActorID: sup, DecisionID: "d", Title: "t", Kind: DecisionTechnical, Options: []string{"a"}, Chosen: "a", Participants: []string{sup2}}, code: CodeStakeholderLeft},
	} {
		t.Run(sc.name, sc.run)
	}
}

func TestDecideDelivery(t *testing.T) {
	withFeature := func(t testing.TB) *script {
		return delivery(t).do(ProposeFeature{ActorID: sup, FeatureID: "f-1", Title: "Dark mode"})
	}
	for _, sc := range []scenario{
		{name: "deliver", given: withFeature, when: MakeDelivery{ActorID: sup, DeliveryID: "d", Title: "t", MilestoneID: "ms-1", RequirementIDs: []string{"req-1"}, FeatureIDs: []string{"f-1"}},
			then: []Event{&DeliveryMade{DeliveryID: "d", Title: "t", MilestoneID: "ms-1", RequirementIDs: []string{"req-1"}, FeatureIDs: []string{"f-1"}}}},
		{name: "deliver in scoping", given: scoping, when: MakeDelivery{ActorID: sup, DeliveryID: "d", Title: "t"}, code: CodeWrongPhase},
		{name: "deliver unknown requirement", given: withFeature, when: MakeDelivery{ActorID: sup, DeliveryID: "d", Title: "t", RequirementIDs: []string{"req-9"}}, code: CodeRequirementNotFound},
		{name: "deliver unknown feature", given: withFeature, when: MakeDelivery{ActorID: sup, DeliveryID: "d", Title: "t", FeatureIDs: []string{"req-1"}}, code: CodeFeatureNotFound},
		{name: "deliver unknown milestone", given: withFeature, when: MakeDelivery{ActorID: sup, DeliveryID: "d", Title: "t", MilestoneID: "x"}, code: CodeMilestoneNotFound},
		{name: "deliver twice the same requirement", given: withFeature, when: MakeDelivery{ActorID: sup, DeliveryID: "d", Title: "t", RequirementIDs: []string{"req-1", "req-1"}}, code: CodeDuplicateReference},
		{name: "client delivers", given: withFeature, when: MakeDelivery{ActorID: cli, DeliveryID: "d", Title: "t"}, code: CodeActorWrongParty},
		{name: "accept", given: acceptance, when: AcceptDelivery{ActorID: cli, DeliveryID: "dlv-1", Comment: "ok"}, then: []Event{&DeliveryAccepted{DeliveryID: "dlv-1", Comment: "ok"}}},
		{name: "reject", given: acceptance, when: RejectDelivery{ActorID: cli, DeliveryID: "dlv-1", Reason: "fails"}, then: []Event{&DeliveryRejected{DeliveryID: "dlv-1", Reason: "fails"}}},
		{name: "reject without reason", given: acceptance, when: RejectDelivery{ActorID: cli, DeliveryID: "dlv-1"}, code: CodeFieldRequired},
		{name: "supplier accepts", given: acceptance, when: AcceptDelivery{ActorID: sup, DeliveryID: "dlv-1"}, code: CodeActorWrongParty},
		{name: "accept twice", given: func(t testing.TB) *script { return acceptance(t).do(AcceptDelivery{ActorID: cli, DeliveryID: "dlv-1"}) },
			when: RejectDelivery{ActorID: cli, DeliveryID: "dlv-1", Reason: "x"}, code: CodeDeliveryNotAwaiting},
		{name: "accept unknown", given: acceptance, when: AcceptDelivery{ActorID: cli, DeliveryID: "dlv-9"}, code: CodeDeliveryNotFound},
		{name: "need", given: acceptance, when: RaiseNeedAtDelivery{ActorID: cli, NeedID: "n", DeliveryID: "dlv-1", Title: "Bulk export"},
			then: []Event{&NeedRaisedAtDelivery{NeedID: "n", DeliveryID: "dlv-1", Title: "Bulk export"}}},
		{name: "need unknown delivery", given: acceptance, when: RaiseNeedAtDelivery{ActorID: cli, NeedID: "n", DeliveryID: "x", Title: "t"}, code: CodeDeliveryNotFound},
		{name: "need in scoping", given: scoping, when: RaiseNeedAtDelivery{ActorID: cli, NeedID: "n", DeliveryID: "x", Title: "t"}, code: CodeWrongPhase},
		{name: "need becomes a requirement that can be questioned", given: func(t testing.TB) *script {
			return acceptance(t).do(RaiseNeedAtDelivery{ActorID: cli, NeedID: "n", DeliveryID: "dlv-1", Title: "t"})
		}, when: AskQuestion{ActorID: sup, QuestionID: "q", RequirementID: "n", Text: "?"}, then: []Event{&QuestionAsked{QuestionID: "q", RequirementID: "n", Text: "?"}}},
	} {
		t.Run(sc.name, sc.run)
	}
}

// TestClosedTakesNoCommand runs every kind of command against a closed
// engagement.
func TestClosedTakesNoCommand(t *testing.T) {
	s := acceptance(t).do(AcceptDelivery{ActorID: cli, DeliveryID: "dlv-1"}, CloseEngagement{ActorID: sup})
	for _, c := range allCommandKinds() {
		_, err := Decide(s.state, c, s.now)
		if CodeOf(err) != CodeEngagementClosed {
			if _, ok := c.(OpenEngagement); ok && CodeOf(err) == CodeEngagementExists {
				continue
			}
			t.Errorf("%T on closed engagement: %v", c, err)
		}
	}
}

// allCommandKinds returns one zero-ish value of every command, actor sup.
func allCommandKinds() []Command {
	return []Command{
		OpenEngagement{}, AdvancePhase{ActorID: sup}, CloseEngagement{ActorID: sup}, RecordLesson{ActorID: sup},
		JoinParty{ActorID: sup}, DefinePerimeter{ActorID: sup}, AddStakeholder{ActorID: sup}, BriefStakeholder{ActorID: sup},
		RemoveStakeholder{ActorID: sup}, InviteExpert{ActorID: sup}, CommitExpert{ActorID: sup}, WithdrawExpert{ActorID: sup},
		JoinDiscussion{ActorID: sup}, SignAgreement{ActorID: sup}, HoldWorkshop{ActorID: sup}, DefineIndicator{ActorID: sup},
		MeasureIndicator{ActorID: sup}, RaiseRequirement{ActorID: sup}, AskQuestion{ActorID: sup}, ClarifyRequirement{ActorID: sup},
		MakeAssumption{ActorID: sup}, ValidateAssumption{ActorID: sup}, RejectAssumption{ActorID: sup}, RequestChange{ActorID: sup},
		ApproveChange{ActorID: sup}, RejectChange{ActorID: sup}, ProposeFeature{ActorID: sup}, AcceptFeature{ActorID: sup},
		DeclineFeature{ActorID: sup}, PlanMilestone{ActorID: sup}, ReportDifficulty{ActorID: sup}, DiscloseDelay{ActorID: sup},
		DiscloseCostImpact{ActorID: sup}, DiscloseSkillsGap{ActorID: sup}, InformClient{ActorID: sup},
		AcknowledgeInformation{ActorID: sup}, MakeDecision{ActorID: sup}, MakeDelivery{ActorID: sup},
		AcceptDelivery{ActorID: sup}, RejectDelivery{ActorID: sup}, RaiseNeedAtDelivery{ActorID: sup},
	}
}

// unknownCommand is a Command Decide does not know.
type unknownCommand struct{}

func (unknownCommand) Actor() string { return sup }

func TestUnknownCommand(t *testing.T) {
	s := emergence(t)
	_, err := Decide(s.state, unknownCommand{}, s.now)
	if CodeOf(err) != CodeUnknownCommand {
		t.Fatalf("got %v", err)
	}
}
