package api

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
)

// canSee reports whether p may read an engagement: admins and auditors read
// everything, members only the engagements where they are a current
// stakeholder.
func canSee(p auth.Principal, st *domain.Engagement) bool {
	if p.Role == auth.RoleAdmin || p.Role == auth.RoleAuditor {
		return true
	}
	_, ok := st.StakeholderByPrincipal(p.ID)
	return ok
}

// waitForPosition honours read-your-writes: when the request names a
// position (X-Candor-Position or ?min_position=) and read models are
// plugged in, it waits, bounded, until they have applied it. Reads served
// from the ledger need no wait: the ledger reads the stream on every load.
//
// What waiting cannot help is answered at once: an engagement of the path
// that does not exist, or that the caller may not see, is 404 (waiting
// would also tell the one from the other), and a position beyond the
// store's head, which no write has returned, is 400.
func (s *Server) waitForPosition(c echo.Context) error {
	param, v := "query.min_position", c.QueryParam("min_position")
	if v == "" {
		param, v = "header."+headerPosition, c.Request().Header.Get(headerPosition)
	}
	if v == "" || s.rm == nil {
		return nil
	}
	pos, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return badParam(param, "must be a global position returned by a write")
	}
	ctx := c.Request().Context()
	if id := c.Param("engagement_id"); id != "" {
		p := principal(c)
		err := s.ledger.View(ctx, id, func(st *domain.Engagement, _ uint64) error {
			if !canSee(p, st) {
				return errEngagementNotFound()
			}
			return nil
		})
		if errors.Is(err, ledger.ErrNotFound) {
			return errEngagementNotFound()
		}
		if err != nil {
			return err
		}
	}
	if a, ok := s.rm.(interface{ Position() eventstore.Position }); ok && a.Position() >= eventstore.Position(pos) {
		return nil
	}
	head, err := s.store.Head(ctx)
	if err != nil {
		return err
	}
	if eventstore.Position(pos) > head {
		return badParam(param, "no event has been recorded at this position yet: give a position returned by a write")
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WaitTimeout)
	defer cancel()
	if err := s.rm.WaitFor(ctx, eventstore.Position(pos)); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			p := newProblem(http.StatusServiceUnavailable, CodeNotCaughtUp, "the read models have not reached this position yet")
			p.retryAfter = 1
			return p
		}
		return err
	}
	return nil
}

// loadVisible loads the engagement of the path for reading, or answers 404
// when it does not exist or the caller may not see it. It sets ETag.
//
// With as_of or as_of_position it returns the state as it stood at that
// moment (404 if the engagement did not exist yet), without ETag, which
// names the current revision only; as_of_basis=occurred places facts by
// when they are said to have happened instead of when they were recorded.
// Who may see it is decided on the current state: a former stakeholder no
// longer reads the past either.
func (s *Server) loadVisible(c echo.Context) (*domain.Engagement, uint64, error) {
	at, past, err := parseAsOf(c)
	if err != nil {
		return nil, 0, err
	}
	if err := s.waitForPosition(c); err != nil {
		return nil, 0, err
	}
	st, rev, err := s.ledger.Load(c.Request().Context(), c.Param("engagement_id"))
	if errors.Is(err, ledger.ErrNotFound) {
		return nil, 0, errEngagementNotFound()
	}
	if err != nil {
		return nil, 0, err
	}
	if !canSee(principal(c), st) {
		return nil, 0, errEngagementNotFound()
	}
	if past {
		st, rev, err = s.stateAsOf(c.Request().Context(), st.ID, at)
		if errors.Is(err, ledger.ErrNotFound) {
			return nil, 0, newProblem(http.StatusNotFound, domain.CodeEngagementNotFound, "the engagement did not exist at that moment")
		}
		if err != nil {
			return nil, 0, err
		}
	} else {
		c.Response().Header().Set(headerETag, etag(rev))
	}
	emptyNotNull(reflect.ValueOf(st))
	return st, rev, nil
}

// EngagementOut is an engagement without its collections (each has its own
// sub-resource).
type EngagementOut struct {
	ID                 string               `json:"id"`
	Title              string               `json:"title"`
	Description        string               `json:"description,omitempty"`
	Phase              domain.Phase         `json:"phase"`
	OpenedAt           time.Time            `json:"opened_at"`
	ClosedAt           *time.Time           `json:"closed_at,omitempty"`
	Summary            string               `json:"summary,omitempty"`
	UpdatedAt          time.Time            `json:"updated_at"`
	Revision           uint64               `json:"revision"`
	PhaseHistory       []domain.PhaseChange `json:"phase_history"`
	ClientInDiscussion bool                 `json:"client_in_discussion"`
	Agreement          *domain.Agreement    `json:"agreement,omitempty"`
	Parties            []*domain.PartyInfo  `json:"parties"`
	// StakeholderID is the caller's own stakeholder id in the engagement.
	StakeholderID string `json:"stakeholder_id,omitempty"`
	// RetentionDays is the retention period set at closing.
	RetentionDays int64 `json:"retention_days,omitempty"`
}

