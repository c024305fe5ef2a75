package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/projections"
)

const headerLastEventID = "Last-Event-ID"

// getFeed streams an engagement's events as Server-Sent Events: first
// those after Last-Event-ID (or ?last_event_id=, for a first connection
// that resumes), then new ones as they are written. Each event's SSE id is
// its global position, so a client that reconnects with Last-Event-ID gets
// exactly the events after the last one it saw. A comment line every
// Config.HeartbeatInterval keeps proxies from closing an idle stream.
//
// The stream ends when the client goes away, when the server shuts down
// (the client reconnects, with Last-Event-ID, to another instance) or when
// reading the store fails; the response being committed by then, a failure
// is logged, not answered.
func (s *Server) getFeed(c echo.Context) error {
	id := c.Request().Header.Get(headerLastEventID)
	if id == "" {
		id = c.QueryParam("last_event_id")
	}
	after, err := projections.ParseLastEventID(id)
	if err != nil {
		return badParam("header.Last-Event-ID", "must be the id of an event of this feed")
	}
	if err := s.authorize(c, nil); err != nil {
		return err
	}
	engagementID := c.Param("engagement_id")

	ctx, cancel := context.WithCancel(c.Request().Context())
	defer cancel()
	go func() {
		select {
		case <-s.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()

	res := c.Response()
	// The server's read timeout would otherwise cancel a long stream.
	rc := http.NewResponseController(res)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	h := res.Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set(echo.HeaderCacheControl, "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	res.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprintf(res, "retry: 2000\n: events of engagement %s after position %d\n\n", engagementID, after); err != nil {
		return nil
	}
	res.Flush()

	events := make(chan projections.FeedEvent)
	done := make(chan error, 1)
	go func() {
		done <- projections.Feed(ctx, s.store, engagementID, after, func(ev projections.FeedEvent) error {
			select {
			case events <- ev:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	defer func() {
		cancel()
		<-done
	}()
	heartbeat := time.NewTicker(s.cfg.HeartbeatInterval)
	defer heartbeat.Stop()
	for {
		var err error
		select {
		case ev := <-events:
			var data []byte
			if data, err = json.Marshal(ev); err == nil {
				_, err = fmt.Fprintf(res, "id: %d\ndata: %s\n\n", ev.Position, data)
			}
		case <-heartbeat.C:
			_, err = fmt.Fprint(res, ": heartbeat\n\n")
		case ferr := <-done:
			done <- nil // for the deferred wait
			if ferr != nil && ctx.Err() == nil && !errors.Is(ferr, context.Canceled) {
				s.log.LogAttrs(ctx, slog.LevelError, "event feed failed",
					slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)), slog.String("error", ferr.Error()))
			}
			return nil
		case <-ctx.Done():
			return nil
		}
		if err != nil {
			return nil // the client went away
		}
		res.Flush()
	}
}
