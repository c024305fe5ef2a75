package api

import (
	"context"
	_ "embed" // the reference page's renderer
	"net/http"
	"reflect"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor"
	"github.com/candor-ledger/candor/projections"
)

func (s *Server) getHealth(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// Readiness is the body of /readyz.
type Readiness struct {
	Status string            `json:"status"` // ready, not_ready
	Checks map[string]string `json:"checks"`
	// Projections says how far the read models are behind the store, when
	// the server has read models.
	Projections *projections.Lag `json:"projections,omitempty"`
	// Evidence is the transparency log's state, when the server keeps one.
	Evidence *EvidenceStatus `json:"evidence,omitempty"`
}

// RunReporter is optionally implemented by ReadModels: Restarting reports
// that the read models stopped on an error and wait to be started again
// (they answer from where they stopped meanwhile).
type RunReporter interface {
	Restarting() bool
}

// getReadiness answers 200 when the store answers and the server is not
// shutting down; 503 with the reason otherwise. The read models' state is
// reported but does not make the server unready: writes and the reads
// folded from the ledger are served whatever it is, and a read that must
// see a write waits for it (X-Candor-Position).
func (s *Server) getReadiness(c echo.Context) error {
	r := Readiness{Status: "ready", Checks: map[string]string{"store": "ok", "server": "ok"}}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if _, err := s.store.Head(ctx); err != nil {
		r.Status, r.Checks["store"] = "not_ready", "unavailable"
	}
	s.evidenceReadiness(&r)
	if s.shuttingDown.Load() {
		r.Status, r.Checks["server"] = "not_ready", "shutting_down"
	}
	if lr, ok := s.rm.(LagReporter); ok {
		r.Checks["projections"] = "unavailable"
		if lag, err := lr.Lag(ctx); err == nil {
			r.Projections = &lag
			r.Checks["projections"] = projectionsCheck(lag, s.cfg.WaitTimeout)
		}
		if rr, ok := s.rm.(RunReporter); ok && rr.Restarting() {
			r.Checks["projections"] = "restarting"
		}
	}
	status := http.StatusOK
	if r.Status != "ready" {
		status = http.StatusServiceUnavailable
		c.Response().Header().Set("Retry-After", "1")
	}
	emptyNotNull(reflect.ValueOf(&r))
	return c.JSON(status, r)
}

// projectionsCheck is "building" while some projection has no generation
// serving yet (its queries answer 503), "behind" when the oldest event
// they have not applied is older than a read-your-writes wait (a read
// asking for it would time out), "ok" otherwise.
func projectionsCheck(l projections.Lag, wait time.Duration) string {
	serving := map[string]bool{}
	for _, p := range l.Projections {
		serving[p.Name] = serving[p.Name] || p.Serving
	}
	for _, n := range projections.Names() {
		if !serving[n] {
			return "building"
		}
	}
	if l.Seconds > wait.Seconds() {
		return "behind"
	}
	return "ok"
}

func (s *Server) getMetrics(c echo.Context) error {
	s.metrics.handler.ServeHTTP(c.Response(), c.Request())
	return nil
}

func (s *Server) getOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", candor.OpenAPI)
}

// The reference page renders /openapi.yaml with Redoc, whose standalone
// bundle is served from the binary: the page works offline, and its
// content security policy names no other origin. docs/redoc.standalone.js
// is the bundle of the npm package pinned in docs/package.json; .ci/run
// checks that it is, byte for byte.
//
// Redoc styles its elements inline (styled-components) and runs its
// search in a worker made from a blob.
const (
	docsCSP = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self' data:; " +
		"connect-src 'self'; worker-src blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	docsPage = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Candor API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
<noscript>This page renders <a href="/openapi.yaml">the OpenAPI contract</a> with JavaScript.</noscript>
<redoc spec-url="/openapi.yaml"></redoc>
<script src="/docs/redoc.standalone.js"></script>
</body>
</html>
`
)

//go:embed docs/redoc.standalone.js
var redocScript []byte

func (s *Server) getDocs(c echo.Context) error {
	return c.HTML(http.StatusOK, docsPage)
}

func (s *Server) getDocsScript(c echo.Context) error {
	// The bundle changes only with the binary: a day in the browser's
	// cache saves a megabyte per visit of the page.
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=86400")
	return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", redocScript)
}
