package api_test

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/evidence"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/verifier"
)

// startEvidence opens the transparency log of dir over store, checks it
// as serve does, and runs it; stop ends it.
func startEvidence(t *testing.T, dir string, store eventstore.Store) (*evidence.Log, func()) {
	t.Helper()
	key, _, err := evidence.LoadKey(filepath.Join(dir, evidence.KeyFile), true)
	if err != nil {
		t.Fatal(err)
	}
	l, err := evidence.Open(context.Background(), filepath.Join(dir, evidence.DBFile), store, key, evidence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	return l, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("evidence run: %v", err)
		}
		if err := l.Close(); err != nil {
			t.Errorf("evidence close: %v", err)
		}
	}
}

func startServerWithEvidence(t *testing.T) *testServer {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a server")
	}
	ts := &testServer{t: t, dir: t.TempDir(), cfg: testConfig(), logs: &syncBuffer{}, withEvidence: true}
	ts.start()
	t.Cleanup(ts.stop)
	return ts
}

// written is a write response with its receipt.
type written struct {
	Events []struct {
		ID         string
		Revision   uint64
		Position   uint64
		RecordedAt time.Time `json:"recorded_at"`
		Hash       string    `json:"hash"`
	}
	Revision uint64
	Receipt  *verifier.Receipt `json:"receipt"`
}

func (ts *testServer) publicKey() string {
	var k struct {
		PublicKey string `json:"public_key"`
	}
	must(ts.t, ts.get("", "/v1/evidence/key"), http.StatusOK).json(ts.t, &k)
	return k.PublicKey
}

