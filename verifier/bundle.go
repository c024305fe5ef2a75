package verifier

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// BundleFormat names the export format this package reads.
const BundleFormat = "candor-bundle/v1"

// Bundle is an export: every event of one stream, each with its inclusion
// proof under one signed checkpoint, the public keys, and the consistency
// proofs from the checkpoints the client witnessed to the bundle's one.
type Bundle struct {
	Format     string        `json:"format"`
	Stream     string        `json:"stream"`
	PublicKeys []string      `json:"public_keys"` // note verifier keys; the current one first
	Checkpoint string        `json:"checkpoint"`  // signed note
	Events     []BundleEvent `json:"events"`
	// Missing lists leaves the log holds for this stream whose event the
	// store no longer has: an exporter that finds any says so here.
	Missing     []Leaf        `json:"missing,omitempty"`
	Consistency []Consistency `json:"consistency,omitempty"`
}

// BundleEvent is one stored event, every field as stored, with its leaf.
type BundleEvent struct {
	Stream     string    `json:"stream"`
	Revision   uint64    `json:"revision"`
	Position   uint64    `json:"position"`
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	RecordedAt time.Time `json:"recorded_at"`
	// Data and Metadata hold the stored JSON's exact bytes, as strings: a
	// tool that reformats the bundle cannot change what is hashed.
	Data      string   `json:"data"`
	Metadata  string   `json:"metadata"`
	Hash      string   `json:"hash"`
	PrevHash  string   `json:"prev_hash"`
	LeafIndex int64    `json:"leaf_index"`
	Proof     []string `json:"proof"` // base64 hashes, under the bundle's checkpoint
}

// Leaf is an event as the log holds it: enough to recompute its leaf hash
// (position, recorded time, event hash) and check it under a checkpoint.
type Leaf struct {
	Stream     string    `json:"stream"`
	Revision   uint64    `json:"revision"`
	Position   uint64    `json:"position"`
	RecordedAt time.Time `json:"recorded_at"`
	Hash       string    `json:"hash"` // event hash, hex
	LeafIndex  int64     `json:"leaf_index"`
	Proof      []string  `json:"proof"`
}

// Consistency proves that the tree of size From with root FromRoot is a
// prefix of the bundle's tree.
type Consistency struct {
	From     int64    `json:"from"`
	FromRoot string   `json:"from_root"` // base64
	Proof    []string `json:"proof"`
}

// Receipt is what a write's response carries: a signed checkpoint and the
// leaves of the events it wrote, each with its inclusion proof.
type Receipt struct {
	Checkpoint string `json:"checkpoint"`
	Leaves     []Leaf `json:"leaves"`
}

// ParseReceipt reads a receipt file: a receipt object, or a whole write
// response whose "receipt" member is one.
func ParseReceipt(b []byte) (Receipt, error) {
	var wrapped struct {
		Receipt *Receipt `json:"receipt"`
	}
	if err := json.Unmarshal(b, &wrapped); err == nil && wrapped.Receipt != nil {
		return *wrapped.Receipt, nil
	}
	var r Receipt
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("verifier: receipt: %w", err)
	}
	if r.Checkpoint == "" {
		return r, errors.New("verifier: receipt: no checkpoint")
	}
	return r, nil
}

// Problem is one thing that does not hold.
type Problem struct {
	Stream   string `json:"stream,omitempty"`
	Revision uint64 `json:"revision"`
	Position uint64 `json:"position"`
	Reason   string `json:"reason"`
}

func (p Problem) String() string {
	return fmt.Sprintf("stream %s, revision %d, position %d: %s", p.Stream, p.Revision, p.Position, p.Reason)
}

// Report is the outcome of Verify.
type Report struct {
	Checkpoint Checkpoint
	Events     int
	Receipts   int
	Witnessed  int // checkpoints recorded in events, proved consistent
	Problems   []Problem
}

// OK reports whether everything held.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

func (r *Report) fail(stream string, rev, pos uint64, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Stream: stream, Revision: rev, Position: pos, Reason: fmt.Sprintf(format, args...)})
}

// meta is what the verifier reads in an event's metadata.
type meta struct {
	// PrevHash links the event to its predecessor; streams whose events
	// carry none (the principals') are not chained, only logged.
	PrevHash *string  `json:"prev_hash"`
	Hash     string   `json:"hash"` // only in events sealed before chain v2
	Witness  *Witness `json:"witness"`
}

// Witness is a checkpoint a client saw, recorded in the event it wrote.
type Witness struct {
	Size int64  `json:"size"`
	Root string `json:"root"` // base64
}

