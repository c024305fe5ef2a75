package domain

import (
	"fmt"
	"reflect"
	"slices"
)

// Fold rebuilds an engagement from its events, oldest first. The first
// event must be EngagementOpened.
func Fold(events ...Event) (*Engagement, error) {
	var s *Engagement
	for i, e := range events {
		var err error
		if s, err = Evolve(s, e); err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
	}
	if s == nil {
		return nil, fmt.Errorf("%w: no events", ErrCannotApply)
	}
	return s, nil
}

// Evolve applies one fact to the state and returns the state. It updates s
// in place (callers that share a state Clone it first) and never judges
// business rules: those were checked by Decide when the fact was recorded,
// and a fact stays a fact even if the rules change later. It fails, leaving
// s untouched, only when the event cannot be applied at all: s is nil and
// the event is not EngagementOpened (or the reverse), the event names
// another engagement, refers to an id the engagement does not have, or
// creates an id that already exists. Those errors wrap ErrCannotApply.
func Evolve(s *Engagement, e Event) (*Engagement, error) {
	if e == nil || isNilEvent(e) {
		return s, cannotApply("nil event")
	}
	h := e.Head()
	if s == nil {
		o, ok := e.(*EngagementOpened)
		if !ok {
			return nil, cannotApply("%s before engagement.opened", e.EventType())
		}
		return open(o), nil
	}
	if h.EngagementID != s.ID {
		return s, cannotApply("%s for engagement %q applied to %q", e.EventType(), h.EngagementID, s.ID)
	}
	if err := apply(s, e); err != nil {
		return s, err
	}
	s.Version++
	s.UpdatedAt = h.At
	return s, nil
}

func cannotApply(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCannotApply, fmt.Sprintf(format, args...))
}