func engagementOut(st *domain.Engagement, rev uint64, p auth.Principal) EngagementOut {
	out := EngagementOut{
		ID: st.ID, Title: st.Title, Description: st.Description, Phase: st.Phase, OpenedAt: st.OpenedAt,
		Summary: st.Summary, UpdatedAt: st.UpdatedAt, Revision: rev,
		PhaseHistory: nonNil(st.PhaseHistory), ClientInDiscussion: st.ClientInDiscussion, Agreement: st.Agreement,
		Parties: nonNil(st.Parties), RetentionDays: st.RetentionDays,
	}
	if !st.ClosedAt.IsZero() {
		t := st.ClosedAt
		out.ClosedAt = &t
	}
	if sh, ok := st.StakeholderByPrincipal(p.ID); ok {
		out.StakeholderID = sh.ID
	}
	return out
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func (s *Server) getEngagement(c echo.Context) error {
	st, rev, err := s.loadVisible(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, engagementOut(st, rev, principal(c)))
}

// listEngagements pages through the engagements the caller may see, in the
// order they were opened. The cursor is an offset into that order.
func (s *Server) listEngagements(c echo.Context) error {
	pg, err := parsePage(c)
	if err != nil {
		return err
	}
	if err := s.waitForPosition(c); err != nil {
		return err
	}
	ids, err := s.index.ids(c.Request().Context())
	if err != nil {
		return err
	}
	p := principal(c)
	phase := domain.Phase(c.QueryParam("phase"))
	out := Page[EngagementOut]{Items: []EngagementOut{}}
	i := pg.After
	for ; i < uint64(len(ids)) && len(out.Items) < pg.Limit; i++ {
		st, rev, err := s.ledger.Load(c.Request().Context(), ids[i])
		if errors.Is(err, ledger.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if canSee(p, st) && (phase == "" || st.Phase == phase) {
			emptyNotNull(reflect.ValueOf(st))
			out.Items = append(out.Items, engagementOut(st, rev, p))
		}
	}
	if i < uint64(len(ids)) {
		out.NextCursor = encodeCursor(i)
	}
	return c.JSON(http.StatusOK, out)
}

// engagementIndex lists engagement ids in the order they were opened. It
// catches up with the store's global log on demand (no background
// goroutine), so a list right after a creation includes it.
//
// This is the stop-gap until a read model offers the list: the first call
// reads the whole log once.
type engagementIndex struct {
	store eventstore.Store
	mu    sync.Mutex
	after eventstore.Position
	list  []string
}

func newEngagementIndex(store eventstore.Store) *engagementIndex {
	return &engagementIndex{store: store}
}

func (x *engagementIndex) ids(ctx context.Context) ([]string, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for {
		evs, err := x.store.ReadAll(ctx, x.after, 1024)
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			return x.list[:len(x.list):len(x.list)], nil
		}
		for _, e := range evs {
			x.after = e.Position
			if e.Type == domain.TypeEngagementOpened && strings.HasPrefix(e.Stream, ledger.StreamPrefix) && e.Revision == 0 {
				x.list = append(x.list, strings.TrimPrefix(e.Stream, ledger.StreamPrefix))
			}
		}
	}
}

// listOf returns the handler of a sub-collection: sel picks its items from
// the engagement (or refuses, e.g. when a parent in the path is unknown).
func listOf[T any](s *Server, sel func(st *domain.Engagement, c echo.Context) ([]T, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		pg, err := parsePage(c)
		if err != nil {
			return err
		}
		st, _, err := s.loadVisible(c)
		if err != nil {
			return err
		}
		items, err := sel(st, c)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, paginate(items, pg))
	}
}

// itemOf returns the handler of one item of a sub-collection.
func itemOf[T any](s *Server, sel func(st *domain.Engagement, c echo.Context) (T, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		st, _, err := s.loadVisible(c)
		if err != nil {
			return err
		}
		item, err := sel(st, c)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, item)
	}
}

// found turns an accessor's (item, ok) into (item, 404 with the domain's
// not-found code).
func found[T any](v T, ok bool, code, what string) (T, error) {
	if !ok {
		return v, newProblem(http.StatusNotFound, code, "no such "+what+" in this engagement")
	}
	return v, nil
}

// byID finds an item by id in a slice, for collections without an accessor.
func byID[T any](xs []*T, id string, idOf func(*T) string) (*T, bool) {
	i := slices.IndexFunc(xs, func(x *T) bool { return idOf(x) == id })
	if i < 0 {
		return nil, false
	}
	return xs[i], true
}

// where keeps the items of xs for which keep is true.
func where[T any](xs []*T, keep func(*T) bool) []*T {
	out := []*T{}
	for _, x := range xs {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

// emptyNotNull replaces, in place, every nil slice reachable from v (a
// pointer) whose JSON field has no omitempty by an empty one, so that
// collections are [] on the wire, as the contract says, never null. The
// state it is given is the caller's private copy.
func emptyNotNull(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			emptyNotNull(v.Elem())
		}
	case reflect.Slice:
		for i := range v.Len() {
			emptyNotNull(v.Index(i))
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			sf, f := t.Field(i), v.Field(i)
			if !sf.IsExported() {
				continue
			}
			if f.Kind() == reflect.Slice && f.IsNil() && !strings.Contains(sf.Tag.Get("json"), "omitempty") && f.CanSet() {
				f.Set(reflect.MakeSlice(f.Type(), 0, 0))
				continue
			}
			emptyNotNull(f)
		}
	}
}
