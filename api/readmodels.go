package api

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/projections"
)

// Queries is what the read models answer: the per-engagement views that
// would be costly to fold from the stream on every request, and the
// cross-engagement ones that cannot be.
type Queries interface {
	Engagements(ctx context.Context, f projections.EngagementFilter, p projections.Page) (projections.EngagementList, error)
	Engagement(ctx context.Context, id string) (projections.EngagementSummary, error)
	Timeline(ctx context.Context, id string, p projections.Page) (projections.Timeline, error)
	Requirements(ctx context.Context, id string, now time.Time) (projections.RequirementsBoard, error)
	Delays(ctx context.Context, id string) (projections.DelayRegister, error)
	Decisions(ctx context.Context, id string) ([]projections.Decision, error)
	Communications(ctx context.Context, id string) (projections.Communications, error)
	Indicators(ctx context.Context, id string) ([]projections.Indicator, error)
	Stakeholders(ctx context.Context, id string) ([]projections.Stakeholder, error)
	Knowledge(ctx context.Context, engagementID, stakeholderID string, at ledger.AsOf, basis projections.Basis) (projections.Knowledge, error)
	Transparency(ctx context.Context, id string, now time.Time) (projections.TransparencyReport, error)
}

// LagReporter is optionally implemented by ReadModels: /readyz then reports
// how far the read models are behind the store.
type LagReporter interface {
	Lag(ctx context.Context) (projections.Lag, error)
}

var (
	_ Queries     = (*projections.Engine)(nil)
	_ ReadModels  = (*projections.Engine)(nil)
	_ LagReporter = (*projections.Engine)(nil)
)

// queries returns the read models, or 503 when the server has none.
func (s *Server) queries() (Queries, error) {
	if s.q == nil {
		p := newProblem(http.StatusServiceUnavailable, CodeUnavailable, "the read models are not available on this server")
		p.retryAfter = 5
		return nil, p
	}
	return s.q, nil
}

// authorize is loadVisible for the endpoints that do not return the folded
// state (read models, verification, feed): it honours read-your-writes,
// then answers 404 unless the engagement exists and the caller may see it,
// and runs check, if any, on the current state (which it must not keep).
// Visibility is decided on the ledger's current state, never on a possibly
// lagging read model, so that a stakeholder removed a moment ago is
// refused at once.
func (s *Server) authorize(c echo.Context, check func(st *domain.Engagement) error) error {
	if err := s.waitForPosition(c); err != nil {
		return err
	}
	p := principal(c)
	err := s.ledger.View(c.Request().Context(), c.Param("engagement_id"), func(st *domain.Engagement, _ uint64) error {
		if !canSee(p, st) {
			return errEngagementNotFound()
		}
		if check != nil {
			return check(st)
		}
		return nil
	})
	if errors.Is(err, ledger.ErrNotFound) {
		return errEngagementNotFound()
	}
	return err
}

// visibleTo reports whether p may see the engagement id (for lists).
func (s *Server) visibleTo(ctx context.Context, p auth.Principal, id string) (bool, error) {
	return s.visibleAt(ctx, p, id, -1)
}

// visibleAt is visibleTo once the state has folded the event at revision
// rev (-1: whatever the state is).
func (s *Server) visibleAt(ctx context.Context, p auth.Principal, id string, rev int64) (bool, error) {
	if seesEverything(p) {
		return true, nil
	}
	visible := false
	view := func(st *domain.Engagement, _ uint64) error {
		visible = canSee(p, st)
		return nil
	}
	var err error
	if rev < 0 {
		err = s.ledger.View(ctx, id, view)
	} else {
		err = s.ledger.ViewAt(ctx, id, uint64(rev), view)
	}
	if errors.Is(err, ledger.ErrNotFound) {
		return false, nil
	}
	return visible, err
}

func seesEverything(p auth.Principal) bool {
	return p.Role == auth.RoleAdmin || p.Role == auth.RoleAuditor
}

