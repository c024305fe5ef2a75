package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// The highlight report (PRINCE2's): the supplier side builds, from the
// engagement's state as folded when the command is decided, a report for a
// period [from, to) of recorded time, freezes it and sends it to chosen
// stakeholders in the same decision. The content is written once, as
// canonical JSON (encoding/json of HighlightContent: fields in the order
// of the type, no insignificant whitespace, times in RFC 3339 UTC), and
// the event carries those bytes and their SHA-256: "the client was told"
// then points at a fixed document, which no later event changes (a new
// report is a new id).
//
// RAG health, the worst of its reasons:
//   - red: a delay disclosed in the period after the due date it moved
//     (late_disclosure), or an exception open at the report's time
//     (open_exception);
//   - amber: a delay disclosed in the period in time (delay), an open risk
//     scored 15 or more (high_risk), an open difficulty of severity high or
//     critical (severe_issue), a dependency late at the report's time
//     (late_dependency), an indicator whose latest measurement is off
//     target (off_target);
//   - green: none of these.

// TypeHighlightReportIssued is the wire name of the report's event.
const TypeHighlightReportIssued = "highlight_report.issued"

// RAG health values.
const (
	RAGRed   = "red"
	RAGAmber = "amber"
	RAGGreen = "green"
)

// highRiskScore is the score from which an open risk makes the report amber.
const highRiskScore = 15

// IssueHighlightReport builds, freezes and sends a highlight report.
type IssueHighlightReport struct {
	ActorID    string    `json:"-"`
	ReportID   string    `json:"report_id"`
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	Channel    Channel   `json:"channel"`
	Recipients []string  `json:"recipients"`
}

func (c IssueHighlightReport) Actor() string { return c.ActorID }

// HighlightReportIssued: the frozen report. Content is its canonical JSON
// (as a string, so that no codec re-encodes it), SHA256 the hex digest of
// exactly those bytes; the client.informed of the
// same decision (InformationID) sent it.
type HighlightReportIssued struct {
	Header
	ReportID      string    `json:"report_id"`
	InformationID string    `json:"information_id"`
	From          time.Time `json:"from"`
	To            time.Time `json:"to"`
	Health        string    `json:"health"`
	SHA256        string    `json:"sha256"`
	Content       string    `json:"content"`
}

func (HighlightReportIssued) EventType() string { return TypeHighlightReportIssued }

// HighlightReport is an issued report, as the state keeps it.
type HighlightReport struct {
	ID            string    `json:"id"`
	From          time.Time `json:"from"`
	To            time.Time `json:"to"`
	Health        string    `json:"health"`
	SHA256        string    `json:"sha256"`
	InformationID string    `json:"information_id"`
	IssuedBy      string    `json:"issued_by"`
	IssuedAt      time.Time `json:"issued_at"`
	Content       string    `json:"content"`
}

// HighlightReport returns an issued report by id.
func (s *Engagement) HighlightReport(id string) (*HighlightReport, bool) {
	return lookup(s.highlightReports, id)
}

// ---- content -----------------------------------------------------------------

// HighlightContent is what a report says. Its JSON is frozen in the event.
type HighlightContent struct {
	EngagementID string        `json:"engagement_id"`
	Title        string        `json:"title"`
	Phase        Phase         `json:"phase"`
	Revision     int           `json:"revision"` // events folded when built
	AsOf         time.Time     `json:"as_of"`
	From         time.Time     `json:"from"`
	To           time.Time     `json:"to"`
	Health       string        `json:"health"`
	Reasons      []RAGReason   `json:"reasons"`
	Milestones   []HLMilestone `json:"milestones"`
	Delays       []HLDelay     `json:"delays"`
	Risks        []HLRisk      `json:"risks"`
	Issues       []HLIssue     `json:"issues"`
	Dependencies []HLDep       `json:"dependencies"`
	Changes      []HLChange    `json:"changes"`
	Decisions    []HLDecision  `json:"decisions"`
	Exceptions   []HLException `json:"exceptions"`
	Indicators   []HLIndicator `json:"indicators"`
}

// RAGReason is one fact that set the health: its rule, the colour that rule
// gives, and the fact's id.
type RAGReason struct {
	Rule string `json:"rule"`
	RAG  string `json:"rag"`
	ID   string `json:"id"`
}

// HLMilestone: every milestone, with its slip in days.
type HLMilestone struct {
	ID              string    `json:"id"`
	Title           string    `json:"title"`
	DueDate         time.Time `json:"due_date"`
	OriginalDueDate time.Time `json:"original_due_date"`
	SlipDays        float64   `json:"slip_days"`
}

// HLDelay: a delay disclosed in the period.
type HLDelay struct {
	ID              string    `json:"id"`
	MilestoneID     string    `json:"milestone_id"`
	PreviousDueDate time.Time `json:"previous_due_date"`
	NewDueDate      time.Time `json:"new_due_date"`
	DisclosedAt     time.Time `json:"disclosed_at"`
	LeadTimeDays    float64   `json:"lead_time_days"`
	Reason          string    `json:"reason"`
}

