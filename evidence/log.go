// Package evidence keeps Candor's transparency log: an RFC 6962 Merkle tree
// (golang.org/x/mod/sumdb/tlog) over every event of the store in global
// position order, with signed checkpoints (golang.org/x/mod/sumdb/note),
// inclusion and consistency proofs, and receipts for writes.
//
// The log follows the store's subscription like a read model, idempotent
// by position, and keeps its leaves and tree hashes in its own SQLite file
// (evidence.db). It is a function of the store: rebuilt from the same
// events it is the same tree, so a crash before a commit loses nothing.
// docs/EVIDENCE.md specifies what it computes; package verifier holds the
// encoding, shared with the offline verifier.
package evidence

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	_ "github.com/ncruces/go-sqlite3/driver" // database/sql driver "sqlite3"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/internal/fileperm"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/verifier"
)

// Errors of the log. Test with errors.Is.
var (
	ErrNotFound = errors.New("evidence: no such event in the log")
	// ErrBreach: the log does not match the store; nothing new is signed.
	ErrBreach = errors.New("evidence: the store does not match its log")
	// ErrTreeSize: a tree size beyond the log's, or from > to.
	ErrTreeSize = errors.New("evidence: tree size out of range")
	// ErrCheckpointInvalid: a checkpoint that is malformed or not signed by
	// the log's key (or a previous one).
	ErrCheckpointInvalid = errors.New("evidence: checkpoint not readable or not signed by this log")
	// ErrCheckpointInconsistent: a checkpoint signed by this log that its
	// tree is not consistent with: a rewritten history.
	ErrCheckpointInconsistent = errors.New("evidence: checkpoint not consistent with the log")
)

// Options tune a Log.
type Options struct {
	Logger *slog.Logger     // default slog.Default()
	Now    func() time.Time // checkpoint times; default time.Now
	// CommitInterval is how often ingested leaves are written to
	// evidence.db (default 250ms). Proofs and receipts do not wait for it,
	// and what a crash loses is taken in again from the store at start;
	// a longer interval writes each index page once for more leaves.
	CommitInterval time.Duration
	// CacheSize bounds the tree hashes and leaves kept in memory (default 65,536 each).
	CacheSize int
	// SignInterval is the least time between two signatures (default
	// 2ms): writes that need a checkpoint meanwhile wait for the next
	// one, which covers them all, as a group commit does. Under load it
	// bounds the signatures to 500/s; an idle log signs at once.
	SignInterval time.Duration
}

// Breach describes the first way the store was found not to match its log.
type Breach struct {
	Reason   string
	Stream   string
	Revision uint64
	Position uint64
	Leaf     int64
}

func (b *Breach) Error() string { return "evidence: " + b.String() }

// String is a one-line account of the finding.
func (b *Breach) String() string {
	if b.Stream == "" {
		return b.Reason
	}
	return fmt.Sprintf("%s (stream %s, revision %d, position %d, leaf %d)", b.Reason, b.Stream, b.Revision, b.Position, b.Leaf)
}

// Unwrap makes errors.Is(b, ErrBreach) hold.
func (b *Breach) Unwrap() error { return ErrBreach }

// leafRec is one leaf as evidence.db keeps it.
type leafRec struct {
	idx       int64
	pos       uint64
	stream    string
	rev       uint64
	at        int64 // recorded_at, Unix nanoseconds
	id        [16]byte
	eventHash [32]byte
	leafHash  tlog.Hash
	// stored are the tree hashes appending this leaf made, by level from
	// 0 (the leaf hash): tlog's stored hashes StoredHashIndex(0, idx)...
	// Only the write to evidence.db needs them.
	stored []tlog.Hash
}

func (r *leafRec) leaf() verifier.Leaf {
	return verifier.Leaf{
		Stream: r.stream, Revision: r.rev, Position: r.pos, RecordedAt: time.Unix(0, r.at).UTC(),
		Hash: fmt.Sprintf("%x", r.eventHash), LeafIndex: r.idx,
	}
}

