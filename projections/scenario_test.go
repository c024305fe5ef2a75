package projections

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
)

// t0 is the first day of the scenarios; day(n) is n days later.
var t0 = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

func day(n float64) time.Time { return t0.Add(time.Duration(n * 24 * float64(time.Hour))) }

// scenario drives the real ledger (Decide, hash chain, metadata) against a
// store, with a clock the test moves.
type scenario struct {
	t     testing.TB
	store eventstore.Store
	led   *ledger.Ledger
	mu    sync.Mutex
	now   time.Time
	last  eventstore.Position
}

func newScenario(t testing.TB, store eventstore.Store) *scenario {
	s := &scenario{t: t, store: store, now: t0}
	if fs, ok := store.(*fakeStore); ok {
		fs.now = s.clock
	}
	s.led = ledger.New(store, ledger.Options{Now: s.clock})
	return s
}

func (s *scenario) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

func (s *scenario) at(d float64) *scenario {
	s.mu.Lock()
	s.now = day(d)
	s.mu.Unlock()
	return s
}

// do executes cmd on engagement eng and fails the test if it is refused.
func (s *scenario) do(eng string, cmd domain.Command) ledger.Result {
	s.t.Helper()
	_, create := cmd.(domain.OpenEngagement)
	res, err := s.led.Execute(context.Background(), ledger.Request{
		EngagementID: eng, Create: create, CorrelationID: "corr-" + eng,
		Command: func(*domain.Engagement) (domain.Command, error) { return cmd, nil },
	})
	if err != nil {
		s.t.Fatalf("%T on %s: %v", cmd, eng, err)
	}
	s.last = res.Position
	return res
}

// Stakeholders of the main scenario.
const (
	alice = "sup-alice" // supplier lead, opener
	bob   = "cli-bob"   // client sponsor, there from the start
	carol = "cli-carol" // client, joins late, never briefed
	dave  = "sup-dave"  // supplier, joins late, briefed
)

