package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/candor-ledger/candor/e2e"
)

// report is what a scenario writes to <out>/<scenario>.json.
type report struct {
	Scenario string          `json:"scenario"`
	Started  time.Time       `json:"started"`
	Machine  map[string]any  `json:"machine"`
	Command  []string        `json:"command"`
	Runs     []*AttackResult `json:"runs"`
	Extra    map[string]any  `json:"extra,omitempty"`
	Verdicts []string        `json:"verdicts,omitempty"`
}

func (r *runner) newReport(name string) *report {
	return &report{Scenario: name, Started: time.Now().UTC(), Machine: machine(), Command: os.Args, Extra: map[string]any{}}
}

func (r *runner) save(rep *report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(r.o.out, rep.Scenario+".json")
	logf("results written to %s", path)
	for _, v := range rep.Verdicts {
		logf("verdict: %s", v)
	}
	return os.WriteFile(path, b, 0o644)
}

func (s *stack) attack(ctx context.Context, name string, readRatio float64, conns int, d time.Duration) (*AttackResult, error) {
	res, err := runAttack(ctx, attackSpec{
		name: name, target: "candor", tr: s.targeter(s.srv.URL, readRatio), conns: conns, duration: d,
		pid: s.srv.PID(), metrics: s.srv.URL + "/metrics",
	})
	if res != nil {
		printResult(res)
	}
	return res, err
}

func verdict(ok bool, format string, args ...any) string {
	mark := "PASS"
	if !ok {
		mark = "MISS"
	}
	return mark + " " + fmt.Sprintf(format, args...)
}

// mixed: 80% reads (three in four of read models, the rest of the folded
// engagement state), 20% expert invitations, over the engagements.
func (r *runner) mixed(ctx context.Context) error {
	s, err := r.start(ctx, "mixed")
	if err != nil {
		return err
	}
	defer s.stop()
	rep := r.newReport("mixed")
	res, err := s.attack(ctx, "mixed", r.o.readRatio, r.o.conns, r.o.duration)
	if res != nil {
		rep.Runs = append(rep.Runs, res)
		rep.Verdicts = append(rep.Verdicts, verdict(res.Total.Errors == 0, "no errors (%d)", res.Total.Errors))
	}
	if err != nil {
		return err
	}
	return r.save(rep)
}

// write: writes only, full stack then the bare Echo handler, same targets.
func (r *runner) write(ctx context.Context) error {
	s, err := r.start(ctx, "write")
	if err != nil {
		return err
	}
	defer s.stop()
	rep := r.newReport("write")
	full, err := s.attack(ctx, "write", 0, r.o.conns, r.o.duration)
	if err != nil {
		return err
	}
	rep.Runs = append(rep.Runs, full)
	bare, err := startPeer(ctx, "bare")
	if err != nil {
		return err
	}
	defer bare.stop()
	bres, err := runAttack(ctx, attackSpec{
		name: "write-bare", target: "bare", tr: s.targeter(bare.url(), 0), conns: r.o.conns, duration: r.o.duration,
		pid: bare.pid(),
	})
	if bres != nil {
		printResult(bres)
		rep.Runs = append(rep.Runs, bres)
	}
	if err != nil {
		return err
	}
	w := full.Classes[classWrite]
	bw := bres.Classes[classWrite]
	writeVerdicts(rep, "vegeta", w.OKPerSec, w.P99Ms, bw.OKPerSec, bw.P99Ms)
	rep.Verdicts = append(rep.Verdicts, verdict(full.Total.Errors == 0, "no errors (%d)", full.Total.Errors))
	return r.save(rep)
}

// writeVerdicts records the write load's targets: the full stack's
// durable writes/s and p99, and its ratio to the bare handler.
func writeVerdicts(rep *report, tool string, okPerSec, p99Ms, bareOKPerSec, bareP99Ms float64) {
	ratio := okPerSec / bareOKPerSec
	rep.Extra["full_over_bare"] = ratio
	logf("%s: full stack %.0f durable writes/s (p99 %.2f ms); bare handler %.0f/s (p99 %.2f ms); ratio %.1f%%",
		tool, okPerSec, p99Ms, bareOKPerSec, bareP99Ms, 100*ratio)
	rep.Verdicts = append(rep.Verdicts,
		verdict(okPerSec >= 10000, ">= 10,000 writes/s (%.0f)", okPerSec),
		verdict(p99Ms < 25, "p99 < 25 ms (%.2f ms)", p99Ms),
		verdict(ratio >= 0.12, ">= 12%% of the bare handler (%.1f%%)", 100*ratio),
	)
}