// Signed is a signed checkpoint.
type Signed struct {
	Checkpoint verifier.Checkpoint
	Note       string // the signed note
}

// Log is the transparency log. Run follows the store; the other methods
// are safe for concurrent use.
type Log struct {
	db    *sql.DB
	store eventstore.Store
	key   *Key
	opts  Options

	fmu     sync.Mutex // held by flush, and by readers of leaves that must not miss one in flight
	inserts [insertBatch + 1]*sql.Stmt

	mu        sync.Mutex
	size      int64               // leaves ingested
	pos       eventstore.Position // of the last leaf ingested
	committed int64               // leaves in evidence.db
	pending   []leafRec           // ingested, not yet in evidence.db, by position
	signed    *Signed             // latest checkpoint
	savedSig  *Signed             // latest checkpoint in evidence.db
	signing   bool
	lastSign  time.Time     // when the last signature was made
	sigs      int64         // signatures made
	changed   chan struct{} // closed and replaced when size or signed change
	breach    *Breach

	hmu    sync.RWMutex
	phash  map[int64]tlog.Hash // stored hashes not yet in evidence.db
	hashes *lru.Cache[int64, tlog.Hash]
	recent *lru.Cache[uint64, leafRec] // by position
}

const schema = `
CREATE TABLE IF NOT EXISTS leaves (
	idx INTEGER PRIMARY KEY,
	pos INTEGER NOT NULL,
	stream TEXT NOT NULL,
	rev INTEGER NOT NULL,
	recorded_at INTEGER NOT NULL,
	id BLOB NOT NULL,
	event_hash BLOB NOT NULL,
	leaf_hash BLOB NOT NULL,
	hashes BLOB NOT NULL -- the stored tree hashes this leaf made, 32 bytes each, by level
);
CREATE UNIQUE INDEX IF NOT EXISTS leaves_pos ON leaves (pos);
CREATE INDEX IF NOT EXISTS leaves_id ON leaves (id);
-- The last leaf of each stream: what Vouch and Export need of a stream,
-- kept instead of an index of leaves by stream, whose inserts land all
-- over a large file (two to three times the cost of a leaf at 200k).
CREATE TABLE IF NOT EXISTS streams (
	stream TEXT PRIMARY KEY,
	rev INTEGER NOT NULL,
	pos INTEGER NOT NULL,
	idx INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	size INTEGER NOT NULL,
	pos INTEGER NOT NULL,
	checkpoint TEXT NOT NULL
);
`

// Open opens (or creates, 0600) the log at path over store, signing with key.
func Open(ctx context.Context, path string, store eventstore.Store, key *Key, opts Options) (*Log, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CommitInterval <= 0 {
		opts.CommitInterval = 250 * time.Millisecond
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = 1 << 16
	}
	if opts.SignInterval <= 0 {
		opts.SignInterval = 2 * time.Millisecond
	}
	// Private (0600) with its -wal and -shm, as the other stores' files.
	if err := fileperm.PrepareSQLite(path); err != nil {
		return nil, fmt.Errorf("evidence: open %s: %w", path, err)
	}
	u := url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: strings.Join([]string{
		fileperm.ModeOf(path),
		"_pragma=busy_timeout(10000)",
		"_pragma=journal_mode(wal)",
		// NORMAL may lose the last commits on power loss, never half of
		// one; the log is rebuilt from the store from where it stands.
		"_pragma=synchronous(normal)",
		// Statement journals in memory: a commit's multi-row INSERT would
		// otherwise write one to a temporary file, a syscall a page.
		"_pragma=temp_store(memory)",
	}, "&")}
	db, err := sql.Open("sqlite3", u.String())
	if err != nil {
		return nil, fmt.Errorf("evidence: open %s: %w", path, err)
	}
	l := &Log{db: db, store: store, key: key, opts: opts, changed: make(chan struct{}), phash: map[int64]tlog.Hash{}}
	l.hashes, _ = lru.New[int64, tlog.Hash](opts.CacheSize)
	l.recent, _ = lru.New[uint64, leafRec](opts.CacheSize)
	if err := l.load(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return l, nil
}