// mainScenario is a realistic engagement, every fact dated; the comments give
// the hand-computed figures the tests check.
func (s *scenario) mainScenario(eng string) {
	s.at(0).do(eng, domain.OpenEngagement{ActorID: alice, EngagementID: eng, Title: "Data platform", ClientName: "Acme", SupplierName: "Candor Consulting",
		Opener: domain.NewStakeholder{StakeholderID: alice, Party: domain.PartySupplier, Name: "Alice", Role: "lead"}})
	s.at(0.1).do(eng, domain.AddStakeholder{ActorID: alice, NewStakeholder: domain.NewStakeholder{StakeholderID: bob, Party: domain.PartyClient, Name: "Bob", Role: "sponsor"}})
	s.at(1).do(eng, domain.JoinDiscussion{ActorID: bob, Note: "we want a team"})
	s.at(2).do(eng, domain.AdvancePhase{ActorID: alice, To: domain.PhaseScoping})
	s.at(3).do(eng, domain.HoldWorkshop{ActorID: alice, WorkshopID: "ws-1", Participants: []string{alice, bob}, Notes: "indicators co-defined"})
	s.at(3).do(eng, domain.DefineIndicator{ActorID: bob, IndicatorID: "ind-1", WorkshopID: "ws-1", Name: "Uptime", Unit: "%", Target: 99, Direction: domain.AtLeast})
	s.at(3).do(eng, domain.DefineIndicator{ActorID: bob, IndicatorID: "ind-2", WorkshopID: "ws-1", Name: "Lead time", Unit: "days", Target: 2, Direction: domain.AtMost})
	s.at(3).do(eng, domain.DefineIndicator{ActorID: bob, IndicatorID: "ind-3", WorkshopID: "ws-1", Name: "NPS", Target: 40, Direction: domain.AtLeast})
	s.at(4).do(eng, domain.SignAgreement{ActorID: bob, AgreementID: "agr-1", Reference: "PO-1", Signatories: []string{alice, bob}})
	s.at(4).do(eng, domain.PlanMilestone{ActorID: alice, MilestoneID: "m-1", Title: "MVP", DueDate: day(30)})
	s.at(4).do(eng, domain.PlanMilestone{ActorID: alice, MilestoneID: "m-2", Title: "Go live", DueDate: day(50)})
	s.at(5).do(eng, domain.AdvancePhase{ActorID: alice, To: domain.PhaseDelivery})
	// Late joiners: Carol (client) is never briefed, Dave (supplier) is.
	s.at(6).do(eng, domain.AddStakeholder{ActorID: alice, NewStakeholder: domain.NewStakeholder{StakeholderID: carol, Party: domain.PartyClient, Name: "Carol"}})
	s.at(6).do(eng, domain.AddStakeholder{ActorID: alice, NewStakeholder: domain.NewStakeholder{StakeholderID: dave, Party: domain.PartySupplier, Name: "Dave"}})
	s.at(7).do(eng, domain.BriefStakeholder{ActorID: alice, StakeholderID: dave, Summary: "context so far"})
	s.at(8).do(eng, domain.RaiseRequirement{ActorID: bob, RequirementID: "req-1", Title: "Export to CSV"})
	s.at(8).do(eng, domain.RaiseRequirement{ActorID: bob, RequirementID: "req-2", Title: "SSO"})
	s.at(9).do(eng, domain.AskQuestion{ActorID: alice, QuestionID: "q-1", RequirementID: "req-1", Text: "Which separator?"})
	s.at(10).do(eng, domain.ClarifyRequirement{ActorID: bob, RequirementID: "req-1", QuestionID: "q-1", Clarification: "Semicolon"})
	s.at(12).do(eng, domain.AskQuestion{ActorID: dave, QuestionID: "q-2", RequirementID: "req-2", Text: "Which IdP?"})               // open: 48 days at day 60
	s.at(13).do(eng, domain.MakeAssumption{ActorID: alice, AssumptionID: "as-1", RequirementID: "req-2", Statement: "SAML is fine"}) // open: 47 days
	s.at(14).do(eng, domain.MakeAssumption{ActorID: alice, AssumptionID: "as-2", Statement: "French UI only"})
	s.at(15).do(eng, domain.ValidateAssumption{ActorID: bob, AssumptionID: "as-2"})
	s.at(15).do(eng, domain.RequestChange{ActorID: bob, ChangeID: "ch-1", RequirementID: "req-1", Description: "Also Excel"})
	s.at(16).do(eng, domain.ApproveChange{ActorID: carol, ChangeID: "ch-1"})
	s.at(16).do(eng, domain.RequestChange{ActorID: alice, ChangeID: "ch-2", Description: "Move hosting"}) // open, not tied to a requirement
	s.at(17).do(eng, domain.ProposeFeature{ActorID: alice, FeatureID: "f-1", Title: "Dark mode"})
	s.at(17).do(eng, domain.ProposeFeature{ActorID: alice, FeatureID: "f-2", Title: "Audit log"})
	s.at(17).do(eng, domain.ProposeFeature{ActorID: alice, FeatureID: "f-3", Title: "Chatbot"})
	s.at(18).do(eng, domain.AcceptFeature{ActorID: bob, FeatureID: "f-1"})
	s.at(18).do(eng, domain.DeclineFeature{ActorID: bob, FeatureID: "f-3"})
	// Delay 1: disclosed at day 20 for a due date at day 30: lead +10 days.
	s.at(20).do(eng, domain.DiscloseDelay{ActorID: alice, DelayID: "d-1", MilestoneID: "m-1", NewDueDate: day(40), Reason: "data late"})
	s.at(21).do(eng, domain.InformClient{ActorID: alice, InformationID: "info-1", Subject: "MVP moves", Channel: domain.ChannelMeeting,
		Recipients: []string{bob, carol}, About: []string{"d-1"}})
	s.at(22).do(eng, domain.AcknowledgeInformation{ActorID: bob, InformationID: "info-1"}) // Carol never acknowledges
	s.at(23).do(eng, domain.MakeDecision{ActorID: alice, DecisionID: "dec-1", Title: "Database", Kind: domain.DecisionTechnical,
		Options: []string{"Postgres", "Mongo"}, Chosen: "Postgres", Participants: []string{alice, bob}})
	s.at(24).do(eng, domain.MakeDecision{ActorID: alice, DecisionID: "dec-2", Title: "Hosting", Kind: domain.DecisionStrategic,
		Options: []string{"Cloud", "On premise"}, Chosen: "Cloud", Participants: []string{alice, dave}}) // without the client
	s.at(30).do(eng, domain.MeasureIndicator{ActorID: bob, MeasurementID: "me-1", IndicatorID: "ind-1", Value: 97, MeasuredAt: day(29)})
	s.at(31).do(eng, domain.MeasureIndicator{ActorID: bob, MeasurementID: "me-2", IndicatorID: "ind-1", Value: 99.5, MeasuredAt: day(31)}) // on target
	s.at(31).do(eng, domain.MeasureIndicator{ActorID: bob, MeasurementID: "me-3", IndicatorID: "ind-2", Value: 5, MeasuredAt: day(31)})    // off target
	// Delay 2: disclosed at day 45 for a due date (after delay 1) at day 40: lead -5 days.
	s.at(45).do(eng, domain.DiscloseDelay{ActorID: alice, DelayID: "d-2", MilestoneID: "m-1", NewDueDate: day(55), Reason: "tests failed"})
	// Delay 3: disclosed at day 46 for m-2 due at day 50: lead +4 days.
	s.at(46).do(eng, domain.DiscloseDelay{ActorID: alice, DelayID: "d-3", MilestoneID: "m-2", NewDueDate: day(60), Reason: "knock-on"})
	s.at(50).do(eng, domain.InformClient{ActorID: dave, InformationID: "info-2", Subject: "Weekly", Channel: domain.ChannelEmail,
		Recipients: []string{bob, dave}}) // last client information: 10 days before day 60; Bob never acknowledges it
	s.at(52).do(eng, domain.MakeDelivery{ActorID: alice, DeliveryID: "del-1", Title: "MVP", MilestoneID: "m-1",
		RequirementIDs: []string{"req-1"}, FeatureIDs: []string{"f-1", "f-2"}}) // f-2 delivered, never accepted
}