// requireAuditor refuses members: cross-engagement views and whole-store
// checks are for auditors and admins.
func requireAuditor(c echo.Context, what string) error {
	if !seesEverything(principal(c)) {
		return newProblem(http.StatusForbidden, CodeForbidden, what+" is for auditors and admins")
	}
	return nil
}

// readModel returns the handler of a per-engagement read model; cached
// says its answer depends only on the engagement's events (not on the time
// of the request), so that it may be served from the response cache.
func readModel[T any](s *Server, cached bool, get func(c echo.Context, q Queries, id string) (T, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.authorize(c, nil); err != nil {
			return err
		}
		q, err := s.queries()
		if err != nil {
			return err
		}
		build := func() (any, error) {
			v, err := get(c, q, c.Param("engagement_id"))
			if err != nil {
				return nil, err
			}
			emptyNotNull(reflect.ValueOf(&v))
			return v, nil
		}
		if !cached {
			v, err := build()
			if err != nil {
				return err
			}
			return c.JSON(http.StatusOK, v)
		}
		return s.respond(c, build)
	}
}

// readModelList returns the handler of a per-engagement read model that is
// a list, paginated like the other lists, and cached like readModel.
func readModelList[T any](s *Server, get func(c echo.Context, q Queries, id string) ([]T, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		pg, err := parsePage(c)
		if err != nil {
			return err
		}
		return readModel(s, true, func(c echo.Context, q Queries, id string) (Page[T], error) {
			items, err := get(c, q, id)
			if err != nil {
				return Page[T]{}, err
			}
			return paginate(nonNil(items), pg), nil
		})(c)
	}
}

