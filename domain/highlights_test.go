package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"
)

func report(mod func(*IssueHighlightReport)) IssueHighlightReport {
	c := IssueHighlightReport{ActorID: sup, ReportID: "hr-1", From: t0, To: t0.Add(2 * time.Hour), Channel: ChannelEmail, Recipients: []string{cli}}
	if mod != nil {
		mod(&c)
	}
	return c
}

func TestDecideHighlightReportRefusals(t *testing.T) {
	for _, sc := range []scenario{
		{name: "from the client", given: delivery, when: report(func(c *IssueHighlightReport) { c.ActorID = cli }), code: CodeActorWrongParty},
		{name: "in emergence", given: emergence, when: report(nil), code: CodeWrongPhase},
		{name: "no id", given: delivery, when: report(func(c *IssueHighlightReport) { c.ReportID = "" }), code: CodeFieldRequired, field: "report_id"},
		{name: "id taken", given: delivery, when: report(func(c *IssueHighlightReport) { c.ReportID = "ms-1" }), code: CodeDuplicateID},
		{name: "no from", given: delivery, when: report(func(c *IssueHighlightReport) { c.From = time.Time{} }), code: CodeFieldRequired, field: "from"},
		{name: "an empty period", given: delivery, when: report(func(c *IssueHighlightReport) { c.From = c.To }), code: CodeInvalidPeriod, field: "to"},
		{name: "a period not over", given: delivery, when: report(func(c *IssueHighlightReport) { c.To = t0.Add(1000 * time.Hour) }), code: CodeDateInFuture, field: "to"},
		{name: "bad channel", given: delivery, when: report(func(c *IssueHighlightReport) { c.Channel = "fax" }), code: CodeInvalidChannel},
		{name: "nobody", given: delivery, when: report(func(c *IssueHighlightReport) { c.Recipients = nil }), code: CodeFieldRequired, field: "recipients"},
		{name: "no client recipient", given: delivery, when: report(func(c *IssueHighlightReport) { c.Recipients = []string{sup2} }), code: CodeNoClientRecipient},
		{name: "unknown recipient", given: delivery, when: report(func(c *IssueHighlightReport) { c.Recipients = []string{cli, "nobody"} }), code: CodeStakeholderNotFound},
	} {
		t.Run(sc.name, sc.run)
	}
}

// TestDecideHighlightReport: the report and the information that sends it
// are one decision; the event freezes the canonical JSON of the content
// and its SHA-256; the information is about the report and is acknowledged
// as any other; replaying the events gives the same frozen report.
func TestDecideHighlightReport(t *testing.T) {
	g := delivery(t)
	evs, err := Decide(g.state, report(func(c *IssueHighlightReport) { c.To = g.now }), g.now)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("events %v", types(evs))
	}
	hr, ok1 := evs[0].(*HighlightReportIssued)
	inf, ok2 := evs[1].(*ClientInformed)
	if !ok1 || !ok2 {
		t.Fatalf("events %v", types(evs))
	}
	sum := sha256.Sum256([]byte(hr.Content))
	if hr.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("sha256 %s is not the content's", hr.SHA256)
	}
	want, _ := json.Marshal(BuildHighlight(g.state, t0, g.now, g.now))
	if hr.Content != string(want) {
		t.Errorf("content\n got %s\nwant %s", hr.Content, want)
	}
	if inf.InformationID != "information-hr-1" || hr.InformationID != inf.InformationID || len(inf.About) != 1 || inf.About[0] != "hr-1" ||
		inf.Recipients[0] != cli || inf.Channel != ChannelEmail || *inf.Head() != *hr.Head() {
		t.Errorf("information %+v", inf)
	}
	s := g.state
	for _, e := range evs {
		if s, err = Evolve(s, e); err != nil {
			t.Fatal(err)
		}
	}
	x, ok := s.HighlightReport("hr-1")
	if !ok || x.Content != hr.Content || x.SHA256 != hr.SHA256 || x.InformationID != "information-hr-1" || x.IssuedBy != sup {
		t.Fatalf("state %+v", x)
	}
	// Later facts do not change the frozen report.
	g.state = s
	g.do(DiscloseDelay{ActorID: sup, DelayID: "dl-9", MilestoneID: "ms-1", NewDueDate: due.Add(48 * time.Hour), Reason: "late"},
		AcknowledgeInformation{ActorID: cli, InformationID: "information-hr-1"})
	if y, _ := g.state.HighlightReport("hr-1"); y.Content != hr.Content {
		t.Error("the report changed")
	}
	if _, err := Decide(g.state, report(nil), g.now); err == nil {
		t.Error("a second report with the same id")
	}
}

