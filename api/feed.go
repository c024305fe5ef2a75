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
// (the client reconnects, with Last-Event-ID, to another instance), when
// reading the store fails, and as soon as the caller loses the right to
// read: its token revoked or its principal disabled (the registry signals
// both, see auth.Registry.Changed), or, for a member, no longer a
// stakeholder (checked on the engagement's current state before each
// event is sent, so that the event removing it is not). The response
// being committed by then, a failure is logged, not answered; a lost right
// is said in a last comment line.
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
	caller := principal(c)
	secret, _ := bearerSecret(c.Request())
	// Taken before the token is checked again below: a revocation after
	// the check closes this channel.
	authChanged := s.auth.Changed()

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
	// ended writes the reason of an end the client did not ask for.
	ended := func(reason string) error {
		_, _ = fmt.Fprintf(res, ": closed: %s\n\n", reason)
		res.Flush()
		return nil
	}
	if _, err := s.auth.Authenticate(secret); err != nil {
		return ended("the token no longer authenticates")
	}
	for {
		var err error
		select {
		case <-authChanged:
			authChanged = s.auth.Changed()
			if _, err := s.auth.Authenticate(secret); err != nil {
				return ended("the token was revoked or its principal disabled")
			}
			continue
		case ev := <-events:
			if !seesEverything(caller) {
				ok, verr := s.visibleAt(ctx, caller, engagementID, int64(ev.Revision))
				switch {
				case verr != nil: // fail closed; the client reconnects
					if ctx.Err() == nil {
						s.log.LogAttrs(ctx, slog.LevelError, "event feed: checking access failed",
							slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)), slog.String("error", verr.Error()))
					}
					return ended("access could not be checked; reconnect")
				case !ok:
					return ended("no longer a stakeholder of this engagement")
				}
			}
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
