package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/demo"
	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/personal"
)

// sealedDemo writes the sample engagement, its personal fields sealed as
// serve seals them, into a new data directory, and returns the engagement
// and the subject ids of its stakeholders by name.
func sealedDemo(t *testing.T, dir string) (engagement string, subjects map[string]string) {
	t.Helper()
	return sealedDemoAt(t, dir, time.Now(), 0)
}

// sealedDemoAt tells the demo's story ending at end and, when retention is
// set, closes the engagement then with that retention period.
func sealedDemoAt(t *testing.T, dir string, end time.Time, retention int) (engagement string, subjects map[string]string) {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	reg, err := auth.Open(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	pd, keys, err := openPersonal(ctx, dir, store)
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	d, err := demo.Load(ctx, store, reg, end, demo.WithSeal(pd.Cipher().Seal))
	if err != nil {
		t.Fatal(err)
	}
	if retention > 0 {
		l := ledger.New(store, ledger.Options{Now: func() time.Time { return end }, Seal: pd.Cipher().Seal})
		if _, err := l.Execute(ctx, ledger.Request{EngagementID: d.EngagementID, Command: func(st *domain.Engagement) (domain.Command, error) {
			sam, ok := st.StakeholderByPrincipal(d.Supplier.PrincipalID)
			if !ok {
				t.Fatal("no supplier stakeholder")
			}
			return domain.CloseEngagement{ActorID: sam.ID, RetentionDays: retention}, nil
		}}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := store.ReadAll(ctx, eventstore.Start, 100000)
	if err != nil {
		t.Fatal(err)
	}
	subjects = map[string]string{}
	for _, e := range all {
		if e.Type != domain.TypeStakeholderJoined {
			continue
		}
		opened, _, err := pd.Cipher().Open(ctx, e.ID, e.Type, e.Data)
		if err != nil {
			t.Fatal(err)
		}
		var j struct{ Name string }
		if err := json.Unmarshal(opened, &j); err != nil {
			t.Fatal(err)
		}
		sub, _, err := personal.SubjectOf(e.Type, e.Data)
		if err != nil {
			t.Fatal(err)
		}
		engagement, _, _ = personal.SplitSubject(sub)
		subjects[j.Name] = sub
	}
	return engagement, subjects
}

// The evidence verifies after an erasure: the chain and the log cover the
// envelopes, which the erasure leaves as they are. candor verify (the
// store against its log) and the offline verifier of an exported bundle
// pass before and after it, and neither the store nor the bundle holds the
// erased name, nor the other stakeholder's (sealed), while candor export
// --subject opens the other's.
func TestEvidenceVerifiesAfterErasure(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng, subjects := sealedDemo(t, dir)
	pierre, julie := subjects["Pierre Lambert"], subjects["Julie Bernard"]
	if pierre == "" || julie == "" {
		t.Fatalf("demo stakeholders: %v", subjects)
	}

	cmd := func(want int, args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(ctx, append(args, "--data", dir), &stdout, &stderr); code != want {
			t.Fatalf("candor %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	verifyAll := func(when string) {
		t.Helper()
		bundle := filepath.Join(t.TempDir(), "bundle.json")
		cmd(0, "export", "--engagement", eng, "--out", bundle) // opens (at first creates) the log
		if out := cmd(0, "verify"); !strings.HasPrefix(out, "OK: ") || strings.Contains(out, "No transparency log") {
			t.Fatalf("verify %s: %s", when, out)
		}
		if out := cmd(0, "verify", "--bundle", bundle); !strings.Contains(out, "OK") {
			t.Fatalf("verify --bundle %s: %s", when, out)
		}
		b, err := os.ReadFile(bundle)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"Pierre Lambert", "Julie Bernard"} {
			if bytes.Contains(b, []byte(name)) {
				t.Fatalf("the bundle %s holds %q in clear", when, name)
			}
		}
	}

	verifyAll("before the erasure")
	if out := cmd(0, "erase", "--subject", pierre, "--reason", "Art. 17 request"); !strings.HasPrefix(out, "Erased "+pierre) {
		t.Fatalf("erase: %s", out)
	}
	verifyAll("after the erasure")

	var facts personal.Facts
	if err := json.Unmarshal([]byte(cmd(0, "export", "--subject", pierre)), &facts); err != nil {
		t.Fatal(err)
	}
	nameIn := func(f personal.Facts) string {
		var j struct{ Name string }
		if len(f.Events) == 0 || f.Events[0].Type != domain.TypeStakeholderJoined || json.Unmarshal(f.Events[0].Data, &j) != nil {
			t.Fatalf("facts: %+v", f)
		}
		return j.Name
	}
	if n := nameIn(facts); !facts.Erased || n != personal.ErasedValue {
		t.Fatalf("export --subject of the erased: erased %v, name %q", facts.Erased, n)
	}
	facts = personal.Facts{}
	if err := json.Unmarshal([]byte(cmd(0, "export", "--subject", julie)), &facts); err != nil {
		t.Fatal(err)
	}
	if n := nameIn(facts); facts.Erased || n != "Julie Bernard" {
		t.Fatalf("export --subject of another: erased %v, name %q", facts.Erased, n)
	}
	store, err := sqlite.Open(ctx, filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	evs, err := store.ReadStream(ctx, ledger.StreamName(eng), eventstore.ReadStreamOptions{})
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if bytes.Contains(e.Data, []byte("Pierre Lambert")) || bytes.Contains(e.Data, []byte("Julie Bernard")) {
			t.Fatalf("a stored event holds a name in clear: %s", e.Data)
		}
	}
}

// candor retention lists the subjects of an engagement closed with a
// retention period that has passed, erases them with --confirm, and lists
// no one then; an engagement still within its period is left alone.
func TestRetentionCommand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cmd := func(want int, args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if code := run(ctx, append(args, "--data", dir), &stdout, &stderr); code != want {
			t.Fatalf("candor %s: exit %d, want %d\n%s%s", strings.Join(args, " "), code, want, stdout.String(), stderr.String())
		}
		return stdout.String()
	}
	eng, subjects := sealedDemoAt(t, dir, time.Now().AddDate(-2, 0, 0), 365)
	if len(subjects) < 2 {
		t.Fatalf("subjects %v", subjects)
	}
	list := cmd(0, "retention")
	for name, sub := range subjects {
		if !strings.Contains(list, sub) || !strings.Contains(list, eng) {
			t.Fatalf("retention does not list %s (%s):\n%s", name, sub, list)
		}
	}
	if !strings.Contains(list, "--confirm") {
		t.Fatalf("retention without --confirm: %s", list)
	}
	if out := cmd(0, "export", "--subject", subjects["Pierre Lambert"]); !strings.Contains(out, "Pierre Lambert") {
		t.Fatalf("listing erased someone: %s", out)
	}
	if out := cmd(0, "retention", "--confirm"); !strings.Contains(out, "Erased ") {
		t.Fatalf("retention --confirm: %s", out)
	}
	if out := cmd(0, "export", "--subject", subjects["Pierre Lambert"]); strings.Contains(out, "Pierre Lambert") || !strings.Contains(out, personal.ErasedValue) {
		t.Fatalf("after retention --confirm: %s", out)
	}
	if out := cmd(0, "retention"); !strings.HasPrefix(out, "No data subject") {
		t.Fatalf("retention after the erasures: %s", out)
	}
	if out := cmd(0, "verify"); !strings.HasPrefix(out, "OK: ") {
		t.Fatalf("verify after the erasures: %s", out)
	}

	// Closed a month ago with a year's retention: nothing is due.
	dir = t.TempDir()
	sealedDemoAt(t, dir, time.Now().AddDate(0, -1, 0), 365)
	if out := cmd(0, "retention", "--confirm"); !strings.HasPrefix(out, "No data subject") {
		t.Fatalf("retention within the period: %s", out)
	}
}
