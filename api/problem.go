package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/keystore"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/projections"
)

// Problem is an RFC 9457 problem details document, the body of every error
// response. Code is stable and machine-readable; Title and Detail are for
// humans and may be reworded.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	Code      string       `json:"code"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`

	retryAfter int   // seconds, for 429 and 503
	cause      error // logged for 500s, never sent
}

// FieldError names one offending part of a request: Pointer is a JSON
// pointer (RFC 6901) into the body; Parameter names a path, query or header
// parameter ("query.limit").
type FieldError struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	Detail    string `json:"detail"`
}

func (p *Problem) Error() string { return "api: " + p.Code + ": " + p.Detail }

// ProblemTypePrefix starts the type URI of every problem; the code follows.
const ProblemTypePrefix = "urn:candor:problem:"

// Stable codes of problems raised by the API itself (domain rule codes come
// from package domain and pass through unchanged).
const (
	CodeMalformedJSON        = "malformed_json"
	CodeInvalidParameter     = "invalid_parameter"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeValidationFailed     = "validation_failed"
	CodeUnauthenticated      = "unauthenticated"
	CodeForbidden            = "forbidden"
	CodeReadOnlyRole         = "read_only_role"
	CodeNotFound             = "not_found"
	CodeRouteNotFound        = "route_not_found"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeConflict             = "conflict"
	CodePreconditionFailed   = "precondition_failed"
	CodePayloadTooLarge      = "payload_too_large"
	CodeIdempotencyKeyReused = "idempotency_key_reused"
	CodeRateLimited          = "rate_limited"
	CodeUnavailable          = "unavailable"
	CodeNotCaughtUp          = "not_caught_up"
	CodeIntegrityBreach      = "integrity_breach"
	CodeInternal             = "internal_error"
)

func newProblem(status int, code, detail string) *Problem {
	return &Problem{Type: ProblemTypePrefix + code, Title: http.StatusText(status), Status: status, Code: code, Detail: detail}
}

// errEngagementNotFound is what a caller who may not see an engagement gets,
// word for word what it gets for one that does not exist, so that existence
// does not leak.
func errEngagementNotFound() *Problem {
	return newProblem(http.StatusNotFound, domain.CodeEngagementNotFound, "no such engagement")
}

// toProblem is the one place where errors become HTTP statuses.
func toProblem(err error) *Problem {
	var ap *Problem
	if errors.As(err, &ap) {
		return ap
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return domainProblem(de)
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return newProblem(http.StatusRequestEntityTooLarge, CodePayloadTooLarge,
			"the body exceeds the limit of "+strconv.FormatInt(mbe.Limit, 10)+" bytes")
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return echoProblem(he)
	}
	var p *Problem
	switch {
	case errors.Is(err, projections.ErrNotFound):
		return errEngagementNotFound()
	case errors.Is(err, projections.ErrInvalidCursor):
		return badParam("query.cursor", "not a cursor returned by this API")
	case errors.Is(err, projections.ErrNotReady):
		p = newProblem(http.StatusServiceUnavailable, CodeNotCaughtUp, "the read models are being built; retry later")
		p.retryAfter = 5
		return p
	case errors.Is(err, projections.ErrClosed):
		p = newProblem(http.StatusServiceUnavailable, CodeUnavailable, "the read models are closed; retry later")
		p.retryAfter = 1
		return p
	case errors.Is(err, ledger.ErrNotFound):
		return errEngagementNotFound()
	case errors.Is(err, ledger.ErrIntegrityBreach):
		// A 5xx: the request is fine, what is stored is not, and it is for
		// an operator to see (it is logged, and alerts on 5xx see it). No
		// Retry-After: retrying does not help until the log is restored.
		detail := "the engagement's event log failed its integrity check"
		var ie *ledger.IntegrityError
		if errors.As(err, &ie) {
			detail += fmt.Sprintf(" at revision %d (%s)", ie.Revision, ie.Reason)
		}
		p = newProblem(http.StatusServiceUnavailable, CodeIntegrityBreach,
			detail+": nothing is read from it or written to it until it is restored; `candor verify` names the first broken link")
		p.cause = err
		return p
	case errors.Is(err, ledger.ErrPreconditionFailed):
		return newProblem(http.StatusPreconditionFailed, CodePreconditionFailed,
			"the engagement changed since the revision given in If-Match; nothing was written")
	case errors.Is(err, ledger.ErrConflict):
		return newProblem(http.StatusConflict, CodeConflict, "the engagement kept changing concurrently; retry")
	case errors.Is(err, ledger.ErrIdempotencyKeyReused):
		return newProblem(http.StatusUnprocessableEntity, CodeIdempotencyKeyReused,
			"this Idempotency-Key was already used for a different request")
	case errors.Is(err, auth.ErrUnauthenticated):
		return newProblem(http.StatusUnauthorized, CodeUnauthenticated, "a valid bearer token is required")
	case errors.Is(err, auth.ErrPrincipalNotFound):
		return newProblem(http.StatusNotFound, CodeNotFound, "no such principal")
	case errors.Is(err, auth.ErrTokenNotFound):
		return newProblem(http.StatusNotFound, CodeNotFound, "no such token")
	case errors.Is(err, auth.ErrLastAdmin):
		return newProblem(http.StatusConflict, CodeLastAdmin,
			"this would leave no enabled admin with a usable token: give another admin a token first")
	case errors.Is(err, auth.ErrBusy):
		return newProblem(http.StatusConflict, CodeConflict, "the principals kept changing concurrently; retry")
	case errors.Is(err, auth.ErrInvalidRole), errors.Is(err, auth.ErrInvalidName):
		return newProblem(http.StatusUnprocessableEntity, CodeValidationFailed, err.Error())
	case errors.Is(err, keystore.ErrUnavailable):
		p = newProblem(http.StatusServiceUnavailable, CodeUnavailable, "the key store of personal data is unavailable; retry later")
		p.retryAfter = 1
		p.cause = err
		return p
	case errors.Is(err, eventstore.ErrUnavailable), errors.Is(err, eventstore.ErrClosed),
		errors.Is(err, auth.ErrClosed), errors.Is(err, context.DeadlineExceeded):
		p = newProblem(http.StatusServiceUnavailable, CodeUnavailable, "the event store is unavailable; retry later")
		p.retryAfter = 1
		p.cause = err
		return p
	}
	p = newProblem(http.StatusInternalServerError, CodeInternal, "internal error")
	p.cause = err
	return p
}

