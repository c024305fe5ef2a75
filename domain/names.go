package domain

import "time"

// Names returns the ids of the facts an event names (the stakeholders,
// requirements, deliveries... it refers to), and the party it names, if
// any: everything that had to exist for the fact to be recorded. Decide
// refuses a claimed time earlier than any of them happened; the same list
// is what Evolve resolves, so a fold that keeps only the facts that
// happened by some moment never meets a fact naming one it left out.
func Names(e Event) (ids []string, party Party) {
	opt := func(ids ...string) []string {
		out := ids[:0:0]
		for _, id := range ids {
			if id != "" {
				out = append(out, id)
			}
		}
		return out
	}
	switch e := e.(type) {
	case *PerimeterDefined:
		return nil, e.Party
	case *StakeholderJoined:
		return nil, e.Party
	case *StakeholderBriefed:
		return opt(e.StakeholderID), ""
	case *StakeholderLeft:
		return opt(e.StakeholderID), ""
	case *ExpertCommitted:
		return opt(e.ExpertID), ""
	case *ExpertWithdrew:
		return opt(e.ExpertID), ""
	case *AgreementSigned:
		return e.Signatories, ""
	case *WorkshopHeld:
		return e.Participants, ""
	case *IndicatorDefined:
		return opt(e.WorkshopID), ""
	case *IndicatorMeasured:
		return opt(e.IndicatorID), ""
	case *QuestionAsked:
		return opt(e.RequirementID), ""
	case *RequirementClarified:
		return opt(e.RequirementID, e.QuestionID, e.AnsweredBy), ""
	case *AssumptionMade:
		return opt(e.RequirementID), ""
	case *AssumptionValidated:
		return opt(e.AssumptionID), ""
	case *AssumptionRejected:
		return opt(e.AssumptionID), ""
	case *ChangeRequested:
		return opt(e.RequirementID), ""
	case *ChangeApproved:
		return opt(e.ChangeID), ""
	case *ChangeRejected:
		return opt(e.ChangeID), ""
	case *FeatureAccepted:
		return opt(e.FeatureID), ""
	case *FeatureDeclined:
		return opt(e.FeatureID), ""
	case *DifficultyReported:
		return opt(e.MilestoneID), ""
	case *DelayDisclosed:
		return opt(e.MilestoneID, e.DependencyID), ""
	case *CostImpactDisclosed:
		return opt(e.DifficultyID), ""
	case *SkillsGapDisclosed:
		return opt(e.DifficultyID), ""
	case *ClientInformed:
		return append(opt(e.Recipients...), e.About...), ""
	case *InformationAcknowledged:
		return opt(e.InformationID), ""
	case *DecisionMade:
		return append(opt(e.Participants...), e.About...), ""
	case *DeliveryMade:
		return append(append(opt(e.MilestoneID), e.RequirementIDs...), e.FeatureIDs...), ""
	case *DeliveryAccepted:
		return opt(e.DeliveryID), ""
	case *DeliveryRejected:
		return opt(e.DeliveryID), ""
	case *NeedRaisedAtDelivery:
		return opt(e.DeliveryID), ""
	}
	return governanceNamesOf(e), ""
}

// OccurredBy reports whether the fact happened by t (inclusive): its claimed
// time, or when it was recorded when none was claimed. Folding, in stream
// order, the events that occurred by t gives the engagement "as it
// happened by t", as opposed to "as recorded by t".
func OccurredBy(e Event, t time.Time) bool { return !e.Head().Occurred().After(t) }