func (l *Log) load(ctx context.Context) error {
	if _, err := l.db.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("evidence: schema: %w", err)
	}
	if err := l.migrateStreams(ctx); err != nil {
		return err
	}
	var (
		size, pos int64
		cp        string
	)
	err := l.db.QueryRowContext(ctx, `SELECT size, pos, checkpoint FROM state WHERE id = 1`).Scan(&size, &pos, &cp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("evidence: read state: %w", err)
	}
	l.size, l.committed, l.pos = size, size, eventstore.Position(pos)
	if cp != "" {
		c, _, err := verifier.OpenCheckpoint(cp, l.key.Verifiers())
		if err != nil {
			// Kept as a finding for Check: a stored checkpoint this key
			// did not sign.
			l.breach = &Breach{Reason: "the last stored checkpoint does not verify: " + err.Error()}
			return nil
		}
		l.signed = &Signed{Checkpoint: c, Note: cp}
		l.savedSig = l.signed
	}
	return nil
}

// Close releases evidence.db. Call it after Run has returned.
func (l *Log) Close() error { return l.db.Close() }

// Key returns the log's signing key (its public keys).
func (l *Log) Key() *Key { return l.key }

// Size returns the number of leaves ingested and the position of the last.
func (l *Log) Size() (int64, eventstore.Position) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size, l.pos
}

// Signatures returns how many checkpoints this Log signed.
func (l *Log) Signatures() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sigs
}

// Breach returns the finding that put the log in breach, or nil.
func (l *Log) Breach() *Breach {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.breach
}

// SetBreach records a finding: from then on nothing new is signed.
func (l *Log) SetBreach(b *Breach) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.breach == nil {
		l.breach = b
		l.notify()
	}
}

// notify wakes every waiter. The caller holds l.mu.
func (l *Log) notify() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// Run follows the store from the last leaf and ingests every new event,
// committing to evidence.db every CommitInterval, until ctx is done (nil)
// or the subscription fails.
func (l *Log) Run(ctx context.Context) error {
	_, after := l.Size()
	done := make(chan struct{})
	flushErr := make(chan error, 1)
	go func() {
		t := time.NewTicker(l.opts.CommitInterval)
		defer t.Stop()
		for {
			select {
			case <-done:
				flushErr <- nil
				return
			case <-t.C:
				if err := l.flush(context.WithoutCancel(ctx)); err != nil {
					flushErr <- err
					return
				}
			}
		}
	}()
	err := l.store.SubscribeAll(ctx, eventstore.SubscribeOptions{After: after}, l.ingest)
	close(done)
	if ferr := <-flushErr; ferr != nil && err == nil {
		err = ferr
	}
	if ferr := l.flush(context.WithoutCancel(ctx)); ferr != nil && err == nil {
		err = ferr
	}
	if ctx.Err() != nil && (err == nil || errors.Is(err, context.Canceled)) {
		return nil
	}
	return err
}

// CatchUp ingests every event already stored, then returns; a start
// checks the log against the store after it.
func (l *Log) CatchUp(ctx context.Context) error {
	for {
		_, after := l.Size()
		evs, err := l.store.ReadAll(ctx, after, 4096)
		if err != nil {
			return fmt.Errorf("evidence: catch up: %w", err)
		}
		for _, e := range evs {
			if err := l.ingest(ctx, e); err != nil {
				return err
			}
		}
		if err := l.flush(ctx); err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
	}
}