// Verify checks a bundle, and the receipts a client kept, with nothing
// but the public keys the bundle names. A bundle that cannot be read at
// all (no valid signature) is an error; everything else is a Problem.
func Verify(b *Bundle, receipts []Receipt) (Report, error) {
	var rep Report
	if b.Format != BundleFormat {
		return rep, fmt.Errorf("verifier: bundle format %q, want %q", b.Format, BundleFormat)
	}
	cp, _, err := OpenCheckpoint(b.Checkpoint, b.PublicKeys)
	if err != nil {
		return rep, err
	}
	rep.Checkpoint = cp
	leaves := map[int64]tlog.Hash{} // leaf index -> leaf hash, of the bundle's events
	link := ""
	var lastPos uint64
	for i := range b.Events {
		be := &b.Events[i]
		e, m, err := be.event()
		if err != nil {
			rep.fail(be.Stream, be.Revision, be.Position, "%v", err)
			continue
		}
		fail := func(format string, args ...any) { rep.fail(e.Stream, e.Revision, e.Position, format, args...) }
		switch {
		case e.Stream != b.Stream:
			fail("event of another stream %q", e.Stream)
		case e.Revision != uint64(i):
			fail("revision %d where %d was expected: an event is missing or out of order", e.Revision, i)
		case i > 0 && e.Position <= lastPos:
			fail("position not after the previous event's %d", lastPos)
		}
		lastPos = e.Position
		h := EventHash(&e)
		if hx := hex.EncodeToString(h[:]); hx != be.Hash {
			fail("event content does not match its hash")
		}
		if m.PrevHash != nil && *m.PrevHash != link {
			fail("prev_hash does not match the previous event's hash")
		}
		link = m.linkOf(h)
		leaf := LeafHash(&e)
		leaves[be.LeafIndex] = leaf
		if err := checkRecord(be.Proof, cp, be.LeafIndex, leaf); err != nil {
			fail("not in the signed log at leaf %d: %v", be.LeafIndex, err)
		}
		if m.Witness != nil {
			if err := witnessed(b, *m.Witness, cp); err != nil {
				fail("witnessed checkpoint of size %d: %v", m.Witness.Size, err)
			} else {
				rep.Witnessed++
			}
		}
		rep.Events++
	}
	for _, l := range b.Missing {
		rep.fail(l.Stream, l.Revision, l.Position, "the log holds this event at leaf %d but the export has no such event", l.LeafIndex)
	}
	for _, r := range receipts {
		rep.Receipts++
		checkReceipt(&rep, b, cp, leaves, r)
	}
	return rep, nil
}

// event decodes a bundle event into what EventHash needs.
func (be *BundleEvent) event() (Event, meta, error) {
	e := Event{
		Stream: be.Stream, Revision: be.Revision, Position: be.Position, Type: be.Type,
		RecordedAt: be.RecordedAt, Data: []byte(be.Data), Metadata: []byte(be.Metadata),
	}
	var m meta
	id, err := parseUUID(be.ID)
	if err != nil {
		return e, m, err
	}
	e.ID = id
	if be.Metadata != "" && be.Metadata != "null" {
		if err := json.Unmarshal([]byte(be.Metadata), &m); err != nil {
			return e, m, fmt.Errorf("metadata is not JSON: %v", err)
		}
	}
	return e, m, nil
}

// linkOf is the hash the next event's prev_hash names: the event hash,
// or for an event sealed before chain v2, the hash in its metadata (its
// bytes are covered by the log all the same).
func (m meta) linkOf(h [32]byte) string {
	if m.Hash != "" {
		return m.Hash
	}
	return hex.EncodeToString(h[:])
}

func checkRecord(proof []string, cp Checkpoint, index int64, leaf tlog.Hash) error {
	p, err := decodeHashes(proof)
	if err != nil {
		return err
	}
	if index < 0 || index >= cp.Size {
		return fmt.Errorf("leaf %d outside a tree of size %d", index, cp.Size)
	}
	return tlog.CheckRecord(tlog.RecordProof(p), cp.Size, cp.Root, index, leaf)
}

// witnessed checks that the bundle proves the witnessed tree a prefix of
// its own.
func witnessed(b *Bundle, w Witness, cp Checkpoint) error {
	root, err := decodeHash(w.Root)
	if err != nil {
		return err
	}
	return checkConsistency(b, w.Size, root, cp)
}

