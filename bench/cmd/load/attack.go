package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/candor-ledger/candor/e2e"
)

// Route classes: a write (anything but GET), a read of a projection's read
// model, or a read of the engagement's state folded from its stream.
const (
	classReadModel = "read-model"
	classReadState = "read-state"
	classWrite     = "write"
)

// classOf returns the route class of a request.
func classOf(method, url string) string {
	if method != http.MethodGet {
		return classWrite
	}
	path, _, _ := strings.Cut(url, "?")
	for _, p := range readModelPaths {
		if strings.HasSuffix(path, p) {
			return classReadModel
		}
	}
	return classReadState
}

// ClassResult summarises the requests of one class.
type ClassResult struct {
	Requests   uint64         `json:"requests"`
	OK         uint64         `json:"ok"`     // 2xx
	Errors     uint64         `json:"errors"` // transport errors and non-2xx
	PerSecond  float64        `json:"per_second"`
	OKPerSec   float64        `json:"ok_per_second"`
	MeanMs     float64        `json:"mean_ms"`
	P50Ms      float64        `json:"p50_ms"`
	P90Ms      float64        `json:"p90_ms"`
	P99Ms      float64        `json:"p99_ms"`
	P999Ms     float64        `json:"p99_9_ms"`
	MaxMs      float64        `json:"max_ms"`
	Codes      map[string]int `json:"status_codes"`
	ErrSamples []string       `json:"error_samples,omitempty"`
}

// AttackResult is one measured attack.
type AttackResult struct {
	Name        string                  `json:"name"`
	Target      string                  `json:"target"` // "candor" or "bare"
	Conns       int                     `json:"conns"`
	DurationSec float64                 `json:"duration_s"`
	Total       ClassResult             `json:"total"`
	Classes     map[string]*ClassResult `json:"classes"`
	RSSMaxMB    float64                 `json:"rss_max_mb,omitempty"`
	RSSEndMB    float64                 `json:"rss_end_mb,omitempty"`
	// Projection lag (events behind the store's head), sampled every
	// second from /metrics during the attack, and how long after the
	// attack the projections took to reach the head.
	// CPU used during the attack, in cores (1.0 = one core busy): by the
	// load tool itself and by the server process. The machine has 2.
	LoadGenCores float64 `json:"loadgen_cpu_cores"`
	ServerCores  float64 `json:"server_cpu_cores,omitempty"`
	// MachineCores is the CPU the whole machine used (from /proc/stat):
	// what exceeds the load tool and the server was used by other
	// processes sharing the machine, which skews the numbers.
	MachineCores float64 `json:"machine_cpu_cores"`
	LagMax       float64 `json:"projection_lag_max_events"`
	LagEnd       float64 `json:"projection_lag_at_end_events"`
	LagSamples   int     `json:"projection_lag_samples"`
	CatchUpAfter float64 `json:"projection_catch_up_after_s"`
	// StoreCommits: the embedded store's group commits during the attack.
	StoreCommits *CommitResult `json:"store_commits,omitempty"`
}

// classStats accumulates one class.
type classStats struct {
	m       vegeta.Metrics
	ok      uint64
	errs    uint64
	codes   map[string]int
	samples []string
}

func newClassStats() *classStats { return &classStats{codes: map[string]int{}} }