// Every event the API returns carries its hash and its predecessor's, and
// they link: anyone can follow the chain of a stream from the wire.
func TestEventsCarryTheirHashChain(t *testing.T) {
	ts := startServer(t, testConfig())
	_, token := ts.newPrincipal("Sam", "member")
	clientID, _ := ts.newPrincipal("Chloe", "member")
	id, _, _ := ts.scopedEngagement(token, clientID, "Shop")
	var w struct {
		Events []struct {
			Revision uint64
			Hash     string `json:"hash"`
			PrevHash string `json:"prev_hash"`
		}
	}
	must(t, ts.post(token, "/v1/engagements/"+id+"/assumptions", map[string]any{"statement": "VAT from the ERP"}), http.StatusCreated).json(t, &w)
	var page struct {
		Items []struct {
			Revision uint64
			Hash     string `json:"hash"`
			PrevHash string `json:"prev_hash"`
		}
	}
	must(t, ts.get(token, "/v1/engagements/"+id+"/events"), http.StatusOK).json(t, &page)
	stored, err := ts.store.ReadStream(context.Background(), ledger.StreamName(id), eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != len(stored) || len(page.Items) < 2 {
		t.Fatalf("%d events listed, %d stored", len(page.Items), len(stored))
	}
	prev := ""
	for i, e := range page.Items {
		if want := ledger.EventHash(&stored[i]); e.Hash != want || e.PrevHash != prev {
			t.Fatalf("event %d: hash %q prev %q, want hash %q prev %q", i, e.Hash, e.PrevHash, want, prev)
		}
		prev = e.Hash
	}
	last := page.Items[len(page.Items)-1]
	if got := w.Events[len(w.Events)-1]; got.Hash != last.Hash || got.PrevHash != last.PrevHash {
		t.Fatalf("write response %+v, event log %+v", got, last)
	}
}

// A write's response carries a receipt a client checks on its own: signed
// by the published key, its leaves computed from the events returned, each
// included in the signed tree; and a later export verifies with it.
func TestWriteReceipts(t *testing.T) {
	ts := startServerWithEvidence(t)
	_, token := ts.newPrincipal("Sam", "member")
	clientID, _ := ts.newPrincipal("Chloe", "member")
	id, _, _ := ts.scopedEngagement(token, clientID, "Shop")
	var w written
	must(t, ts.post(token, "/v1/engagements/"+id+"/assumptions", map[string]any{"statement": "VAT from the ERP"}), http.StatusCreated).json(t, &w)
	if w.Receipt == nil || len(w.Receipt.Leaves) != len(w.Events) {
		t.Fatalf("receipt %+v for %d events", w.Receipt, len(w.Events))
	}
	key := ts.publicKey()
	cp, _, err := verifier.OpenCheckpoint(w.Receipt.Checkpoint, []string{key})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range w.Events {
		l := w.Receipt.Leaves[i]
		eh, _ := hex.DecodeString(e.Hash)
		leaf := tlog.RecordHash(verifier.LeafData(e.Position, e.RecordedAt, [32]byte(eh)))
		proof := make(tlog.RecordProof, len(l.Proof))
		for j, p := range l.Proof {
			b, _ := base64.StdEncoding.DecodeString(p)
			proof[j] = tlog.Hash(b)
		}
		if err := tlog.CheckRecord(proof, cp.Size, cp.Root, l.LeafIndex, leaf); err != nil {
			t.Fatalf("event %d not in the signed tree: %v", i, err)
		}
	}
	bundle := ts.export(token, id)
	rep, err := verifier.Verify(bundle, []verifier.Receipt{*w.Receipt})
	if err != nil || !rep.OK() || rep.Receipts != 1 {
		t.Fatalf("export: %+v %v", rep, err)
	}
}

func (ts *testServer) export(token, id string) *verifier.Bundle {
	ts.t.Helper()
	var b verifier.Bundle
	must(ts.t, ts.get(token, "/v1/engagements/"+id+"/export"), http.StatusOK).json(ts.t, &b)
	return &b
}

// The checkpoint, inclusion and consistency endpoints answer proofs that
// check with the library calls a client makes; an event is proved only to
// who may see it.
func TestEvidenceEndpoints(t *testing.T) {
	ts := startServerWithEvidence(t)
	_, token := ts.newPrincipal("Sam", "member")
	_, stranger := ts.newPrincipal("Stranger", "member")
	clientID, _ := ts.newPrincipal("Chloe", "member")
	id, _, _ := ts.scopedEngagement(token, clientID, "Shop")
	var first written
	must(t, ts.post(token, "/v1/engagements/"+id+"/assumptions", map[string]any{"statement": "one"}), http.StatusCreated).json(t, &first)
	must(t, ts.post(token, "/v1/engagements/"+id+"/assumptions", map[string]any{"statement": "two"}), http.StatusCreated)
	key := ts.publicKey()

	var cp struct {
		Checkpoint string
		Size       int64
	}
	must(t, ts.get(token, "/v1/evidence/checkpoint"), http.StatusOK).json(t, &cp)
	if _, _, err := verifier.OpenCheckpoint(cp.Checkpoint, []string{key}); err != nil {
		t.Fatal(err)
	}
	e := first.Events[0]
	for _, q := range []string{"position=" + strconv.FormatUint(e.Position, 10), "event_id=" + e.ID} {
		var inc struct {
			Checkpoint struct{ Checkpoint string }
			Leaf       verifier.Leaf
		}
		must(t, ts.get(token, "/v1/evidence/inclusion?"+q), http.StatusOK).json(t, &inc)
		b := &verifier.Bundle{Format: verifier.BundleFormat, PublicKeys: []string{key}, Checkpoint: inc.Checkpoint.Checkpoint}
		rep, err := verifier.Verify(b, []verifier.Receipt{{Checkpoint: inc.Checkpoint.Checkpoint, Leaves: []verifier.Leaf{inc.Leaf}}})
		if err != nil || !rep.OK() || inc.Leaf.Hash != e.Hash {
			t.Fatalf("%s: %+v %v %+v", q, rep, err, inc.Leaf)
		}
		must(t, ts.get(stranger, "/v1/evidence/inclusion?"+q), http.StatusNotFound)
	}
	// The principals' stream: admins and auditors only.
	must(t, ts.get(ts.admin, "/v1/evidence/inclusion?position=1"), http.StatusOK)
	must(t, ts.get(token, "/v1/evidence/inclusion?position=1"), http.StatusNotFound)

	old, _, _ := verifier.OpenCheckpoint(first.Receipt.Checkpoint, []string{key})
	var cons struct {
		Proof      []string
		Checkpoint struct{ Checkpoint string }
	}
	must(t, ts.get(token, "/v1/evidence/consistency?from="+strconv.FormatInt(old.Size, 10)), http.StatusOK).json(t, &cons)
	if err := verifier.CheckConsistency(first.Receipt.Checkpoint, cons.Checkpoint.Checkpoint, cons.Proof, []string{key}); err != nil {
		t.Fatal(err)
	}
	must(t, ts.get(token, "/v1/evidence/consistency?from=999999"), http.StatusBadRequest)
}

// A client's approval may carry the checkpoint it saw: the server records
// one it signed and is consistent with, and refuses, storing nothing, one
// it did not sign (422) or one of another history (409).
func TestWitnessedCheckpoint(t *testing.T) {
	ts := startServerWithEvidence(t)
	_, token := ts.newPrincipal("Sam", "member")
	clientID, clientToken := ts.newPrincipal("Chloe", "member")
	id, _, _ := ts.scopedEngagement(token, clientID, "Shop")
	var made written
	r := must(t, ts.post(token, "/v1/engagements/"+id+"/assumptions", map[string]any{"statement": "VAT from the ERP"}), http.StatusCreated)
	r.json(t, &made)
	path := r.Header.Get("Location") + "/validation"

	validate := func(checkpoint string) response {
		return ts.do(req{method: http.MethodPost, path: path, token: clientToken, body: map[string]any{},
			header: map[string]string{"X-Candor-Checkpoint": base64.StdEncoding.EncodeToString([]byte(checkpoint))}})
	}
	c, _, _ := verifier.OpenCheckpoint(made.Receipt.Checkpoint, []string{ts.publicKey()})
	forged := ts.forgeCheckpoint(c.Size)
	if p := must(t, validate(forged), http.StatusConflict).problem(t); p.Code != "checkpoint_inconsistent" {
		t.Fatalf("another history: %+v", p)
	}
	if p := must(t, validate("not a checkpoint"), http.StatusUnprocessableEntity).problem(t); p.Code != "checkpoint_invalid" {
		t.Fatalf("garbage: %+v", p)
	}
	evs, _ := ts.store.ReadStream(context.Background(), ledger.StreamName(id), eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.End, Limit: 1})
	if evs[0].Revision != made.Revision {
		t.Fatalf("a refused checkpoint stored revision %d", evs[0].Revision)
	}
	must(t, validate(made.Receipt.Checkpoint), http.StatusOK)
	evs, _ = ts.store.ReadStream(context.Background(), ledger.StreamName(id), eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.End, Limit: 1})
	var m ledger.Metadata
	if err := json.Unmarshal(evs[0].Metadata, &m); err != nil || m.Witness == nil || m.Witness.Size != c.Size ||
		m.Witness.Root != base64.StdEncoding.EncodeToString(c.Root[:]) {
		t.Fatalf("witness recorded %+v (%v)", m.Witness, err)
	}
	rep, err := verifier.Verify(ts.export(token, id), nil)
	if err != nil || !rep.OK() || rep.Witnessed != 1 {
		t.Fatalf("export: %+v %v", rep, err)
	}
}

