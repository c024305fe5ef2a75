package projections

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
)

// Names returns the names of the projections, in a stable order.
func Names() []string {
	out := make([]string, len(definitions))
	for i, d := range definitions {
		out[i] = d.name
	}
	return out
}

func lookup(name string) (*definition, error) {
	for i := range definitions {
		if definitions[i].name == name {
			return &definitions[i], nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownProjection, name)
}

// Rebuild builds the projection name again from position zero into a new
// generation while the current one keeps serving, then switches over. It
// returns once the new generation serves. progress, if not nil, is called
// after each batch with the position reached and the store's head (positions
// are monotonic but, on some backends, not dense: use them as a ratio).
func (e *Engine) Rebuild(ctx context.Context, name string, progress func(done, total uint64)) error {
	d, err := lookup(name)
	if err != nil {
		return err
	}
	if e.closed.Load() {
		return ErrClosed
	}
	// One build of a projection at a time; a background build of the same
	// projection finishes first.
	lock := e.running[name]
	lock.Lock()
	defer lock.Unlock()

	// A build Open scheduled but Run has not started yet is done now.
	var in *instance
	e.mu.Lock()
	for i, p := range e.pending {
		if p.def == d {
			in = p
			e.pending = append(e.pending[:i:i], e.pending[i+1:]...)
			break
		}
	}
	e.mu.Unlock()
	if in == nil {
		if in, err = e.newGeneration(ctx, d); err != nil {
			return fmt.Errorf("projections: rebuild %s: %w", name, err)
		}
	}
	return e.runBuild(ctx, in, progress)
}

// newGeneration creates an empty, not yet serving, generation of d.
func (e *Engine) newGeneration(ctx context.Context, d *definition) (*instance, error) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	e.sqlMu.Lock()
	defer e.sqlMu.Unlock()
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var maxGen int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(generation), 0) FROM checkpoints WHERE name = ?`, d.name).Scan(&maxGen); err != nil {
		return nil, err
	}
	in, err := e.createGeneration(ctx, tx, d, maxGen+1, false)
	if err != nil {
		return nil, err
	}
	return in, tx.Commit()
}

// build runs a generation prepared by Open, under the projection's lock.
func (e *Engine) build(ctx context.Context, in *instance, progress func(done, total uint64)) error {
	lock := e.running[in.def.name]
	lock.Lock()
	defer lock.Unlock()
	return e.runBuild(ctx, in, progress)
}

func (e *Engine) runBuild(ctx context.Context, in *instance, progress func(done, total uint64)) error {
	e.mu.Lock()
	e.builds[in.def.name] = in
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		if e.builds[in.def.name] == in {
			delete(e.builds, in.def.name)
		}
		e.mu.Unlock()
	}()

	// Catch up without holding the write lock for long: a reader goroutine
	// reads and decodes the next page while this one applies the last.
	type page struct {
		items []item
		head  eventstore.Position
		err   error
	}
	pages := make(chan page, 2)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// No step of this build is still being written once it returns.
	defer func() {
		e.writeMu.Lock()
		defer e.writeMu.Unlock()
		if f := in.flushing; f != nil {
			_ = settle(f) // a failure shows in the checkpoint
		}
	}()
	go func() {
		defer close(pages)
		after := in.checkpoint()
		for {
			items, err := e.readPage(rctx, after)
			var head eventstore.Position
			if err == nil {
				head, err = e.store.Head(rctx)
			}
			if err != nil || len(items) == 0 {
				if err != nil {
					pages <- page{err: err}
				}
				return
			}
			after = items[len(items)-1].pos
			select {
			case pages <- page{items: items, head: head}:
			case <-rctx.Done():
				return
			}
		}
	}()
	for p := range pages {
		if p.err != nil {
			return fmt.Errorf("projections: rebuild %s: %w", in.def.name, p.err)
		}
		// Stage page after page, and commit only every commitEvery
		// events, in the background while the next pages are staged:
		// the new generation does not serve yet, so only a restart
		// would see its checkpoint lag behind.
		e.writeMu.Lock()
		err := e.stage(ctx, []*instance{in}, p.items)
		if err == nil && in.unsaved >= e.commitEvery() {
			_, err = e.commitAsync(ctx, []*instance{in}, nil)
		}
		staged := in.staged
		e.writeMu.Unlock()
		if err != nil {
			return fmt.Errorf("projections: rebuild %s: %w", in.def.name, err)
		}
		if progress != nil {
			progress(uint64(staged), uint64(max(p.head, staged)))
		}
	}
	if err := ctx.Err(); err != nil {
		e.discard(in)
		return fmt.Errorf("projections: rebuild %s: %w", in.def.name, err)
	}
	old, err := e.switchOver(ctx, in, progress)
	if err != nil {
		e.discard(in)
		return err
	}
	if old != nil {
		e.dropReplaced(old)
	}
	e.mu.Lock()
	delete(e.builds, in.def.name) // before releaseMemory looks
	e.mu.Unlock()
	e.releaseMemory()
	return nil
}

// discard forgets what was staged for in and not committed.
func (e *Engine) discard(in *instance) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	in.discard()
}

func (e *Engine) readPage(ctx context.Context, after eventstore.Position) ([]item, error) {
	evs, err := e.store.ReadAll(ctx, after, e.opts.BatchSize)
	if err != nil {
		return nil, err
	}
	// Decoding costs more than applying the page to one projection: the
	// processors share it.
	items := make([]item, len(evs))
	recs := make([]ledger.Recorded, len(evs))
	const part = 512
	errs := make([]error, (len(evs)+part-1)/part)
	parallel(len(errs), func(p int) {
		for i := p * part; i < min((p+1)*part, len(evs)); i++ {
			if items[i], errs[p] = decodeItemInto(evs[i], &recs[i]); errs[p] != nil {
				return
			}
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err // the first in the store's order
		}
	}
	return items, nil
}

// switchOver applies the last events under the write lock, so that no live
// batch can slip between, and makes the new generation the serving one.
func (e *Engine) switchOver(ctx context.Context, in *instance, progress func(done, total uint64)) (old *instance, err error) {
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	for {
		items, err := e.readPage(ctx, in.staged)
		if err != nil {
			return nil, fmt.Errorf("projections: rebuild %s: %w", in.def.name, err)
		}
		if len(items) == 0 {
			break
		}
		if err := e.stage(ctx, []*instance{in}, items); err != nil {
			return nil, fmt.Errorf("projections: rebuild %s: %w", in.def.name, err)
		}
	}
	if err := e.commit(ctx, []*instance{in}); err != nil {
		return nil, fmt.Errorf("projections: rebuild %s: %w", in.def.name, err)
	}
	e.mu.RLock()
	old = e.live[in.def.name]
	e.mu.RUnlock()
	// A step of the old generation may still be on its way to its table,
	// which is about to be dropped: let it land first. Its outcome is for
	// Run to see.
	if old != nil && old.flushing != nil {
		_ = settle(old.flushing)
	}

	e.sqlMu.Lock()
	defer e.sqlMu.Unlock()
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("projections: switch %s: %w", in.def.name, err)
	}
	defer tx.Rollback()
	// The old generation's row goes in the same transaction; its table is
	// dropped once the queries still reading it are done (a table without
	// row left by a crash is dropped by the next Open).
	if old != nil {
		if _, err := tx.ExecContext(ctx, `DELETE FROM checkpoints WHERE name = ? AND generation = ?`, old.def.name, old.gen); err != nil {
			return nil, fmt.Errorf("projections: switch %s: %w", in.def.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE checkpoints SET active = 1 WHERE name = ? AND generation = ?`, in.def.name, in.gen); err != nil {
		return nil, fmt.Errorf("projections: switch %s: %w", in.def.name, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("projections: switch %s: %w", in.def.name, err)
	}
	e.mu.Lock()
	e.live[in.def.name] = in
	e.epoch.Add(1)
	e.mu.Unlock()
	if progress != nil {
		cp := uint64(in.checkpoint())
		progress(cp, cp)
	}
	return old, nil
}

