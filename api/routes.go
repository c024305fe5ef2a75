package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/domain"
)

// writeOps maps every write operation of the contract (by operationId) to
// its typed operation: the only per-route knowledge writes need is which
// command the body is and which of its fields the path or the server sets.
var writeOps = map[string]writeOp{
	"openEngagement": op(func(c *domain.OpenEngagement, b *binding) *string {
		b.opens(&c.EngagementID)
		b.id(&c.Opener.StakeholderID)
		c.Opener.PrincipalID = b.principal.ID
		return nil
	}),
	"advancePhase":    op(func(c *domain.AdvancePhase, _ *binding) *string { return &c.ActorID }),
	"closeEngagement": op(func(c *domain.CloseEngagement, _ *binding) *string { return &c.ActorID }),
	"recordLesson": op(func(c *domain.RecordLesson, b *binding) *string {
		b.creates(&c.LessonID, "/lessons/")
		return &c.ActorID
	}),

	"joinParty": op(func(c *domain.JoinParty, b *binding) *string {
		b.at("/parties/" + string(c.Party))
		return &c.ActorID
	}),
	"definePerimeter": op(func(c *domain.DefinePerimeter, _ *binding) *string { return &c.ActorID }),
	"addStakeholder": op(func(c *domain.AddStakeholder, b *binding) *string {
		b.creates(&c.StakeholderID, "/stakeholders/")
		b.links = c.PrincipalID
		return &c.ActorID
	}),
	"briefStakeholder": op(func(c *domain.BriefStakeholder, b *binding) *string {
		c.StakeholderID = b.param("stakeholder_id")
		return &c.ActorID
	}),
	"removeStakeholder": op(func(c *domain.RemoveStakeholder, b *binding) *string {
		c.StakeholderID = b.param("stakeholder_id")
		return &c.ActorID
	}),

	"inviteExpert": op(func(c *domain.InviteExpert, b *binding) *string {
		b.creates(&c.ExpertID, "/experts/")
		return &c.ActorID
	}),
	"commitExpert": op(func(c *domain.CommitExpert, b *binding) *string {
		c.ExpertID = b.param("expert_id")
		return &c.ActorID
	}),
	"withdrawExpert": op(func(c *domain.WithdrawExpert, b *binding) *string {
		c.ExpertID = b.param("expert_id")
		return &c.ActorID
	}),
	"joinDiscussion": op(func(c *domain.JoinDiscussion, _ *binding) *string { return &c.ActorID }),
	"signAgreement": op(func(c *domain.SignAgreement, b *binding) *string {
		b.id(&c.AgreementID)
		b.at("/agreement")
		return &c.ActorID
	}),

	"holdWorkshop": op(func(c *domain.HoldWorkshop, b *binding) *string {
		b.creates(&c.WorkshopID, "/workshops/")
		return &c.ActorID
	}),
	"defineIndicator": op(func(c *domain.DefineIndicator, b *binding) *string {
		b.creates(&c.IndicatorID, "/indicators/")
		return &c.ActorID
	}),
	"measureIndicator": op(func(c *domain.MeasureIndicator, b *binding) *string {
		c.IndicatorID = b.param("indicator_id")
		b.creates(&c.MeasurementID, "/indicators/"+c.IndicatorID+"/measurements/")
		return &c.ActorID
	}),

	"raiseRequirement": op(func(c *domain.RaiseRequirement, b *binding) *string {
		b.creates(&c.RequirementID, "/requirements/")
		return &c.ActorID
	}),
	"askQuestion": op(func(c *domain.AskQuestion, b *binding) *string {
		c.RequirementID = b.param("requirement_id")
		b.creates(&c.QuestionID, "/requirements/"+c.RequirementID+"/questions/")
		return &c.ActorID
	}),
	"clarifyRequirement": op(func(c *domain.ClarifyRequirement, b *binding) *string {
		c.RequirementID = b.param("requirement_id")
		return &c.ActorID
	}),
	"makeAssumption": op(func(c *domain.MakeAssumption, b *binding) *string {
		b.creates(&c.AssumptionID, "/assumptions/")
		return &c.ActorID
	}),
	"validateAssumption": op(func(c *domain.ValidateAssumption, b *binding) *string {
		c.AssumptionID = b.param("assumption_id")
		return &c.ActorID
	}),
	"rejectAssumption": op(func(c *domain.RejectAssumption, b *binding) *string {
		c.AssumptionID = b.param("assumption_id")
		return &c.ActorID
	}),
	"requestChange": op(func(c *domain.RequestChange, b *binding) *string {
		b.creates(&c.ChangeID, "/changes/")
		return &c.ActorID
	}),
	"approveChange": op(func(c *domain.ApproveChange, b *binding) *string {
		c.ChangeID = b.param("change_id")
		return &c.ActorID
	}),
	"rejectChange": op(func(c *domain.RejectChange, b *binding) *string {
		c.ChangeID = b.param("change_id")
		return &c.ActorID
	}),
	"proposeFeature": op(func(c *domain.ProposeFeature, b *binding) *string {
		b.creates(&c.FeatureID, "/features/")
		return &c.ActorID
	}),
	"acceptFeature": op(func(c *domain.AcceptFeature, b *binding) *string {
		c.FeatureID = b.param("feature_id")
		return &c.ActorID
	}),
	"declineFeature": op(func(c *domain.DeclineFeature, b *binding) *string {
		c.FeatureID = b.param("feature_id")
		return &c.ActorID
	}),

	"planMilestone": op(func(c *domain.PlanMilestone, b *binding) *string {
		b.creates(&c.MilestoneID, "/milestones/")
		return &c.ActorID
	}),
	"reportDifficulty": op(func(c *domain.ReportDifficulty, b *binding) *string {
		b.creates(&c.DifficultyID, "/difficulties/")
		return &c.ActorID
	}),
	"discloseDelay": op(func(c *domain.DiscloseDelay, b *binding) *string {
		c.MilestoneID = b.param("milestone_id")
		b.creates(&c.DelayID, "/milestones/"+c.MilestoneID+"/delays/")
		return &c.ActorID
	}),
	"discloseCostImpact": op(func(c *domain.DiscloseCostImpact, b *binding) *string {
		b.creates(&c.CostImpactID, "/cost-impacts/")
		return &c.ActorID
	}),
	"discloseSkillsGap": op(func(c *domain.DiscloseSkillsGap, b *binding) *string {
		b.creates(&c.SkillsGapID, "/skills-gaps/")
		return &c.ActorID
	}),

	"informClient": op(func(c *domain.InformClient, b *binding) *string {
		b.creates(&c.InformationID, "/communications/")
		return &c.ActorID
	}),
	"acknowledgeInformation": op(func(c *domain.AcknowledgeInformation, b *binding) *string {
		c.InformationID = b.param("information_id")
		return &c.ActorID
	}),
	"makeDecision": op(func(c *domain.MakeDecision, b *binding) *string {
		b.creates(&c.DecisionID, "/decisions/")
		return &c.ActorID
	}),

	"makeDelivery": op(func(c *domain.MakeDelivery, b *binding) *string {
		b.creates(&c.DeliveryID, "/deliveries/")
		return &c.ActorID
	}),
	"acceptDelivery": op(func(c *domain.AcceptDelivery, b *binding) *string {
		c.DeliveryID = b.param("delivery_id")
		return &c.ActorID
	}),
	"rejectDelivery": op(func(c *domain.RejectDelivery, b *binding) *string {
		c.DeliveryID = b.param("delivery_id")
		return &c.ActorID
	}),
	"raiseNeedAtDelivery": op(func(c *domain.RaiseNeedAtDelivery, b *binding) *string {
		c.DeliveryID = b.param("delivery_id")
		b.creates(&c.NeedID, "/requirements/")
		return &c.ActorID
	}),
}

