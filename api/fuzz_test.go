package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/candor-ledger/candor/api"
	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/keystore"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/personal"
)

// FuzzWriteRequest sends an arbitrary body, under an arbitrary
// Content-Type, to one write operation of the contract (every operation
// that takes a request body), through the whole server in process: the
// middleware chain, kin-openapi validation, decodeBody, the mapping onto
// the domain command, the ledger and domain.Decide. op names the operation
// by operationId; a name that is none of them still picks one, so that
// mutating it is never wasted.
//
// Whatever the input: no panic and no 5xx; the status is one the contract
// declares for the operation; a refusal is problem+json with a 4xx status
// and a known stable code, and stored nothing; an acceptance stored events
// and answered with exactly those.
//
// Each operation writes to a fixture engagement in the phase its valid
// seed needs; the fixture is built once per process in a SQLite store, and
// what a request writes goes to a scratch layer that is dropped after it,
// so that every input meets the same state (see fuzzStore).
func FuzzWriteRequest(f *testing.F) {
	fx := newFuzzFixture(f)
	f.Fuzz(func(t *testing.T, op, contentType string, body []byte) {
		fx.exec(t, op, contentType, body)
	})
}

// TestWriteFuzzSeeds keeps the committed corpus useful: every write
// operation has a valid-<operationId> seed that the fixture accepts, and
// accepts again after the scratch layer is dropped (the reset works).
func TestWriteFuzzSeeds(t *testing.T) {
	fx := newFuzzFixture(t)
	seeds := readFuzzCorpus(t, filepath.Join("testdata", "fuzz", "FuzzWriteRequest"))
	for _, op := range fx.ops {
		seed, ok := seeds["valid-"+op.id]
		if !ok {
			t.Errorf("%s: no seed valid-%s in the corpus", op.id, op.id)
			continue
		}
		if seed.op != op.id {
			t.Errorf("valid-%s names operation %q", op.id, seed.op)
			continue
		}
		for i := range 2 {
			res := fx.send(op, seed.contentType, seed.body)
			if res.status/100 != 2 || len(res.stored) == 0 {
				t.Errorf("%s, try %d: status %d, %d events stored, want a 2xx that stores: %s",
					op.id, i+1, res.status, len(res.stored), res.body)
			}
			fx.check(t, op, res)
		}
	}
}

// fuzzPhases are the fixture engagements, one per phase a valid seed needs.
var fuzzPhases = []string{"emergence", "scoping", "delivery", "acceptance"}

// fuzzWrites says, per write operation, who sends it and to which fixture
// engagement (by phase). A new write operation of the contract must be
// listed here, with a valid-<operationId> seed in the corpus.
var fuzzWrites = map[string]struct{ phase, caller string }{
	"createPrincipal": {"", "admin"},
	"issueToken":      {"", "admin"},
	"eraseSubject":    {"", "admin"},
	"openEngagement":  {"", "supplier"},

	"advancePhase":           {"emergence", "supplier"},
	"recordLesson":           {"emergence", "supplier"},
	"joinParty":              {"emergence", "supplier"},
	"definePerimeter":        {"emergence", "supplier"},
	"addStakeholder":         {"emergence", "supplier"},
	"inviteExpert":           {"emergence", "supplier"},
	"commitExpert":           {"emergence", "supplier"},
	"withdrawExpert":         {"emergence", "supplier"},
	"joinDiscussion":         {"emergence", "client"},
	"signAgreement":          {"emergence", "supplier"},
	"informClient":           {"emergence", "supplier"},
	"acknowledgeInformation": {"emergence", "client"},
	"makeDecision":           {"emergence", "supplier"},

	"briefStakeholder":   {"scoping", "supplier"},
	"removeStakeholder":  {"scoping", "supplier"},
	"holdWorkshop":       {"scoping", "supplier"},
	"defineIndicator":    {"scoping", "client"},
	"measureIndicator":   {"scoping", "client"},
	"raiseRequirement":   {"scoping", "client"},
	"askQuestion":        {"scoping", "supplier"},
	"clarifyRequirement": {"scoping", "client"},
	"makeAssumption":     {"scoping", "supplier"},
	"validateAssumption": {"scoping", "client"},
	"rejectAssumption":   {"scoping", "client"},
	"requestChange":      {"scoping", "client"},
	"approveChange":      {"scoping", "client"},
	"rejectChange":       {"scoping", "client"},
	"proposeFeature":     {"scoping", "supplier"},
	"acceptFeature":      {"scoping", "client"},
	"declineFeature":     {"scoping", "client"},
	"planMilestone":      {"scoping", "supplier"},
	"reportDifficulty":   {"scoping", "supplier"},
	"discloseDelay":      {"scoping", "supplier"},
	"discloseCostImpact": {"scoping", "supplier"},
	"discloseSkillsGap":  {"scoping", "supplier"},

	"makeDelivery":        {"delivery", "supplier"},
	"acceptDelivery":      {"delivery", "client"},
	"rejectDelivery":      {"delivery", "client"},
	"raiseNeedAtDelivery": {"delivery", "supplier"},

	"closeEngagement": {"acceptance", "supplier"},
}