// dropReplaced drops a replaced generation's table once no query reads it.
func (e *Engine) dropReplaced(old *instance) {
	old.readers.Lock()
	old.dropped = true
	old.readers.Unlock()
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	if e.closed.Load() {
		return
	}
	// Statements prepared on the old table would hold it. Only those close:
	// queries of other tables may be running theirs.
	e.reads.forget(old.table)
	e.sqlMu.Lock()
	defer e.sqlMu.Unlock()
	if e.w != nil {
		e.w.forget(old.table)
	}
	if _, err := e.db.Exec("DROP TABLE IF EXISTS " + old.table); err != nil {
		e.opts.Logger.Warn("drop replaced read model", "table", old.table, "err", err)
	}
}

// ProjectionStatus describes one projection generation.
type ProjectionStatus struct {
	Name       string              `json:"name"`
	Version    int                 `json:"version"`
	Generation int                 `json:"generation"`
	Position   eventstore.Position `json:"position"`
	Behind     uint64              `json:"behind"`  // head minus position
	Serving    bool                `json:"serving"` // false while being built
}

// Lag says how far the read models are behind the store.
type Lag struct {
	Head     eventstore.Position `json:"head"`
	Position eventstore.Position `json:"position"` // applied by every serving read model
	Behind   uint64              `json:"behind"`   // head minus position (positions, not always events)
	// Seconds is how long ago the oldest event not yet applied was
	// committed; 0 when up to date.
	Seconds     float64            `json:"seconds"`
	Projections []ProjectionStatus `json:"projections"`
}