// ingest appends one event to the tree.
func (l *Log) ingest(_ context.Context, e eventstore.RecordedEvent) error {
	ve := ledger.VerifierEvent(&e)
	eh := verifier.EventHash(ve)
	leaf := tlog.RecordHash(verifier.LeafData(ve.Position, ve.RecordedAt, eh))
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.Position <= l.pos {
		return nil // already in the log
	}
	hs, err := tlog.StoredHashesForRecordHash(l.size, leaf, l.reader())
	if err != nil {
		return fmt.Errorf("evidence: leaf %d: %w", l.size, err)
	}
	base := tlog.StoredHashIndex(0, l.size)
	l.hmu.Lock()
	for i, h := range hs {
		l.phash[base+int64(i)] = h
	}
	l.hmu.Unlock()
	rec := leafRec{idx: l.size, pos: uint64(e.Position), stream: e.Stream, rev: e.Revision, at: e.RecordedAt.UnixNano(),
		id: e.ID, eventHash: eh, leafHash: leaf, stored: hs}
	l.pending = append(l.pending, rec)
	lookup := rec
	lookup.stored = nil // only the write needs them
	l.recent.Add(rec.pos, lookup)
	l.size++
	l.pos = e.Position
	l.notify()
	return nil
}

// flush writes the pending leaves, their tree hashes and the latest
// checkpoint to evidence.db in one transaction.
func (l *Log) flush(ctx context.Context) error {
	l.fmu.Lock()
	defer l.fmu.Unlock()
	l.mu.Lock()
	leaves, size, pos, sig := l.pending, l.size, l.pos, l.signed
	from := l.committed
	if len(leaves) == 0 && sig == l.savedSig {
		l.mu.Unlock()
		return nil
	}
	l.pending = nil
	l.mu.Unlock()
	lo, hi := tlog.StoredHashIndex(0, from), tlog.StoredHashCount(size)
	if err := l.write(ctx, leaves, size, pos, sig); err != nil {
		// Put them back: the next flush tries again.
		l.mu.Lock()
		l.pending = append(leaves, l.pending...)
		l.mu.Unlock()
		return err
	}
	l.mu.Lock()
	l.committed, l.savedSig = size, sig
	l.mu.Unlock()
	l.hmu.Lock()
	for i := lo; i < hi; i++ {
		l.hashes.Add(i, l.phash[i])
		delete(l.phash, i)
	}
	l.hmu.Unlock()
	return nil
}