// growth: the write load against stores prefilled with 0, 100k, 1M events.
func (r *runner) growth(ctx context.Context) error {
	rep := r.newReport("growth")
	var base float64
	for _, n := range r.o.prefill {
		name := fmt.Sprintf("growth-%d", n)
		dir, err := r.newDataDir(name)
		if err != nil {
			return err
		}
		pstart := time.Now()
		written, err := prefill(ctx, dir, n, 64)
		if err != nil {
			return fmt.Errorf("prefill %d: %w", n, err)
		}
		prefillSec := time.Since(pstart).Seconds()
		admin := e2e.NewAdminToken()
		t0 := time.Now()
		srv, err := r.startServer(ctx, dir, admin)
		if err != nil {
			return err
		}
		readySec := time.Since(t0).Seconds()
		// A store that holds events has its read models built: wait for
		// the projections to reach the head before measuring, so the
		// attack measures writes, not a first build of the read models.
		t1 := time.Now()
		if err := waitCaughtUp(ctx, srv.URL+"/metrics", 10*time.Minute); err != nil {
			_ = srv.Kill()
			return fmt.Errorf("%s: %w", name, err)
		}
		catchUpSec := time.Since(t1).Seconds()
		rssStart, _ := srv.RSS()
		s, err := r.setUp(ctx, srv, dir, admin)
		if err != nil {
			_ = srv.Kill()
			return err
		}
		res, err := s.attack(ctx, name, 0, r.o.conns, r.o.duration)
		size := dirSize(dir)
		s.stop()
		if err != nil {
			return err
		}
		rep.Runs = append(rep.Runs, res)
		w := res.Classes[classWrite]
		rep.Extra[name] = map[string]any{
			"prefilled_events": written, "prefill_s": prefillSec, "server_ready_s": readySec, "read_models_built_s": catchUpSec,
			"rss_after_start_mb": float64(rssStart) / (1 << 20), "data_dir_mb_after": float64(size) / (1 << 20),
		}
		logf("%s: prefilled %d events in %.1fs, server ready in %.2fs, read models built in %.1fs, RSS after start %.0f MB, data %.0f MB",
			name, written, prefillSec, readySec, catchUpSec, float64(rssStart)/(1<<20), float64(size)/(1<<20))
		if base == 0 {
			base = w.OKPerSec
		}
		drop := 1 - w.OKPerSec/base
		rep.Verdicts = append(rep.Verdicts,
			verdict(drop <= 0.20, "%s: throughput within 20%% of the empty store (%.0f/s, %+.1f%%)", name, w.OKPerSec, -100*drop),
			verdict(res.RSSMaxMB < 300, "%s: server RSS < 300 MB (max %.0f MB)", name, res.RSSMaxMB),
			verdict(res.Total.Errors == 0, "%s: no errors (%d)", name, res.Total.Errors),
		)
		if !r.o.keepData {
			_ = os.RemoveAll(dir)
		}
	}
	return r.save(rep)
}

// sweep: writes and the mixed load at several concurrencies on one server.
func (r *runner) sweep(ctx context.Context) error {
	s, err := r.start(ctx, "sweep")
	if err != nil {
		return err
	}
	defer s.stop()
	rep := r.newReport("sweep")
	for _, kind := range []struct {
		name      string
		readRatio float64
	}{{"write", 0}, {"mixed", r.o.readRatio}} {
		for _, c := range r.o.sweepConns {
			res, err := s.attack(ctx, fmt.Sprintf("sweep-%s-%d", kind.name, c), kind.readRatio, c, r.o.sweepDur)
			if err != nil {
				return err
			}
			rep.Runs = append(rep.Runs, res)
		}
	}
	png := filepath.Join(r.o.out, "sweep.png")
	if err := plotSweep(rep.Runs, png); err != nil {
		return err
	}
	logf("plot written to %s", png)
	return r.save(rep)
}

func dirSize(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}

// waitCaughtUp polls /metrics until every projection is at the store's
// head, or fails after limit.
func waitCaughtUp(ctx context.Context, metricsURL string, limit time.Duration) error {
	cl := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(limit)
	for {
		v, ok, err := scrapeLag(ctx, cl, metricsURL)
		if err == nil && ok && v == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("read models not caught up after %v (lag %.0f, %v)", limit, v, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
