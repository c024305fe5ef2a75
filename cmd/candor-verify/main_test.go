package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/eventstore/sqlite"
	"github.com/candor-ledger/candor/evidence"
)

// A bundle the log exported verifies; the same bundle with one byte of an
// event's data changed does not, and the command says where.
func TestVerifyBundle(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for i := range 3 {
		ev := eventstore.EventData{ID: uuid.New(), Type: "note.taken", Data: []byte(`{"n":` + string(rune('0'+i)) + `}`), Metadata: []byte(`{}`)}
		if _, err := store.Append(ctx, "notes", eventstore.Any(), ev); err != nil {
			t.Fatal(err)
		}
	}
	key, _, err := evidence.LoadKey(filepath.Join(dir, evidence.KeyFile), true)
	if err != nil {
		t.Fatal(err)
	}
	l, err := evidence.Open(ctx, filepath.Join(dir, evidence.DBFile), store, key, evidence.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := l.Export(ctx, "notes")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "bundle.json")
	write := func() {
		raw, _ := json.MarshalIndent(b, "", "  ")
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write()
	var out bytes.Buffer
	if code := run([]string{"--bundle", path, "--key", key.Public}, &out, &out); code != 0 || !strings.HasPrefix(out.String(), "OK: 3 events") {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	b.Events[1].Data = `{"n":7}`
	write()
	out.Reset()
	if code := run([]string{"--bundle", path}, &out, &out); code != 1 || !strings.Contains(out.String(), "revision 1") {
		t.Fatalf("tampered: exit %d: %s", code, out.String())
	}
	out.Reset()
	if code := run(nil, &out, &out); code != 2 {
		t.Fatalf("no bundle: exit %d", code)
	}
}