// HLRisk: a risk open at the report's time.
type HLRisk struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Score  int64  `json:"score"`
	Status Status `json:"status"`
}

// HLIssue: a difficulty open at the report's time.
type HLIssue struct {
	ID          string   `json:"id"`
	Description string   `json:"description"`
	Severity    Severity `json:"severity,omitempty"`
}

// HLDep: a dependency open at the report's time.
type HLDep struct {
	ID      string    `json:"id"`
	Title   string    `json:"title"`
	OwedBy  Party     `json:"owed_by_party"`
	DueDate time.Time `json:"due_date"`
	Late    bool      `json:"late"`
}

// HLChange: a change request open, or requested or resolved in the period.
type HLChange struct {
	ID                 string `json:"id"`
	Description        string `json:"description"`
	Status             Status `json:"status"`
	ScheduleImpactDays int64  `json:"schedule_impact_days,omitempty"`
	CostImpact         int64  `json:"cost_impact,omitempty"`
	Currency           string `json:"currency,omitempty"`
}

// HLDecision: a decision recorded in the period.
type HLDecision struct {
	ID                 string   `json:"id"`
	Title              string   `json:"title"`
	Chosen             string   `json:"chosen"`
	ClientParticipants []string `json:"client_participants"`
}

// HLException: an exception open, or raised or decided in the period.
type HLException struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Status Status `json:"status"`
	Chosen string `json:"chosen,omitempty"`
}

// HLIndicator: every success indicator, with its latest measurement.
type HLIndicator struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Target    float64   `json:"target"`
	Direction Direction `json:"direction"`
	Measured  bool      `json:"measured"`
	Latest    float64   `json:"latest"`
	OnTarget  bool      `json:"on_target"`
}

// BuildHighlight builds the content of a report for [from, to) from s, at
// now. It reads s and nothing else.
func BuildHighlight(s *Engagement, from, to, now time.Time) HighlightContent {
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	c := HighlightContent{EngagementID: s.ID, Title: s.Title, Phase: s.Phase, Revision: s.Version, AsOf: now, From: from, To: to,
		Reasons: []RAGReason{}, Milestones: []HLMilestone{}, Delays: []HLDelay{}, Risks: []HLRisk{}, Issues: []HLIssue{},
		Dependencies: []HLDep{}, Changes: []HLChange{}, Decisions: []HLDecision{}, Exceptions: []HLException{}, Indicators: []HLIndicator{}}
	reason := func(rule, rag, id string) { c.Reasons = append(c.Reasons, RAGReason{Rule: rule, RAG: rag, ID: id}) }
	for _, m := range s.Milestones {
		c.Milestones = append(c.Milestones, HLMilestone{ID: m.ID, Title: m.Title, DueDate: m.DueDate, OriginalDueDate: m.OriginalDueDate,
			SlipDays: days(m.DueDate.Sub(m.OriginalDueDate))})
	}
	for _, d := range s.Delays {
		if !in(d.DisclosedAt) {
			continue
		}
		c.Delays = append(c.Delays, HLDelay{ID: d.ID, MilestoneID: d.MilestoneID, PreviousDueDate: d.PreviousDueDate, NewDueDate: d.NewDueDate,
			DisclosedAt: d.DisclosedAt, LeadTimeDays: days(d.LeadTime()), Reason: d.Reason})
		if d.LeadTime() < 0 {
			reason("late_disclosure", RAGRed, d.ID)
		} else {
			reason("delay", RAGAmber, d.ID)
		}
	}
	for _, x := range s.Exceptions {
		if x.Status == StatusOpen || in(x.RaisedAt) || in(x.DecidedAt) {
			c.Exceptions = append(c.Exceptions, HLException{ID: x.ID, Kind: x.Kind, Status: x.Status, Chosen: x.Chosen})
		}
		if x.Status == StatusOpen {
			reason("open_exception", RAGRed, x.ID)
		}
	}
	for _, r := range s.Risks {
		if !r.Open() {
			continue
		}
		c.Risks = append(c.Risks, HLRisk{ID: r.ID, Title: r.Title, Score: r.Score, Status: r.Status})
		if r.Score >= highRiskScore {
			reason("high_risk", RAGAmber, r.ID)
		}
	}
	for _, d := range s.Difficulties {
		if d.Status == StatusResolved {
			continue
		}
		c.Issues = append(c.Issues, HLIssue{ID: d.ID, Description: d.Description, Severity: d.Severity})
		if d.Severity == SeverityHigh || d.Severity == SeverityCritical {
			reason("severe_issue", RAGAmber, d.ID)
		}
	}
	for _, d := range s.Dependencies {
		if d.Status != StatusOpen {
			continue
		}
		late := d.LateAt(now)
		c.Dependencies = append(c.Dependencies, HLDep{ID: d.ID, Title: d.Title, OwedBy: d.OwedByParty, DueDate: d.DueDate, Late: late})
		if late {
			reason("late_dependency", RAGAmber, d.ID)
		}
	}
	for _, x := range s.Changes {
		if x.Status != StatusOpen && !in(x.RequestedAt) && !in(x.ResolvedAt) {
			continue
		}
		h := HLChange{ID: x.ID, Description: x.Description, Status: x.Status}
		if x.Impact != nil {
			h.ScheduleImpactDays, h.CostImpact, h.Currency = x.Impact.ScheduleImpactDays, x.Impact.CostImpact, x.Impact.Currency
		}
		c.Changes = append(c.Changes, h)
	}
	for _, x := range s.Decisions {
		if in(x.DecidedAt) {
			c.Decisions = append(c.Decisions, HLDecision{ID: x.ID, Title: x.Title, Chosen: x.Chosen, ClientParticipants: list(x.ClientParticipants)})
		}
	}
	for _, x := range s.Indicators {
		h := HLIndicator{ID: x.ID, Name: x.Name, Target: x.Target, Direction: x.Direction}
		if n := len(x.Measurements); n > 0 {
			h.Measured, h.Latest = true, x.Measurements[n-1].Value
			h.OnTarget = x.OnTarget(h.Latest)
			if !h.OnTarget {
				reason("off_target", RAGAmber, x.ID)
			}
		}
		c.Indicators = append(c.Indicators, h)
	}
	c.Health = RAGGreen
	for _, r := range c.Reasons {
		if r.RAG == RAGRed || c.Health == RAGGreen {
			c.Health = r.RAG
		}
		if c.Health == RAGRed {
			break
		}
	}
	return c
}