func (l *Log) write(ctx context.Context, leaves []leafRec, size int64, pos eventstore.Position, sig *Signed) error {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("evidence: commit: %w", err)
	}
	defer tx.Rollback()
	if err := upsertStreams(ctx, tx, leaves); err != nil {
		return err
	}
	// Many rows a statement: a statement's own cost is most of a row's.
	for len(leaves) > 0 {
		n := min(len(leaves), insertBatch)
		args := make([]any, 0, 9*n)
		for _, r := range leaves[:n] {
			hs := make([]byte, 0, 32*len(r.stored))
			for _, h := range r.stored {
				hs = append(hs, h[:]...)
			}
			args = append(args, r.idx, int64(r.pos), r.stream, int64(r.rev), r.at, r.id[:], r.eventHash[:], r.leafHash[:], hs)
		}
		st, err := l.insertStmt(ctx, n)
		if err != nil {
			return err
		}
		if _, err := tx.StmtContext(ctx, st).ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("evidence: commit leaves from %d: %w", leaves[0].idx, err)
		}
		leaves = leaves[n:]
	}
	note := ""
	if sig != nil {
		note = sig.Note
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO state (id, size, pos, checkpoint) VALUES (1, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET size = excluded.size, pos = excluded.pos, checkpoint = excluded.checkpoint`,
		size, int64(pos), note); err != nil {
		return fmt.Errorf("evidence: commit state: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("evidence: commit: %w", err)
	}
	return nil
}

const insertBatch = 64

// insertStmt is the prepared INSERT of n leaves (parsing one cost more
// than the rows). Only flush, under fmu, calls it.
func (l *Log) insertStmt(ctx context.Context, n int) (*sql.Stmt, error) {
	if st := l.inserts[n]; st != nil {
		return st, nil
	}
	st, err := l.db.PrepareContext(ctx, "INSERT INTO leaves (idx, pos, stream, rev, recorded_at, id, event_hash, leaf_hash, hashes) VALUES "+
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?), ", n), ", "))
	if err != nil {
		return nil, fmt.Errorf("evidence: prepare: %w", err)
	}
	l.inserts[n] = st
	return st, nil
}

// reader reads stored tree hashes: those not yet committed, then the
// cache, then evidence.db.
func (l *Log) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		var missing []int
		l.hmu.RLock()
		for i, x := range idx {
			if h, ok := l.phash[x]; ok {
				out[i] = h
			} else if h, ok := l.hashes.Get(x); ok {
				out[i] = h
			} else {
				missing = append(missing, i)
			}
		}
		l.hmu.RUnlock()
		for _, i := range missing {
			// The hash of node k at level L was stored with the leaf that
			// completed it, ((k+1) << L) - 1, at offset L.
			level, k := tlog.SplitStoredHashIndex(idx[i])
			var b []byte
			if err := l.db.QueryRow(`SELECT hashes FROM leaves WHERE idx = ?`, (k+1)<<level-1).Scan(&b); err != nil {
				return nil, fmt.Errorf("evidence: tree hash %d: %w", idx[i], err)
			}
			if len(b) < 32*(level+1) {
				return nil, fmt.Errorf("evidence: tree hash %d: not stored with its leaf", idx[i])
			}
			copy(out[i][:], b[32*level:])
			l.hashes.Add(idx[i], out[i])
		}
		return out, nil
	})
}

// Covering returns a signed checkpoint of a tree of at least need leaves,
// signing one if none is: one signature serves every caller waiting
// meanwhile (a group commit of signatures).
func (l *Log) Covering(ctx context.Context, need int64) (*Signed, error) {
	for {
		l.mu.Lock()
		if s := l.signed; s != nil && s.Checkpoint.Size >= need && (need > 0 || s.Checkpoint.Size == l.size) {
			l.mu.Unlock()
			return s, nil
		}
		if l.breach != nil {
			s := l.signed
			l.mu.Unlock()
			if s != nil && need == 0 {
				return s, nil // the last one signed before the breach
			}
			return nil, l.breach
		}
		if !l.signing && l.size >= need {
			l.signing = true
			wait := time.Until(l.lastSign.Add(l.opts.SignInterval))
			l.mu.Unlock()
			if wait > 0 {
				// Gather the writes that come meanwhile under one signature.
				t := time.NewTimer(wait)
				select {
				case <-t.C:
				case <-ctx.Done():
					t.Stop()
					l.mu.Lock()
					l.signing = false
					l.notify()
					l.mu.Unlock()
					return nil, ctx.Err()
				}
			}
			l.mu.Lock()
			size := l.size
			l.mu.Unlock()
			s, err := l.sign(size)
			l.mu.Lock()
			l.signing = false
			l.lastSign = time.Now()
			l.sigs++
			if err == nil && (l.signed == nil || s.Checkpoint.Size > l.signed.Checkpoint.Size) {
				l.signed = s
			}
			l.notify()
			l.mu.Unlock()
			if err != nil {
				return nil, err
			}
			if need == 0 {
				return s, nil
			}
			continue
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Latest returns a signed checkpoint of every leaf ingested so far.
func (l *Log) Latest(ctx context.Context) (*Signed, error) { return l.Covering(ctx, 0) }

func (l *Log) sign(size int64) (*Signed, error) {
	root, err := tlog.TreeHash(size, l.reader())
	if err != nil {
		return nil, fmt.Errorf("evidence: tree hash: %w", err)
	}
	c := verifier.Checkpoint{Origin: l.key.Signer.Name(), Size: size, Root: root, Time: l.opts.Now().UTC()}
	msg, err := note.Sign(&note.Note{Text: c.Format()}, l.key.Signer)
	if err != nil {
		return nil, fmt.Errorf("evidence: sign: %w", err)
	}
	return &Signed{Checkpoint: c, Note: string(msg)}, nil
}

// witnessLag bounds the wait for the log to reach a witnessed checkpoint.
const witnessLag = 2 * time.Second

// waitSize returns once the log has n leaves.
func (l *Log) waitSize(ctx context.Context, n int64) error {
	return l.waitUntil(ctx, func() bool { return l.size >= n })
}

// waitUntil waits until done, called under l.mu, holds.
func (l *Log) waitUntil(ctx context.Context, done func() bool) error {
	for {
		l.mu.Lock()
		ok := done()
		ch := l.changed
		l.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// waitFor returns once the event at pos is in the log.
func (l *Log) waitFor(ctx context.Context, pos eventstore.Position) error {
	return l.waitUntil(ctx, func() bool { return l.pos >= pos })
}

// byPosition finds the leaf of the event at pos.
func (l *Log) byPosition(ctx context.Context, pos uint64) (leafRec, error) {
	if r, ok := l.recent.Get(pos); ok {
		return r, nil
	}
	l.fmu.Lock() // not between pending and evidence.db
	defer l.fmu.Unlock()
	l.mu.Lock()
	i := sort.Search(len(l.pending), func(i int) bool { return l.pending[i].pos >= pos })
	if i < len(l.pending) && l.pending[i].pos == pos {
		r := l.pending[i]
		l.mu.Unlock()
		return r, nil
	}
	l.mu.Unlock()
	return l.queryLeaf(ctx, `pos = ?`, int64(pos))
}

// byID finds the leaf of the event with that id.
func (l *Log) byID(ctx context.Context, id [16]byte) (leafRec, error) {
	l.fmu.Lock()
	defer l.fmu.Unlock()
	l.mu.Lock()
	for _, r := range l.pending {
		if r.id == id {
			l.mu.Unlock()
			return r, nil
		}
	}
	l.mu.Unlock()
	return l.queryLeaf(ctx, `id = ?`, id[:])
}

const leafColumns = `idx, pos, stream, rev, recorded_at, id, event_hash, leaf_hash`

func scanLeaf(sc interface{ Scan(...any) error }) (leafRec, error) {
	var (
		r            leafRec
		pos, rev     int64
		id, eh, leaf []byte
	)
	if err := sc.Scan(&r.idx, &pos, &r.stream, &rev, &r.at, &id, &eh, &leaf); err != nil {
		return r, err
	}
	r.pos, r.rev = uint64(pos), uint64(rev)
	copy(r.id[:], id)
	copy(r.eventHash[:], eh)
	copy(r.leafHash[:], leaf)
	return r, nil
}

func (l *Log) queryLeaf(ctx context.Context, where string, arg any) (leafRec, error) {
	r, err := scanLeaf(l.db.QueryRowContext(ctx, `SELECT `+leafColumns+` FROM leaves WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("evidence: read leaf: %w", err)
	}
	return r, nil
}