func (c *classStats) add(r *vegeta.Result) {
	c.m.Add(r)
	code := strconv.Itoa(int(r.Code))
	if r.Code == 0 {
		code = "transport_error"
	}
	c.codes[code]++
	if r.Code >= 200 && r.Code < 300 && r.Error == "" {
		c.ok++
		return
	}
	c.errs++
	if len(c.samples) < 5 {
		c.samples = append(c.samples, fmt.Sprintf("%s %s -> %d %s %s", r.Method, r.URL, r.Code, r.Error, truncate(string(r.Body), 300)))
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (c *classStats) result(elapsed time.Duration) *ClassResult {
	c.m.Close()
	l := c.m.Latencies
	sec := elapsed.Seconds()
	return &ClassResult{
		Requests: c.m.Requests, OK: c.ok, Errors: c.errs,
		PerSecond: float64(c.m.Requests) / sec, OKPerSec: float64(c.ok) / sec,
		MeanMs: ms(l.Mean), P50Ms: ms(l.P50), P90Ms: ms(l.P90), P99Ms: ms(l.P99), P999Ms: ms(l.Quantile(0.999)), MaxMs: ms(l.Max),
		Codes: c.codes, ErrSamples: c.samples,
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// attackSpec says what to attack.
type attackSpec struct {
	name     string
	target   string // "candor" or "bare"
	tr       vegeta.Targeter
	conns    int
	duration time.Duration
	pid      int    // process whose RSS is sampled (0: none)
	metrics  string // URL of /metrics to sample the projection lag ("" none)
}

// runAttack runs one closed-loop attack: conns workers, each sending its
// next request as soon as the previous one answered, for the duration.
func runAttack(ctx context.Context, a attackSpec) (*AttackResult, error) {
	atk := vegeta.NewAttacker(
		vegeta.Workers(uint64(a.conns)), vegeta.MaxWorkers(uint64(a.conns)),
		vegeta.Connections(a.conns), vegeta.MaxConnections(a.conns),
		vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second), vegeta.MaxBody(1024),
	)
	res := &AttackResult{Name: a.name, Target: a.target, Conns: a.conns, Classes: map[string]*ClassResult{}}

	// Samplers: RSS every 500 ms, projection lag every second.
	sctx, stopSampling := context.WithCancel(ctx)
	var (
		wg              sync.WaitGroup
		rssMax, rssLast atomic.Int64
		lagMax, lagLast atomic.Int64
		lagSamples      atomic.Int64
		lagSeen         atomic.Bool
	)
	if a.pid > 0 {
		wg.Go(func() {
			t := time.NewTicker(500 * time.Millisecond)
			defer t.Stop()
			for {
				if v, err := e2e.ProcessRSS(a.pid); err == nil {
					rssLast.Store(v)
					if v > rssMax.Load() {
						rssMax.Store(v)
					}
				}
				select {
				case <-sctx.Done():
					return
				case <-t.C:
				}
			}
		})
	}
	if a.metrics != "" {
		wg.Go(func() {
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-sctx.Done():
					return
				case <-t.C:
				}
				if v, ok, err := scrapeLag(sctx, samplerClient, a.metrics); err == nil && ok {
					lagSeen.Store(true)
					lagSamples.Add(1)
					lagLast.Store(int64(v))
					if int64(v) > lagMax.Load() {
						lagMax.Store(int64(v))
					}
				}
			}
		})
	}

	classes := map[string]*classStats{classReadModel: newClassStats(), classReadState: newClassStats(), classWrite: newClassStats()}
	total := newClassStats()
	var commits0 commitSnapshot
	haveCommits := false
	if a.metrics != "" {
		commits0, haveCommits, _ = scrapeCommits(ctx, samplerClient, a.metrics)
	}
	selfCPU0, _ := processCPU(os.Getpid())
	mach0, _ := machineCPU()
	srvCPU0, _ := processCPU(a.pid)
	start := time.Now()
	results := atk.Attack(a.tr, vegeta.Rate{Freq: 0}, a.duration, a.name)
	done := ctx.Done()
	for r := range results {
		classes[classOf(r.Method, r.URL)].add(r)
		total.add(r)
		select {
		case <-done:
			atk.Stop()
			done = nil
		default:
		}
	}
	elapsed := time.Since(start)
	selfCPU1, _ := processCPU(os.Getpid())
	mach1, _ := machineCPU()
	res.MachineCores = (mach1 - mach0).Seconds() / elapsed.Seconds()
	res.LoadGenCores = (selfCPU1 - selfCPU0).Seconds() / elapsed.Seconds()
	if a.pid > 0 {
		if srvCPU1, err := processCPU(a.pid); err == nil {
			res.ServerCores = (srvCPU1 - srvCPU0).Seconds() / elapsed.Seconds()
		}
	}
	stopSampling()
	wg.Wait()
	if haveCommits {
		if c, ok, err := scrapeCommits(ctx, samplerClient, a.metrics); err == nil && ok {
			res.StoreCommits = c.since(commits0, elapsed.Seconds())
		}
	}

	res.DurationSec = elapsed.Seconds()
	res.Total = *total.result(elapsed)
	for name, c := range classes {
		if c.m.Requests > 0 {
			res.Classes[name] = c.result(elapsed)
		}
	}
	res.RSSMaxMB, res.RSSEndMB = float64(rssMax.Load())/(1<<20), float64(rssLast.Load())/(1<<20)
	if lagSeen.Load() {
		res.LagMax, res.LagEnd, res.LagSamples = float64(lagMax.Load()), float64(lagLast.Load()), int(lagSamples.Load())
		// How long until the projections reach the head once the load stops.
		t0 := time.Now()
		for time.Since(t0) < 2*time.Minute {
			v, ok, err := scrapeLag(ctx, samplerClient, a.metrics)
			if err == nil && ok && v == 0 {
				res.CatchUpAfter = time.Since(t0).Seconds()
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return res, ctx.Err()
}

// samplerClient scrapes the server's /metrics during and around attacks.
var samplerClient = &http.Client{Timeout: 5 * time.Second}

// lagGauges are the projection-lag gauges the tool understands, newest
// first: candor serve exposes candor_projection_lag_positions (one sample
// per projection generation); older builds had candor_projection_lag_events.
var lagGauges = []string{"candor_projection_lag_positions", "candor_projection_lag_events"}

// scrapeLag reads /metrics and returns the largest projection lag, in
// store positions, over the projections; ok is false when the server
// exposes none of lagGauges.
func scrapeLag(ctx context.Context, cl *http.Client, url string) (float64, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, false, err
	}
	resp, err := cl.Do(req)
	if err != nil {
		return 0, false, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, false, err
	}
	for _, g := range lagGauges {
		if v, ok := maxMetric(string(b), g); ok {
			return v, true, nil
		}
	}
	return 0, false, nil
}

// maxMetric returns the largest sample of a metric family in a Prometheus
// text exposition, and whether there was any.
func maxMetric(text, name string) (float64, bool) {
	best, found := 0.0, false
	for line := range strings.SplitSeq(text, "\n") {
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || (rest[0] != '{' && rest[0] != ' ') {
			continue // a comment, or another metric sharing the prefix
		}
		f := strings.Fields(rest[strings.LastIndexByte(rest, '}')+1:])
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue
		}
		if !found || v > best {
			best, found = v, true
		}
	}
	return best, found
}

// writeBody is the body of one write: an expert invited to the engagement.
func writeBody(n uint64) []byte {
	return fmt.Appendf(nil, `{"name":"Expert %d","expertise":"load testing"}`, n)
}

// The reads of a mixed load, relative to an engagement: three in four of a
// projection's read model, one in four of the folded state.
var (
	readModelPaths = []string{"/summary", "/timeline", "/stakeholder-register", "/decision-log", "/delay-register", "/communications-report"}
	readStatePaths = []string{"", "/experts?limit=10", "/stakeholders"}
)

// targeter spreads requests uniformly over the engagements: a read with
// probability readRatio, else a write. base is the URL prefix (the candor
// server or the bare handler).
func (s *stack) targeter(base string, readRatio float64) vegeta.Targeter {
	type hdrs struct{ read, write http.Header }
	hs := make([]hdrs, len(s.engagements))
	for i := range s.engagements {
		auth := []string{"Bearer " + s.tokenFor(i)}
		hs[i] = hdrs{
			read:  http.Header{"Authorization": auth},
			write: http.Header{"Authorization": auth, "Content-Type": {"application/json"}},
		}
	}
	var seq atomic.Uint64
	return func(t *vegeta.Target) error {
		i := rand.IntN(len(s.engagements))
		prefix := base + "/v1/engagements/" + s.engagements[i]
		if rand.Float64() < readRatio {
			path := readStatePaths[rand.IntN(len(readStatePaths))]
			if rand.IntN(4) > 0 {
				path = readModelPaths[rand.IntN(len(readModelPaths))]
			}
			t.Method, t.URL, t.Body, t.Header = http.MethodGet, prefix+path, nil, hs[i].read
			return nil
		}
		t.Method, t.URL, t.Body, t.Header = http.MethodPost, prefix+"/experts", writeBody(seq.Add(1)), hs[i].write
		return nil
	}
}

// printResult prints one attack as a few lines.
func printResult(r *AttackResult) {
	logf("%s [%s, %d conns, %.1fs]: %d requests, %.0f req/s, %d errors %v",
		r.Name, r.Target, r.Conns, r.DurationSec, r.Total.Requests, r.Total.PerSecond, r.Total.Errors, r.Total.Codes)
	names := make([]string, 0, len(r.Classes))
	for n := range r.Classes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := r.Classes[n]
		logf("  %-5s %8d req  %8.0f ok/s  p50 %6.2f ms  p99 %7.2f ms  p99.9 %7.2f ms  max %7.1f ms  errors %d",
			n, c.Requests, c.OKPerSec, c.P50Ms, c.P99Ms, c.P999Ms, c.MaxMs, c.Errors)
		for _, e := range c.ErrSamples {
			logf("    e.g. %s", e)
		}
	}
	logf("  CPU: load tool %.2f cores, server %.2f cores, whole machine %.2f cores (of %d)",
		r.LoadGenCores, r.ServerCores, r.MachineCores, runtime.NumCPU())
	if r.RSSMaxMB > 0 {
		logf("  server RSS max %.0f MB, at end %.0f MB", r.RSSMaxMB, r.RSSEndMB)
	}
	r.StoreCommits.log()
	if r.LagSamples > 0 {
		logf("  projection lag: max %.0f events, at end %.0f, caught up %.2fs after the load", r.LagMax, r.LagEnd, r.CatchUpAfter)
	}
}

// processCPU returns the user+system CPU time a process has used so far.
func processCPU(pid int) (time.Duration, error) {
	if pid <= 0 {
		return 0, nil
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	st, err := parseStat(string(b))
	return st.utime + st.stime, err
}

// procStat is what the tool reads of /proc/PID/stat.
type procStat struct {
	pid, ppid                    int
	utime, stime, cutime, cstime time.Duration
}

// parseStat reads fields 1, 4 and 14-17 of /proc/PID/stat (times in clock
// ticks of 1/100 s, the value of USER_HZ on Linux).
func parseStat(stat string) (procStat, error) {
	// The command name (field 2) is in parentheses and may hold spaces.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("malformed /proc stat %q", truncate(stat, 80))
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 15 {
		return procStat{}, fmt.Errorf("malformed /proc stat %q", truncate(stat, 80))
	}
	// After the name: state is f[0] (field 3), so field n is f[n-3].
	var n [5]int64
	for j, k := range []int{1, 11, 12, 13, 14} {
		v, err := strconv.ParseInt(f[k], 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("malformed /proc stat field %d %q", k+3, f[k])
		}
		n[j] = v
	}
	pid, err := strconv.Atoi(strings.TrimSpace(stat[:strings.IndexByte(stat, '(')]))
	if err != nil {
		return procStat{}, fmt.Errorf("malformed /proc stat pid in %q", truncate(stat, 80))
	}
	tick := func(v int64) time.Duration { return time.Duration(v) * 10 * time.Millisecond }
	return procStat{pid: pid, ppid: int(n[0]), utime: tick(n[1]), stime: tick(n[2]), cutime: tick(n[3]), cstime: tick(n[4])}, nil
}

// treeCPU returns the CPU time used so far by the process tree rooted at
// root (PostgreSQL is a postmaster and its children): each live process's
// own time, plus what its children that exited used (cutime, cstime).
func treeCPU(root int) (time.Duration, error) {
	paths, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return 0, err
	}
	var procs []procStat
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // exited since the glob
		}
		if st, err := parseStat(string(b)); err == nil {
			procs = append(procs, st)
		}
	}
	cpu, found := sumTree(root, procs)
	if !found {
		return 0, fmt.Errorf("no process %d", root)
	}
	return cpu, nil
}

// sumTree adds up the CPU time of root and its descendants in procs.
// A process that exited and was waited for is in its parent's cutime and
// cstime; one still alive is counted by its own times only, so nothing is
// counted twice.
func sumTree(root int, procs []procStat) (time.Duration, bool) {
	children := map[int][]procStat{}
	var top *procStat
	for i, p := range procs {
		children[p.ppid] = append(children[p.ppid], p)
		if p.pid == root {
			top = &procs[i]
		}
	}
	if top == nil {
		return 0, false
	}
	var sum time.Duration
	queue := []procStat{*top}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		sum += p.utime + p.stime + p.cutime + p.cstime
		queue = append(queue, children[p.pid]...)
	}
	return sum, true
}

// machineCPU returns the busy CPU time of the whole machine so far: the
// first line of /proc/stat less idle and iowait.
func machineCPU() (time.Duration, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, fmt.Errorf("malformed /proc/stat")
	}
	var busy int64
	for i, v := range f[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		if i >= 8 { // guest time is already counted in user
			break
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, err
		}
		busy += n
	}
	return time.Duration(busy) * 10 * time.Millisecond, nil
}
