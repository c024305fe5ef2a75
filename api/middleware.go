package api

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/routers"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/candor-ledger/candor/auth"
)

// Keys of the values middleware leaves in echo's context.
const (
	ctxOperation = "candor.operation" // *routers.Route
	ctxPrincipal = "candor.principal" // auth.Principal
	ctxTokenKey  = "candor.token"     // string: rate-limit key of the token
)

// requestID takes the caller's X-Request-Id when it is short and plain (so
// that it cannot inject anything into logs), or makes one.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !plainToken(id, 64) {
			id = uuid.Must(uuid.NewV7()).String()
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		return next(c)
	}
}

func plainToken(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// recoverPanics turns a panic into a 500 (logged with its stack; the client
// sees "internal error" only).
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				buf := make([]byte, 8<<10)
				buf = buf[:runtime.Stack(buf, false)]
				s.log.Error("panic serving request",
					slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)),
					slog.String("panic", fmt.Sprint(r)), slog.String("stack", string(buf)))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return next(c)
	}
}

// observe writes the access log line and the latency metric of every
// request. It logs the route template, never the raw path or query, and no
// header: no token, no personal data, no client address.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			s.handleError(err, c) // commit the response now, so that its status is known
		}
		route := c.Path()
		if _, ok := s.routes[c.Request().Method+" "+route]; !ok {
			route = "unmatched" // bounded label cardinality
		}
		res := c.Response()
		d := time.Since(start)
		s.metrics.observeRequest(route, c.Request().Method, res.Status, d)
		attrs := []slog.Attr{
			slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
			slog.String("method", c.Request().Method),
			slog.String("route", route),
			slog.Int("status", res.Status),
			slog.Int64("bytes", res.Size),
			slog.Duration("duration", d),
		}
		if p, ok := c.Get(ctxPrincipal).(auth.Principal); ok {
			attrs = append(attrs, slog.String("principal_id", p.ID))
		}
		level := slog.LevelInfo
		if res.Status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(c.Request().Context(), level, "http request", attrs...)
		return nil
	}
}

// securityHeaders are set on every response. The API serves JSON, so the
// content security policy forbids everything, except on /docs, which loads
// its renderer from a CDN.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if c.Path() == "/docs" {
			h.Set("Content-Security-Policy", docsCSP)
		} else {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
			h.Set(echo.HeaderCacheControl, "no-store")
		}
		return next(c)
	}
}

var (
	corsAllowHeaders  = "Authorization, Content-Type, If-Match, Idempotency-Key, X-Request-Id, X-Candor-Position"
	corsExposeHeaders = "ETag, Location, Retry-After, X-Request-Id, X-Candor-Position"
	corsAllowMethods  = "GET, POST, DELETE"
)

// cors answers only the configured origins. A preflight from any origin is
// answered 204 here (the route table has no OPTIONS); only an allowed
// origin gets the Access-Control-Allow-* headers that let the browser go on.
func (s *Server) cors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		origin := req.Header.Get(echo.HeaderOrigin)
		if origin == "" {
			return next(c)
		}
		h := c.Response().Header()
		h.Add(echo.HeaderVary, echo.HeaderOrigin)
		allowed := slices.Contains(s.cfg.CORSOrigins, origin) || slices.Contains(s.cfg.CORSOrigins, "*")
		preflight := req.Method == http.MethodOptions && req.Header.Get(echo.HeaderAccessControlRequestMethod) != ""
		if allowed {
			h.Set(echo.HeaderAccessControlAllowOrigin, origin)
			h.Set(echo.HeaderAccessControlExposeHeaders, corsExposeHeaders)
		}
		if !preflight {
			return next(c)
		}
		if allowed {
			h.Set(echo.HeaderAccessControlAllowMethods, corsAllowMethods)
			h.Set(echo.HeaderAccessControlAllowHeaders, corsAllowHeaders)
			h.Set(echo.HeaderAccessControlMaxAge, "600")
		}
		return c.NoContent(http.StatusNoContent)
	}
}

// bodyLimit refuses a declared oversize body at once and caps the reading
// of an undeclared one (the reader then fails with *http.MaxBytesError,
// which maps to 413).
func (s *Server) bodyLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.ContentLength > s.cfg.MaxBodyBytes {
			return &http.MaxBytesError{Limit: s.cfg.MaxBodyBytes}
		}
		if req.Body != nil && req.Body != http.NoBody {
			req.Body = http.MaxBytesReader(c.Response(), req.Body, s.cfg.MaxBodyBytes)
		}
		return next(c)
	}
}

// lookupOperation finds the contract operation of the matched route. A
// request that matched no route goes on without one, to the router's 404
// or 405.
func (s *Server) lookupOperation(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if r, ok := s.routes[c.Request().Method+" "+c.Path()]; ok {
			c.Set(ctxOperation, r)
		}
		return next(c)
	}
}

func operation(c echo.Context) *routers.Route {
	r, _ := c.Get(ctxOperation).(*routers.Route)
	return r
}

// public reports whether an operation needs no authentication (its
// security requirement is an explicit empty list).
func public(r *routers.Route) bool {
	return r.Operation.Security != nil && len(*r.Operation.Security) == 0
}

// authenticate resolves the bearer token of every non-public operation.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := operation(c)
		if r == nil || public(r) {
			return next(c)
		}
		authz := c.Request().Header.Get(echo.HeaderAuthorization)
		scheme, secret, ok := strings.Cut(authz, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
			return auth.ErrUnauthenticated
		}
		p, err := s.auth.Authenticate(strings.TrimSpace(secret))
		if err != nil {
			return err
		}
		c.Set(ctxPrincipal, p)
		c.Set(ctxTokenKey, tokenKey(secret))
		return next(c)
	}
}

func principal(c echo.Context) auth.Principal {
	p, _ := c.Get(ctxPrincipal).(auth.Principal)
	return p
}

// tokenKey identifies a token for rate limiting without keeping its secret
// in memory: a short keyed digest is enough to tell tokens apart.
func tokenKey(secret string) string {
	return uuid.NewSHA1(uuid.NameSpaceOID, []byte(secret)).String()
}

// limiters holds one token bucket per bearer token.
type limiters struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	m     map[string]*rate.Limiter
}

func newLimiters(perSecond float64, burst int) *limiters {
	if perSecond < 0 {
		return nil
	}
	return &limiters{limit: rate.Limit(perSecond), burst: burst, m: map[string]*rate.Limiter{}}
}

func (l *limiters) get(key string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim, ok := l.m[key]
	if !ok {
		lim = rate.NewLimiter(l.limit, l.burst)
		l.m[key] = lim
	}
	return lim
}

// rateLimit applies the per-token limit; an exhausted bucket answers 429
// with Retry-After saying when the next request would pass.
func (s *Server) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, ok := c.Get(ctxTokenKey).(string)
		if !ok || s.limits == nil {
			return next(c)
		}
		res := s.limits.get(key).Reserve()
		if d := res.Delay(); d > 0 {
			res.Cancel()
			p := newProblem(http.StatusTooManyRequests, CodeRateLimited, "too many requests for this token")
			p.retryAfter = int(math.Ceil(d.Seconds()))
			return p
		}
		return next(c)
	}
}
