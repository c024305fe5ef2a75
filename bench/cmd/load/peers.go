package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The peers scenario: in one run, rounds that alternate the full stack
// with three plain Echo servers taking the same write load with wrk, so
// that the full stack is measured against what a team would write instead.

// The targets, in the order of the first round; each round starts one
// further along, so that no target always follows the same one.
const (
	peerFull  = "full"  // candor serve, as the write scenario drives it
	peerPG    = "pg"    // Echo + PostgreSQL, one INSERT per request
	peerStore = "store" // Echo + Candor's embedded store, one event per request
	peerBare  = "bare"  // Echo, nothing stored
)

var peerTargets = []string{peerFull, peerPG, peerStore, peerBare}

// The targets for the full stack.
const (
	targetOverPG    = 1.6
	targetOverStore = 0.7
	targetP99Ms     = 25.0
)

// roundOrder is the order of the targets in round (0-based).
func roundOrder(round int) []string {
	k := round % len(peerTargets)
	return append(slices.Clone(peerTargets[k:]), peerTargets[:k]...)
}

// PeerRun is one target's attack in one round.
type PeerRun struct {
	Round int `json:"round"`
	*WrkResult
}

// PeerSummary is one target over every round.
type PeerSummary struct {
	Target   string  `json:"target"`
	Rounds   int     `json:"rounds"`
	Requests int64   `json:"requests"`
	OK       int64   `json:"ok"` // 2xx
	Seconds  float64 `json:"seconds"`
	// WritesPerSec is the 2xx answers over the time of every round.
	WritesPerSec float64 `json:"writes_per_s"`
	// Percentiles are wrk's per round and cannot be merged: the median of
	// the rounds' figures, and the worst round's p99.
	P50Ms    float64 `json:"p50_ms"`
	P99Ms    float64 `json:"p99_ms"`
	P99MaxMs float64 `json:"p99_max_ms"`
	// CPUPerWriteUs is the target's processes' CPU over every round per
	// 2xx answer (pg: the Echo server and PostgreSQL's processes).
	CPUPerWriteUs float64 `json:"server_cpu_per_write_us"`
	Non2xx        int64   `json:"non_2xx"`
	SocketErrors  int     `json:"rounds_with_socket_errors"`
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(v))
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// summarize folds the runs of each target.
func summarize(runs []PeerRun) map[string]*PeerSummary {
	out := map[string]*PeerSummary{}
	p50s, p99s := map[string][]float64{}, map[string][]float64{}
	cpu := map[string]float64{}
	for _, r := range runs {
		s := out[r.Target]
		if s == nil {
			s = &PeerSummary{Target: r.Target}
			out[r.Target] = s
		}
		s.Rounds++
		s.Requests += r.Requests
		s.OK += r.Requests - r.Non2xx
		s.Non2xx += r.Non2xx
		s.Seconds += r.DurationSec
		if r.SocketErrors != "" {
			s.SocketErrors++
		}
		cpu[r.Target] += r.ServerCPUSec
		p50s[r.Target] = append(p50s[r.Target], r.P50Ms)
		p99s[r.Target] = append(p99s[r.Target], r.P99Ms)
	}
	for t, s := range out {
		if s.Seconds > 0 {
			s.WritesPerSec = float64(s.OK) / s.Seconds
		}
		if s.OK > 0 {
			s.CPUPerWriteUs = cpu[t] / float64(s.OK) * 1e6
		}
		s.P50Ms, s.P99Ms, s.P99MaxMs = median(p50s[t]), median(p99s[t]), slices.Max(p99s[t])
	}
	return out
}

// PeerRatios compares the full stack's writes/s with each peer's, over
// the whole run and round by round (each round's full stack against the
// same round's peer), so that the spread shows.
type PeerRatios struct {
	FullOverPG    float64   `json:"full_over_pg"`
	FullOverStore float64   `json:"full_over_store"`
	FullOverBare  float64   `json:"full_over_bare"`
	RoundsOverPG  []float64 `json:"rounds_full_over_pg"`
	RoundsOverSt  []float64 `json:"rounds_full_over_store"`
}

func ratios(runs []PeerRun, sum map[string]*PeerSummary) (PeerRatios, error) {
	for _, t := range peerTargets {
		if s := sum[t]; s == nil || s.WritesPerSec == 0 {
			return PeerRatios{}, fmt.Errorf("no successful write for %s", t)
		}
	}
	full := sum[peerFull].WritesPerSec
	r := PeerRatios{
		FullOverPG:    full / sum[peerPG].WritesPerSec,
		FullOverStore: full / sum[peerStore].WritesPerSec,
		FullOverBare:  full / sum[peerBare].WritesPerSec,
	}
	byRound := map[int]map[string]float64{}
	for _, run := range runs {
		if byRound[run.Round] == nil {
			byRound[run.Round] = map[string]float64{}
		}
		byRound[run.Round][run.Target] = run.OKPerSec
	}
	for round := range len(byRound) {
		m := byRound[round]
		if m[peerFull] > 0 && m[peerPG] > 0 && m[peerStore] > 0 {
			r.RoundsOverPG = append(r.RoundsOverPG, m[peerFull]/m[peerPG])
			r.RoundsOverSt = append(r.RoundsOverSt, m[peerFull]/m[peerStore])
		}
	}
	return r, nil
}

