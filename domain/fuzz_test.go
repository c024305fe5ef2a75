package domain

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var writeCorpus = flag.Bool("write-corpus", false, "rewrite testdata/fuzz/FuzzUnmarshal from the life story")

// FuzzUnmarshal: Unmarshal never panics, fails only with the codec
// sentinels, and whatever it accepts Marshal writes back to a payload that
// decodes to the same bytes again.
func FuzzUnmarshal(f *testing.F) {
	for _, e := range lifeStory(f).events {
		typ, v, data, err := Marshal(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(typ, v, data)
	}
	v1, err := os.ReadFile("testdata/delay_disclosed_v1.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(TypeDelayDisclosed, 1, v1)
	f.Fuzz(func(t *testing.T, typ string, version int, data []byte) {
		e, err := Unmarshal(typ, version, data)
		if err != nil {
			if !errors.Is(err, ErrUnknownEventType) && !errors.Is(err, ErrMalformedEvent) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if e.EventType() != typ {
			t.Fatalf("type %s decoded as %s", typ, e.EventType())
		}
		typ2, v2, out, err := Marshal(e)
		if err != nil {
			t.Fatalf("Marshal of an accepted event: %v", err)
		}
		back, err := Unmarshal(typ2, v2, out)
		if err != nil {
			t.Fatalf("re-Unmarshal: %v", err)
		}
		_, _, out2, err := Marshal(back)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%s\n%s", out, out2)
		}
		// Folding a stray event never panics.
		_, _ = Evolve(nil, e)
	})
}

// TestWriteFuzzCorpus regenerates the committed seed corpus (one file per
// event type) when run with -write-corpus.
func TestWriteFuzzCorpus(t *testing.T) {
	if !*writeCorpus {
		t.Skip("run with -write-corpus to regenerate testdata/fuzz/FuzzUnmarshal")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzUnmarshal")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	done := map[string]bool{}
	for _, e := range lifeStory(t).events {
		typ, v, data, err := Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if done[typ] {
			continue
		}
		done[typ] = true
		body := fmt.Sprintf("go test fuzz v1\nstring(%q)\nint(%d)\n[]byte(%q)\n", typ, v, data)
		if err := os.WriteFile(filepath.Join(dir, "seed-"+typ), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	v1, _ := os.ReadFile(filepath.Join("testdata", "delay_disclosed_v1.json"))
	body := fmt.Sprintf("go test fuzz v1\nstring(%q)\nint(1)\n[]byte(%q)\n", TypeDelayDisclosed, bytes.TrimSpace(v1))
	if err := os.WriteFile(filepath.Join(dir, "seed-delay.disclosed-v1"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
