package api

import (
	"context"
	"maps"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/projections"
)

// The governance operations (risks, dependencies, the issue lifecycle and
// those that follow), kept apart from routes.go so that both grow without
// meeting.

// governanceWriteOps are the governance writes, merged into writeOps.
var governanceWriteOps = map[string]writeOp{
	"raiseRisk":          {cmd: domain.RaiseRisk{}, newID: "risk_id", location: eng + "/risks/{risk_id}"},
	"reviewRisk":         {cmd: domain.ReviewRisk{}},
	"escalateRisk":       {cmd: domain.EscalateRisk{}},
	"recordRiskOccurred": {cmd: domain.RecordRiskOccurred{}, newID: "difficulty_id", location: eng + "/difficulties/{difficulty_id}"},
	"closeRisk":          {cmd: domain.CloseRisk{}},
	"assignDifficulty":   {cmd: domain.AssignDifficulty{}},
	"resolveDifficulty":  {cmd: domain.ResolveDifficulty{}},
	"raiseDependency":    {cmd: domain.RaiseDependency{}, newID: "dependency_id", location: eng + "/dependencies/{dependency_id}"},
	"meetDependency":     {cmd: domain.MeetDependency{}},

	"assessChangeImpact":     {cmd: domain.AssessChangeImpact{}},
	"delegateChangeApproval": {cmd: domain.DelegateChangeApproval{}},

	"defineAcceptanceCriterion": {cmd: domain.DefineAcceptanceCriterion{}, newID: "criterion_id",
		location: eng + "/requirements/{requirement_id}/acceptance-criteria/{criterion_id}"},
	"agreeAcceptanceCriterion": {cmd: domain.AgreeAcceptanceCriterion{}},
	"redeliverDelivery":        {cmd: domain.RedeliverDelivery{}},

	"agreeTolerances":         {cmd: domain.AgreeTolerances{}},
	"proposeExceptionOptions": {cmd: domain.ProposeExceptionOptions{}},
	"decideException":         {cmd: domain.DecideException{}},
	"agreeCadence":            {cmd: domain.AgreeCadence{}},

	"issueHighlightReport": {cmd: domain.IssueHighlightReport{}, newID: "report_id", location: eng + "/highlight-reports/{report_id}"},
}

func init() { maps.Copy(writeOps, governanceWriteOps) }

// GovernanceQueries is what the governance read models answer; the read
// models (projections.Engine) implement it beside Queries.
type GovernanceQueries interface {
	RAID(ctx context.Context, id string, now time.Time) (projections.RAIDRegister, error)
}

var _ GovernanceQueries = (*projections.Engine)(nil)

// governanceQueries returns the read models' governance queries, or 503.
func (s *Server) governanceQueries() (GovernanceQueries, error) {
	q, err := s.queries()
	if err != nil {
		return nil, err
	}
	g, ok := q.(GovernanceQueries)
	if !ok {
		p := newProblem(http.StatusServiceUnavailable, CodeUnavailable, "the governance read models are not available on this server")
		p.retryAfter = 5
		return nil, p
	}
	return g, nil
}

// governanceHandlers are the governance reads.
func (s *Server) governanceHandlers() map[string]echo.HandlerFunc {
	type st = domain.Engagement
	type ctx = echo.Context
	p := func(c ctx, name string) string { return c.Param(name) }
	return map[string]echo.HandlerFunc{
		"listRisks": listOf(s, func(e *st, _ ctx) ([]*domain.Risk, error) { return nonNil(e.Risks), nil }),
		"getRisk": itemOf(s, func(e *st, c ctx) (*domain.Risk, error) {
			v, ok := e.Risk(p(c, "risk_id"))
			return found(v, ok, domain.CodeRiskNotFound, "risk")
		}),
		"listDependencies": listOf(s, func(e *st, _ ctx) ([]*domain.Dependency, error) { return nonNil(e.Dependencies), nil }),
		"getDependency": itemOf(s, func(e *st, c ctx) (*domain.Dependency, error) {
			v, ok := e.Dependency(p(c, "dependency_id"))
			return found(v, ok, domain.CodeDependencyNotFound, "dependency")
		}),
		"listAcceptanceCriteria": listOf(s, func(e *st, c ctx) ([]*domain.AcceptanceCriterion, error) {
			r, ok := e.Requirement(p(c, "requirement_id"))
			r, err := found(r, ok, domain.CodeRequirementNotFound, "requirement")
			if err != nil {
				return nil, err
			}
			return e.CriteriaOf(r.ID), nil
		}),
		"getAcceptanceCriterion": itemOf(s, func(e *st, c ctx) (*domain.AcceptanceCriterion, error) {
			v, ok := e.Criterion(p(c, "criterion_id"))
			return found(v, ok && v.RequirementID == p(c, "requirement_id"), domain.CodeCriterionNotFound, "acceptance criterion of this requirement")
		}),
		"getTolerances": itemOf(s, func(e *st, _ ctx) (*domain.Tolerances, error) {
			return found(e.Tolerances, e.Tolerances != nil, CodeNotFound, "agreed tolerances")
		}),
		"listExceptions": listOf(s, func(e *st, _ ctx) ([]*domain.Exception, error) { return nonNil(e.Exceptions), nil }),
		"getException": itemOf(s, func(e *st, c ctx) (*domain.Exception, error) {
			v, ok := e.Exception(p(c, "exception_id"))
			return found(v, ok, domain.CodeExceptionNotFound, "exception")
		}),
		"listCadences":       listOf(s, func(e *st, _ ctx) ([]*domain.Cadence, error) { return nonNil(e.Cadences), nil }),
		"getHighlightReport": s.getHighlightReport,
		"getRAIDRegister": readModel(s, false, func(c ctx, _ Queries, id string) (projections.RAIDRegister, error) {
			g, err := s.governanceQueries()
			if err != nil {
				return projections.RAIDRegister{}, err
			}
			return g.RAID(c.Request().Context(), id, time.Now().UTC())
		}),
	}
}