// prove fills a leaf's inclusion proof under s.
func (l *Log) prove(r leafRec, s *Signed) (verifier.Leaf, error) {
	p, err := tlog.ProveRecord(s.Checkpoint.Size, r.idx, l.reader())
	if err != nil {
		return verifier.Leaf{}, fmt.Errorf("evidence: prove leaf %d: %w", r.idx, err)
	}
	out := r.leaf()
	out.Proof = encodeHashes(p)
	return out, nil
}

// Receipt waits until the events at positions are in the log, and returns
// a signed checkpoint that includes them with their inclusion proofs.
func (l *Log) Receipt(ctx context.Context, positions []eventstore.Position) (*verifier.Receipt, error) {
	if len(positions) == 0 {
		return nil, ErrNotFound
	}
	last := positions[len(positions)-1]
	if err := l.waitFor(ctx, last); err != nil {
		return nil, err
	}
	recs := make([]leafRec, len(positions))
	var need int64
	for i, p := range positions {
		r, err := l.byPosition(ctx, uint64(p))
		if err != nil {
			return nil, err
		}
		recs[i], need = r, max(need, r.idx+1)
	}
	s, err := l.Covering(ctx, need)
	if err != nil {
		return nil, err
	}
	rc := &verifier.Receipt{Checkpoint: s.Note, Leaves: make([]verifier.Leaf, len(recs))}
	for i, r := range recs {
		if rc.Leaves[i], err = l.prove(r, s); err != nil {
			return nil, err
		}
	}
	return rc, nil
}

