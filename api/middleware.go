package api

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/routers"
	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/labstack/echo/v4"
	"golang.org/x/time/rate"

	"github.com/candor-ledger/candor/auth"
)

// request is the echo.Context that the middleware and the handlers of one
// request see: echo's own, plus what the middleware learns about the
// request, in a single allocation. echo's Set/Get would allocate a map per
// request and box every value.
type request struct {
	echo.Context
	route         *route // the contract operation; nil when the router matched none
	principal     auth.Principal
	authenticated bool
	tokenKey      uint64 // rate-limit key of the bearer token
	id            string // X-Request-Id
}

// route is a contract operation as served: kin-openapi's route and what
// the middleware needs of it, computed once at start.
type route struct {
	*routers.Route
	label     string           // echo's path template: the route of logs and metrics
	public    bool             // no authentication (see public)
	query     bool             // takes query parameters
	validated *routers.Route   // what kin-openapi validates requests against (see withoutSecurity)
	requests  *statusObservers // candor_http_request_duration_seconds of this route and method
	// log is the handler of the server's logger with the access log's
	// method and route: it encoded them once, and a request's record keeps
	// its other attributes inline, without allocating.
	log slog.Handler
}

// routeKey identifies a served route by method and echo path template.
type routeKey struct{ method, path string }

// middleware lists, outermost first, what every request goes through.
func (s *Server) middleware() []echo.MiddlewareFunc {
	return []echo.MiddlewareFunc{s.requestID, s.observe, s.recoverPanics, s.reveal, s.securityHeaders, s.integrity, s.cors, s.bodyLimit,
		s.authenticate, s.rateLimit, s.validateRequest}
}

// entry, the first middleware, makes the context the others and the
// handlers see: echo's own, with the contract operation the router matched
// (nil for what the router answers itself: no route, wrong method,
// OPTIONS).
func (s *Server) entry(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		return next(&request{Context: c, route: s.routes[routeKey{c.Request().Method, c.Path()}]})
	}
}

// requestID takes the caller's X-Request-Id when it is short and plain (so
// that it cannot inject anything into logs), or makes one.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.(*request)
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !plainToken(id, 64) {
			id = newRequestID()
		}
		r.id = id
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		return next(c)
	}
}

// newRequestID makes a UUIDv7, time-ordered so that ids sort like the log,
// with its 74 random bits from the runtime's generator: a request id must
// be unique, not unpredictable, so it need not cost a read of the system's
// cryptographic source (as uuid.NewV7 does).
func newRequestID() string {
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[0:8], uint64(time.Now().UnixMilli())<<16|rand.Uint64()&0xffff)
	binary.BigEndian.PutUint64(u[8:16], rand.Uint64())
	u[6] = 0x70 | u[6]&0x0f // version 7
	u[8] = 0x80 | u[8]&0x3f // RFC 9562 variant
	return u.String()
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
		r := c.(*request)
		start := time.Now()
		err := next(c)
		if err != nil {
			s.handleError(err, c) // commit the response now, so that its status is known
		}
		req, res := c.Request(), c.Response()
		end := time.Now()
		d := end.Sub(start)
		log := s.unmatchedLog
		if r.route != nil {
			log = r.route.log
			r.route.requests.get(res.Status).Observe(d.Seconds())
		} else {
			s.metrics.observeRequest("unmatched", req.Method, res.Status, d)
		}
		level := slog.LevelInfo
		if res.Status >= 500 {
			level = slog.LevelError
		}
		ctx := req.Context()
		if !log.Enabled(ctx, level) {
			return nil
		}
		// The record goes to the handler directly, without the caller's
		// program counter (which Logger methods look up on every call):
		// the source of an access log line would be this function anyway.
		rec := slog.NewRecord(end, level, "http request", 0)
		rec.AddAttrs(
			slog.String("request_id", r.id),
			slog.Int("status", res.Status),
			slog.Int64("bytes", res.Size),
			slog.Duration("duration", d),
		)
		if r.authenticated {
			rec.AddAttrs(slog.String("principal_id", r.principal.ID))
		}
		if r.route == nil {
			rec.AddAttrs(slog.String("method", req.Method))
		}
		_ = log.Handle(ctx, rec) // as Logger does: a failed log line fails nothing
		return nil
	}
}

// securityHeaders are set on every response. The API serves JSON, so the
// content security policy forbids everything, except on /docs, which runs
// its renderer (served by this server too, see docsCSP).
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
	corsAllowHeaders  = "Authorization, Content-Type, If-Match, Idempotency-Key, X-Request-Id, X-Candor-Position, X-Candor-Checkpoint, Last-Event-ID"
	corsExposeHeaders = "ETag, Location, Retry-After, X-Request-Id, X-Candor-Position, Idempotency-Replayed, X-Candor-Integrity"
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

// operation is the contract operation of the request, nil when the router
// matched none.
func operation(c echo.Context) *routers.Route {
	if r, ok := c.(*request); ok && r.route != nil {
		return r.route.Route
	}
	return nil
}

// public reports whether an operation needs no authentication (its
// security requirement is an explicit empty list).
func public(r *routers.Route) bool {
	return r.Operation.Security != nil && len(*r.Operation.Security) == 0
}

