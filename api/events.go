package api

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
)

const eventsReadBatch = 256

// listEvents is the raw event log of one engagement: every event as
// stored, with its revision, global position and metadata, filterable by
// type, actor and time of recording. The cursor is the next revision.
func (s *Server) listEvents(c echo.Context) error {
	pg, err := parsePage(c)
	if err != nil {
		return err
	}
	_, rev, err := s.loadVisible(c)
	if err != nil {
		return err
	}
	q := c.QueryParams()
	types, actor := q["type"], q.Get("actor")
	var since, until time.Time
	if v := q.Get("since"); v != "" {
		if since, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return badParam("query.since", "must be an RFC 3339 time")
		}
	}
	if v := q.Get("until"); v != "" {
		if until, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return badParam("query.until", "must be an RFC 3339 time")
		}
	}
	keep := func(e EventOut) bool {
		return (len(types) == 0 || slices.Contains(types, e.Type)) &&
			(actor == "" || e.Actor == actor) &&
			(since.IsZero() || !e.RecordedAt.Before(since)) &&
			(until.IsZero() || e.RecordedAt.Before(until))
	}
	stream := ledger.StreamName(c.Param("engagement_id"))
	out := Page[EventOut]{Items: []EventOut{}}
	next := pg.After
	for next <= rev && len(out.Items) < pg.Limit {
		evs, err := s.store.ReadStream(c.Request().Context(), stream,
			eventstore.ReadStreamOptions{From: next, Limit: eventsReadBatch})
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return errEngagementNotFound()
		}
		if err != nil {
			return err
		}
		for _, e := range evs {
			if len(out.Items) == pg.Limit || e.Revision > rev {
				break
			}
			next = e.Revision + 1
			if eo := eventOut(e); keep(eo) {
				out.Items = append(out.Items, eo)
			}
		}
		if len(evs) < eventsReadBatch {
			break
		}
	}
	if next <= rev {
		out.NextCursor = encodeCursor(next)
	}
	return c.JSON(http.StatusOK, out)
}