func checkConsistency(b *Bundle, size int64, root tlog.Hash, cp Checkpoint) error {
	if size > cp.Size {
		return fmt.Errorf("larger than the bundle's tree (%d): the log shrank", cp.Size)
	}
	if size == cp.Size {
		if root != cp.Root {
			return errors.New("same size, another root: the log was rewritten")
		}
		return nil
	}
	for _, c := range b.Consistency {
		if c.From != size || c.FromRoot != base64.StdEncoding.EncodeToString(root[:]) {
			continue
		}
		p, err := decodeHashes(c.Proof)
		if err != nil {
			return err
		}
		if err := tlog.CheckTree(tlog.TreeProof(p), cp.Size, cp.Root, size, root); err != nil {
			return fmt.Errorf("not a prefix of the bundle's tree: the log was rewritten (%v)", err)
		}
		return nil
	}
	return errors.New("the bundle has no consistency proof from it")
}

// checkReceipt checks one receipt on its own (signature, inclusion), then
// against the bundle: every leaf of the bundle's stream it names must be
// in the bundle, unchanged, and its tree a prefix of the bundle's.
func checkReceipt(rep *Report, b *Bundle, cp Checkpoint, leaves map[int64]tlog.Hash, r Receipt) {
	rc, _, err := OpenCheckpoint(r.Checkpoint, b.PublicKeys)
	if err != nil {
		rep.fail("", 0, 0, "receipt: %v", err)
		return
	}
	ours := false
	for _, l := range r.Leaves {
		eh, err := hex.DecodeString(l.Hash)
		if err != nil || len(eh) != 32 {
			rep.fail(l.Stream, l.Revision, l.Position, "receipt: bad event hash %q", l.Hash)
			continue
		}
		leaf := tlog.RecordHash(LeafData(l.Position, l.RecordedAt, [32]byte(eh)))
		if err := checkRecord(l.Proof, rc, l.LeafIndex, leaf); err != nil {
			rep.fail(l.Stream, l.Revision, l.Position, "receipt: leaf %d not under its own checkpoint: %v", l.LeafIndex, err)
			continue
		}
		if l.Stream != b.Stream {
			continue
		}
		ours = true
		got, ok := leaves[l.LeafIndex]
		switch {
		case !ok:
			rep.fail(l.Stream, l.Revision, l.Position, "receipt: the export has no event at leaf %d: it was removed", l.LeafIndex)
		case got != leaf:
			rep.fail(l.Stream, l.Revision, l.Position, "receipt: the event at leaf %d differs from the one received: it was changed", l.LeafIndex)
		}
	}
	if !ours {
		return
	}
	if rc.Size > cp.Size {
		rep.fail(b.Stream, 0, 0, "receipt: its tree (%d) is larger than the bundle's (%d): the log shrank", rc.Size, cp.Size)
		return
	}
	// The bundle may carry a consistency proof from the receipt's tree;
	// without one, the leaves compared above are what is known.
	for _, c := range b.Consistency {
		if c.From == rc.Size {
			if err := checkConsistency(b, rc.Size, rc.Root, cp); err != nil {
				rep.fail(b.Stream, 0, 0, "receipt of tree size %d: %v", rc.Size, err)
			}
			return
		}
	}
	if rc.Size == cp.Size && rc.Root != cp.Root {
		rep.fail(b.Stream, 0, 0, "receipt of tree size %d: same size, another root: the log was rewritten", rc.Size)
	}
}

func decodeHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("bad hash %q", s)
	}
	copy(h[:], b)
	return h, nil
}

func decodeHashes(ss []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(ss))
	for i, s := range ss {
		h, err := decodeHash(s)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

// parseUUID reads a UUID in its 8-4-4-4-12 hex form.
func parseUUID(s string) ([16]byte, error) {
	var id [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id, fmt.Errorf("bad event id %q", s)
	}
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil {
		return id, fmt.Errorf("bad event id %q", s)
	}
	copy(id[:], b)
	return id, nil
}

// CheckConsistency checks, for a client holding an old signed checkpoint,
// a consistency proof (as GET /v1/evidence/consistency returns it) to a
// newer one: both signed by one of keys, the old tree a prefix of the new.
func CheckConsistency(oldSigned, newSigned string, proof []string, keys []string) error {
	oc, _, err := OpenCheckpoint(oldSigned, keys)
	if err != nil {
		return err
	}
	nc, _, err := OpenCheckpoint(newSigned, keys)
	if err != nil {
		return err
	}
	b := &Bundle{Consistency: []Consistency{{From: oc.Size, FromRoot: base64.StdEncoding.EncodeToString(oc.Root[:]), Proof: proof}}}
	return checkConsistency(b, oc.Size, oc.Root, nc)
}