// peerVerdicts states the targets for the full stack, and that no
// target answered anything but 2xx.
func peerVerdicts(sum map[string]*PeerSummary, r PeerRatios) []string {
	full := sum[peerFull]
	v := []string{
		verdict(r.FullOverPG >= targetOverPG, "full stack >= %.1fx Echo + PostgreSQL (%.2fx: %.0f / %.0f writes/s)",
			targetOverPG, r.FullOverPG, full.WritesPerSec, sum[peerPG].WritesPerSec),
		verdict(r.FullOverStore >= targetOverStore, "full stack >= %.1fx Echo + Candor's store (%.2fx: %.0f / %.0f writes/s)",
			targetOverStore, r.FullOverStore, full.WritesPerSec, sum[peerStore].WritesPerSec),
		verdict(full.P99MaxMs < targetP99Ms, "full stack write p99 < %.0f ms in every round (worst %.2f ms, median %.2f ms)",
			targetP99Ms, full.P99MaxMs, full.P99Ms),
	}
	for _, t := range peerTargets {
		s := sum[t]
		v = append(v, verdict(s.Non2xx == 0 && s.SocketErrors == 0, "%s: no errors (%d non-2xx, socket errors in %d rounds)",
			t, s.Non2xx, s.SocketErrors))
	}
	return v
}

// peers runs the scenario: PostgreSQL and the four servers started once,
// then -rounds rounds of -duration per target, then everything stopped.
func (r *runner) peers(ctx context.Context) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed (Debian: apt-get install wrk)")
	}
	// PostgreSQL's directory beside the runner's, so that both servers'
	// data are on the same file system.
	pg, err := startPostgres(ctx, r.o.pgBin, filepath.Dir(r.tmp), r.o.conns)
	if err != nil {
		return err
	}
	defer pg.stop()
	logf("PostgreSQL %s on %s (fsync on, synchronous_commit on)", pg.version, pg.dsn)

	s, err := r.start(ctx, "peers")
	if err != nil {
		return err
	}
	defer s.stop()
	script, err := s.wrkScript(s.dataDir)
	if err != nil {
		return err
	}
	storeDir, err := r.newDataDir("peers-store")
	if err != nil {
		return err
	}
	pgPeer, err := startPeer(ctx, "pg", "-dsn", pg.dsn, "-pool", strconv.Itoa(r.o.conns))
	if err != nil {
		return err
	}
	defer pgPeer.stop()
	storePeer, err := startPeer(ctx, "store", "-data", storeDir)
	if err != nil {
		return err
	}
	defer storePeer.stop()
	bare, err := startPeer(ctx, "bare")
	if err != nil {
		return err
	}
	defer bare.stop()

	metrics := s.srv.URL + "/metrics"
	specs := map[string]wrkSpec{
		peerFull: {base: s.srv.URL, cpu: processCPUOf(s.srv.PID()), metrics: metrics,
			// The projections finish the events the load left: their CPU is
			// the full stack's, so it is counted with the load's.
			settle: func(ctx context.Context) error { return waitCaughtUp(ctx, metrics, 2*time.Minute) }},
		peerPG: {base: pgPeer.url(), cpu: func() (time.Duration, error) {
			echo, err1 := processCPU(pgPeer.pid())
			db, err2 := treeCPU(pg.pid())
			return echo + db, errors.Join(err1, err2)
		}},
		peerStore: {base: storePeer.url(), cpu: processCPUOf(storePeer.pid())},
		peerBare:  {base: bare.url(), cpu: processCPUOf(bare.pid())},
	}
	rep := r.newReport("peers")
	var runs []PeerRun
	for round := range r.o.rounds {
		logf("--- round %d of %d: %v", round+1, r.o.rounds, roundOrder(round))
		for _, t := range roundOrder(round) {
			spec := specs[t]
			spec.name, spec.target = fmt.Sprintf("peers-%s-%d", t, round+1), t
			spec.script, spec.conns, spec.duration = script, r.o.conns, r.o.duration
			res, err := runWrk(ctx, spec)
			if err != nil {
				return err
			}
			runs = append(runs, PeerRun{Round: round, WrkResult: res})
		}
	}
	sum := summarize(runs)
	rat, err := ratios(runs, sum)
	if err != nil {
		return err
	}
	printPeers(sum, rat)
	rep.Extra["rounds"] = r.o.rounds
	rep.Extra["runs"] = runs
	rep.Extra["summary"] = sum
	rep.Extra["ratios"] = rat
	rep.Extra["postgres"] = map[string]any{"version": pg.version, "fsync": "on", "synchronous_commit": "on",
		"pool": r.o.conns, "transaction": "BEGIN; INSERT one row; COMMIT (pgx.BeginFunc)"}
	rep.Verdicts = peerVerdicts(sum, rat)
	return r.save(rep)
}

func printPeers(sum map[string]*PeerSummary, r PeerRatios) {
	logf("%-6s %10s %9s %9s %13s %14s %8s", "target", "writes/s", "p50 ms", "p99 ms", "p99 worst ms", "CPU/write µs", "non-2xx")
	for _, t := range peerTargets {
		s := sum[t]
		logf("%-6s %10.0f %9.2f %9.2f %13.2f %14.0f %8d", t, s.WritesPerSec, s.P50Ms, s.P99Ms, s.P99MaxMs, s.CPUPerWriteUs, s.Non2xx)
	}
	logf("full/pg %.2fx (rounds %s), full/store %.2fx (rounds %s), full/bare %.3fx",
		r.FullOverPG, fmtList(r.RoundsOverPG), r.FullOverStore, fmtList(r.RoundsOverSt), r.FullOverBare)
}

func fmtList(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'f', 2, 64)
	}
	return strings.Join(s, ", ")
}