// TestHighlightHealth: the RAG rules, each on the smallest story that
// triggers it, and the period that bounds what counts.
func TestHighlightHealth(t *testing.T) {
	late := DiscloseDelay{ActorID: sup, DelayID: "dl-1", MilestoneID: "ms-1", NewDueDate: due.Add(48 * time.Hour), Reason: "late"}
	cases := []struct {
		name   string
		given  func(testing.TB) *script
		skip   time.Duration // nonzero: the period starts this long before the story's end
		health string
		rules  []string
	}{
		{"nothing to report", delivery, 0, RAGGreen, nil},
		{"a delay disclosed in time", func(t testing.TB) *script { return delivery(t).do(late) }, 0, RAGAmber, []string{"delay"}},
		{"a delay before the period", func(t testing.TB) *script {
			return delivery(t).do(late, RecordLesson{ActorID: sup, LessonID: "l", Text: "x"})
		},
			-time.Hour, RAGGreen, nil},
		{"a delay disclosed after its due date", func(t testing.TB) *script {
			return delivery(t).do(PlanMilestone{ActorID: sup, MilestoneID: "ms-2", Title: "Past", DueDate: t0.Add(time.Hour)},
				DiscloseDelay{ActorID: sup, DelayID: "dl-2", MilestoneID: "ms-2", NewDueDate: due, Reason: "late"})
		}, 0, RAGRed, []string{"late_disclosure"}},
		{"an open exception", withTimeException, 0, RAGRed, []string{"delay", "open_exception"}},
		{"a high risk", func(t testing.TB) *script {
			return delivery(t).do(RaiseRisk{ActorID: sup, RiskID: "rk", Title: "Leave", Probability: 4, Impact: 4, OwnerID: sup, Response: "Pair"})
		}, 0, RAGAmber, []string{"high_risk"}},
		{"a low risk", func(t testing.TB) *script {
			return delivery(t).do(RaiseRisk{ActorID: sup, RiskID: "rk", Title: "Leave", Probability: 2, Impact: 4, OwnerID: sup, Response: "Pair"})
		}, 0, RAGGreen, nil},
		{"a critical issue", func(t testing.TB) *script {
			return delivery(t).do(ReportDifficulty{ActorID: sup, DifficultyID: "df", Description: "API"},
				AssignDifficulty{ActorID: sup, DifficultyID: "df", OwnerID: sup, Severity: SeverityCritical})
		}, 0, RAGAmber, []string{"severe_issue"}},
		{"a late dependency", func(t testing.TB) *script {
			return delivery(t).do(RaiseDependency{ActorID: sup, DependencyID: "dp", Title: "VPN", OwedBy: cli, DueDate: t0.Add(time.Hour)})
		}, 0, RAGAmber, []string{"late_dependency"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.given(t)
			from := t0
			if tc.skip != 0 {
				from = g.now.Add(tc.skip)
			}
			c := BuildHighlight(g.state, from, g.now, g.now)
			var rules []string
			for _, r := range c.Reasons {
				rules = append(rules, r.Rule)
			}
			if c.Health != tc.health || len(rules) != len(tc.rules) {
				t.Fatalf("health %s %v, want %s %v", c.Health, rules, tc.health, tc.rules)
			}
			for i := range rules {
				if rules[i] != tc.rules[i] {
					t.Fatalf("rules %v, want %v", rules, tc.rules)
				}
			}
		})
	}
}