// fuzzParams are the ids the fixture gives the things that write paths
// name. The corpus's bodies use the same ids (and the stakeholders
// sh-supplier, sh-client).
var fuzzParams = map[string]string{
	"stakeholder_id": "sh-late",
	"expert_id":      "ex-1",
	"indicator_id":   "ind-1",
	"requirement_id": "req-1",
	"assumption_id":  "as-1",
	"change_id":      "ch-1",
	"feature_id":     "ft-1",
	"milestone_id":   "ms-1",
	"information_id": "info-1",
	"delivery_id":    "dl-1",
	"subject_id":     "sh-late@fz-delivery",
}

// fuzzSteps build the fixture engagements: the engagement of phase P gets
// every step up to P's. Targets of the operations that settle something
// (an expert, an assumption, a delivery...) are created but left open.
// {engagement} and {client} stand for the engagement's id and the client
// principal's.
var fuzzSteps = []struct {
	phase, op, caller, body string
}{
	{"emergence", "openEngagement", "supplier", `{"engagement_id":"{engagement}","title":"Fuzzing","client_name":"ACME",` +
		`"supplier_name":"Candor","opener":{"stakeholder_id":"sh-supplier","party":"supplier","name":"Sam Supplier"}}`},
	{"emergence", "addStakeholder", "supplier", `{"stakeholder_id":"sh-client","party":"client","name":"Chloe Client","principal_id":"{client}"}`},
	{"emergence", "inviteExpert", "supplier", `{"expert_id":"ex-1","name":"Eve Expert"}`},
	{"emergence", "informClient", "supplier", `{"information_id":"info-1","subject":"Kick-off","channel":"call","recipients":["sh-client"]}`},
	{"scoping", "advancePhase", "supplier", `{"to":"scoping"}`},
	{"scoping", "addStakeholder", "supplier", `{"stakeholder_id":"sh-late","party":"supplier","name":"Lee Late"}`}, // joins late: to be briefed
	{"scoping", "holdWorkshop", "supplier", `{"workshop_id":"ws-1","participants":["sh-supplier","sh-client"]}`},
	{"scoping", "defineIndicator", "client", `{"indicator_id":"ind-1","name":"Invoices per day","target":100,"direction":"at_least"}`},
	{"scoping", "raiseRequirement", "client", `{"requirement_id":"req-1","title":"Export invoices"}`},
	{"scoping", "askQuestion", "supplier", `{"question_id":"q-1","text":"Which format?"}`},
	{"scoping", "makeAssumption", "supplier", `{"assumption_id":"as-1","statement":"UTF-8"}`},
	{"scoping", "requestChange", "client", `{"change_id":"ch-1","description":"Add PDF"}`},
	{"scoping", "proposeFeature", "supplier", `{"feature_id":"ft-1","title":"Dark mode"}`},
	{"scoping", "planMilestone", "supplier", `{"milestone_id":"ms-1","title":"Beta","due_date":"2090-01-01T00:00:00Z"}`},
	{"scoping", "reportDifficulty", "supplier", `{"difficulty_id":"df-1","description":"Legacy API"}`},
	{"delivery", "signAgreement", "client", `{"agreement_id":"ag-1","signatories":["sh-supplier","sh-client"]}`},
	{"delivery", "advancePhase", "supplier", `{"to":"delivery"}`},
	{"delivery", "makeDelivery", "supplier", `{"delivery_id":"dl-1","title":"Beta"}`},
	{"acceptance", "rejectDelivery", "client", `{"reason":"incomplete"}`}, // rejected: to be delivered again
	{"acceptance", "advancePhase", "supplier", `{"to":"acceptance"}`},
}

