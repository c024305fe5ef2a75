package domain

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"testing"
	"time"
)

// lifeStory runs one engagement through every command, so its events cover
// every event type.
func lifeStory(t testing.TB) *script {
	return emergence(t).do(
		DefinePerimeter{ActorID: sup, Party: PartyProvider, Description: "Hosting", Includes: []string{"servers"}},
		InviteExpert{ActorID: sup, ExpertID: "x-1", Name: "Eve", Email: "eve@example.org", Expertise: "billing"},
		InviteExpert{ActorID: sup, ExpertID: "x-2", Name: "Ed"},
		CommitExpert{ActorID: sup, ExpertID: "x-1"},
		WithdrawExpert{ActorID: sup, ExpertID: "x-2", Reason: "busy"},
		JoinDiscussion{ActorID: cli},
		AdvancePhase{ActorID: sup, To: PhaseScoping},
		add(cli, cli2, PartyClient, "Chloe"),
		BriefStakeholder{ActorID: cli, StakeholderID: cli2, Summary: "where we are"},
		AgreeTolerances{ActorID: sup, TimeDays: 2, CostAmount: 100000, Currency: "EUR", AgreedBy: []string{sup, cli}},
		AgreeCadence{ActorID: sup, StakeholderID: cli, EveryDays: 7},
		HoldWorkshop{ActorID: sup, WorkshopID: "w-1", Participants: []string{sup, cli, cli2}},
		DefineIndicator{ActorID: cli, IndicatorID: "k-1", WorkshopID: "w-1", Name: "Late invoices", Target: 2, Direction: AtMost},
		MeasureIndicator{ActorID: sup, MeasurementID: "k-1-m1", IndicatorID: "k-1", Value: 5},
		SignAgreement{ActorID: cli, AgreementID: "agr", Signatories: []string{cli, sup}},
		AdvancePhase{ActorID: sup, To: PhaseDelivery},
		RaiseRequirement{ActorID: cli, Claim: claim(t0.Add(time.Hour)), RequirementID: "req-1", Title: "PDF invoices"}, // said in a call, recorded later
		AskQuestion{ActorID: sup, QuestionID: "q-1", RequirementID: "req-1", Text: "Which PDF?"},
		DefineAcceptanceCriterion{ActorID: cli, CriterionID: "ac-1", RequirementID: "req-1", Text: "One PDF/A-3 per invoice"},
		DefineAcceptanceCriterion{ActorID: sup, CriterionID: "ac-2", RequirementID: "req-1", Text: "Under 2 s each"},
		AgreeAcceptanceCriterion{ActorID: cli2, CriterionID: "ac-2", RequirementID: "req-1"},
		ClarifyRequirement{ActorID: sup, RequirementID: "req-1", QuestionID: "q-1", Clarification: "PDF/A-3", Answer: "A-3", AnsweredBy: cli},
		MakeAssumption{ActorID: sup, AssumptionID: "as-1", Statement: "EUR only"},
		MakeAssumption{ActorID: sup, AssumptionID: "as-2", Statement: "No VAT"},
		ValidateAssumption{ActorID: cli, AssumptionID: "as-1"},
		RejectAssumption{ActorID: cli2, AssumptionID: "as-2", Reason: "VAT!"},
		RequestChange{ActorID: cli, ChangeID: "ch-1", Description: "Logo"},
		RequestChange{ActorID: sup, ChangeID: "ch-2", Description: "Drop IE"},
		AssessChangeImpact{ActorID: sup, ChangeID: "ch-1", ScheduleImpactDays: 3, CostImpact: 90000, Currency: "EUR", ApproverID: cli2, ApproveBy: due},
		DelegateChangeApproval{ActorID: cli2, ChangeID: "ch-1", DelegateID: cli},
		ApproveChange{ActorID: cli, ChangeID: "ch-1"},
		RejectChange{ActorID: cli, ChangeID: "ch-2", Reason: "no"},
		ProposeFeature{ActorID: sup, FeatureID: "f-1", Title: "Dark mode"},
		ProposeFeature{ActorID: sup, FeatureID: "f-2", Title: "Emoji"},
		AcceptFeature{ActorID: cli, FeatureID: "f-1"},
		DeclineFeature{ActorID: cli, FeatureID: "f-2"},
		PlanMilestone{ActorID: sup, MilestoneID: "ms-1", Title: "Beta", DueDate: due},
		ReportDifficulty{ActorID: prv, DifficultyID: "dif-1", MilestoneID: "ms-1", Description: "Server set-up fails"},
		DiscloseDelay{ActorID: sup, DelayID: "dl-1", MilestoneID: "ms-1", NewDueDate: due.Add(72 * time.Hour), Reason: "server"}, // 3 days: past the tolerance
		ProposeExceptionOptions{ActorID: sup, ExceptionID: "exception-dl-1", Options: []string{"Move Beta", "Drop the PDF export"}, Recommendation: "Move Beta"},
		DecideException{ActorID: cli, ExceptionID: "exception-dl-1", Chosen: "Move Beta", Rationale: "Scope first"},
		DiscloseCostImpact{ActorID: sup, CostImpactID: "cost-1", DifficultyID: "dif-1", Amount: 120000, Currency: "EUR", Reason: "two days"},
		DiscloseSkillsGap{ActorID: sup, SkillsGapID: "gap-1", DifficultyID: "dif-1", Skill: "nginx"},
		RaiseRisk{ActorID: sup, RiskID: "rk-1", Title: "The ops engineer leaves", Probability: 3, Impact: 4, OwnerID: prv, Response: "Pair on operations", MilestoneID: "ms-1"},
		ReviewRisk{ActorID: cli, RiskID: "rk-1", Probability: 4, Impact: 4, Note: "He resigned elsewhere"},
		EscalateRisk{ActorID: sup, RiskID: "rk-1", EscalatedTo: cli, Reason: "Needs a budget decision"},
		RecordRiskOccurred{ActorID: prv, RiskID: "rk-1", DifficultyID: "dif-2", Description: "The ops engineer left"},
		AssignDifficulty{ActorID: sup, DifficultyID: "dif-2", OwnerID: prv, Severity: SeverityHigh},
		ResolveDifficulty{ActorID: prv, DifficultyID: "dif-2", Resolution: "A replacement joined"},
		RaiseRisk{ActorID: cli, RiskID: "rk-2", Title: "Legal review", Probability: 1, Impact: 2, OwnerID: cli, Response: "Accept"},
		CloseRisk{ActorID: cli, RiskID: "rk-2", Reason: "Reviewed"},
		RaiseDependency{ActorID: sup, DependencyID: "dep-1", Title: "VPN access", OwedBy: cli, DueDate: t0.Add(time.Hour), MilestoneID: "ms-1"},
		DiscloseDelay{ActorID: sup, DelayID: "dl-2", MilestoneID: "ms-1", NewDueDate: due.Add(96 * time.Hour), Reason: "no VPN yet", DependencyID: "dep-1"},
		MeetDependency{ActorID: sup, DependencyID: "dep-1", Note: "Access given"},
		InformClient{ActorID: sup, InformationID: "inf-1", Subject: "Beta slips 3 days", Channel: ChannelCall, Recipients: []string{cli, cli2}, About: []string{"dl-1"}},
		AcknowledgeInformation{ActorID: cli, InformationID: "inf-1"},
		IssueHighlightReport{ActorID: sup, ReportID: "hr-1", From: t0, To: t0.Add(time.Hour), Channel: ChannelEmail, Recipients: []string{cli}},
		MakeDecision{ActorID: sup, DecisionID: "dec-1", Title: "Host", Kind: DecisionTechnical, Options: []string{"cloud", "on-prem"}, Chosen: "cloud", Participants: []string{sup, cli}},
		MakeDelivery{ActorID: sup, DeliveryID: "dlv-1", Title: "Beta", MilestoneID: "ms-1", RequirementIDs: []string{"req-1"}, FeatureIDs: []string{"f-1"}},
		MakeDelivery{ActorID: sup, DeliveryID: "dlv-2", Title: "Beta 2"},
		AdvancePhase{ActorID: sup, To: PhaseAcceptance},
		RaiseNeedAtDelivery{ActorID: cli, NeedID: "need-1", DeliveryID: "dlv-1", Title: "Bulk export"},
		AcceptDelivery{ActorID: cli, DeliveryID: "dlv-1", Verdicts: Verdicts{CriteriaMet: []string{"ac-1", "ac-2"}}},
		RejectDelivery{ActorID: cli, DeliveryID: "dlv-2", Reason: "crashes"},
		RedeliverDelivery{ActorID: sup, DeliveryID: "dlv-2", Changes: "Fixed the crash"},
		AcceptDelivery{ActorID: cli, DeliveryID: "dlv-2"},
		RemoveStakeholder{ActorID: prv, StakeholderID: prv},
		RecordLesson{ActorID: sup, LessonID: "les-1", Text: "Test the server before delivery day"},
		CloseEngagement{ActorID: cli, Summary: "done"},
	)
}