// parseLimit reads limit alone, for the lists whose cursor is the read
// model's own (passed through as is).
func parseLimit(c echo.Context) (int, error) {
	v := c.QueryParam("limit")
	if v == "" {
		return defaultLimit, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxLimit {
		return 0, badParam("query.limit", "must be an integer from 1 to 200")
	}
	return n, nil
}

// EngagementSummaryList is a page of engagement summaries.
type EngagementSummaryList = Page[projections.EngagementSummary]

// listEngagementSummaries pages through the summaries of the engagements
// the caller may see, optionally in one phase, in id order. For a member
// it reads on until the page is full of engagements it is a stakeholder of.
func (s *Server) listEngagementSummaries(c echo.Context) error {
	limit, err := parseLimit(c)
	if err != nil {
		return err
	}
	q, err := s.queries()
	if err != nil {
		return err
	}
	if err := s.waitForPosition(c); err != nil {
		return err
	}
	ctx, p := c.Request().Context(), principal(c)
	f := projections.EngagementFilter{Phase: domain.Phase(c.QueryParam("phase"))}
	cursor := c.QueryParam("cursor")
	out := EngagementSummaryList{Items: []projections.EngagementSummary{}}
	for len(out.Items) < limit {
		page, err := q.Engagements(ctx, f, projections.Page{Cursor: cursor, Limit: limit - len(out.Items)})
		if err != nil {
			return err
		}
		for _, e := range page.Items {
			ok, err := s.visibleTo(ctx, p, e.ID)
			if err != nil {
				return err
			}
			if ok {
				out.Items = append(out.Items, e)
			}
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if cursor != "" {
		out.NextCursor = &cursor
	}
	emptyNotNull(reflect.ValueOf(&out))
	return c.JSON(http.StatusOK, out)
}

// TimelineOut is one page of an engagement's timeline.
type TimelineOut struct {
	EngagementID string                      `json:"engagement_id"`
	Items        []projections.TimelineEntry `json:"items"`
	NextCursor   *string                     `json:"next_cursor"`
}

func (s *Server) getTimeline(c echo.Context) error {
	limit, err := parseLimit(c)
	if err != nil {
		return err
	}
	return readModel(s, true, func(c echo.Context, q Queries, id string) (TimelineOut, error) {
		tl, err := q.Timeline(c.Request().Context(), id, projections.Page{Cursor: c.QueryParam("cursor"), Limit: limit})
		if err != nil {
			return TimelineOut{}, err
		}
		out := TimelineOut{EngagementID: tl.EngagementID, Items: tl.Items}
		if tl.NextCursor != "" {
			out.NextCursor = &tl.NextCursor
		}
		return out, nil
	})(c)
}

// getKnowledge answers "what did this stakeholder know, and when": what
// they were informed of, acknowledged or took part in, up to as_of (now
// by default), as recorded by then or, with as_of_basis=occurred, as it
// happened by then.
func (s *Server) getKnowledge(c echo.Context) error {
	at, _, err := parseAsOf(c)
	if err != nil {
		return err
	}
	sid := c.Param("stakeholder_id")
	err = s.authorize(c, func(st *domain.Engagement) error {
		if _, ok := st.Stakeholder(sid); !ok {
			return newProblem(http.StatusNotFound, domain.CodeStakeholderNotFound, "no such stakeholder in this engagement")
		}
		return nil
	})
	if err != nil {
		return err
	}
	q, err := s.queries()
	if err != nil {
		return err
	}
	k, err := q.Knowledge(c.Request().Context(), c.Param("engagement_id"), sid, at.AsOf, at.basis)
	if err != nil {
		return err
	}
	emptyNotNull(reflect.ValueOf(&k))
	return c.JSON(http.StatusOK, k)
}

// getAllTransparency is the transparency report across every engagement.
// The read model aggregates the whole store, so it is for auditors and
// admins only: a member reads the report of each of its engagements.
func (s *Server) getAllTransparency(c echo.Context) error {
	if err := requireAuditor(c, "the report across all engagements"); err != nil {
		return err
	}
	q, err := s.queries()
	if err != nil {
		return err
	}
	if err := s.waitForPosition(c); err != nil {
		return err
	}
	r, err := q.Transparency(c.Request().Context(), "", time.Now().UTC())
	if err != nil {
		return err
	}
	emptyNotNull(reflect.ValueOf(&r))
	return c.JSON(http.StatusOK, r)
}

// readModelHandlers are the operations served from the read models.
func (s *Server) readModelHandlers() map[string]echo.HandlerFunc {
	type ctx = echo.Context
	now := func() time.Time { return time.Now().UTC() }
	return map[string]echo.HandlerFunc{
		"listEngagementSummaries": s.listEngagementSummaries,
		"getEngagementSummary": readModel(s, true, func(c ctx, q Queries, id string) (projections.EngagementSummary, error) {
			return q.Engagement(c.Request().Context(), id)
		}),
		"getTimeline": s.getTimeline,
		"getRequirementsBoard": readModel(s, false, func(c ctx, q Queries, id string) (projections.RequirementsBoard, error) {
			return q.Requirements(c.Request().Context(), id, now())
		}),
		"getDelayRegister": readModel(s, true, func(c ctx, q Queries, id string) (projections.DelayRegister, error) {
			return q.Delays(c.Request().Context(), id)
		}),
		"getDecisionLog": readModelList(s, func(c ctx, q Queries, id string) ([]projections.Decision, error) {
			return q.Decisions(c.Request().Context(), id)
		}),
		"getCommunicationsReport": readModel(s, true, func(c ctx, q Queries, id string) (projections.Communications, error) {
			return q.Communications(c.Request().Context(), id)
		}),
		"getIndicatorStatus": readModelList(s, func(c ctx, q Queries, id string) ([]projections.Indicator, error) {
			return q.Indicators(c.Request().Context(), id)
		}),
		"getStakeholderRegister": readModelList(s, func(c ctx, q Queries, id string) ([]projections.Stakeholder, error) {
			return q.Stakeholders(c.Request().Context(), id)
		}),
		"getTransparency": readModel(s, false, func(c ctx, q Queries, id string) (projections.TransparencyReport, error) {
			return q.Transparency(c.Request().Context(), id, now())
		}),
		"getAllTransparency": s.getAllTransparency,
		"getKnowledge":       s.getKnowledge,
		"getFeed":            s.getFeed,
		"verifyEngagement":   s.verifyEngagement,
		"verifyStore":        s.verifyStore,
	}
}