// handlers maps every other operation of the contract to its handler.
func (s *Server) handlers() map[string]echo.HandlerFunc {
	type st = domain.Engagement
	type ctx = echo.Context
	p := func(c ctx, name string) string { return c.Param(name) }
	h := map[string]echo.HandlerFunc{
		"getHealth": s.getHealth, "getReadiness": s.getReadiness, "getMetrics": s.getMetrics,
		"getOpenAPI": s.getOpenAPI, "getDocs": s.getDocs, "getDocsScript": s.getDocsScript,

		"getMe": s.getMe, "createPrincipal": s.createPrincipal, "listPrincipals": s.listPrincipals,
		"getPrincipal": s.getPrincipal, "issueToken": s.issueToken, "listTokens": s.listTokens, "revokeToken": s.revokeToken,
		"disablePrincipal": s.disablePrincipal, "enablePrincipal": s.enablePrincipal,

		"listEngagements": s.listEngagements, "getEngagement": s.getEngagement, "listEvents": s.listEvents,

		"getSubject": s.getSubject, "eraseSubject": s.eraseSubject,

		"listParties": listOf(s, func(e *st, _ ctx) ([]*domain.PartyInfo, error) { return nonNil(e.Parties), nil }),
		"getParty": itemOf(s, func(e *st, c ctx) (*domain.PartyInfo, error) {
			v, ok := e.Party(domain.Party(p(c, "party")))
			return found(v, ok, domain.CodePartyNotFound, "party")
		}),
		"listPerimeters":   listOf(s, func(e *st, _ ctx) ([]PerimeterOut, error) { return perimeters(e), nil }),
		"listStakeholders": listOf(s, func(e *st, _ ctx) ([]*domain.Stakeholder, error) { return nonNil(e.Stakeholders), nil }),
		"getStakeholder": itemOf(s, func(e *st, c ctx) (*domain.Stakeholder, error) {
			v, ok := e.Stakeholder(p(c, "stakeholder_id"))
			return found(v, ok, domain.CodeStakeholderNotFound, "stakeholder")
		}),
		"listExperts": listOf(s, func(e *st, _ ctx) ([]*domain.Expert, error) { return nonNil(e.Experts), nil }),
		"getExpert": itemOf(s, func(e *st, c ctx) (*domain.Expert, error) {
			v, ok := e.Expert(p(c, "expert_id"))
			return found(v, ok, domain.CodeExpertNotFound, "expert")
		}),
		"getDiscussion": itemOf(s, func(e *st, _ ctx) (DiscussionOut, error) {
			return DiscussionOut{ClientInDiscussion: e.ClientInDiscussion}, nil
		}),
		"getAgreement": itemOf(s, func(e *st, _ ctx) (*domain.Agreement, error) {
			return found(e.Agreement, e.Agreement != nil, domain.CodeAgreementNotSigned, "signed agreement")
		}),
		"listWorkshops": listOf(s, func(e *st, _ ctx) ([]*domain.Workshop, error) { return nonNil(e.Workshops), nil }),
		"getWorkshop": itemOf(s, func(e *st, c ctx) (*domain.Workshop, error) {
			v, ok := e.Workshop(p(c, "workshop_id"))
			return found(v, ok, domain.CodeWorkshopNotFound, "workshop")
		}),
		"listIndicators": listOf(s, func(e *st, _ ctx) ([]*domain.Indicator, error) { return nonNil(e.Indicators), nil }),
		"getIndicator": itemOf(s, func(e *st, c ctx) (*domain.Indicator, error) {
			v, ok := e.Indicator(p(c, "indicator_id"))
			return found(v, ok, domain.CodeIndicatorNotFound, "indicator")
		}),
		"listMeasurements": listOf(s, func(e *st, c ctx) ([]domain.Measurement, error) {
			v, ok := e.Indicator(p(c, "indicator_id"))
			v, err := found(v, ok, domain.CodeIndicatorNotFound, "indicator")
			if err != nil {
				return nil, err
			}
			return nonNil(v.Measurements), nil
		}),
		"getMeasurement": itemOf(s, func(e *st, c ctx) (domain.Measurement, error) {
			v, ok := e.Indicator(p(c, "indicator_id"))
			v, err := found(v, ok, domain.CodeIndicatorNotFound, "indicator")
			if err != nil {
				return domain.Measurement{}, err
			}
			i := slices.IndexFunc(v.Measurements, func(m domain.Measurement) bool { return m.ID == p(c, "measurement_id") })
			if i < 0 {
				return domain.Measurement{}, newProblem(http.StatusNotFound, CodeNotFound, "no such measurement of this indicator")
			}
			return v.Measurements[i], nil
		}),
		"listRequirements": listOf(s, func(e *st, _ ctx) ([]*domain.Requirement, error) { return nonNil(e.Requirements), nil }),
		"getRequirement": itemOf(s, func(e *st, c ctx) (*domain.Requirement, error) {
			v, ok := e.Requirement(p(c, "requirement_id"))
			return found(v, ok, domain.CodeRequirementNotFound, "requirement")
		}),
		"listQuestions": listOf(s, func(e *st, c ctx) ([]*domain.Question, error) {
			r, ok := e.Requirement(p(c, "requirement_id"))
			r, err := found(r, ok, domain.CodeRequirementNotFound, "requirement")
			if err != nil {
				return nil, err
			}
			return where(e.Questions, func(q *domain.Question) bool { return q.RequirementID == r.ID }), nil
		}),
		"getQuestion": itemOf(s, func(e *st, c ctx) (*domain.Question, error) {
			v, ok := e.Question(p(c, "question_id"))
			return found(v, ok && v.RequirementID == p(c, "requirement_id"), domain.CodeQuestionNotFound, "question of this requirement")
		}),
		"listClarifications": listOf(s, func(e *st, c ctx) ([]domain.Clarification, error) {
			r, ok := e.Requirement(p(c, "requirement_id"))
			r, err := found(r, ok, domain.CodeRequirementNotFound, "requirement")
			if err != nil {
				return nil, err
			}
			return nonNil(r.Clarifications), nil
		}),
		"listAssumptions": listOf(s, func(e *st, _ ctx) ([]*domain.Assumption, error) { return nonNil(e.Assumptions), nil }),
		"getAssumption": itemOf(s, func(e *st, c ctx) (*domain.Assumption, error) {
			v, ok := e.Assumption(p(c, "assumption_id"))
			return found(v, ok, domain.CodeAssumptionNotFound, "assumption")
		}),
		"listChanges": listOf(s, func(e *st, _ ctx) ([]*domain.ChangeRequest, error) { return nonNil(e.Changes), nil }),
		"getChange": itemOf(s, func(e *st, c ctx) (*domain.ChangeRequest, error) {
			v, ok := e.Change(p(c, "change_id"))
			return found(v, ok, domain.CodeChangeNotFound, "change request")
		}),
		"listFeatures": listOf(s, func(e *st, _ ctx) ([]*domain.Feature, error) { return nonNil(e.Features), nil }),
		"getFeature": itemOf(s, func(e *st, c ctx) (*domain.Feature, error) {
			v, ok := e.Feature(p(c, "feature_id"))
			return found(v, ok, domain.CodeFeatureNotFound, "feature")
		}),
		"listMilestones": listOf(s, func(e *st, _ ctx) ([]*domain.Milestone, error) { return nonNil(e.Milestones), nil }),
		"getMilestone": itemOf(s, func(e *st, c ctx) (*domain.Milestone, error) {
			v, ok := e.Milestone(p(c, "milestone_id"))
			return found(v, ok, domain.CodeMilestoneNotFound, "milestone")
		}),
		"listDelays": listOf(s, func(e *st, c ctx) ([]*domain.Delay, error) {
			m, ok := e.Milestone(p(c, "milestone_id"))
			m, err := found(m, ok, domain.CodeMilestoneNotFound, "milestone")
			if err != nil {
				return nil, err
			}
			return where(e.Delays, func(d *domain.Delay) bool { return d.MilestoneID == m.ID }), nil
		}),
		"getDelay": itemOf(s, func(e *st, c ctx) (*domain.Delay, error) {
			v, ok := e.Delay(p(c, "delay_id"))
			return found(v, ok && v.MilestoneID == p(c, "milestone_id"), CodeNotFound, "delay of this milestone")
		}),
		"listDifficulties": listOf(s, func(e *st, _ ctx) ([]*domain.Difficulty, error) { return nonNil(e.Difficulties), nil }),
		"getDifficulty": itemOf(s, func(e *st, c ctx) (*domain.Difficulty, error) {
			v, ok := e.Difficulty(p(c, "difficulty_id"))
			return found(v, ok, domain.CodeDifficultyNotFound, "difficulty")
		}),
		"listCostImpacts": listOf(s, func(e *st, _ ctx) ([]*domain.CostImpact, error) { return nonNil(e.CostImpacts), nil }),
		"getCostImpact": itemOf(s, func(e *st, c ctx) (*domain.CostImpact, error) {
			v, ok := byID(e.CostImpacts, p(c, "cost_impact_id"), func(x *domain.CostImpact) string { return x.ID })
			return found(v, ok, CodeNotFound, "cost impact")
		}),
		"listSkillsGaps": listOf(s, func(e *st, _ ctx) ([]*domain.SkillsGap, error) { return nonNil(e.SkillsGaps), nil }),
		"getSkillsGap": itemOf(s, func(e *st, c ctx) (*domain.SkillsGap, error) {
			v, ok := byID(e.SkillsGaps, p(c, "skills_gap_id"), func(x *domain.SkillsGap) string { return x.ID })
			return found(v, ok, CodeNotFound, "skills gap")
		}),
		"listDecisions": listOf(s, func(e *st, _ ctx) ([]*domain.Decision, error) { return nonNil(e.Decisions), nil }),
		"getDecision": itemOf(s, func(e *st, c ctx) (*domain.Decision, error) {
			v, ok := e.Decision(p(c, "decision_id"))
			return found(v, ok, CodeNotFound, "decision")
		}),
		"listCommunications": listOf(s, func(e *st, _ ctx) ([]*domain.Information, error) { return nonNil(e.Informed), nil }),
		"getCommunication": itemOf(s, func(e *st, c ctx) (*domain.Information, error) {
			v, ok := e.Information(p(c, "information_id"))
			return found(v, ok, domain.CodeInformationNotFound, "communication")
		}),
		"listDeliveries": listOf(s, func(e *st, _ ctx) ([]*domain.Delivery, error) { return nonNil(e.Deliveries), nil }),
		"getDelivery": itemOf(s, func(e *st, c ctx) (*domain.Delivery, error) {
			v, ok := e.Delivery(p(c, "delivery_id"))
			return found(v, ok, domain.CodeDeliveryNotFound, "delivery")
		}),
		"listNeeds": listOf(s, func(e *st, c ctx) ([]*domain.Requirement, error) {
			d, ok := e.Delivery(p(c, "delivery_id"))
			d, err := found(d, ok, domain.CodeDeliveryNotFound, "delivery")
			if err != nil {
				return nil, err
			}
			return where(e.Requirements, func(r *domain.Requirement) bool { return r.DeliveryID == d.ID }), nil
		}),
		"listLessons": listOf(s, func(e *st, _ ctx) ([]*domain.Lesson, error) { return nonNil(e.Lessons), nil }),
		"getLesson": itemOf(s, func(e *st, c ctx) (*domain.Lesson, error) {
			v, ok := byID(e.Lessons, p(c, "lesson_id"), func(x *domain.Lesson) string { return x.ID })
			return found(v, ok, CodeNotFound, "lesson")
		}),
	}
	for id, op := range writeOps {
		h[id] = op.handler(s)
	}
	for id, f := range s.readModelHandlers() {
		h[id] = f
	}
	for name, fn := range s.evidenceHandlers() {
		h[name] = fn
	}
	for id, f := range s.governanceHandlers() {
		h[id] = f
	}
	return h
}

