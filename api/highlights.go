package api

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/domain"
)

// HighlightReportOut is an issued report as served: Content is the frozen
// canonical JSON, written out byte for byte.
type HighlightReportOut struct {
	ID            string          `json:"id"`
	From          time.Time       `json:"from"`
	To            time.Time       `json:"to"`
	Health        string          `json:"health"`
	SHA256        string          `json:"sha256"`
	InformationID string          `json:"information_id"`
	IssuedBy      string          `json:"issued_by"`
	IssuedAt      time.Time       `json:"issued_at"`
	Content       json.RawMessage `json:"content"`
}

// The printable page: html/template escapes every value; its only style is
// highlightCSS, which the page's CSP allows by its hash, so the API's
// default-src 'none' still blocks anything else (no script, no inline style
// attribute, nothing fetched).
var (
	//go:embed highlight.css
	highlightCSS  string
	highlightCSP  = "default-src 'none'; style-src 'sha256-" + cssHash(highlightCSS) + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	highlightPage = template.Must(template.New("report").Funcs(template.FuncMap{"css": func() template.CSS { return template.CSS(highlightCSS) }}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Highlight report: {{.C.Title}}</title>
<style>{{css}}</style>
</head>
<body>
<h1>Highlight report: {{.C.Title}}</h1>
<p class="meta">Period {{.C.From.Format "2006-01-02 15:04 MST"}} to {{.C.To.Format "2006-01-02 15:04 MST"}}; phase {{.C.Phase}}; built {{.C.AsOf.Format "2006-01-02 15:04 MST"}} from {{.C.Revision}} events; issued by {{.R.IssuedBy}}.</p>
<p class="health {{.C.Health}}">Health: {{.C.Health}}</p>
{{if .C.Reasons}}<ul>{{range .C.Reasons}}<li>{{.RAG}}: {{.Rule}} ({{.ID}})</li>{{end}}</ul>{{end}}
<h2>Milestones</h2>
{{if .C.Milestones}}<table><tr><th>Milestone</th><th>Due</th><th>Originally</th><th>Slip (days)</th></tr>{{range .C.Milestones}}<tr><td>{{.Title}}</td><td>{{.DueDate.Format "2006-01-02"}}</td><td>{{.OriginalDueDate.Format "2006-01-02"}}</td><td>{{printf "%.1f" .SlipDays}}</td></tr>{{end}}</table>{{else}}<p>None.</p>{{end}}
<h2>Delays disclosed in the period</h2>
{{if .C.Delays}}<table><tr><th>Delay</th><th>Moved</th><th>To</th><th>Lead time (days)</th><th>Reason</th></tr>{{range .C.Delays}}<tr><td>{{.ID}}</td><td>{{.PreviousDueDate.Format "2006-01-02"}}</td><td>{{.NewDueDate.Format "2006-01-02"}}</td><td>{{printf "%.1f" .LeadTimeDays}}</td><td>{{.Reason}}</td></tr>{{end}}</table>{{else}}<p>None.</p>{{end}}
<h2>Open risks</h2>
{{if .C.Risks}}<ul>{{range .C.Risks}}<li>{{.Title}}: score {{.Score}}, {{.Status}}</li>{{end}}</ul>{{else}}<p>None.</p>{{end}}
<h2>Open issues</h2>
{{if .C.Issues}}<ul>{{range .C.Issues}}<li>{{.Description}}{{if .Severity}} ({{.Severity}}){{end}}</li>{{end}}</ul>{{else}}<p>None.</p>{{end}}
<h2>Dependencies</h2>
{{if .C.Dependencies}}<ul>{{range .C.Dependencies}}<li>{{.Title}}, owed by the {{.OwedBy}} side, due {{.DueDate.Format "2006-01-02"}}{{if .Late}}: late{{end}}</li>{{end}}</ul>{{else}}<p>None.</p>{{end}}
<h2>Changes</h2>
{{if .C.Changes}}<ul>{{range .C.Changes}}<li>{{.Description}}: {{.Status}}{{if .Currency}}, {{.ScheduleImpactDays}} days, {{.CostImpact}} {{.Currency}} (minor units){{end}}</li>{{end}}</ul>{{else}}<p>None.</p>{{end}}
<h2>Decisions</h2>
{{if .C.Decisions}}<ul>{{range .C.Decisions}}<li>{{.Title}}: {{.Chosen}}{{if not .ClientParticipants}} (no client participant){{end}}</li>{{end}}</ul>{{else}}<p>None.</p>{{end}}
<h2>Exceptions</h2>
{{if .C.Exceptions}}<ul>{{range .C.Exceptions}}<li>{{.Kind}} exception {{.ID}}: {{.Status}}{{if .Chosen}}, {{.Chosen}}{{end}}</li>{{end}}</ul>{{else}}<p>None.</p>{{end}}
<h2>Success indicators</h2>
{{if .C.Indicators}}<ul>{{range .C.Indicators}}<li>{{.Name}}: {{if .Measured}}{{.Latest}} against {{.Target}}{{if .OnTarget}}, on target{{else}}, off target{{end}}{{else}}not measured{{end}}</li>{{end}}</ul>{{else}}<p>None.</p>{{end}}
<p class="meta">SHA-256 of the frozen content: <code>{{.R.SHA256}}</code></p>
</body>
</html>
`))
)

func cssHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// getHighlightReport serves a report as JSON, or as the printable page
// when the caller asks for text/html.
func (s *Server) getHighlightReport(c echo.Context) error {
	st, _, err := s.loadVisible(c)
	if err != nil {
		return err
	}
	x, ok := st.HighlightReport(c.Param("report_id"))
	if x, err = found(x, ok, CodeNotFound, "highlight report"); err != nil {
		return err
	}
	if !wantsHTML(c.Request().Header.Get(echo.HeaderAccept)) {
		return c.JSON(http.StatusOK, HighlightReportOut{ID: x.ID, From: x.From, To: x.To, Health: x.Health, SHA256: x.SHA256,
			InformationID: x.InformationID, IssuedBy: x.IssuedBy, IssuedAt: x.IssuedAt, Content: json.RawMessage(x.Content)})
	}
	var content domain.HighlightContent
	if err := json.Unmarshal([]byte(x.Content), &content); err != nil {
		return err
	}
	var b bytes.Buffer
	if err := highlightPage.Execute(&b, struct {
		C domain.HighlightContent
		R *domain.HighlightReport
	}{content, x}); err != nil {
		return err
	}
	c.Response().Header().Set("Content-Security-Policy", highlightCSP)
	return c.HTMLBlob(http.StatusOK, b.Bytes())
}

// wantsHTML: the caller named text/html, before any JSON type.
func wantsHTML(accept string) bool {
	h, j := strings.Index(accept, "text/html"), strings.Index(accept, "json")
	return h >= 0 && (j < 0 || h < j)
}
