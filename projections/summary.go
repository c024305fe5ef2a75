package projections

import (
	"fmt"
	"strings"

	"github.com/candor-ledger/candor/domain"
)

const dateFmt = "2006-01-02"

// summarize says in one line what an event is, for the timeline. people maps
// stakeholder ids to names (it may be nil: ids are shown as they are).
func summarize(e domain.Event, people map[string]personDoc) string {
	name := func(id string) string {
		if p, ok := people[id]; ok && p.Name != "" {
			return p.Name
		}
		return id
	}
	names := func(ids []string) string {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = name(id)
		}
		return strings.Join(out, ", ")
	}
	switch ev := e.(type) {
	case *domain.EngagementOpened:
		return fmt.Sprintf("Engagement %q opened between %s (client) and %s (supplier)", ev.Title, ev.ClientName, ev.SupplierName)
	case *domain.PhaseAdvanced:
		return fmt.Sprintf("Phase advanced from %s to %s", ev.From, ev.To)
	case *domain.EngagementClosed:
		return "Engagement closed"
	case *domain.LessonRecorded:
		return "Lesson recorded: " + ev.Text
	case *domain.PartyJoined:
		return fmt.Sprintf("%s joined as %s", ev.Name, ev.Party)
	case *domain.PerimeterDefined:
		return fmt.Sprintf("Perimeter of the %s defined: %s", ev.Party, ev.Description)
	case *domain.StakeholderJoined:
		late := ""
		if ev.Late {
			late = " (late: needs a briefing)"
		}
		return fmt.Sprintf("%s joined on the %s side%s", ev.Name, ev.Party, late)
	case *domain.StakeholderBriefed:
		return fmt.Sprintf("%s was briefed", name(ev.StakeholderID))
	case *domain.StakeholderLeft:
		return fmt.Sprintf("%s left", name(ev.StakeholderID))
	case *domain.ExpertInvited:
		return fmt.Sprintf("Expert %s invited", ev.Name)
	case *domain.ExpertCommitted:
		return fmt.Sprintf("Expert %s committed", ev.ExpertID)
	case *domain.ExpertWithdrew:
		return fmt.Sprintf("Expert %s withdrew", ev.ExpertID)
	case *domain.ClientJoinedDiscussion:
		return "The client joined the discussion"
	case *domain.AgreementSigned:
		return fmt.Sprintf("Agreement signed by %s", names(ev.Signatories))
	case *domain.WorkshopHeld:
		return fmt.Sprintf("Workshop held with %s", names(ev.Participants))
	case *domain.IndicatorDefined:
		return fmt.Sprintf("Success indicator %q defined: %s %g%s", ev.Name, ev.Direction, ev.Target, unit(ev.Unit))
	case *domain.IndicatorMeasured:
		return fmt.Sprintf("Indicator %s measured: %g", ev.IndicatorID, ev.Value)
	case *domain.RequirementRaised:
		return fmt.Sprintf("Requirement raised: %s", ev.Title)
	case *domain.QuestionAsked:
		return fmt.Sprintf("Question asked on requirement %s: %s", ev.RequirementID, ev.Text)
	case *domain.RequirementClarified:
		return fmt.Sprintf("Requirement %s clarified: %s", ev.RequirementID, ev.Clarification)
	case *domain.AssumptionMade:
		return "Assumption made without the client: " + ev.Statement
	case *domain.AssumptionValidated:
		return fmt.Sprintf("Assumption %s validated by the client", ev.AssumptionID)
	case *domain.AssumptionRejected:
		return fmt.Sprintf("Assumption %s rejected by the client", ev.AssumptionID)
	case *domain.ChangeRequested:
		return "Change requested: " + ev.Description
	case *domain.ChangeApproved:
		return fmt.Sprintf("Change %s approved", ev.ChangeID)
	case *domain.ChangeRejected:
		return fmt.Sprintf("Change %s rejected", ev.ChangeID)
	case *domain.FeatureProposed:
		return "Feature proposed (not requested by the client): " + ev.Title
	case *domain.FeatureAccepted:
		return fmt.Sprintf("Feature %s accepted by the client", ev.FeatureID)
	case *domain.FeatureDeclined:
		return fmt.Sprintf("Feature %s declined by the client", ev.FeatureID)
	case *domain.MilestonePlanned:
		return fmt.Sprintf("Milestone %q planned for %s", ev.Title, ev.DueDate.Format(dateFmt))
	case *domain.DifficultyReported:
		return "Difficulty reported: " + ev.Description
	case *domain.DelayDisclosed:
		lead := days(ev.LeadTime())
		when := fmt.Sprintf("%.1f days before the due date", lead)
		if lead < 0 {
			when = fmt.Sprintf("%.1f days after the due date", -lead)
		}
		return fmt.Sprintf("Delay disclosed on milestone %s: %s -> %s, %s", ev.MilestoneID,
			ev.PreviousDueDate.Format(dateFmt), ev.NewDueDate.Format(dateFmt), when)
	case *domain.CostImpactDisclosed:
		return fmt.Sprintf("Cost impact disclosed: %d %s (minor units): %s", ev.Amount, ev.Currency, ev.Reason)
	case *domain.SkillsGapDisclosed:
		return "Skills gap disclosed: " + ev.Skill
	case *domain.ClientInformed:
		return fmt.Sprintf("%s informed by %s: %s", names(ev.Recipients), ev.Channel, ev.Subject)
	case *domain.InformationAcknowledged:
		return fmt.Sprintf("Information %s acknowledged", ev.InformationID)
	case *domain.DecisionMade:
		without := ""
		if len(ev.ClientParticipants) == 0 {
			without = " (without the client)"
		}
		return fmt.Sprintf("Decision %q: %s%s", ev.Title, ev.Chosen, without)
	case *domain.DeliveryMade:
		return "Delivery made: " + ev.Title
	case *domain.DeliveryAccepted:
		return fmt.Sprintf("Delivery %s accepted", ev.DeliveryID)
	case *domain.DeliveryRejected:
		return fmt.Sprintf("Delivery %s rejected: %s", ev.DeliveryID, ev.Reason)
	case *domain.NeedRaisedAtDelivery:
		return "Need raised at delivery: " + ev.Title
	}
	return e.EventType()
}

func unit(u string) string {
	if u == "" {
		return ""
	}
	return " " + u
}