// PerimeterOut is one party's perimeter.
type PerimeterOut struct {
	Party domain.Party `json:"party"`
	*domain.Perimeter
}

func perimeters(e *domain.Engagement) []PerimeterOut {
	out := []PerimeterOut{}
	for _, p := range e.Parties {
		if p.Perimeter != nil {
			out = append(out, PerimeterOut{Party: p.Party, Perimeter: p.Perimeter})
		}
	}
	return out
}

// DiscussionOut says whether the client joined the emergence discussion.
type DiscussionOut struct {
	ClientInDiscussion bool `json:"client_in_discussion"`
}

var specParam = regexp.MustCompile(`\{([^}]+)\}`)

// echoPath turns "/a/{id}" into echo's "/a/:id".
func echoPath(p string) string { return specParam.ReplaceAllString(p, ":$1") }

var echoParam = regexp.MustCompile(`:([^/]+)`)

// specPath turns echo's "/a/:id" into "/a/{id}".
func specPath(p string) string { return echoParam.ReplaceAllString(p, "{$1}") }

// registerRoutes serves every operation of the contract, and only those:
// an operation without handler, or a handler without operation, is an
// error at start.
func (s *Server) registerRoutes() error {
	hs := s.handlers()
	used := map[string]bool{}
	s.routes = map[routeKey]*route{}
	for _, path := range s.doc.Paths.InMatchingOrder() {
		item := s.doc.Paths.Value(path)
		for method, op := range item.Operations() {
			h, ok := hs[op.OperationID]
			if !ok {
				return fmt.Errorf("api: operation %s (%s %s) has no handler", op.OperationID, method, path)
			}
			used[op.OperationID] = true
			ep := echoPath(path)
			rt := &route{
				Route: &routers.Route{Spec: s.doc, Path: path, PathItem: item, Method: method, Operation: op},
				label: ep, requests: s.metrics.requestsOf(ep, method),
				log: s.log.Handler().WithAttrs([]slog.Attr{slog.String("method", method), slog.String("route", ep)}),
			}
			rt.public = public(rt.Route)
			rt.validated = withoutSecurity(rt.Route)
			rt.query = hasQueryParameters(rt.Route)
			s.routes[routeKey{method, ep}] = rt
			s.e.Add(method, ep, h)
		}
	}
	var missing []string
	for id := range hs {
		if !used[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("api: handlers without an operation in openapi.yaml: %s", strings.Join(missing, ", "))
	}
	return nil
}