func TestLifeStoryCoversEveryEventType(t *testing.T) {
	s := lifeStory(t)
	seen := map[string]bool{}
	for _, e := range s.events {
		seen[e.EventType()] = true
	}
	for _, typ := range EventTypes() {
		if !seen[typ] {
			t.Errorf("life story never emits %s", typ)
		}
	}
	if len(EventTypes()) != 61 {
		t.Errorf("%d event types, want 61", len(EventTypes()))
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, e := range lifeStory(t).events {
		typ, v, data, err := Marshal(e)
		if err != nil {
			t.Fatalf("%s: %v", e.EventType(), err)
		}
		if typ != e.EventType() || v != CurrentVersion(typ) || v < 1 {
			t.Fatalf("%s: got type %s version %d", e.EventType(), typ, v)
		}
		back, err := Unmarshal(typ, v, data)
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if !reflect.DeepEqual(back, e) {
			t.Fatalf("%s: round trip\n got %#v\nwant %#v", typ, back, e)
		}
	}
}

func TestUnmarshalErrors(t *testing.T) {
	for _, tc := range []struct {
		typ     string
		version int
		data    string
		want    error
	}{
		{"nope.happened", 1, `{}`, ErrUnknownEventType},
		{TypeRequirementRaised, 1, `{"title": 3}`, ErrMalformedEvent},
		{TypeRequirementRaised, 1, `null`, ErrMalformedEvent},
		{TypeRequirementRaised, 1, `[]`, ErrMalformedEvent},
		{TypeRequirementRaised, 2, `{}`, ErrMalformedEvent},
		{TypeRequirementRaised, 0, `{}`, ErrMalformedEvent},
		{TypeRequirementRaised, 1, `{"at":"0000-01-01T00:00:00+01:00"}`, ErrMalformedEvent},
		{TypeDelayDisclosed, 1, `{"due_date":"2024-13-01","new_date":"2024-12-01"}`, ErrMalformedEvent},
		{TypeDelayDisclosed, 1, `{"due_date":"2024-11-01"}`, ErrMalformedEvent},
	} {
		if _, err := Unmarshal(tc.typ, tc.version, []byte(tc.data)); !errors.Is(err, tc.want) {
			t.Errorf("Unmarshal(%s, %d, %s) = %v, want %v", tc.typ, tc.version, tc.data, err, tc.want)
		}
	}
	if _, _, _, err := Marshal(nil); !errors.Is(err, ErrMalformedEvent) {
		t.Errorf("Marshal(nil) = %v", err)
	}
	if _, _, _, err := Marshal((*LessonRecorded)(nil)); !errors.Is(err, ErrMalformedEvent) {
		t.Errorf("Marshal(typed nil) = %v", err)
	}
}

func TestUnmarshalNormalizesTimesToUTC(t *testing.T) {
	e, err := Unmarshal(TypeLessonRecorded, 1, []byte(`{"engagement_id":"e","actor_id":"a","at":"2025-01-01T10:00:00+02:00","lesson_id":"l","text":"t"}`))
	if err != nil {
		t.Fatal(err)
	}
	if at := e.Head().At; at.Location() != time.UTC || at.Hour() != 8 {
		t.Fatalf("at = %v", at)
	}
}

// TestUpcastDelayDisclosedV1 decodes a payload stored under schema v1
// (calendar dates, "due_date"/"new_date") into the v2 struct.
func TestUpcastDelayDisclosedV1(t *testing.T) {
	data, err := os.ReadFile("testdata/delay_disclosed_v1.json")
	if err != nil {
		t.Fatal(err)
	}
	e, err := Unmarshal(TypeDelayDisclosed, 1, data)
	if err != nil {
		t.Fatal(err)
	}
	want := &DelayDisclosed{
		Header:          Header{EngagementID: "eng-legacy", ActorID: "s-sam", At: time.Date(2024, 11, 18, 16, 42, 0, 0, time.UTC)},
		DelayID:         "dl-7",
		MilestoneID:     "ms-beta",
		PreviousDueDate: time.Date(2024, 11, 20, 0, 0, 0, 0, time.UTC),
		NewDueDate:      time.Date(2024, 12, 4, 0, 0, 0, 0, time.UTC),
		Reason:          "The hosting provider could not open the firewall in time",
	}
	if !reflect.DeepEqual(e, want) {
		t.Fatalf("got %#v\nwant %#v", e, want)
	}
	if got := e.(*DelayDisclosed).LeadTime(); got != 31*time.Hour+18*time.Minute {
		t.Fatalf("lead time %v", got)
	}
	// Re-marshalled, it is a v2 event.
	typ, v, out, err := Marshal(e)
	if err != nil || typ != TypeDelayDisclosed || v != 2 {
		t.Fatalf("Marshal: %s v%d %v", typ, v, err)
	}
	again, err := Unmarshal(typ, v, out)
	if err != nil || !reflect.DeepEqual(again, want) {
		t.Fatalf("v2 round trip: %v %#v", err, again)
	}
}

func TestPersonalFields(t *testing.T) {
	for _, typ := range EventTypes() {
		got := PersonalFields(typ)
		var want []string
		switch typ {
		case TypeStakeholderJoined, TypeExpertInvited:
			want = []string{"name", "email"}
		}
		if !slices.Equal(got, want) {
			t.Errorf("PersonalFields(%s) = %v, want %v", typ, got, want)
		}
	}
	if PersonalFields("nope") != nil {
		t.Error("unknown type has personal fields")
	}
	// The result is the caller's.
	PersonalFields(TypeStakeholderJoined)[0] = "x"
	if PersonalFields(TypeStakeholderJoined)[0] != "name" {
		t.Error("PersonalFields shares its slice")
	}
}