// fuzzOp is one write operation, ready to send.
type fuzzOp struct {
	id, method, path, token string
	responses               *openapi3.Responses
	engagement              bool   // answers a WriteResult
	stream                  string // the only stream it may write to; "" for a new engagement's
}

type fuzzFixture struct {
	srv    *api.Server
	store  *fuzzStore
	ledger *ledger.Ledger
	ops    []*fuzzOp // by operationId
	byID   map[string]*fuzzOp
	codes  map[string]bool // every stable problem code
	logs   *bytes.Buffer   // errors the server logged during the last request
}

func newFuzzFixture(tb testing.TB) *fuzzFixture {
	tb.Helper()
	ctx := context.Background()
	base, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "events.db"))
	if err != nil {
		tb.Fatal(err)
	}
	store := &fuzzStore{Store: base}
	reg, err := auth.Open(ctx, store)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = reg.Close()
		_ = base.Close()
	})
	admin, _, err := reg.Bootstrap(ctx, "")
	if err != nil {
		tb.Fatal(err)
	}
	tokens := map[string]string{"admin": admin}
	principals := map[string]string{}
	for _, who := range []string{"supplier", "client"} {
		p, err := reg.CreatePrincipal(ctx, "Fuzz "+who, auth.RoleMember)
		if err != nil {
			tb.Fatal(err)
		}
		tok, err := reg.IssueToken(ctx, p.ID, "fuzz")
		if err != nil {
			tb.Fatal(err)
		}
		tokens[who], principals[who] = tok.Secret, p.ID
	}
	// A cache of one engagement: after a request, looking up another
	// engagement evicts the one it wrote to, whose next request then folds
	// it again from the store, without the dropped scratch events.
	keys, err := keystore.Open(ctx, filepath.Join(tb.TempDir(), "keys.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { keys.Close() })
	pd, err := personal.NewService(ctx, store, keys)
	if err != nil {
		tb.Fatal(err)
	}
	led := ledger.New(store, ledger.Options{CacheSize: 1, Seal: pd.Cipher().Seal})
	fx := &fuzzFixture{store: store, ledger: led, byID: map[string]*fuzzOp{}, logs: &bytes.Buffer{}}
	fx.srv, err = api.New(api.Config{RateLimit: -1}, api.Deps{
		Ledger: led, Auth: reg, Store: store, Registerer: prometheus.NewRegistry(), Personal: pd,
		Logger: slog.New(slog.NewTextHandler(fx.logs, &slog.HandlerOptions{Level: slog.LevelError})),
	})
	if err != nil {
		tb.Fatal(err)
	}

	doc, err := api.LoadSpec(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	templates := map[string]*fuzzOp{} // operationId -> op with its path template
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, o := range doc.Paths.Value(path).Operations() {
			if o.RequestBody == nil {
				continue
			}
			if _, ok := fuzzWrites[o.OperationID]; !ok {
				tb.Fatalf("write %s (%s %s) is not in fuzzWrites: add it, and a valid-%s seed", o.OperationID, method, path, o.OperationID)
			}
			templates[o.OperationID] = &fuzzOp{id: o.OperationID, method: method, path: path, responses: o.Responses,
				engagement: strings.HasPrefix(path, "/v1/engagements")}
		}
	}
	for id := range fuzzWrites {
		if templates[id] == nil {
			tb.Fatalf("fuzzWrites lists %s, which is no write with a body in the contract", id)
		}
	}
	fill := func(tmpl, engagementID string) string {
		r := []string{"{engagement_id}", engagementID, "{principal_id}", principals["supplier"]}
		for k, v := range fuzzParams {
			r = append(r, "{"+k+"}", v)
		}
		return strings.NewReplacer(r...).Replace(tmpl)
	}

	// The fixture engagements, written to the store for good.
	for i, phase := range fuzzPhases {
		id := "fz-" + phase
		vars := strings.NewReplacer("{engagement}", id, "{client}", principals["client"])
		for _, s := range fuzzSteps {
			if slices.Index(fuzzPhases, s.phase) > i {
				continue
			}
			o := templates[s.op]
			op := &fuzzOp{id: s.op, method: o.method, path: fill(o.path, id), token: tokens[s.caller]}
			if res := fx.send(op, "application/json", []byte(vars.Replace(s.body))); res.status/100 != 2 {
				tb.Fatalf("fixture %s: %s: status %d: %s", id, s.op, res.status, res.body)
			}
		}
	}
	// From now on, writes go to the scratch layer.
	if err := store.beginScratch(ctx); err != nil {
		tb.Fatal(err)
	}
	fx.evict()

	for id, w := range fuzzWrites {
		op := templates[id]
		op.path, op.token = fill(op.path, "fz-"+w.phase), tokens[w.caller]
		switch {
		case id == "eraseSubject":
			op.stream = personal.Stream
		case !op.engagement:
			op.stream = auth.Stream
		case w.phase != "":
			op.stream = ledger.StreamName("fz-" + w.phase)
		}
		fx.ops = append(fx.ops, op)
		fx.byID[id] = op
	}
	slices.SortFunc(fx.ops, func(a, b *fuzzOp) int { return strings.Compare(a.id, b.id) })
	fx.codes = stableCodes(tb)
	return fx
}

// pick resolves the fuzzed operation name.
func (fx *fuzzFixture) pick(name string) *fuzzOp {
	if op, ok := fx.byID[name]; ok {
		return op
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return fx.ops[h.Sum32()%uint32(len(fx.ops))]
}

func (fx *fuzzFixture) exec(t *testing.T, name, contentType string, body []byte) {
	// net/http refuses a header value with control characters before any
	// handler runs, and trims the blanks around one: drop them rather than
	// skip the input, so that the body is still tried.
	ct := make([]byte, 0, len(contentType))
	for i := range len(contentType) {
		if c := contentType[i]; c >= ' ' && c != 0x7f || c == '\t' {
			ct = append(ct, c)
		}
	}
	op := fx.pick(name)
	fx.check(t, op, fx.send(op, strings.Trim(string(ct), " \t"), body))
}

// fuzzResult is what one request did.
type fuzzResult struct {
	status int
	header http.Header
	body   []byte
	stored []eventstore.RecordedEvent // what it appended, since dropped
	logs   string
}

// send serves one request in process, as a real server would receive it,
// then drops what it stored (once the fixture is built) and evicts the
// engagement it wrote to from the ledger's cache.
func (fx *fuzzFixture) send(op *fuzzOp, contentType string, body []byte) fuzzResult {
	var rd io.Reader = http.NoBody
	if len(body) > 0 {
		rd = bytes.NewReader(body)
	}
	req := httptest.NewRequest(op.method, op.path, rd)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+op.token)
	fx.logs.Reset()
	rec := httptest.NewRecorder()
	fx.srv.ServeHTTP(rec, req)
	res := fuzzResult{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes(), logs: fx.logs.String()}
	if res.stored = fx.store.dropScratch(); len(res.stored) > 0 {
		fx.evict()
	}
	return res
}

func (fx *fuzzFixture) evict() {
	// The ledger caches one engagement: touching another (that does not
	// exist) evicts it.
	_ = fx.ledger.View(context.Background(), "fz-evict", func(*domain.Engagement, uint64) error { return nil })
}

type fzProblem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Code   string `json:"code"`
}

