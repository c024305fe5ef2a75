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
	"raiseRisk": op(func(c *domain.RaiseRisk, b *binding) *string {
		b.creates(&c.RiskID, "/risks/")
		return &c.ActorID
	}),
	"reviewRisk": op(func(c *domain.ReviewRisk, b *binding) *string {
		c.RiskID = b.param("risk_id")
		return &c.ActorID
	}),
	"escalateRisk": op(func(c *domain.EscalateRisk, b *binding) *string {
		c.RiskID = b.param("risk_id")
		return &c.ActorID
	}),
	"recordRiskOccurred": op(func(c *domain.RecordRiskOccurred, b *binding) *string {
		c.RiskID = b.param("risk_id")
		b.creates(&c.DifficultyID, "/difficulties/")
		return &c.ActorID
	}),
	"closeRisk": op(func(c *domain.CloseRisk, b *binding) *string {
		c.RiskID = b.param("risk_id")
		return &c.ActorID
	}),
	"assignDifficulty": op(func(c *domain.AssignDifficulty, b *binding) *string {
		c.DifficultyID = b.param("difficulty_id")
		return &c.ActorID
	}),
	"resolveDifficulty": op(func(c *domain.ResolveDifficulty, b *binding) *string {
		c.DifficultyID = b.param("difficulty_id")
		return &c.ActorID
	}),
	"raiseDependency": op(func(c *domain.RaiseDependency, b *binding) *string {
		b.creates(&c.DependencyID, "/dependencies/")
		return &c.ActorID
	}),
	"meetDependency": op(func(c *domain.MeetDependency, b *binding) *string {
		c.DependencyID = b.param("dependency_id")
		return &c.ActorID
	}),

	"assessChangeImpact": op(func(c *domain.AssessChangeImpact, b *binding) *string {
		c.ChangeID = b.param("change_id")
		return &c.ActorID
	}),
	"delegateChangeApproval": op(func(c *domain.DelegateChangeApproval, b *binding) *string {
		c.ChangeID = b.param("change_id")
		return &c.ActorID
	}),

	"defineAcceptanceCriterion": op(func(c *domain.DefineAcceptanceCriterion, b *binding) *string {
		c.RequirementID = b.param("requirement_id")
		b.creates(&c.CriterionID, "/requirements/"+c.RequirementID+"/acceptance-criteria/")
		return &c.ActorID
	}),
	"agreeAcceptanceCriterion": op(func(c *domain.AgreeAcceptanceCriterion, b *binding) *string {
		c.RequirementID = b.param("requirement_id")
		c.CriterionID = b.param("criterion_id")
		return &c.ActorID
	}),
	"redeliverDelivery": op(func(c *domain.RedeliverDelivery, b *binding) *string {
		c.DeliveryID = b.param("delivery_id")
		return &c.ActorID
	}),

	"agreeTolerances": op(func(c *domain.AgreeTolerances, _ *binding) *string { return &c.ActorID }),
	"proposeExceptionOptions": op(func(c *domain.ProposeExceptionOptions, b *binding) *string {
		c.ExceptionID = b.param("exception_id")
		return &c.ActorID
	}),
	"decideException": op(func(c *domain.DecideException, b *binding) *string {
		c.ExceptionID = b.param("exception_id")
		return &c.ActorID
	}),
	"agreeCadence": op(func(c *domain.AgreeCadence, _ *binding) *string { return &c.ActorID }),

	"issueHighlightReport": op(func(c *domain.IssueHighlightReport, b *binding) *string {
		b.creates(&c.ReportID, "/highlight-reports/")
		return &c.ActorID
	}),
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