// domainProblem maps a domain error by its kind, never by its code, so a new
// rule needs no change here.
func domainProblem(de *domain.Error) *Problem {
	status := http.StatusInternalServerError
	switch de.Kind {
	case domain.KindInvalid:
		status = http.StatusUnprocessableEntity
	case domain.KindNotFound:
		status = http.StatusNotFound
	case domain.KindConflict:
		status = http.StatusConflict
	case domain.KindForbidden:
		status = http.StatusForbidden
	}
	code := de.Code
	if code == "" {
		code = de.Kind.String()
	}
	p := newProblem(status, code, de.Message)
	if de.Field != "" {
		p.Errors = []FieldError{{Pointer: fieldPointer(de.Field), Detail: de.Message}}
	}
	return p
}

func isBreach(err error) bool { return errors.Is(err, ledger.ErrIntegrityBreach) }

// breachKnownTo reports whether p may be told of an integrity breach: who
// may see the engagement, judged on the state before the breach (the only
// one to trust). Anyone else is answered as for an engagement that does not
// exist, as it would be without the breach.
func breachKnownTo(p auth.Principal, err error) bool {
	var ie *ledger.IntegrityError
	if !errors.As(err, &ie) {
		return false
	}
	if p.Role == auth.RoleAdmin || p.Role == auth.RoleAuditor {
		return true
	}
	return ie.Before != nil && canSee(p, ie.Before)
}

func echoProblem(he *echo.HTTPError) *Problem {
	switch he.Code {
	case http.StatusNotFound:
		return newProblem(http.StatusNotFound, CodeRouteNotFound, "no such resource")
	case http.StatusMethodNotAllowed:
		return newProblem(http.StatusMethodNotAllowed, CodeMethodNotAllowed, "this method is not allowed on this resource")
	case http.StatusRequestEntityTooLarge:
		return newProblem(http.StatusRequestEntityTooLarge, CodePayloadTooLarge, "the body is too large")
	case http.StatusUnsupportedMediaType:
		return newProblem(http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "the body must be application/json")
	case http.StatusUnauthorized:
		return newProblem(http.StatusUnauthorized, CodeUnauthenticated, "a valid bearer token is required")
	case http.StatusForbidden:
		return newProblem(http.StatusForbidden, CodeForbidden, "forbidden")
	case http.StatusBadRequest:
		return newProblem(http.StatusBadRequest, CodeInvalidParameter, "bad request")
	case http.StatusServiceUnavailable:
		return newProblem(http.StatusServiceUnavailable, CodeUnavailable, "unavailable")
	}
	p := newProblem(http.StatusInternalServerError, CodeInternal, "internal error")
	p.cause = he
	return p
}

// handleError is echo's HTTPErrorHandler: every error any handler or
// middleware returns goes out through here as problem+json.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	if isBreach(err) && !breachKnownTo(principal(c), err) {
		err = errEngagementNotFound()
	}
	p := *toProblem(err) // a copy: sentinel-like problems must not be mutated
	req := c.Request()
	p.Instance = req.URL.Path
	p.RequestID = c.Response().Header().Get(echo.HeaderXRequestID)
	if p.Status >= 500 && p.cause != nil {
		s.log.LogAttrs(req.Context(), slog.LevelError, "request failed",
			slog.String("request_id", p.RequestID), slog.String("route", c.Path()),
			slog.String("method", req.Method), slog.String("error", p.cause.Error()))
	}
	h := c.Response().Header()
	switch p.Status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", `Bearer realm="candor"`)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		if p.retryAfter > 0 {
			h.Set("Retry-After", strconv.Itoa(p.retryAfter))
		}
	}
	writeProblem(c, &p)
}

func writeProblem(c echo.Context, p *Problem) {
	body, err := json.Marshal(p)
	if err != nil { // cannot happen: Problem has only plain fields
		body = []byte(`{"type":"` + ProblemTypePrefix + CodeInternal + `","title":"Internal Server Error","status":500,"code":"internal_error"}`)
		p.Status = http.StatusInternalServerError
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/problem+json")
	h.Set(echo.HeaderCacheControl, "no-store")
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(p.Status)
		return
	}
	_ = c.Blob(p.Status, "application/problem+json", body)
}
