package evidence

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/verifier"
)

func encodeHashes(hs []tlog.Hash) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = base64.StdEncoding.EncodeToString(h[:])
	}
	return out
}

// Export builds the bundle of one stream: every event as the store holds
// it, each with its leaf's inclusion proof under the latest checkpoint,
// the leaves the log holds for the stream whose event the store lacks,
// and the consistency proofs from every checkpoint a client witnessed in
// it. What does not match is exported as it is, for the verifier to name.
func (l *Log) Export(ctx context.Context, stream string) (*verifier.Bundle, error) {
	s, err := l.Latest(ctx)
	if err != nil {
		return nil, err
	}
	_, head := l.Size() // events after it are not in the log yet: not exported
	var evs []eventstore.RecordedEvent
	for from := uint64(0); ; {
		page, err := l.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{From: from, Limit: 4096})
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("evidence: export %s: %w", stream, err)
		}
		for _, e := range page {
			if e.Position <= head {
				evs = append(evs, e)
			}
		}
		if len(page) < 4096 {
			break
		}
		from = page[len(page)-1].Revision + 1
	}
	at := make([]eventPos, len(evs))
	for i, e := range evs {
		at[i] = eventPos{rev: e.Revision, pos: int64(e.Position)}
	}
	leaves, err := l.streamLeaves(ctx, stream, s.Checkpoint.Size, at)
	if err != nil {
		return nil, err
	}
	byPos := make(map[uint64]leafRec, len(leaves))
	for _, r := range leaves {
		byPos[r.pos] = r
	}
	b := &verifier.Bundle{Format: verifier.BundleFormat, Stream: stream, PublicKeys: l.key.Verifiers(), Checkpoint: s.Note,
		Events: []verifier.BundleEvent{}}
	witnessed := map[int64]string{}
	for i := range evs {
		e := &evs[i]
		be := verifier.BundleEvent{
			Stream: e.Stream, Revision: e.Revision, Position: uint64(e.Position), ID: e.ID.String(), Type: e.Type,
			RecordedAt: e.RecordedAt.UTC(), Data: string(e.Data), Metadata: string(e.Metadata), LeafIndex: -1,
		}
		var m struct {
			PrevHash string            `json:"prev_hash"`
			Witness  *verifier.Witness `json:"witness"`
		}
		_ = json.Unmarshal(e.Metadata, &m) // an unreadable one is the verifier's finding
		be.PrevHash = m.PrevHash
		if m.Witness != nil {
			witnessed[m.Witness.Size] = m.Witness.Root
		}
		// The hash is the log's: content that changed since no longer
		// matches it, and the verifier says so.
		be.Hash = fmt.Sprintf("%x", verifier.EventHash(&verifier.Event{Stream: e.Stream, Revision: e.Revision,
			ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata}))
		if r, ok := byPos[uint64(e.Position)]; ok {
			delete(byPos, r.pos)
			be.Hash, be.LeafIndex = fmt.Sprintf("%x", r.eventHash), r.idx
			lf, err := l.prove(r, s)
			if err != nil {
				return nil, err
			}
			be.Proof = lf.Proof
		}
		b.Events = append(b.Events, be)
	}
	for _, r := range leaves {
		if _, gone := byPos[r.pos]; !gone {
			continue
		}
		lf, err := l.prove(r, s)
		if err != nil {
			return nil, err
		}
		b.Missing = append(b.Missing, lf)
	}
	for size, root := range witnessed {
		if size > s.Checkpoint.Size || size <= 0 {
			continue // the verifier reports it
		}
		p, err := tlog.ProveTree(s.Checkpoint.Size, size, l.reader())
		if err != nil {
			return nil, fmt.Errorf("evidence: prove tree: %w", err)
		}
		b.Consistency = append(b.Consistency, verifier.Consistency{From: size, FromRoot: root, Proof: encodeHashes(p)})
	}
	return b, nil
}
