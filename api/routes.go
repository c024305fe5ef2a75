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

const eng = "/v1/engagements/{engagement_id}"

// writeOps maps every write operation of the contract (by operationId) to
// its domain command. It is the only per-route knowledge writes need.
var writeOps = map[string]writeOp{
	"openEngagement":  {cmd: domain.OpenEngagement{}, create: true, location: eng},
	"advancePhase":    {cmd: domain.AdvancePhase{}},
	"closeEngagement": {cmd: domain.CloseEngagement{}},
	"recordLesson":    {cmd: domain.RecordLesson{}, newID: "lesson_id", location: eng + "/lessons/{lesson_id}"},

	"joinParty":         {cmd: domain.JoinParty{}, location: eng + "/parties/{party}"},
	"definePerimeter":   {cmd: domain.DefinePerimeter{}},
	"addStakeholder":    {cmd: domain.AddStakeholder{}, newID: "stakeholder_id", location: eng + "/stakeholders/{stakeholder_id}"},
	"briefStakeholder":  {cmd: domain.BriefStakeholder{}},
	"removeStakeholder": {cmd: domain.RemoveStakeholder{}},

	"inviteExpert":   {cmd: domain.InviteExpert{}, newID: "expert_id", location: eng + "/experts/{expert_id}"},
	"commitExpert":   {cmd: domain.CommitExpert{}},
	"withdrawExpert": {cmd: domain.WithdrawExpert{}},
	"joinDiscussion": {cmd: domain.JoinDiscussion{}},
	"signAgreement":  {cmd: domain.SignAgreement{}, newID: "agreement_id", location: eng + "/agreement"},

	"holdWorkshop":     {cmd: domain.HoldWorkshop{}, newID: "workshop_id", location: eng + "/workshops/{workshop_id}"},
	"defineIndicator":  {cmd: domain.DefineIndicator{}, newID: "indicator_id", location: eng + "/indicators/{indicator_id}"},
	"measureIndicator": {cmd: domain.MeasureIndicator{}, newID: "measurement_id", location: eng + "/indicators/{indicator_id}/measurements/{measurement_id}"},

	"raiseRequirement":   {cmd: domain.RaiseRequirement{}, newID: "requirement_id", location: eng + "/requirements/{requirement_id}"},
	"askQuestion":        {cmd: domain.AskQuestion{}, newID: "question_id", location: eng + "/requirements/{requirement_id}/questions/{question_id}"},
	"clarifyRequirement": {cmd: domain.ClarifyRequirement{}},
	"makeAssumption":     {cmd: domain.MakeAssumption{}, newID: "assumption_id", location: eng + "/assumptions/{assumption_id}"},
	"validateAssumption": {cmd: domain.ValidateAssumption{}},
	"rejectAssumption":   {cmd: domain.RejectAssumption{}},
	"requestChange":      {cmd: domain.RequestChange{}, newID: "change_id", location: eng + "/changes/{change_id}"},
	"approveChange":      {cmd: domain.ApproveChange{}},
	"rejectChange":       {cmd: domain.RejectChange{}},
	"proposeFeature":     {cmd: domain.ProposeFeature{}, newID: "feature_id", location: eng + "/features/{feature_id}"},
	"acceptFeature":      {cmd: domain.AcceptFeature{}},
	"declineFeature":     {cmd: domain.DeclineFeature{}},

	"planMilestone":      {cmd: domain.PlanMilestone{}, newID: "milestone_id", location: eng + "/milestones/{milestone_id}"},
	"reportDifficulty":   {cmd: domain.ReportDifficulty{}, newID: "difficulty_id", location: eng + "/difficulties/{difficulty_id}"},
	"discloseDelay":      {cmd: domain.DiscloseDelay{}, newID: "delay_id", location: eng + "/milestones/{milestone_id}/delays/{delay_id}"},
	"discloseCostImpact": {cmd: domain.DiscloseCostImpact{}, newID: "cost_impact_id", location: eng + "/cost-impacts/{cost_impact_id}"},
	"discloseSkillsGap":  {cmd: domain.DiscloseSkillsGap{}, newID: "skills_gap_id", location: eng + "/skills-gaps/{skills_gap_id}"},

	"informClient":           {cmd: domain.InformClient{}, newID: "information_id", location: eng + "/communications/{information_id}"},
	"acknowledgeInformation": {cmd: domain.AcknowledgeInformation{}},
	"makeDecision":           {cmd: domain.MakeDecision{}, newID: "decision_id", location: eng + "/decisions/{decision_id}"},

	"makeDelivery":        {cmd: domain.MakeDelivery{}, newID: "delivery_id", location: eng + "/deliveries/{delivery_id}"},
	"acceptDelivery":      {cmd: domain.AcceptDelivery{}},
	"rejectDelivery":      {cmd: domain.RejectDelivery{}},
	"raiseNeedAtDelivery": {cmd: domain.RaiseNeedAtDelivery{}, newID: "need_id", location: eng + "/requirements/{need_id}"},
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
		h[id] = s.write(op)
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
			rt.memo, rt.headers = memoizable(rt.Route)
			s.routes[routeKey{method, ep}] = rt
			s.e.Add(method, ep, s.chain(rt, h))
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
