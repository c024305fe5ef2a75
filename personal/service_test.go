package personal_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/esdb"
	"github.com/candor-ledger/candor/eventstore/esdb/esdbstandin"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/keystore"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/personal"
)

const (
	engID    = "0190c0de-0000-7000-8000-00000000e001"
	opener   = "stk-opener"
	late     = "stk-late"
	lateName = "Nicolas Roux-Quesnel"
	lateMail = "n.roux-quesnel@maison-dupont.example"
	openName = "Sam Moreau-Delacroix"
)

type backend struct {
	store eventstore.Store
	files []string // the store's files on disk, if any
}

func backends(t *testing.T) map[string]func(t *testing.T) backend {
	return map[string]func(t *testing.T) backend{
		"embedded": func(t *testing.T) backend {
			path := filepath.Join(t.TempDir(), "events.db")
			s, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return backend{store: s, files: []string{path, path + "-wal"}}
		},
		"esdb-standin": func(t *testing.T) backend {
			srv := esdbstandin.StartT(t)
			s, err := esdb.Open(context.Background(), srv.ConnString())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return backend{store: s}
		},
	}
}

func execute(t *testing.T, l *ledger.Ledger, create bool, cmd domain.Command) {
	t.Helper()
	_, err := l.Execute(context.Background(), ledger.Request{
		EngagementID: engID, Create: create, PrincipalID: "prn-1",
		Command: func(*domain.Engagement) (domain.Command, error) { return cmd, nil },
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The whole erasure, on both backends: what is stored is ciphertext, the
// evidence verifies before and after, a reload (a rebuild) shows the
// person as erased, and their name is nowhere in the store's files.
func TestErasure(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			b := open(t)
			keys, err := keystore.Open(ctx, filepath.Join(t.TempDir(), "keys.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer keys.Close()
			svc, err := personal.NewService(ctx, b.store, keys)
			if err != nil {
				t.Fatal(err)
			}
			l := ledger.New(b.store, ledger.Options{Seal: svc.Cipher().Seal})
			execute(t, l, true, domain.OpenEngagement{
				EngagementID: engID, Title: "Shop", ClientName: "Maison Dupont", SupplierName: "Conseil & Co",
				Opener: domain.NewStakeholder{StakeholderID: opener, Party: domain.PartySupplier, Name: openName, PrincipalID: "prn-1"},
			})
			execute(t, l, false, domain.AddStakeholder{ActorID: opener, NewStakeholder: domain.NewStakeholder{
				StakeholderID: late, Party: domain.PartyClient, Name: lateName, Email: lateMail, PrincipalID: "prn-2",
			}})

			// Stored: ciphertext only.
			raw, err := b.store.ReadAll(ctx, eventstore.Start, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range raw {
				if bytes.Contains(e.Data, []byte("Roux")) || bytes.Contains(e.Data, []byte("Moreau")) {
					t.Fatalf("stored in clear: %s", e.Data)
				}
			}
			// The state, as served, is revealed at the edge.
			stateJSON := func(l *ledger.Ledger) string {
				st, _, err := l.Load(ctx, engID)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := json.Marshal(st)
				if bytes.Contains(b, []byte(lateName)) {
					t.Fatal("the ledger's state holds a name in clear")
				}
				out, err := svc.Cipher().Reveal(ctx, b)
				if err != nil {
					t.Fatal(err)
				}
				return string(out)
			}
			if s := stateJSON(l); !strings.Contains(s, lateName) || !strings.Contains(s, openName) {
				t.Fatalf("revealed state lacks the names: %s", s)
			}
			verify(t, b.store)

			subject := personal.Subject(engID, late)
			if _, _, err := svc.Erase(ctx, subject, "", "prn-admin"); !errors.Is(err, personal.ErrReasonRequired) {
				t.Errorf("erasure without reason: %v", err)
			}
			if _, _, err := svc.Erase(ctx, personal.Subject(engID, "nobody"), "asked", "prn-admin"); !errors.Is(err, personal.ErrSubjectNotFound) {
				t.Errorf("erasure of an unknown subject: %v", err)
			}
			er, fresh, err := svc.Erase(ctx, subject, "Art. 17 request of 2026-11-20", "prn-admin")
			if err != nil || !fresh || er.Subject != subject || er.PrincipalID != "prn-admin" {
				t.Fatalf("Erase = %+v %v %v", er, fresh, err)
			}
			if again, fresh, err := svc.Erase(ctx, subject, "twice", "prn-other"); err != nil || fresh || again.Reason != er.Reason {
				t.Errorf("second Erase = %+v %v %v, want the first record", again, fresh, err)
			}
			verify(t, b.store)

			// The live state and a reload from the store (what a rebuild
			// reads) both show the person as erased; the others stay.
			for which, l := range map[string]*ledger.Ledger{"live": l, "reloaded": ledger.New(b.store, ledger.Options{})} {
				s := stateJSON(l)
				if strings.Contains(s, lateName) || strings.Contains(s, lateMail) || !strings.Contains(s, personal.ErasedValue) {
					t.Errorf("%s state after erasure: %s", which, s)
				}
				if !strings.Contains(s, openName) {
					t.Errorf("%s state lost another person's name: %s", which, s)
				}
			}
			// Access: the facts naming them, now erased; the audit still
			// knows a stakeholder of that id joined.
			f, err := svc.Facts(ctx, subject)
			if err != nil {
				t.Fatal(err)
			}
			fj, _ := json.Marshal(f)
			if !f.Erased || len(f.Events) == 0 || f.PrincipalID != "prn-2" || strings.Contains(string(fj), "Roux") {
				t.Errorf("Facts after erasure: %s", fj)
			}
			// The erasure's record names ids, the reason, a time; never the person.
			evs, err := b.store.ReadStream(ctx, personal.Stream, eventstore.ReadStreamOptions{})
			if err != nil || len(evs) != 1 || evs[0].Type != personal.TypeSubjectErased || bytes.Contains(evs[0].Data, []byte("Roux")) {
				t.Errorf("erasure events: %v %v", evs, err)
			}
			for _, path := range b.files {
				data, err := os.ReadFile(path)
				if errors.Is(err, os.ErrNotExist) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				for _, s := range []string{lateName, lateMail, "Roux"} {
					if bytes.Contains(data, []byte(s)) {
						t.Errorf("%s holds %q", filepath.Base(path), s)
					}
				}
			}
		})
	}
}

func verify(t *testing.T, s eventstore.Store) {
	t.Helper()
	rep, err := ledger.VerifyAll(context.Background(), s, ledger.StreamPrefix)
	if err != nil || !rep.OK() || rep.Events == 0 {
		t.Fatalf("evidence: %+v %v", rep, err)
	}
}

// crash closes keys as a crash would leave them, bindings unwritten, and
// makes sure of it: the background may have written them already.
func crash(t *testing.T, keys *keystore.Store, path string) {
	t.Helper()
	if err := keys.CloseUnflushed(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE keys SET subject = NULL WHERE key IS NOT NULL`); err != nil {
		t.Fatal(err)
	}
}

// kidOf returns the kid of the envelope in the name of the subject's
// joining.
func kidOf(t *testing.T, store eventstore.Store, subject string) int64 {
	t.Helper()
	evs, err := store.ReadStream(context.Background(), ledger.StreamName(engID), eventstore.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if sub, _, _ := personal.SubjectOf(e.Type, e.Data); sub != subject {
			continue
		}
		var j struct{ Name string }
		if err := json.Unmarshal(e.Data, &j); err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(j.Name, ":") // enc:v2:<local>@<engagement>:<kid>:...
		kid, err := strconv.ParseInt(parts[3], 10, 64)
		if err != nil {
			t.Fatalf("envelope %s: %v", j.Name, err)
		}
		return kid
	}
	t.Fatalf("no joining of %s", subject)
	return 0
}

// storedKey reads a key's bytes from keys.db, apart from the store.
func storedKey(t *testing.T, path string, kid int64) []byte {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var k []byte
	if err := db.QueryRow(`SELECT key FROM keys WHERE kid = ?`, kid).Scan(&k); err != nil || len(k) != keystore.KeySize {
		t.Fatalf("key %d: %d bytes, %v", kid, len(k), err)
	}
	return k
}

func joinLate(t *testing.T, store eventstore.Store, svc *personal.Service) {
	t.Helper()
	l := ledger.New(store, ledger.Options{Seal: svc.Cipher().Seal})
	execute(t, l, true, domain.OpenEngagement{
		EngagementID: engID, Title: "Shop", ClientName: "Maison Dupont", SupplierName: "Conseil & Co",
		Opener: domain.NewStakeholder{StakeholderID: opener, Party: domain.PartySupplier, Name: openName, PrincipalID: "prn-1"},
	})
	execute(t, l, false, domain.AddStakeholder{ActorID: opener, NewStakeholder: domain.NewStakeholder{
		StakeholderID: late, Party: domain.PartyClient, Name: lateName, Email: lateMail, PrincipalID: "prn-2",
	}})
}

// A crash loses the binding of a key handed out, whose event was stored;
// after the restart the subject gets a second key (its first binding is
// not in the file). The erasure destroys both: the second bound in
// memory, the first named by the envelope in the log. The name no longer
// opens, and neither key is left in keys.db.
func TestErasureAfterLostBinding(t *testing.T) {
	for name, open := range backends(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			b := open(t)
			path := filepath.Join(t.TempDir(), "keys.db")
			keys, err := keystore.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			svc, err := personal.NewService(ctx, b.store, keys)
			if err != nil {
				t.Fatal(err)
			}
			joinLate(t, b.store, svc)
			subject := personal.Subject(engID, late)
			kid1 := kidOf(t, b.store, subject)
			key1 := storedKey(t, path, kid1)
			crash(t, keys, path)

			keys, err = keystore.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { keys.Close() }()
			if svc, err = personal.NewService(ctx, b.store, keys); err != nil {
				t.Fatal(err)
			}
			kid2, _, err := keys.KeyFor(ctx, subject)
			if err != nil || kid2 == kid1 {
				t.Fatalf("KeyFor after the crash: %d %v, want a second key", kid2, err)
			}
			key2 := storedKey(t, path, kid2)
			// An event sealed with it, in flight.
			_, _, data, _ := domain.Marshal(&domain.StakeholderJoined{Header: domain.Header{EngagementID: engID, At: time.Now()}, StakeholderID: late, Party: domain.PartyClient, Name: lateName})
			inFlight := uuid.Must(uuid.NewV7())
			sealed, err := svc.Cipher().Seal(ctx, inFlight, domain.TypeStakeholderJoined, data)
			if err != nil {
				t.Fatal(err)
			}
			reveal := func() string {
				st, _, err := ledger.New(b.store, ledger.Options{}).Load(ctx, engID)
				if err != nil {
					t.Fatal(err)
				}
				j, _ := json.Marshal(st)
				out, err := svc.Cipher().Reveal(ctx, j)
				if err != nil {
					t.Fatal(err)
				}
				return string(out)
			}
			if !strings.Contains(reveal(), lateName) {
				t.Fatal("the stored name does not open after the crash")
			}

			if _, _, err := svc.Erase(ctx, subject, "Art. 17", "prn-admin"); err != nil {
				t.Fatal(err)
			}
			if s := reveal(); strings.Contains(s, lateName) || !strings.Contains(s, openName) {
				t.Errorf("after the erasure: %s", s)
			}
			if _, st, err := svc.Cipher().Open(ctx, inFlight, domain.TypeStakeholderJoined, sealed); err != nil || st != personal.Erased {
				t.Errorf("the event sealed with the second key: %v %v, want Erased", st, err)
			}
			keys.Close()
			keys, err = keystore.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			for _, kid := range []int64{kid1, kid2} {
				if _, err := keys.KeyByID(ctx, kid); !errors.Is(err, keystore.ErrErased) {
					t.Errorf("key %d after the erasure: %v, want ErrErased", kid, err)
				}
			}
			keys.Close()
			for _, f := range []string{path, path + "-wal"} {
				data, err := os.ReadFile(f)
				if errors.Is(err, os.ErrNotExist) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				for i, k := range [][]byte{key1, key2} {
					if bytes.Contains(data, k[:16]) {
						t.Errorf("%s still holds key %d", filepath.Base(f), []int64{kid1, kid2}[i])
					}
				}
			}
		})
	}
}

// A crash after the erasure's event, before the keys' destruction, and
// with the binding of the subject's key lost: the next start finishes the
// erasure from the log; the start after that reads no engagement again.
func TestReconcileFinishesErasure(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	events, err := sqlite.Open(ctx, filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	path := filepath.Join(dir, "keys.db")
	keys, err := keystore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := personal.NewService(ctx, events, keys)
	if err != nil {
		t.Fatal(err)
	}
	joinLate(t, events, svc)
	subject := personal.Subject(engID, late)
	kid := kidOf(t, events, subject)
	crash(t, keys, path)
	data, _ := json.Marshal(personal.Erasure{Subject: subject, Reason: "r", PrincipalID: "p", At: time.Now().UTC()})
	if _, err := events.Append(ctx, personal.Stream, eventstore.Any(), eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: personal.TypeSubjectErased, Data: data}); err != nil {
		t.Fatal(err)
	}

	keys, err = keystore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { keys.Close() }()
	counted := &countingStore{Store: events}
	if _, err := personal.NewService(ctx, counted, keys); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.KeyByID(ctx, kid); !errors.Is(err, keystore.ErrErased) {
		t.Errorf("the key named by the log after reconcile: %v, want erased", err)
	}
	if _, err := keys.Key(ctx, subject); !errors.Is(err, keystore.ErrErased) {
		t.Errorf("the subject after reconcile: %v, want erased", err)
	}
	if counted.engagementReads == 0 {
		t.Fatal("reconcile did not read the engagement")
	}
	counted.engagementReads = 0
	if _, err := personal.NewService(ctx, counted, keys); err != nil {
		t.Fatal(err)
	}
	if counted.engagementReads != 0 {
		t.Errorf("a completed erasure was reconciled again: %d reads of the engagement", counted.engagementReads)
	}
}

// countingStore counts the reads of engagement streams.
type countingStore struct {
	eventstore.Store
	engagementReads int
}

func (c *countingStore) ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) ([]eventstore.RecordedEvent, error) {
	if strings.HasPrefix(stream, ledger.StreamPrefix) {
		c.engagementReads++
	}
	return c.Store.ReadStream(ctx, stream, opts)
}