// Inclusion returns the leaf of the event at pos (or with id, when pos is
// zero) with its proof under the latest checkpoint.
func (l *Log) Inclusion(ctx context.Context, pos eventstore.Position, id [16]byte) (verifier.Leaf, *Signed, error) {
	var (
		r   leafRec
		err error
	)
	if pos != 0 {
		r, err = l.byPosition(ctx, uint64(pos))
	} else {
		r, err = l.byID(ctx, id)
	}
	if err != nil {
		return verifier.Leaf{}, nil, err
	}
	s, err := l.Covering(ctx, r.idx+1)
	if err != nil {
		return verifier.Leaf{}, nil, err
	}
	leaf, err := l.prove(r, s)
	return leaf, s, err
}

// Consistency proves the tree of size from a prefix of the tree of size
// to (0: the latest checkpoint's, returned with it). It returns both roots.
func (l *Log) Consistency(ctx context.Context, from, to int64) (proof []string, fromRoot, toRoot tlog.Hash, s *Signed, err error) {
	if to == 0 {
		if s, err = l.Latest(ctx); err != nil {
			return nil, fromRoot, toRoot, nil, err
		}
		to = s.Checkpoint.Size
	}
	if size, _ := l.Size(); from < 0 || from > to || to > size {
		return nil, fromRoot, toRoot, nil, ErrTreeSize
	}
	r := l.reader()
	if fromRoot, err = tlog.TreeHash(from, r); err != nil {
		return nil, fromRoot, toRoot, nil, err
	}
	if toRoot, err = tlog.TreeHash(to, r); err != nil {
		return nil, fromRoot, toRoot, nil, err
	}
	p, err := tlog.ProveTree(to, from, r)
	if err != nil {
		return nil, fromRoot, toRoot, nil, fmt.Errorf("evidence: prove tree: %w", err)
	}
	return encodeHashes(p), fromRoot, toRoot, s, nil
}

// Witness checks a checkpoint a client says it saw (a signed note): it
// must be signed by this log's key (or a previous one) and the log's tree
// of that size must have its root. It returns what to record.
//
// A checkpoint larger than the log may come from another instance whose
// log is ahead (on EventStoreDB): the log is given witnessLag to catch up
// before it counts as a shrunk log.
func (l *Log) Witness(ctx context.Context, signed string) (verifier.Witness, error) {
	c, _, err := verifier.OpenCheckpoint(signed, l.key.Verifiers())
	if err != nil {
		return verifier.Witness{}, fmt.Errorf("%w: %v", ErrCheckpointInvalid, err)
	}
	w := verifier.Witness{Size: c.Size, Root: encodeHashes([]tlog.Hash{c.Root})[0]}
	if size, _ := l.Size(); c.Size > size {
		wctx, cancel := context.WithTimeout(ctx, witnessLag)
		_ = l.waitSize(wctx, c.Size)
		cancel()
	}
	if size, _ := l.Size(); c.Size > size {
		return w, fmt.Errorf("%w: it has %d leaves, the log %d", ErrCheckpointInconsistent, c.Size, size)
	}
	root, err := tlog.TreeHash(c.Size, l.reader())
	if err != nil {
		return w, err
	}
	if root != c.Root {
		return w, fmt.Errorf("%w: another root at size %d", ErrCheckpointInconsistent, c.Size)
	}
	return w, nil
}
