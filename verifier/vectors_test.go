package verifier_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/candor-ledger/candor/verifier"
)

var update = flag.Bool("update", false, "rewrite testdata/vectors.json from the code")

// vectors is testdata/vectors.json: inputs and the values every verifier
// must compute from them (docs/EVIDENCE.md, "Test vectors").
type vectors struct {
	Comment string        `json:"comment"`
	Events  []eventVector `json:"events"`
	Tree    struct {
		Size        int64    `json:"size"`
		Root        string   `json:"root"`
		Inclusion   proofVec `json:"inclusion"`
		Consistency proofVec `json:"consistency"`
	} `json:"tree"`
	Checkpoint struct {
		PrivateKey string `json:"private_key"` // a test key: never use it for anything else
		PublicKey  string `json:"public_key"`
		Text       string `json:"text"`
		Signed     string `json:"signed"`
	} `json:"checkpoint"`
}

type eventVector struct {
	Stream     string    `json:"stream"`
	Revision   uint64    `json:"revision"`
	Position   uint64    `json:"position"`
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	RecordedAt time.Time `json:"recorded_at"`
	Data       string    `json:"data"`     // the exact bytes, as a string
	Metadata   string    `json:"metadata"` // the exact bytes, as a string
	// Computed.
	EventHash string `json:"event_hash"` // hex
	LeafData  string `json:"leaf_data"`  // hex
	LeafHash  string `json:"leaf_hash"`  // base64
}

type proofVec struct {
	Leaf  int64    `json:"leaf,omitempty"` // inclusion: leaf index
	From  int64    `json:"from,omitempty"` // consistency: old size
	Root  string   `json:"from_root,omitempty"`
	Proof []string `json:"proof"`
}

func b64(h tlog.Hash) string { return base64.StdEncoding.EncodeToString(h[:]) }

// compute fills every computed field of v from its inputs.
func compute(t *testing.T, v *vectors) {
	t.Helper()
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	prev := ""
	for i := range v.Events {
		ev := &v.Events[i]
		id, err := hex.DecodeString(ev.ID[0:8] + ev.ID[9:13] + ev.ID[14:18] + ev.ID[19:23] + ev.ID[24:])
		if err != nil {
			t.Fatal(err)
		}
		e := verifier.Event{Stream: ev.Stream, Revision: ev.Revision, Position: ev.Position, ID: [16]byte(id),
			Type: ev.Type, RecordedAt: ev.RecordedAt, Data: []byte(ev.Data), Metadata: []byte(ev.Metadata)}
		var m struct {
			PrevHash string `json:"prev_hash"`
		}
		if err := json.Unmarshal([]byte(ev.Metadata), &m); err != nil || m.PrevHash != prev {
			t.Fatalf("event %d: metadata prev_hash %q, want %q (%v)", i, m.PrevHash, prev, err)
		}
		h := verifier.EventHash(&e)
		ev.EventHash = hex.EncodeToString(h[:])
		prev = ev.EventHash
		ev.LeafData = hex.EncodeToString(verifier.LeafData(e.Position, e.RecordedAt, h))
		leaf := verifier.LeafHash(&e)
		ev.LeafHash = b64(leaf)
		hs, err := tlog.StoredHashesForRecordHash(int64(i), leaf, reader)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
	}
	n := int64(len(v.Events))
	root, err := tlog.TreeHash(n, reader)
	if err != nil {
		t.Fatal(err)
	}
	v.Tree.Size, v.Tree.Root = n, b64(root)
	rp, err := tlog.ProveRecord(n, v.Tree.Inclusion.Leaf, reader)
	if err != nil {
		t.Fatal(err)
	}
	v.Tree.Inclusion.Proof = nil
	for _, h := range rp {
		v.Tree.Inclusion.Proof = append(v.Tree.Inclusion.Proof, b64(h))
	}
	old, err := tlog.TreeHash(v.Tree.Consistency.From, reader)
	if err != nil {
		t.Fatal(err)
	}
	v.Tree.Consistency.Root = b64(old)
	tp, err := tlog.ProveTree(n, v.Tree.Consistency.From, reader)
	if err != nil {
		t.Fatal(err)
	}
	v.Tree.Consistency.Proof = nil
	for _, h := range tp {
		v.Tree.Consistency.Proof = append(v.Tree.Consistency.Proof, b64(h))
	}
	signer, err := note.NewSigner(v.Checkpoint.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	cp := verifier.Checkpoint{Origin: signer.Name(), Size: n, Root: root, Time: time.Date(2026, 12, 4, 19, 0, 0, 0, time.UTC)}
	v.Checkpoint.Text = cp.Format()
	signed, err := note.Sign(&note.Note{Text: v.Checkpoint.Text}, signer)
	if err != nil {
		t.Fatal(err)
	}
	v.Checkpoint.Signed = string(signed)
}

// TestVectors recomputes every value of testdata/vectors.json from its
// inputs: a change to the encoding that would break third-party verifiers
// fails here. With -update it rewrites the file instead.
func TestVectors(t *testing.T) {
	path := filepath.Join("testdata", "vectors.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want vectors
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	got := want
	got.Events = append([]eventVector(nil), want.Events...)
	compute(t, &got)
	out, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, '\n')
	if *update {
		if err := os.WriteFile(path, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(out) != string(raw) {
		t.Errorf("testdata/vectors.json does not match what the code computes (run with -update only if the format changed on purpose):\n%s", out)
	}
	// The published values verify with the library calls a verifier makes.
	cp, _, err := verifier.OpenCheckpoint(want.Checkpoint.Signed, []string{want.Checkpoint.PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	proof := make(tlog.RecordProof, len(want.Tree.Inclusion.Proof))
	for i, s := range want.Tree.Inclusion.Proof {
		h, _ := base64.StdEncoding.DecodeString(s)
		proof[i] = tlog.Hash(h)
	}
	leaf, _ := base64.StdEncoding.DecodeString(want.Events[want.Tree.Inclusion.Leaf].LeafHash)
	if err := tlog.CheckRecord(proof, cp.Size, cp.Root, want.Tree.Inclusion.Leaf, tlog.Hash(leaf)); err != nil {
		t.Errorf("inclusion vector: %v", err)
	}
	var b verifier.Bundle
	b.Consistency = []verifier.Consistency{{From: want.Tree.Consistency.From, FromRoot: want.Tree.Consistency.Root, Proof: want.Tree.Consistency.Proof}}
	old := verifier.Checkpoint{Origin: cp.Origin, Size: want.Tree.Consistency.From, Time: cp.Time}
	copy(old.Root[:], mustB64(t, want.Tree.Consistency.Root))
	signer, _ := note.NewSigner(want.Checkpoint.PrivateKey)
	oldSigned, _ := note.Sign(&note.Note{Text: old.Format()}, signer)
	if err := verifier.CheckConsistency(string(oldSigned), want.Checkpoint.Signed, want.Tree.Consistency.Proof, []string{want.Checkpoint.PublicKey}); err != nil {
		t.Errorf("consistency vector: %v", err)
	}
}

func mustB64(t *testing.T, s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