// isNilEvent catches a typed nil pointer, whose Head would panic.
func isNilEvent(e Event) bool {
	v := reflect.ValueOf(e)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

func open(o *EngagementOpened) *Engagement {
	s := &Engagement{
		ID:           o.EngagementID,
		Title:        o.Title,
		Description:  o.Description,
		Phase:        PhaseEmergence,
		OpenedAt:     o.At,
		UpdatedAt:    o.At,
		Version:      1,
		PhaseHistory: []PhaseChange{{Phase: PhaseEmergence, At: o.At}},
		Parties: []*PartyInfo{
			{Party: PartyClient, Name: o.ClientName, JoinedAt: o.At},
			{Party: PartySupplier, Name: o.SupplierName, JoinedAt: o.At},
		},
	}
	s.reindex()
	return s
}

// fresh reports an error unless id is new in the engagement.
func (s *Engagement) fresh(id string) error {
	if k, ok := s.ids[id]; ok {
		return cannotApply("id %q already names a %s", id, k)
	}
	return nil
}

func need[T any](m map[string]*T, kind, id string) (*T, error) {
	if v, ok := m[id]; ok {
		return v, nil
	}
	return nil, cannotApply("unknown %s %q", kind, id)
}

// refs checks that every id names something in the engagement.
func (s *Engagement) refs(ids []string) error {
	for _, id := range ids {
		if _, ok := s.ids[id]; !ok {
			return cannotApply("unknown reference %q", id)
		}
	}
	return nil
}

func (s *Engagement) stakeholderRefs(ids []string) error {
	for _, id := range ids {
		if _, ok := s.stakeholders[id]; !ok {
			return cannotApply("unknown stakeholder %q", id)
		}
	}
	return nil
}

// apply is Evolve's body for every event but EngagementOpened. Each case
// looks up everything it needs before changing anything.
func apply(s *Engagement, e Event) error {
	h := e.Head()
	// at is when the fact was recorded, oc when it is said to have
	// happened (zero without a claim), when when it happened either way.
	at, oc, when, by := h.At, h.OccurredAt, h.Occurred(), h.ActorID
	switch e := e.(type) {
	case *EngagementOpened:
		return cannotApply("engagement %q already opened", s.ID)

	case *PhaseAdvanced:
		if !e.To.Valid() {
			return cannotApply("unknown phase %q", e.To)
		}
		s.Phase = e.To
		s.PhaseHistory = append(s.PhaseHistory, PhaseChange{Phase: e.To, At: at})
	case *EngagementClosed:
		s.Phase, s.ClosedAt, s.Summary, s.RetentionDays = PhaseClosed, at, e.Summary, e.RetentionDays
		s.PhaseHistory = append(s.PhaseHistory, PhaseChange{Phase: PhaseClosed, At: at})
	case *LessonRecorded:
		if err := s.fresh(e.LessonID); err != nil {
			return err
		}
		s.Lessons = append(s.Lessons, &Lesson{ID: e.LessonID, Text: e.Text, RecordedBy: by, RecordedAt: at})
		s.created(e.LessonID, "lesson", when)

	case *PartyJoined:
		if _, ok := s.Party(e.Party); ok {
			return cannotApply("party %q already joined", e.Party)
		}
		s.Parties = append(s.Parties, &PartyInfo{Party: e.Party, Name: e.Name, JoinedAt: at, JoinedOccurredAt: oc})
	case *PerimeterDefined:
		p, ok := s.Party(e.Party)
		if !ok {
			return cannotApply("unknown party %q", e.Party)
		}
		p.Perimeter = &Perimeter{
			Description: e.Description,
			Includes:    slices.Clone(e.Includes),
			Excludes:    slices.Clone(e.Excludes),
			DefinedBy:   by,
			DefinedAt:   at,

			DefinedOccurredAt: oc,
		}
	case *StakeholderJoined:
		if err := s.fresh(e.StakeholderID); err != nil {
			return err
		}
		x := &Stakeholder{
			ID: e.StakeholderID, Party: e.Party, Name: e.Name, Email: e.Email, Role: e.Role,
			PrincipalID: e.PrincipalID, JoinedAt: at, Late: e.Late, Briefed: !e.Late, JoinedOccurredAt: oc,
		}
		s.Stakeholders = append(s.Stakeholders, x)
		s.stakeholders[x.ID] = x
		s.created(x.ID, "stakeholder", when)
	case *StakeholderBriefed:
		x, err := need(s.stakeholders, "stakeholder", e.StakeholderID)
		if err != nil {
			return err
		}
		x.Briefed, x.BriefedBy, x.BriefedAt, x.BriefedOccurredAt = true, by, at, oc
	case *StakeholderLeft:
		x, err := need(s.stakeholders, "stakeholder", e.StakeholderID)
		if err != nil {
			return err
		}
		x.Left, x.LeftAt, x.LeftOccurredAt = true, at, oc

	case *ExpertInvited:
		if err := s.fresh(e.ExpertID); err != nil {
			return err
		}
		x := &Expert{
			ID: e.ExpertID, Name: e.Name, Email: e.Email, Expertise: e.Expertise,
			Status: StatusInvited, InvitedBy: by, InvitedAt: at, ChangedAt: at, InvitedOccurredAt: oc, ChangedOccurredAt: oc,
		}
		s.Experts = append(s.Experts, x)
		s.experts[x.ID] = x
		s.created(x.ID, "expert", when)
	case *ExpertCommitted:
		x, err := need(s.experts, "expert", e.ExpertID)
		if err != nil {
			return err
		}
		x.Status, x.ChangedAt, x.ChangedOccurredAt = StatusCommitted, at, oc
	case *ExpertWithdrew:
		x, err := need(s.experts, "expert", e.ExpertID)
		if err != nil {
			return err
		}
		x.Status, x.ChangedAt, x.ChangedOccurredAt, x.Reason = StatusWithdrawn, at, oc, e.Reason
	case *ClientJoinedDiscussion:
		s.ClientInDiscussion = true
	case *AgreementSigned:
		if err := s.fresh(e.AgreementID); err != nil {
			return err
		}
		if err := s.stakeholderRefs(e.Signatories); err != nil {
			return err
		}
		s.Agreement = &Agreement{ID: e.AgreementID, Reference: e.Reference, Signatories: slices.Clone(e.Signatories), SignedAt: at, SignedOccurredAt: oc}
		s.created(e.AgreementID, "agreement", when)

	case *WorkshopHeld:
		if err := s.fresh(e.WorkshopID); err != nil {
			return err
		}
		if err := s.stakeholderRefs(e.Participants); err != nil {
			return err
		}
		x := &Workshop{ID: e.WorkshopID, HeldAt: e.HeldAt, Participants: slices.Clone(e.Participants), Notes: e.Notes, RecordedBy: by, RecordedAt: at}
		s.Workshops = append(s.Workshops, x)
		s.workshops[x.ID] = x
		s.created(x.ID, "workshop", x.HeldAt)
	case *IndicatorDefined:
		if err := s.fresh(e.IndicatorID); err != nil {
			return err
		}
		if e.WorkshopID != "" {
			if _, err := need(s.workshops, "workshop", e.WorkshopID); err != nil {
				return err
			}
		}
		x := &Indicator{
			ID: e.IndicatorID, WorkshopID: e.WorkshopID, Name: e.Name, Unit: e.Unit,
			Target: e.Target, Direction: e.Direction, DefinedBy: by, DefinedAt: at, DefinedOccurredAt: oc,
		}
		s.Indicators = append(s.Indicators, x)
		s.indicators[x.ID] = x
		s.created(x.ID, "indicator", when)
	case *IndicatorMeasured:
		x, err := need(s.indicators, "indicator", e.IndicatorID)
		if err != nil {
			return err
		}
		if err := s.fresh(e.MeasurementID); err != nil {
			return err
		}
		x.Measurements = append(x.Measurements, Measurement{ID: e.MeasurementID, Value: e.Value, MeasuredAt: e.MeasuredAt, Note: e.Note, By: by, RecordedAt: at})
		s.created(e.MeasurementID, "measurement", e.MeasuredAt)

	case *RequirementRaised:
		if err := s.fresh(e.RequirementID); err != nil {
			return err
		}
		s.addRequirement(&Requirement{ID: e.RequirementID, Title: e.Title, Description: e.Description, Origin: OriginRaised,
			RaisedBy: by, RaisedAt: at, RaisedOccurredAt: oc})
	case *QuestionAsked:
		if err := s.fresh(e.QuestionID); err != nil {
			return err
		}
		if _, err := need(s.requirements, "requirement", e.RequirementID); err != nil {
			return err
		}
		x := &Question{ID: e.QuestionID, RequirementID: e.RequirementID, Text: e.Text, Status: StatusOpen, AskedBy: by, AskedAt: at, AskedOccurredAt: oc}
		s.Questions = append(s.Questions, x)
		s.questions[x.ID] = x
		s.created(x.ID, "question", when)
	case *RequirementClarified:
		r, err := need(s.requirements, "requirement", e.RequirementID)
		if err != nil {
			return err
		}
		var q *Question
		if e.QuestionID != "" {
			if q, err = need(s.questions, "question", e.QuestionID); err != nil {
				return err
			}
		}
		r.Clarifications = append(r.Clarifications, Clarification{
			Text: e.Clarification, QuestionID: e.QuestionID, Answer: e.Answer, AnsweredBy: e.AnsweredBy, By: by, At: at, OccurredAt: oc,
		})
		if q != nil {
			answer := e.Answer
			if answer == "" {
				answer = e.Clarification
			}
			q.Status, q.Answer, q.AnsweredBy, q.AnsweredAt, q.AnsweredOccurredAt = StatusAnswered, answer, e.AnsweredBy, at, oc
		}
	case *AssumptionMade:
		if err := s.fresh(e.AssumptionID); err != nil {
			return err
		}
		if e.RequirementID != "" {
			if _, err := need(s.requirements, "requirement", e.RequirementID); err != nil {
				return err
			}
		}
		x := &Assumption{ID: e.AssumptionID, RequirementID: e.RequirementID, Statement: e.Statement, Status: StatusOpen,
			MadeBy: by, MadeAt: at, MadeOccurredAt: oc}
		s.Assumptions = append(s.Assumptions, x)
		s.assumptions[x.ID] = x
		s.created(x.ID, "assumption", when)
	case *AssumptionValidated:
		x, err := need(s.assumptions, "assumption", e.AssumptionID)
		if err != nil {
			return err
		}
		x.Status, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt, x.Comment = StatusValidated, by, at, oc, e.Comment
	case *AssumptionRejected:
		x, err := need(s.assumptions, "assumption", e.AssumptionID)
		if err != nil {
			return err
		}
		x.Status, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt, x.Comment = StatusRejected, by, at, oc, e.Reason
	case *ChangeRequested:
		if err := s.fresh(e.ChangeID); err != nil {
			return err
		}
		if e.RequirementID != "" {
			if _, err := need(s.requirements, "requirement", e.RequirementID); err != nil {
				return err
			}
		}
		x := &ChangeRequest{ID: e.ChangeID, RequirementID: e.RequirementID, Description: e.Description, Reason: e.Reason, Status: StatusOpen,
			RequestedBy: by, RequestedAt: at, RequestedOccurredAt: oc}
		s.Changes = append(s.Changes, x)
		s.changes[x.ID] = x
		s.created(x.ID, "change", when)
	case *ChangeApproved:
		x, err := need(s.changes, "change", e.ChangeID)
		if err != nil {
			return err
		}
		x.Status, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt, x.Comment = StatusApproved, by, at, oc, e.Comment
	case *ChangeRejected:
		x, err := need(s.changes, "change", e.ChangeID)
		if err != nil {
			return err
		}
		x.Status, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt, x.Comment = StatusRejected, by, at, oc, e.Reason
	case *FeatureProposed:
		if err := s.fresh(e.FeatureID); err != nil {
			return err
		}
		x := &Feature{ID: e.FeatureID, Title: e.Title, Description: e.Description, Status: StatusProposed,
			ProposedBy: by, ProposedAt: at, ProposedOccurredAt: oc}
		s.Features = append(s.Features, x)
		s.features[x.ID] = x
		s.created(x.ID, "feature", when)
	case *FeatureAccepted:
		x, err := need(s.features, "feature", e.FeatureID)
		if err != nil {
			return err
		}
		x.Status, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt, x.Comment = StatusAccepted, by, at, oc, e.Comment
	case *FeatureDeclined:
		x, err := need(s.features, "feature", e.FeatureID)
		if err != nil {
			return err
		}
		x.Status, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt, x.Comment = StatusDeclined, by, at, oc, e.Reason

	case *MilestonePlanned:
		if err := s.fresh(e.MilestoneID); err != nil {
			return err
		}
		x := &Milestone{ID: e.MilestoneID, Title: e.Title, DueDate: e.DueDate, OriginalDueDate: e.DueDate,
			PlannedBy: by, PlannedAt: at, PlannedOccurredAt: oc}
		s.Milestones = append(s.Milestones, x)
		s.milestones[x.ID] = x
		s.created(x.ID, "milestone", when)
	case *DifficultyReported:
		if err := s.fresh(e.DifficultyID); err != nil {
			return err
		}
		if e.MilestoneID != "" {
			if _, err := need(s.milestones, "milestone", e.MilestoneID); err != nil {
				return err
			}
		}
		x := &Difficulty{ID: e.DifficultyID, MilestoneID: e.MilestoneID, Description: e.Description, ReportedBy: by, ReportedAt: at, ReportedOccurredAt: oc,
			Status: StatusOpen}
		s.Difficulties = append(s.Difficulties, x)
		s.difficulties[x.ID] = x
		s.created(x.ID, "difficulty", when)
	case *DelayDisclosed:
		if err := s.fresh(e.DelayID); err != nil {
			return err
		}
		m, err := need(s.milestones, "milestone", e.MilestoneID)
		if err != nil {
			return err
		}
		var dep *Dependency
		if e.DependencyID != "" {
			if dep, err = need(s.dependencies, "dependency", e.DependencyID); err != nil {
				return err
			}
			dep.DelayIDs = append(dep.DelayIDs, e.DelayID)
		}
		x := &Delay{
			ID: e.DelayID, MilestoneID: e.MilestoneID, PreviousDueDate: e.PreviousDueDate, NewDueDate: e.NewDueDate,
			Reason: e.Reason, DisclosedBy: by, DisclosedAt: at, DisclosedOccurredAt: oc,
			DependencyID: e.DependencyID, DependencyLate: e.DependencyLate, DependencyParty: e.DependencyParty,
		}
		s.Delays = append(s.Delays, x)
		s.delays[x.ID] = x
		s.created(x.ID, "delay", when)
		m.DueDate = e.NewDueDate
		m.DelayIDs = append(m.DelayIDs, x.ID)
	case *CostImpactDisclosed:
		if err := s.fresh(e.CostImpactID); err != nil {
			return err
		}
		if e.DifficultyID != "" {
			if _, err := need(s.difficulties, "difficulty", e.DifficultyID); err != nil {
				return err
			}
		}
		s.CostImpacts = append(s.CostImpacts, &CostImpact{
			ID: e.CostImpactID, DifficultyID: e.DifficultyID, Amount: e.Amount, Currency: e.Currency,
			Reason: e.Reason, DisclosedBy: by, DisclosedAt: at, DisclosedOccurredAt: oc,
		})
		s.created(e.CostImpactID, "cost_impact", when)
	case *SkillsGapDisclosed:
		if err := s.fresh(e.SkillsGapID); err != nil {
			return err
		}
		if e.DifficultyID != "" {
			if _, err := need(s.difficulties, "difficulty", e.DifficultyID); err != nil {
				return err
			}
		}
		s.SkillsGaps = append(s.SkillsGaps, &SkillsGap{
			ID: e.SkillsGapID, DifficultyID: e.DifficultyID, Skill: e.Skill, Mitigation: e.Mitigation,
			DisclosedBy: by, DisclosedAt: at, DisclosedOccurredAt: oc,
		})
		s.created(e.SkillsGapID, "skills_gap", when)

	case *ClientInformed:
		if err := s.fresh(e.InformationID); err != nil {
			return err
		}
		if err := s.stakeholderRefs(e.Recipients); err != nil {
			return err
		}
		if err := s.refs(e.About); err != nil {
			return err
		}
		x := &Information{
			ID: e.InformationID, Subject: e.Subject, Summary: e.Summary, Channel: e.Channel,
			Recipients: slices.Clone(e.Recipients), About: slices.Clone(e.About), InformedBy: by, InformedAt: at, InformedOccurredAt: oc,
		}
		s.Informed = append(s.Informed, x)
		s.information[x.ID] = x
		s.created(x.ID, "information", when)
	case *InformationAcknowledged:
		x, err := need(s.information, "information", e.InformationID)
		if err != nil {
			return err
		}
		x.Acknowledgements = append(x.Acknowledgements, Acknowledgement{StakeholderID: by, At: at, OccurredAt: oc})
	case *DecisionMade:
		if err := s.fresh(e.DecisionID); err != nil {
			return err
		}
		if err := s.stakeholderRefs(e.Participants); err != nil {
			return err
		}
		if err := s.stakeholderRefs(e.ClientParticipants); err != nil {
			return err
		}
		if err := s.refs(e.About); err != nil {
			return err
		}
		x := &Decision{
			ID: e.DecisionID, Title: e.Title, Kind: e.Kind, Options: slices.Clone(e.Options), Chosen: e.Chosen,
			Rationale: e.Rationale, Participants: slices.Clone(e.Participants),
			ClientParticipants: slices.Clone(e.ClientParticipants), About: slices.Clone(e.About),
			DecidedBy: by, DecidedAt: at, DecidedOccurredAt: oc,
		}
		s.Decisions = append(s.Decisions, x)
		s.decisions[x.ID] = x
		s.created(x.ID, "decision", when)

	case *DeliveryMade:
		if err := s.fresh(e.DeliveryID); err != nil {
			return err
		}
		if e.MilestoneID != "" {
			if _, err := need(s.milestones, "milestone", e.MilestoneID); err != nil {
				return err
			}
		}
		for _, id := range e.RequirementIDs {
			if _, err := need(s.requirements, "requirement", id); err != nil {
				return err
			}
		}
		for _, id := range e.FeatureIDs {
			if _, err := need(s.features, "feature", id); err != nil {
				return err
			}
		}
		x := &Delivery{
			ID: e.DeliveryID, Title: e.Title, Description: e.Description, MilestoneID: e.MilestoneID,
			RequirementIDs: slices.Clone(e.RequirementIDs), FeatureIDs: slices.Clone(e.FeatureIDs),
			Status: StatusAwaiting, DeliveredBy: by, DeliveredAt: at, DeliveredOccurredAt: oc,
			DeliveryVersions: DeliveryVersions{Version: 1},
		}
		s.Deliveries = append(s.Deliveries, x)
		s.deliveries[x.ID] = x
		s.created(x.ID, "delivery", when)
	case *DeliveryAccepted:
		x, err := need(s.deliveries, "delivery", e.DeliveryID)
		if err != nil {
			return err
		}
		x.Status, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt, x.Comment = StatusAccepted, by, at, oc, e.Comment
		x.Verdicts = e.Verdicts.clone()
	case *DeliveryRejected:
		x, err := need(s.deliveries, "delivery", e.DeliveryID)
		if err != nil {
			return err
		}
		x.Status, x.ResolvedBy, x.ResolvedAt, x.ResolvedOccurredAt, x.Comment = StatusRejected, by, at, oc, e.Reason
		x.Verdicts = e.Verdicts.clone()
	case *NeedRaisedAtDelivery:
		if err := s.fresh(e.NeedID); err != nil {
			return err
		}
		d, err := need(s.deliveries, "delivery", e.DeliveryID)
		if err != nil {
			return err
		}
		s.addRequirement(&Requirement{
			ID: e.NeedID, Title: e.Title, Description: e.Description, Origin: OriginDelivery,
			DeliveryID: e.DeliveryID, RaisedBy: by, RaisedAt: at, RaisedOccurredAt: oc,
		})
		d.NeedIDs = append(d.NeedIDs, e.NeedID)

	default:
		if ok, err := applyGovernance(s, e); ok {
			return err
		}
		return cannotApply("unknown event %T", e)
	}
	return nil
}

func (s *Engagement) addRequirement(r *Requirement) {
	s.Requirements = append(s.Requirements, r)
	s.requirements[r.ID] = r
	s.created(r.ID, "requirement", occurred(r.RaisedOccurredAt, r.RaisedAt))
}
