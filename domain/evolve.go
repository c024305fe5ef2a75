package domain

import (
	"fmt"
	"reflect"
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
	switch e := e.(type) {
	case *EngagementOpened:
		return cannotApply("engagement %q already opened", s.ID)
	case *PhaseAdvanced:
		return applyPhaseAdvanced(s, e, h)
	case *EngagementClosed:
		return applyEngagementClosed(s, e, h)
	case *LessonRecorded:
		return applyLessonRecorded(s, e, h)
	case *PartyJoined:
		return applyPartyJoined(s, e, h)
	case *PerimeterDefined:
		return applyPerimeterDefined(s, e, h)
	case *StakeholderJoined:
		return applyStakeholderJoined(s, e, h)
	case *StakeholderBriefed:
		return applyStakeholderBriefed(s, e, h)
	case *StakeholderLeft:
		return applyStakeholderLeft(s, e, h)
	case *ExpertInvited:
		return applyExpertInvited(s, e, h)
	case *ExpertCommitted:
		return applyExpertCommitted(s, e, h)
	case *ExpertWithdrew:
		return applyExpertWithdrew(s, e, h)
	case *ClientJoinedDiscussion:
		return applyClientJoinedDiscussion(s, e, h)
	case *AgreementSigned:
		return applyAgreementSigned(s, e, h)
	case *WorkshopHeld:
		return applyWorkshopHeld(s, e, h)
	case *IndicatorDefined:
		return applyIndicatorDefined(s, e, h)
	case *IndicatorMeasured:
		return applyIndicatorMeasured(s, e, h)
	case *RequirementRaised:
		return applyRequirementRaised(s, e, h)
	case *QuestionAsked:
		return applyQuestionAsked(s, e, h)
	case *RequirementClarified:
		return applyRequirementClarified(s, e, h)
	case *AssumptionMade:
		return applyAssumptionMade(s, e, h)
	case *AssumptionValidated:
		return applyAssumptionValidated(s, e, h)
	case *AssumptionRejected:
		return applyAssumptionRejected(s, e, h)
	case *ChangeRequested:
		return applyChangeRequested(s, e, h)
	case *ChangeApproved:
		return applyChangeApproved(s, e, h)
	case *ChangeRejected:
		return applyChangeRejected(s, e, h)
	case *FeatureProposed:
		return applyFeatureProposed(s, e, h)
	case *FeatureAccepted:
		return applyFeatureAccepted(s, e, h)
	case *FeatureDeclined:
		return applyFeatureDeclined(s, e, h)
	case *MilestonePlanned:
		return applyMilestonePlanned(s, e, h)
	case *DifficultyReported:
		return applyDifficultyReported(s, e, h)
	case *DelayDisclosed:
		return applyDelayDisclosed(s, e, h)
	case *CostImpactDisclosed:
		return applyCostImpactDisclosed(s, e, h)
	case *SkillsGapDisclosed:
		return applySkillsGapDisclosed(s, e, h)
	case *ClientInformed:
		return applyClientInformed(s, e, h)
	case *InformationAcknowledged:
		return applyInformationAcknowledged(s, e, h)
	case *DecisionMade:
		return applyDecisionMade(s, e, h)
	case *DeliveryMade:
		return applyDeliveryMade(s, e, h)
	case *DeliveryAccepted:
		return applyDeliveryAccepted(s, e, h)
	case *DeliveryRejected:
		return applyDeliveryRejected(s, e, h)
	case *NeedRaisedAtDelivery:
		return applyNeedRaisedAtDelivery(s, e, h)
	default:
		if ok, err := applyGovernance(s, e); ok {
			return err
		}
		return cannotApply("unknown event %T", e)
	}
}

func (s *Engagement) addRequirement(r *Requirement) {
	s.Requirements = append(s.Requirements, r)
	s.requirements[r.ID] = r
	s.created(r.ID, "requirement", occurred(r.RaisedOccurredAt, r.RaisedAt))
}
