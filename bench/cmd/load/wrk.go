package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The write scenario again, with wrk (Debian's wrk, a C load generator
// scripted in Lua) instead of vegeta: vegeta costs ~90 µs of CPU per
// request, and on two cores shared with the server that caps the bare
// handler near 20-25k req/s, flattering the ratio of the full stack to it.
// wrk costs a fraction of that.

// WrkResult is one wrk run, as wrk reports it (its latency figures are
// from its own histogram: 50/75/90/99th percentiles).
type WrkResult struct {
	Name         string  `json:"name"`
	Target       string  `json:"target"`
	Conns        int     `json:"conns"`
	Threads      int     `json:"threads"`
	DurationSec  float64 `json:"duration_s"`
	Requests     int64   `json:"requests"`
	PerSecond    float64 `json:"req_per_s"`
	Non2xx       int64   `json:"non_2xx"`
	SocketErrors string  `json:"socket_errors,omitempty"`
	P50Ms        float64 `json:"p50_ms"`
	P90Ms        float64 `json:"p90_ms"`
	P99Ms        float64 `json:"p99_ms"`
	WrkCores     float64 `json:"wrk_cpu_cores"`
	ServerCores  float64 `json:"server_cpu_cores"`
	// ServerCPUSec is the CPU the target's processes used from the start
	// of the load to its end (or, with a settle step, to the end of that),
	// and CPUPerWriteUs the same per 2xx answer.
	ServerCPUSec  float64 `json:"server_cpu_s"`
	CPUPerWriteUs float64 `json:"server_cpu_per_write_us"`
	SettleSec     float64 `json:"settle_s,omitempty"`
	MachineCores  float64 `json:"machine_cpu_cores"`
	// OKPerSec is requests/s less the non-2xx ones.
	OKPerSec     float64       `json:"ok_per_s"`
	StoreCommits *CommitResult `json:"store_commits,omitempty"`
	Output       string        `json:"wrk_output"`
}

// wrkScript is the Lua script: POST an expert to a random engagement, with
// the engagement's token, a name unique across wrk's threads.
func (s *stack) wrkScript(dir string) (string, error) {
	var b strings.Builder
	b.WriteString("local paths = {\n")
	for _, e := range s.engagements {
		fmt.Fprintf(&b, "  %q,\n", "/v1/engagements/"+e+"/experts")
	}
	b.WriteString("}\nlocal auths = {\n")
	for i := range s.engagements {
		fmt.Fprintf(&b, "  %q,\n", "Bearer "+s.tokenFor(i))
	}
	b.WriteString(`}
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
function init(args)
  math.randomseed(os.time() * 100 + tid)
end
function request()
  n = n + 1
  local i = math.random(#paths)
  local body = '{"name":"Expert ' .. tid .. '-' .. n .. '","expertise":"load testing"}'
  return wrk.format("POST", paths[i], {["Authorization"] = auths[i], ["Content-Type"] = "application/json"}, body)
end
`)
	path := filepath.Join(dir, "write.lua")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// wrkSpec says what to run wrk against.
type wrkSpec struct {
	name, target string
	base, script string
	conns        int
	duration     time.Duration
	// cpu returns the CPU the target's processes have used so far.
	cpu func() (time.Duration, error)
	// metrics is the candor server's /metrics ("" for the peers).
	metrics string
	// settle, when set, waits after the load for the work it left behind
	// (the projections catching up), so that its CPU counts with the load's.
	settle func(context.Context) error
}

// runWrk runs wrk as spec says and parses its report.
func runWrk(ctx context.Context, spec wrkSpec) (*WrkResult, error) {
	threads := 2
	var commits0 commitSnapshot
	haveCommits := false
	if spec.metrics != "" {
		commits0, haveCommits, _ = scrapeCommits(ctx, samplerClient, spec.metrics)
	}
	mach0, _ := machineCPU()
	srv0, err := spec.cpu()
	if err != nil {
		return nil, fmt.Errorf("%s: server CPU: %w", spec.target, err)
	}
	start := time.Now()
	cmd := exec.CommandContext(ctx, "wrk", "-t", strconv.Itoa(threads), "-c", strconv.Itoa(spec.conns),
		"-d", fmt.Sprintf("%ds", int(spec.duration.Seconds())), "--latency", "-s", spec.script, spec.base)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("wrk: %w\n%s", err, out.String())
	}
	elapsed := time.Since(start)
	mach1, _ := machineCPU()
	r, err := parseWrk(out.String())
	if err != nil {
		return nil, err
	}
	if spec.settle != nil {
		t0 := time.Now()
		if err := spec.settle(ctx); err != nil {
			return nil, fmt.Errorf("%s: after the load: %w", spec.target, err)
		}
		r.SettleSec = time.Since(t0).Seconds()
	}
	srv1, err := spec.cpu()
	if err != nil {
		return nil, fmt.Errorf("%s: server CPU: %w", spec.target, err)
	}
	r.Name, r.Target, r.Conns, r.Threads, r.DurationSec = spec.name, spec.target, spec.conns, threads, elapsed.Seconds()
	r.WrkCores = (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds() / elapsed.Seconds()
	r.ServerCPUSec = (srv1 - srv0).Seconds()
	r.ServerCores = r.ServerCPUSec / elapsed.Seconds()
	if ok := r.Requests - r.Non2xx; ok > 0 {
		r.CPUPerWriteUs = r.ServerCPUSec / float64(ok) * 1e6
	}
	r.MachineCores = (mach1 - mach0).Seconds() / elapsed.Seconds()
	if haveCommits {
		if c, ok, err := scrapeCommits(ctx, samplerClient, spec.metrics); err == nil && ok {
			r.StoreCommits = c.since(commits0, elapsed.Seconds())
		}
	}
	logf("%s [%s, wrk, %d conns]: %.0f req/s (%.0f ok/s), p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, non-2xx %d%s",
		spec.name, spec.target, spec.conns, r.PerSecond, r.OKPerSec, r.P50Ms, r.P90Ms, r.P99Ms, r.Non2xx, r.SocketErrors)
	logf("  CPU: wrk %.2f cores, server %.2f cores (%.0f µs per 2xx), whole machine %.2f cores",
		r.WrkCores, r.ServerCores, r.CPUPerWriteUs, r.MachineCores)
	r.StoreCommits.log()
	return r, nil
}

// processCPUOf measures one process.
func processCPUOf(pid int) func() (time.Duration, error) {
	return func() (time.Duration, error) { return processCPU(pid) }
}

var (
	wrkTotal   = regexp.MustCompile(`(\d+) requests in ([\d.]+)(us|ms|s|m)`)
	wrkRate    = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkNon2xx  = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSocket  = regexp.MustCompile(`Socket errors: [^\n]*`)
	wrkLatency = regexp.MustCompile(`(?m)^\s+(50|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$`)
)

// parseWrk reads wrk's report (with --latency).
func parseWrk(out string) (*WrkResult, error) {
	r := &WrkResult{Output: out}
	m := wrkTotal.FindStringSubmatch(out)
	rate := wrkRate.FindStringSubmatch(out)
	lat := wrkLatency.FindAllStringSubmatch(out, -1)
	if m == nil || rate == nil || len(lat) != 3 {
		return nil, errors.New("wrk: unexpected report:\n" + out)
	}
	r.Requests, _ = strconv.ParseInt(m[1], 10, 64)
	r.PerSecond, _ = strconv.ParseFloat(rate[1], 64)
	if n := wrkNon2xx.FindStringSubmatch(out); n != nil {
		r.Non2xx, _ = strconv.ParseInt(n[1], 10, 64)
	}
	if s := wrkSocket.FindString(out); s != "" {
		r.SocketErrors = "; " + s
	}
	for _, l := range lat {
		v, _ := strconv.ParseFloat(l[2], 64)
		v *= map[string]float64{"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[l[3]]
		switch l[1] {
		case "50":
			r.P50Ms = v
		case "90":
			r.P90Ms = v
		case "99":
			r.P99Ms = v
		}
	}
	if r.Requests > 0 {
		r.OKPerSec = r.PerSecond * float64(r.Requests-r.Non2xx) / float64(r.Requests)
	}
	return r, nil
}

// wrkWrite: the write load with wrk, full stack then the bare handler.
func (r *runner) wrkWrite(ctx context.Context) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed (Debian: apt-get install wrk)")
	}
	s, err := r.start(ctx, "wrk")
	if err != nil {
		return err
	}
	defer s.stop()
	script, err := s.wrkScript(s.dataDir)
	if err != nil {
		return err
	}
	rep := r.newReport("wrk")
	full, err := runWrk(ctx, wrkSpec{name: "write", target: "candor", base: s.srv.URL, script: script,
		conns: r.o.conns, duration: r.o.duration, cpu: processCPUOf(s.srv.PID()), metrics: s.srv.URL + "/metrics"})
	if err != nil {
		return err
	}
	if r.o.noBare {
		rep.Extra["wrk_runs"] = []*WrkResult{full}
		rep.Verdicts = append(rep.Verdicts,
			verdict(full.Non2xx == 0 && full.SocketErrors == "", "no errors (%d non-2xx%s)", full.Non2xx, full.SocketErrors))
		return r.save(rep)
	}
	bare, err := startPeer(ctx, "bare")
	if err != nil {
		return err
	}
	defer bare.stop()
	bres, err := runWrk(ctx, wrkSpec{name: "write-bare", target: "bare", base: bare.url(), script: script,
		conns: r.o.conns, duration: r.o.duration, cpu: processCPUOf(bare.pid())})
	if err != nil {
		return err
	}
	rep.Extra["wrk_runs"] = []*WrkResult{full, bres}
	writeVerdicts(rep, "wrk", full.OKPerSec, full.P99Ms, bres.OKPerSec, bres.P99Ms)
	rep.Verdicts = append(rep.Verdicts,
		verdict(full.Non2xx == 0 && full.SocketErrors == "", "no errors (%d non-2xx%s)", full.Non2xx, full.SocketErrors))
	return r.save(rep)
}
