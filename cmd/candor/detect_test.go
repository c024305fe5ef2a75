package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/esdb"
	"github.com/candor-ledger/candor/eventstore/esdb/esdbstandin"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/evidence"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/verifier"
)

// record is one stored event as an attacker with write access to the
// store's files sees it (esdbstandin's shape, used for both backends).
type record = esdbstandin.Record

// backend is a store the detection tests attack: open connects to it,
// rewrite changes its events behind Candor's back (with nothing open).
type backend struct {
	name    string
	conn    string // --eventstore
	open    func(t *testing.T) eventstore.Store
	rewrite func(t *testing.T, fn func([]record) []record)
}

func sqliteBackend(t *testing.T, dir string) backend {
	path := filepath.Join(dir, "events.db")
	return backend{
		name: "sqlite",
		open: func(t *testing.T) eventstore.Store {
			s, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		rewrite: func(t *testing.T, fn func([]record) []record) { rewriteSQLite(t, path, fn) },
	}
}

func esdbBackend(t *testing.T) backend {
	sv := esdbstandin.StartT(t)
	return backend{
		name: "eventstoredb",
		conn: sv.ConnString(),
		open: func(t *testing.T) eventstore.Store {
			s, err := esdb.Open(context.Background(), sv.ConnString())
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		rewrite: func(_ *testing.T, fn func([]record) []record) { sv.Rewrite(fn) },
	}
}

// rewriteSQLite rewrites the events table of a closed store with the
// sqlite3 driver, as an attacker with the sqlite3 shell would.
func rewriteSQLite(t *testing.T, path string, fn func([]record) []record) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT pos, stream, rev, id, type, recorded_at, append_end, data, meta FROM events ORDER BY pos`)
	if err != nil {
		t.Fatal(err)
	}
	var recs []record
	appendEnd := map[uint64]int64{}
	for rows.Next() {
		var (
			r        record
			id       []byte
			at, end  int64
			pos, rev int64
		)
		if err := rows.Scan(&pos, &r.Stream, &rev, &id, &r.Type, &at, &end, &r.Data, &r.Meta); err != nil {
			t.Fatal(err)
		}
		r.Position, r.Revision, r.Created = uint64(pos), uint64(rev), time.Unix(0, at).UTC()
		copy(r.ID[:], id)
		appendEnd[r.Position] = end
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	recs = fn(recs)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`DELETE FROM events`); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if _, err := tx.Exec(`INSERT INTO events (pos, stream, rev, id, type, recorded_at, append_end, data, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			int64(r.Position), r.Stream, int64(r.Revision), r.ID[:], r.Type, r.Created.UnixNano(), appendEnd[r.Position], r.Data, r.Meta); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

const (
	detectEng       = "0190c0de-0000-7000-8000-00000000e001"
	detectPrincipal = "0190c0de-0000-7000-8000-00000000e0aa"
)

// history writes, with a running log, a principal and an engagement of
// five events, and keeps each write's receipt in dir/receipts. It returns
// the principal created.
func history(t *testing.T, b backend, dir string) {
	t.Helper()
	ctx := context.Background()
	store := b.open(t)
	defer store.Close()
	reg, err := auth.Open(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	if _, err := reg.CreatePrincipal(ctx, "Chloe Client", auth.RoleMember); err != nil {
		t.Fatal(err)
	}
	c := serveConfig{dataDir: dir, eventStore: b.conn, evidence: evidenceConfig{on: true}}
	l, rep, _, err := openEvidence(ctx, c, store, slog.New(slog.DiscardHandler))
	if err != nil || !rep.OK() {
		t.Fatalf("open log: %v %+v", err, rep)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- l.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("log: %v", err)
		}
		l.Close()
	}()
	led := ledger.New(store, ledger.Options{})
	reqs := []ledger.Request{{EngagementID: detectEng, Create: true, PrincipalID: detectPrincipal,
		Command: func(*domain.Engagement) (domain.Command, error) {
			return domain.OpenEngagement{EngagementID: detectEng, Title: "Online shop", ClientName: "Maison Dupont", SupplierName: "Conseil & Co",
				Opener: domain.NewStakeholder{StakeholderID: "sh-sam", Party: domain.PartySupplier, Name: "Sam", PrincipalID: detectPrincipal}}, nil
		}}}
	for i := 1; i <= 4; i++ {
		reqs = append(reqs, ledger.Request{EngagementID: detectEng, PrincipalID: detectPrincipal,
			Command: func(*domain.Engagement) (domain.Command, error) {
				return domain.InviteExpert{ActorID: "sh-sam", ExpertID: fmt.Sprintf("x%d", i), Name: fmt.Sprintf("Expert %d", i), Expertise: "Checkout in three steps"}, nil
			}})
	}
	if err := os.MkdirAll(filepath.Join(dir, "receipts"), 0o700); err != nil {
		t.Fatal(err)
	}
	for i, req := range reqs {
		res, err := led.Execute(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		evs, err := store.ReadStream(ctx, ledger.StreamName(detectEng), eventstore.ReadStreamOptions{From: res.Revision, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		rc, err := l.Receipt(wctx, []eventstore.Position{evs[0].Position})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(map[string]any{"receipt": rc})
		if err := os.WriteFile(filepath.Join(dir, "receipts", fmt.Sprintf("%d.json", i)), raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// attack is one way to change the store behind Candor's back.
type attack struct {
	name      string
	principal bool // on the principals' stream, not the engagement's
	change    func(t *testing.T, recs []record) []record
}

func engagementRecords(recs []record) []int {
	var out []int
	for i, r := range recs {
		if r.Stream == ledger.StreamName(detectEng) {
			out = append(out, i)
		}
	}
	return out
}

func editData(t *testing.T, r *record) {
	t.Helper()
	d := bytes.Replace(r.Data, []byte("three steps"), []byte("one step"), 1)
	if bytes.Equal(d, r.Data) {
		t.Fatalf("nothing to edit in %s", r.Data)
	}
	r.Data = d
}

var attacks = []attack{
	{name: "edited event", change: func(t *testing.T, recs []record) []record {
		editData(t, &recs[engagementRecords(recs)[2]])
		return recs
	}},
	{name: "deleted last event", change: func(t *testing.T, recs []record) []record {
		e := engagementRecords(recs)
		return append(recs[:e[len(e)-1]:e[len(e)-1]], recs[e[len(e)-1]+1:]...)
	}},
	{name: "deleted stream", change: func(t *testing.T, recs []record) []record {
		var out []record
		for _, r := range recs {
			if r.Stream != ledger.StreamName(detectEng) {
				out = append(out, r)
			}
		}
		return out
	}},
	{name: "two events swapped", change: func(t *testing.T, recs []record) []record {
		e := engagementRecords(recs)
		recs[e[1]].Revision, recs[e[2]].Revision = recs[e[2]].Revision, recs[e[1]].Revision
		return recs
	}},
	{name: "changed recorded time", change: func(t *testing.T, recs []record) []record {
		r := &recs[engagementRecords(recs)[2]]
		r.Created = r.Created.AddDate(1, 0, 0)
		return recs
	}},
	{name: "backdated fact, hashes recomputed", change: func(t *testing.T, recs []record) []record {
		e := engagementRecords(recs)
		r := &recs[e[2]]
		editData(t, r)
		r.Created = r.Created.AddDate(0, 0, -30)
		// Every later link recomputed, as the published algorithm says:
		// the hash chain holds again.
		for i := 3; i < len(e); i++ {
			prev, cur := &recs[e[i-1]], &recs[e[i]]
			var m map[string]any
			if err := json.Unmarshal(cur.Meta, &m); err != nil {
				t.Fatal(err)
			}
			m["prev_hash"] = verifier.EventHashHex(&verifier.Event{Stream: prev.Stream, Revision: prev.Revision, ID: prev.ID,
				Type: prev.Type, Data: prev.Data, Metadata: prev.Meta})
			cur.Meta, _ = json.Marshal(m)
		}
		return recs
	}},
	{name: "principal's role edited", principal: true, change: func(t *testing.T, recs []record) []record {
		for i := range recs {
			if recs[i].Stream == auth.Stream && recs[i].Type == auth.TypePrincipalCreated && bytes.Contains(recs[i].Data, []byte("Chloe")) {
				d := bytes.Replace(recs[i].Data, []byte(`"member"`), []byte(`"admin"`), 1)
				if bytes.Equal(d, recs[i].Data) {
					t.Fatalf("no role in %s", recs[i].Data)
				}
				recs[i].Data = d
				return recs
			}
		}
		t.Fatal("no principal to promote")
		return nil
	}},
}

// Each attack on the store, on both backends, is caught by candor verify
// (store-wide and per engagement: the two agree), by the offline verifier
// on an export, and by the receipts the client kept; before the attack,
// all of them pass.
func TestTamperingIsDetected(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and verifies stores")
	}
	for _, a := range attacks {
		for _, mk := range []func(t *testing.T, dir string) backend{
			sqliteBackend,
			func(t *testing.T, _ string) backend { return esdbBackend(t) },
		} {
			dir := t.TempDir()
			b := mk(t, dir)
			t.Run(b.name+"/"+a.name, func(t *testing.T) {
				history(t, b, dir)
				cli := func(args ...string) (int, string) {
					var stdout, stderr bytes.Buffer
					args = append(args, "--data", dir)
					if b.conn != "" {
						args = append(args, "--eventstore", b.conn)
					}
					code := run(context.Background(), args, &stdout, &stderr)
					return code, stdout.String() + stderr.String()
				}
				target := []string{"--engagement", detectEng}
				if a.principal {
					target = []string{"--stream", auth.Stream}
				}
				bundle := filepath.Join(dir, "bundle.json")
				receipts := filepath.Join(dir, "receipts")
				check := func(when string, wantCode int) {
					t.Helper()
					if code, out := cli("verify"); code != wantCode {
						t.Errorf("%s: candor verify: exit %d, want %d\n%s", when, code, wantCode, out)
					}
					if !a.principal {
						if code, out := cli("verify", "--engagement", detectEng); code != wantCode {
							t.Errorf("%s: candor verify --engagement: exit %d, want %d\n%s", when, code, wantCode, out)
						}
					}
					if code, out := cli(append([]string{"export", "--out", bundle}, target...)...); code != 0 {
						t.Fatalf("%s: candor export: exit %d\n%s", when, code, out)
					}
					if code, out := cli("verify", "--bundle", bundle); code != wantCode {
						t.Errorf("%s: candor verify --bundle: exit %d, want %d\n%s", when, code, wantCode, out)
					}
					raw, err := os.ReadFile(bundle)
					if err != nil {
						t.Fatal(err)
					}
					var bd verifier.Bundle
					if err := json.Unmarshal(raw, &bd); err != nil {
						t.Fatal(err)
					}
					if rep, err := verifier.Verify(&bd, nil); (err == nil && rep.OK()) != (wantCode == 0) {
						t.Errorf("%s: offline verifier: %+v %v", when, rep.Problems, err)
					}
					if a.principal {
						return
					}
					// The client's receipts, against the export: each names
					// what it saw, and says what became of it.
					code, out := cli("verify", "--bundle", bundle, "--receipts", receipts)
					if code != wantCode || (wantCode != 0 && !strings.Contains(out, "receipt")) {
						t.Errorf("%s: candor verify --receipts: exit %d, want %d\n%s", when, code, wantCode, out)
					}
				}
				check("untouched", 0)
				b.rewrite(t, func(recs []record) []record { return a.change(t, recs) })
				check("after the attack", 1)
				if a.name == "backdated fact, hashes recomputed" {
					// The chain alone no longer tells: only the log does.
					store := b.open(t)
					rep, err := ledger.VerifyStream(context.Background(), store, ledger.StreamName(detectEng))
					store.Close()
					if err != nil || !rep.OK() {
						t.Errorf("the attacker's recomputed chain does not hold: %+v %v", rep.Broken, err)
					}
				}
			})
		}
	}
}

// A log deleted while its key stays (to have it rebuilt from a changed
// store) is a breach: the server does not rebuild a history silently.
func TestDeletedLogIsABreach(t *testing.T) {
	if testing.Short() {
		t.Skip("writes stores")
	}
	dir := t.TempDir()
	b := sqliteBackend(t, dir)
	history(t, b, dir)
	for _, f := range []string{evidence.DBFile, evidence.DBFile + "-wal", evidence.DBFile + "-shm"} {
		_ = os.Remove(filepath.Join(dir, f))
	}
	store := b.open(t)
	defer store.Close()
	l, rep, _, err := openEvidence(context.Background(), serveConfig{dataDir: dir, evidence: evidenceConfig{on: true}}, store, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if rep.OK() || l.Breach() == nil || !strings.Contains(l.Breach().Reason, "missing") {
		t.Fatalf("rebuilt silently: %+v, breach %v", rep, l.Breach())
	}
}