// ---- rule --------------------------------------------------------------------

func (d *decider) issueHighlightReport(c IssueHighlightReport) ([]Event, error) {
	if err := d.allow("issuing a highlight report", supplierSide, working); err != nil {
		return nil, err
	}
	if err := d.newID("report_id", c.ReportID); err != nil {
		return nil, err
	}
	from, to := c.From.UTC(), c.To.UTC()
	for _, f := range []struct {
		name string
		t    time.Time
	}{{"from", from}, {"to", to}} {
		if f.t.IsZero() {
			return nil, invalid(CodeFieldRequired, f.name, "%s is required", f.name)
		}
		if !validTime(f.t) {
			return nil, invalid(CodeInvalidDate, f.name, "%s is out of range", f.name)
		}
	}
	if !from.Before(to) {
		return nil, invalid(CodeInvalidPeriod, "to", "the period ends (to) after it starts (from)")
	}
	if to.After(d.now) {
		return nil, invalid(CodeDateInFuture, "to", "to is in the future: a report tells what is known")
	}
	if !c.Channel.Valid() {
		return nil, invalid(CodeInvalidChannel, "channel", "%q is not a channel", c.Channel)
	}
	rs, err := d.currentStakeholders("recipients", c.Recipients)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(rs, isClient) {
		return nil, invalid(CodeNoClientRecipient, "recipients", "a highlight report goes to at least one client-side recipient")
	}
	content := BuildHighlight(d.s, from, to, d.now)
	raw, err := json.Marshal(content)
	if err != nil {
		return nil, fmt.Errorf("domain: highlight report: %w", err)
	}
	sum := sha256.Sum256(raw)
	info := d.derivedID("information-", c.ReportID)
	h := d.h()
	return []Event{
		&HighlightReportIssued{Header: h, ReportID: c.ReportID, InformationID: info, From: from, To: to, Health: content.Health,
			SHA256: hex.EncodeToString(sum[:]), Content: string(raw)},
		&ClientInformed{Header: h, InformationID: info, Channel: c.Channel, Recipients: slices.Clone(c.Recipients), About: []string{c.ReportID},
			Subject: fmt.Sprintf("Highlight report %s to %s: %s", from.Format(time.DateOnly), to.Format(time.DateOnly), content.Health),
			Summary: fmt.Sprintf("%d delays, %d open risks, %d open issues, %d changes, %d decisions; SHA-256 %s",
				len(content.Delays), len(content.Risks), len(content.Issues), len(content.Changes), len(content.Decisions), hex.EncodeToString(sum[:]))},
	}, nil
}

// derivedID derives an id from another with a prefix, as exceptionID does,
// so that deciding the same command again yields the same events.
func (d *decider) derivedID(prefix, from string) string {
	id := prefix + from
	if len(id) > maxIDLen || d.s.ids[id] != "" {
		sum := sha256.Sum256([]byte(from))
		id = prefix + hex.EncodeToString(sum[:12])
	}
	return id
}

// ---- applier -----------------------------------------------------------------

func applyHighlightReportIssued(s *Engagement, e *HighlightReportIssued, h *Header) error {
	if err := s.fresh(e.ReportID); err != nil {
		return err
	}
	x := &HighlightReport{ID: e.ReportID, From: e.From, To: e.To, Health: e.Health, SHA256: e.SHA256, InformationID: e.InformationID,
		IssuedBy: h.ActorID, IssuedAt: h.At, Content: e.Content}
	s.HighlightReports = append(s.HighlightReports, x)
	s.highlightReports[x.ID] = x
	s.created(x.ID, "highlight_report", h.Occurred())
	return nil
}