// authenticate resolves the bearer token of every non-public operation.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.(*request)
		if r.route == nil || r.route.public {
			return next(c)
		}
		secret, ok := bearerSecret(c.Request())
		if !ok {
			return s.failedAuthentication(c.Request(), auth.ErrUnauthenticated)
		}
		p, err := s.auth.Authenticate(secret)
		if err != nil {
			return s.failedAuthentication(c.Request(), err)
		}
		r.principal, r.authenticated = p, true
		r.tokenKey = tokenKey(secret)
		return next(c)
	}
}

// bearerSecret is the token secret of the request's Authorization header.
func bearerSecret(req *http.Request) (string, bool) {
	scheme, secret, ok := strings.Cut(req.Header.Get(echo.HeaderAuthorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return "", false
	}
	return strings.TrimSpace(secret), true
}

// principal is the authenticated caller; the zero Principal on a public
// operation.
func principal(c echo.Context) auth.Principal {
	if r, ok := c.(*request); ok {
		return r.principal
	}
	return auth.Principal{}
}

// tokenSeed keys tokenKey; it is drawn at random for each process.
var tokenSeed = maphash.MakeSeed()

// tokenKey identifies a token for rate limiting without keeping its secret
// in memory: a 64-bit hash keyed by a per-process random seed tells tokens
// apart (two of a few thousand tokens collide with odds of about 1e-13,
// and would then merely share a bucket) and is far cheaper than a
// cryptographic digest, which the registry has already checked the token
// with.
func tokenKey(secret string) uint64 {
	return maphash.String(tokenSeed, secret)
}

// limiters holds one token bucket per bearer token.
type limiters struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	m     map[uint64]*rate.Limiter
}

func newLimiters(perSecond float64, burst int) *limiters {
	if perSecond < 0 {
		return nil
	}
	return &limiters{limit: rate.Limit(perSecond), burst: burst, m: map[uint64]*rate.Limiter{}}
}

func (l *limiters) get(key uint64) *rate.Limiter {
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
		r := c.(*request)
		if !r.authenticated || s.limits == nil {
			return next(c)
		}
		lim := s.limits.get(r.tokenKey)
		// Allow is the allocation-free common case; only a refusal reserves,
		// to learn the delay, and gives the reservation back.
		if !lim.Allow() {
			res := lim.Reserve()
			if d := res.Delay(); d > 0 {
				res.Cancel()
				p := newProblem(http.StatusTooManyRequests, CodeRateLimited, "too many requests for this token")
				p.retryAfter = int(math.Ceil(d.Seconds()))
				return p
			}
		}
		return next(c)
	}
}

// failedAuthentication counts a request that did not authenticate against
// its client address (see authFailures) and returns err, or a 429 once the
// address failed too often.
func (s *Server) failedAuthentication(req *http.Request, err error) error {
	if s.failures == nil || !errors.Is(err, auth.ErrUnauthenticated) {
		return err
	}
	if d := s.failures.fail(clientKey(req.RemoteAddr)); d > 0 {
		p := newProblem(http.StatusTooManyRequests, CodeRateLimited, "too many failed authentications from this address")
		p.retryAfter = int(math.Ceil(d.Seconds()))
		return p
	}
	return err
}

// authFailures limits failed authentications per client address: a token
// bucket per address, drawn from only by requests that fail, so that a
// flood of bad tokens soon gets 429 with Retry-After instead of 401 ever
// after. A valid token is always checked first and always passes: one
// client's flood never locks out anyone's valid token, even behind the
// same address (a proxy, a NAT). Tokens carry 256 random bits, so this is
// not what keeps them from being guessed; it makes floods back off.
//
// The address is the connection's peer, never a header a client could
// forge; IPv6 addresses count by /64, which one client usually holds
// whole. The most recently failing addresses are kept (an LRU), so that a
// flood from many addresses cannot exhaust memory.
type authFailures struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	m     *lru.Cache[netip.Prefix, *rate.Limiter]
}

// authFailureAddresses bounds the addresses authFailures keeps.
const authFailureAddresses = 16384

func newAuthFailures(perSecond float64, burst int) *authFailures {
	if perSecond < 0 {
		return nil
	}
	m, _ := lru.New[netip.Prefix, *rate.Limiter](authFailureAddresses) // fails only for a size <= 0
	return &authFailures{limit: rate.Limit(perSecond), burst: burst, m: m}
}

// fail counts one failure of key and returns 0 while the address is
// within its limit, else how long until it would be again.
func (a *authFailures) fail(key netip.Prefix) time.Duration {
	a.mu.Lock()
	lim, ok := a.m.Get(key)
	if !ok {
		lim = rate.NewLimiter(a.limit, a.burst)
		a.m.Add(key, lim)
	}
	a.mu.Unlock()
	if lim.Allow() {
		return 0
	}
	res := lim.Reserve()
	d := res.Delay()
	res.Cancel()
	return d
}

// clientKey is the client part of a connection's remote address: the
// IPv4 address, or the /64 of an IPv6 one.
func clientKey(remoteAddr string) netip.Prefix {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return netip.Prefix{} // not an IP connection (a test's): one bucket for all
	}
	addr := ap.Addr().Unmap()
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, _ := addr.Prefix(bits)
	return p
}