// forgeCheckpoint signs with the server's own key a checkpoint of size n
// over another root: what a server that rewrote its history signed before.
func (ts *testServer) forgeCheckpoint(n int64) string {
	ts.t.Helper()
	key, _, err := evidence.LoadKey(filepath.Join(ts.dir, evidence.KeyFile), false)
	if err != nil {
		ts.t.Fatal(err)
	}
	c := verifier.Checkpoint{Origin: key.Signer.Name(), Size: n, Time: time.Now()}
	copy(c.Root[:], "another history")
	msg, err := note.Sign(&note.Note{Text: c.Format()}, key.Signer)
	if err != nil {
		ts.t.Fatal(err)
	}
	return string(msg)
}

// A server that finds its store changed behind its back serves read-only:
// reads answer with the breach in a header, writes 503 integrity_breach,
// /readyz names it.
func TestBreachServesReadOnly(t *testing.T) {
	ts := startServerWithEvidence(t)
	_, token := ts.newPrincipal("Sam", "member")
	clientID, _ := ts.newPrincipal("Chloe", "member")
	id, _, _ := ts.scopedEngagement(token, clientID, "Shop")
	var w written
	must(t, ts.post(token, "/v1/engagements/"+id+"/assumptions", map[string]any{"statement": "VAT from the ERP"}), http.StatusCreated).json(t, &w)
	ts.stop()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(ts.dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE events SET recorded_at = recorded_at - 86400000000000 WHERE pos = ?`, w.Events[0].Position); err != nil {
		t.Fatal(err)
	}
	db.Close()
	ts.start()

	r := must(t, ts.get(token, "/v1/engagements/"+id), http.StatusOK)
	if h := r.Header.Get("X-Candor-Integrity"); !strings.HasPrefix(h, "breach; ") || !strings.Contains(h, "recorded time") {
		t.Fatalf("X-Candor-Integrity %q", h)
	}
	if p := must(t, ts.post(token, "/v1/engagements/"+id+"/assumptions", map[string]any{"statement": "more"}), http.StatusServiceUnavailable).problem(t); p.Code != "integrity_breach" {
		t.Fatalf("write in breach: %+v", p)
	}
	var ready struct {
		Checks   map[string]string
		Evidence struct{ Status, Breach string }
	}
	must(t, ts.get("", "/readyz"), http.StatusOK).json(t, &ready)
	if ready.Checks["evidence"] != "breach" || ready.Evidence.Breach == "" {
		t.Fatalf("/readyz %+v", ready)
	}
	// The hash chain still holds (the time is not in it); the log's check,
	// per engagement and store-wide, names the change, and they agree.
	for _, path := range []string{"/v1/engagements/" + id + "/verification", "/v1/verification"} {
		var v struct {
			OK     bool
			Broken struct {
				Position uint64
				Reason   string
			}
		}
		must(t, ts.get(ts.admin, path), http.StatusOK).json(t, &v)
		if v.OK || v.Broken.Position != w.Events[0].Position || !strings.HasPrefix(v.Broken.Reason, "transparency log: ") {
			t.Errorf("%s: %+v", path, v)
		}
	}
}