// openEngine opens an engine on a fresh database in a temp dir.
func openEngine(t testing.TB, store eventstore.Store, opts Options) (*Engine, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "readmodels.db")
	e, err := Open(context.Background(), path, store, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e, path
}

// running starts e.Run and stops it at the end of the test.
func running(t testing.TB, e *Engine) {
	t.Helper()
	stop := runEngine(e)
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// runEngine runs e until stop, which returns what Run returned.
func runEngine(e *Engine) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	return func() error {
		cancel()
		return <-done
	}
}

func waitFor(t testing.TB, e *Engine, pos eventstore.Position) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.WaitFor(ctx, pos); err != nil {
		t.Fatal(err)
	}
}

// dump renders every serving read model (rows in key order) and the
// checkpoints, to compare two engines or one engine before and after.
func dump(t testing.TB, e *Engine) string {
	t.Helper()
	var b strings.Builder
	e.mu.RLock()
	names := make([]string, 0, len(e.live))
	for n := range e.live {
		names = append(names, n)
	}
	e.mu.RUnlock()
	sort.Strings(names)
	for _, n := range names {
		tbl, release, err := e.acquire(n)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := e.db.Query(fmt.Sprintf(`SELECT eng, kind, id, seq, tag, data FROM %s ORDER BY eng, kind, id`, tbl))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "== %s\n", n)
		for rows.Next() {
			var eng, kind, id, tag string
			var seq int64
			var data []byte
			if err := rows.Scan(&eng, &kind, &id, &seq, &tag, &data); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s|%s|%s|%d|%s|%s\n", eng, kind, id, seq, tag, data)
		}
		rows.Close()
		release()
	}
	return b.String()
}

// checkpoints returns the checkpoint of every serving projection.
func checkpoints(e *Engine) map[string]eventstore.Position {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := map[string]eventstore.Position{}
	for n, in := range e.live {
		out[n] = in.checkpoint()
	}
	return out
}

// ledgerOpen is the request that opens a small engagement id.
func ledgerOpen(id string) ledger.Request {
	return ledger.Request{EngagementID: id, Create: true, Command: func(*domain.Engagement) (domain.Command, error) {
		return domain.OpenEngagement{ActorID: alice, EngagementID: id, Title: id, ClientName: "C", SupplierName: "S",
			Opener: domain.NewStakeholder{StakeholderID: alice, Party: domain.PartySupplier, Name: "Alice"}}, nil
	}}
}
