package api

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor"
)

func (s *Server) getHealth(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// Readiness is the body of /readyz.
type Readiness struct {
	Status string            `json:"status"` // ready, not_ready
	Checks map[string]string `json:"checks"`
}

// getReadiness answers 200 when the store answers and the server is not
// shutting down; 503 with the reason otherwise.
func (s *Server) getReadiness(c echo.Context) error {
	r := Readiness{Status: "ready", Checks: map[string]string{"store": "ok", "server": "ok"}}
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if _, err := s.store.Head(ctx); err != nil {
		r.Status, r.Checks["store"] = "not_ready", "unavailable"
	}
	if s.shuttingDown.Load() {
		r.Status, r.Checks["server"] = "not_ready", "shutting_down"
	}
	status := http.StatusOK
	if r.Status != "ready" {
		status = http.StatusServiceUnavailable
		c.Response().Header().Set("Retry-After", "1")
	}
	return c.JSON(status, r)
}

func (s *Server) getMetrics(c echo.Context) error {
	s.metrics.handler.ServeHTTP(c.Response(), c.Request())
	return nil
}

func (s *Server) getOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", candor.OpenAPI)
}

// The reference page renders /openapi.yaml with Redoc, loaded from its CDN
// at a pinned version; the contract itself is served by this server.
const (
	redocScript = "https://cdn.redoc.ly/redoc/v2.1.5/bundles/redoc.standalone.js"
	docsCSP     = "default-src 'none'; script-src https://cdn.redoc.ly; style-src 'unsafe-inline' https://fonts.googleapis.com; " +
		"font-src https://fonts.gstatic.com; img-src 'self' data: https://cdn.redoc.ly; connect-src 'self'; worker-src blob:; frame-ancestors 'none'"
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
<script src="` + redocScript + `"></script>
</body>
</html>
`
)

func (s *Server) getDocs(c echo.Context) error {
	return c.HTML(http.StatusOK, docsPage)
}