// Lag returns how far behind the store the read models are.
func (e *Engine) Lag(ctx context.Context) (Lag, error) {
	head, err := e.store.Head(ctx)
	if err != nil {
		return Lag{}, fmt.Errorf("projections: lag: %w", err)
	}
	pos := e.Position()
	l := Lag{Head: head, Position: pos}
	if head > pos {
		l.Behind = uint64(head - pos)
		next, err := e.store.ReadAll(ctx, pos, 1)
		if err != nil {
			return Lag{}, fmt.Errorf("projections: lag: %w", err)
		}
		if len(next) > 0 {
			l.Seconds = max(0, e.opts.Now().Sub(next[0].RecordedAt).Seconds())
		}
	}
	status := func(in *instance, serving bool) ProjectionStatus {
		s := ProjectionStatus{Name: in.def.name, Version: in.def.version, Generation: in.gen, Position: in.checkpoint(), Serving: serving}
		if head > s.Position {
			s.Behind = uint64(head - s.Position)
		}
		return s
	}
	e.mu.RLock()
	for _, in := range e.live {
		l.Projections = append(l.Projections, status(in, true))
	}
	for _, in := range e.builds {
		l.Projections = append(l.Projections, status(in, false))
	}
	for _, in := range e.pending {
		l.Projections = append(l.Projections, status(in, false))
	}
	e.mu.RUnlock()
	slices.SortFunc(l.Projections, func(a, b ProjectionStatus) int {
		if a.Name != b.Name {
			if a.Name < b.Name {
				return -1
			}
			return 1
		}
		return a.Generation - b.Generation
	})
	return l, nil
}

// lagCollector exposes Lag as Prometheus gauges, computed at scrape time.
type lagCollector struct{ e *Engine }

var (
	descHead = prometheus.NewDesc("candor_projection_head_position",
		"Global position of the last event in the store.", nil, nil)
	descPos = prometheus.NewDesc("candor_projection_position",
		"Global position applied by a projection generation.", []string{"projection", "serving"}, nil)
	descBehind = prometheus.NewDesc("candor_projection_lag_positions",
		"Store head minus the position a projection generation applied.", []string{"projection", "serving"}, nil)
	descSeconds = prometheus.NewDesc("candor_projection_lag_seconds",
		"Age of the oldest event the serving read models have not applied.", nil, nil)
)

func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descHead
	ch <- descPos
	ch <- descBehind
	ch <- descSeconds
}

func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	l, err := c.e.Lag(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(descHead, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(descHead, prometheus.GaugeValue, float64(l.Head))
	ch <- prometheus.MustNewConstMetric(descSeconds, prometheus.GaugeValue, l.Seconds)
	for _, p := range l.Projections {
		serving := fmt.Sprint(p.Serving)
		ch <- prometheus.MustNewConstMetric(descPos, prometheus.GaugeValue, float64(p.Position), p.Name, serving)
		ch <- prometheus.MustNewConstMetric(descBehind, prometheus.GaugeValue, float64(p.Behind), p.Name, serving)
	}
}