// check asserts what must hold of any response to any input.
func (fx *fuzzFixture) check(t *testing.T, op *fuzzOp, res fuzzResult) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s %s (%s) -> %d: %s\nbody: %s\nserver log: %s", op.method, op.path, op.id, res.status,
			fmt.Sprintf(format, args...), fuzzTruncate(res.body), res.logs)
	}
	if res.status >= 500 {
		fail("a server error")
	}
	if op.responses.Status(res.status) == nil && op.responses.Default() == nil {
		fail("a status the contract does not declare for %s", op.id)
	}
	ct := res.header.Get("Content-Type")
	switch res.status / 100 {
	case 2:
		if len(res.stored) == 0 {
			fail("accepted, but nothing was stored")
		}
		if !strings.HasPrefix(ct, "application/json") {
			fail("Content-Type %q", ct)
		}
		for _, e := range res.stored {
			if e.Stream != res.stored[0].Stream || op.stream != "" && e.Stream != op.stream {
				fail("an event stored in stream %q", e.Stream)
			}
		}
		if !op.engagement {
			if len(res.stored) != 1 {
				fail("%d events stored, want 1", len(res.stored))
			}
			return
		}
		var wr api.WriteResult
		if err := json.Unmarshal(res.body, &wr); err != nil {
			fail("not a WriteResult: %v", err)
		}
		if len(wr.Events) != len(res.stored) {
			fail("%d events in the response, %d stored", len(wr.Events), len(res.stored))
		}
		for i, e := range wr.Events {
			if s := res.stored[i]; e.ID != s.ID.String() || e.Position != uint64(s.Position) || e.Type != s.Type {
				fail("event %d of the response is not the one stored (%s %d %s)", i, s.ID, s.Position, s.Type)
			}
		}
		if last := res.stored[len(res.stored)-1]; wr.Position != uint64(last.Position) {
			fail("position %d, last stored %d", wr.Position, last.Position)
		}
	case 4:
		if len(res.stored) > 0 {
			fail("refused, yet %d events were stored (%s...)", len(res.stored), res.stored[0].Type)
		}
		if ct != "application/problem+json" {
			fail("Content-Type %q, want application/problem+json", ct)
		}
		var p fzProblem
		if err := json.Unmarshal(res.body, &p); err != nil {
			fail("not a problem document: %v", err)
		}
		if p.Status != res.status || !fx.codes[p.Code] || p.Type != api.ProblemTypePrefix+p.Code || p.Title != http.StatusText(res.status) {
			fail("problem %+v: want the response's status and a known stable code", p)
		}
	default:
		fail("neither a 2xx nor a 4xx")
	}
}

func fuzzTruncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "..."
	}
	return string(b)
}

// stableCodes collects the problem codes the server may answer: the
// package-level Code* string constants of api and domain.
func stableCodes(tb testing.TB) map[string]bool {
	tb.Helper()
	codes := map[string]bool{}
	for _, dir := range []string{".", filepath.Join("..", "domain")} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			tb.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.SkipObjectResolution)
			if err != nil {
				tb.Fatal(err)
			}
			for _, d := range f.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok || g.Tok != token.CONST {
					continue
				}
				for _, s := range g.Specs {
					vs := s.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if !strings.HasPrefix(n.Name, "Code") || i >= len(vs.Values) {
							continue
						}
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							if v, err := strconv.Unquote(lit.Value); err == nil {
								codes[v] = true
							}
						}
					}
				}
			}
		}
	}
	if len(codes) < 20 {
		tb.Fatalf("found only %d problem codes in api and domain", len(codes))
	}
	return codes
}

// fuzzSeed is one entry of a corpus written in Go's format.
type fuzzSeed struct {
	op, contentType string
	body            []byte
}

// readFuzzCorpus reads a corpus directory of FuzzWriteRequest, by file name.
func readFuzzCorpus(t *testing.T, dir string) map[string]fuzzSeed {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]fuzzSeed{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		var vals []string
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if line == "go test fuzz v1" || line == "" {
				continue
			}
			lit, ok := strings.CutPrefix(line, "string(")
			if !ok {
				lit, ok = strings.CutPrefix(line, "[]byte(")
			}
			v, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
			if !ok || err != nil {
				t.Fatalf("%s: cannot read %q", e.Name(), line)
			}
			vals = append(vals, v)
		}
		if len(vals) != 3 {
			t.Fatalf("%s: %d values, want 3 (op, content type, body)", e.Name(), len(vals))
		}
		out[e.Name()] = fuzzSeed{op: vals[0], contentType: vals[1], body: []byte(vals[2])}
	}
	return out
}

// fuzzStore is the store of the fuzz fixture: a real store, and once
// beginScratch is called, an in-memory layer above it that takes every
// append and that dropScratch empties, so that what one request writes is
// gone before the next. Reads see both layers. Subscriptions see only the
// real store (nothing in the server subscribes; the auth registry follows
// the store but applies its own appends itself).
type fuzzStore struct {
	eventstore.Store

	mu      sync.Mutex
	scratch bool
	head    eventstore.Position // of the real store, frozen once scratch begins
	events  []eventstore.RecordedEvent
}

var _ eventstore.Store = (*fuzzStore)(nil)

func (s *fuzzStore) beginScratch(ctx context.Context) error {
	head, err := s.Store.Head(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.scratch, s.head = true, head
	return nil
}

// dropScratch empties the scratch layer and returns what it held.
func (s *fuzzStore) dropScratch() []eventstore.RecordedEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.events
	s.events = nil
	return out
}

func (s *fuzzStore) scratchOf(stream string) []eventstore.RecordedEvent {
	var out []eventstore.RecordedEvent
	for _, e := range s.events {
		if e.Stream == stream {
			out = append(out, e)
		}
	}
	return out
}

func (s *fuzzStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.scratch {
		return s.Store.Append(ctx, stream, expected, events...)
	}
	if len(events) == 0 {
		return eventstore.AppendResult{}, eventstore.ErrEmptyAppend
	}
	var (
		last   uint64
		exists bool
	)
	if sc := s.scratchOf(stream); len(sc) > 0 {
		last, exists = sc[len(sc)-1].Revision, true
	} else {
		evs, err := s.Store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.End, Limit: 1})
		switch {
		case err == nil && len(evs) == 1:
			last, exists = evs[0].Revision, true
		case err != nil && !errors.Is(err, eventstore.ErrStreamNotFound):
			return eventstore.AppendResult{}, err
		}
	}
	if !expected.Check(last, exists) {
		return eventstore.AppendResult{}, &eventstore.ConflictError{Stream: stream, Expected: expected, Actual: last, Exists: exists}
	}
	rev, pos := uint64(0), s.head
	if exists {
		rev = last + 1
	}
	if n := len(s.events); n > 0 {
		pos = s.events[n-1].Position
	}
	var stored []eventstore.Stored
	now := time.Now().UTC()
	for _, e := range events {
		pos++
		s.events = append(s.events, eventstore.RecordedEvent{
			Stream: stream, Revision: rev, Position: pos, ID: e.ID, Type: e.Type,
			Data: e.Data, Metadata: e.Metadata, RecordedAt: now,
		})
		stored = append(stored, eventstore.Stored{Position: pos, RecordedAt: now})
		rev++
	}
	return eventstore.AppendResult{NextRevision: rev - 1, Position: pos, Events: stored}, nil
}

func (s *fuzzStore) ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	s.mu.Lock()
	sc := s.scratchOf(stream)
	s.mu.Unlock()
	if len(sc) == 0 {
		return s.Store.ReadStream(ctx, stream, opts)
	}
	all, err := s.Store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{})
	if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil, err
	}
	all = append(all, sc...)
	var out []eventstore.RecordedEvent
	if opts.Direction == eventstore.Backwards {
		for i := len(all) - 1; i >= 0; i-- {
			if opts.From == eventstore.End || all[i].Revision <= opts.From {
				out = append(out, all[i])
			}
		}
	} else {
		for _, e := range all {
			if e.Revision >= opts.From {
				out = append(out, e)
			}
		}
	}
	if opts.Limit > 0 && len(out) > opts.Limit {
		out = out[:opts.Limit]
	}
	return out, nil
}

func (s *fuzzStore) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	evs, err := s.Store.ReadAll(ctx, after, limit)
	if err != nil || len(evs) > 0 {
		return evs, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []eventstore.RecordedEvent
	for _, e := range s.events {
		if e.Position > after && (limit <= 0 || len(out) < limit) {
			out = append(out, e)
		}
	}
	return out, nil
}

func (s *fuzzStore) Head(ctx context.Context) (eventstore.Position, error) {
	s.mu.Lock()
	n := len(s.events)
	var last eventstore.Position
	if n > 0 {
		last = s.events[n-1].Position
	}
	s.mu.Unlock()
	if n > 0 {
		return last, nil
	}
	return s.Store.Head(ctx)
}
