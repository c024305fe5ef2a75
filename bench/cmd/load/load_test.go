package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestMaxMetric(t *testing.T) {
	text := `# HELP candor_projection_lag_events Global positions behind.
# TYPE candor_projection_lag_events gauge
candor_projection_lag_events{projection="summary"} 12
candor_projection_lag_events{projection="transparency"} 40
candor_projection_lag_events_total 999
other_metric 5
`
	tests := []struct {
		name   string
		metric string
		want   float64
		found  bool
	}{
		{"largest of the labelled samples", "candor_projection_lag_events", 40, true},
		{"prefix of another family is not it", "candor_projection_lag", 0, false},
		{"unlabelled", "other_metric", 5, true},
		{"absent", "nope", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, found := maxMetric(text, tc.metric)
			if got != tc.want || found != tc.found {
				t.Errorf("maxMetric(%q) = %v, %v; want %v, %v", tc.metric, got, found, tc.want, tc.found)
			}
		})
	}
}

func TestParseStat(t *testing.T) {
	// utime 150, stime 50, cutime 7, cstime 3 ticks. The name holds a
	// space and a ")".
	stat := "1234 (candor serve) R) R 17 1234 1234 0 -1 4194560 100 0 0 0 150 50 7 3 20 0 8 0 1000 0 0"
	got, err := parseStat(stat)
	want := procStat{pid: 1234, ppid: 17, utime: 1500 * time.Millisecond, stime: 500 * time.Millisecond,
		cutime: 70 * time.Millisecond, cstime: 30 * time.Millisecond}
	if err != nil || got != want {
		t.Errorf("parseStat = %+v, %v; want %+v", got, err, want)
	}
	for _, bad := range []string{"garbage", "1 (x) R 1 2 3", "x (y) R 17 1 1 0 -1 0 0 0 0 0 1 1 1 1 20"} {
		if _, err := parseStat(bad); err == nil {
			t.Errorf("parseStat(%q) succeeded", bad)
		}
	}
}

func TestSumTree(t *testing.T) {
	s := func(pid, ppid int, own, children time.Duration) procStat {
		return procStat{pid: pid, ppid: ppid, utime: own, stime: own, cutime: children, cstime: children}
	}
	procs := []procStat{
		s(1, 0, 100, 100),   // init: not in the tree
		s(10, 1, 5, 20),     // the postmaster; exited backends in its children's times
		s(11, 10, 3, 0),     // a backend
		s(12, 10, 2, 1),     // another, which reaped a child of its own
		s(13, 12, 1, 0),     // its live child
		s(20, 1, 1000, 0),   // unrelated
		s(21, 20, 1000, 10), // unrelated child
	}
	tests := []struct {
		name  string
		root  int
		want  time.Duration
		found bool
	}{
		{"whole tree", 10, 2*(5+20) + 2*3 + 2*(2+1) + 2*1, true},
		{"subtree", 12, 2*(2+1) + 2*1, true},
		{"leaf", 13, 2, true},
		{"absent", 99, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, found := sumTree(tc.root, procs)
			if got != tc.want || found != tc.found {
				t.Errorf("sumTree(%d) = %v, %v; want %v, %v", tc.root, got, found, tc.want, tc.found)
			}
		})
	}
}

// treeCPU reads the live /proc: this test process is there, with at
// least the CPU it has used on its own.
func TestTreeCPUOfThisProcess(t *testing.T) {
	own, err := processCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	tree, err := treeCPU(os.Getpid())
	if err != nil || tree < own {
		t.Errorf("treeCPU = %v, %v; want at least the process's own %v", tree, err, own)
	}
	if _, err := treeCPU(-1); err == nil {
		t.Error("treeCPU of no process succeeded")
	}
}

func TestIntList(t *testing.T) {
	got, err := intList("0, 100k,1M,8")
	want := []int{0, 100000, 1000000, 8}
	if err != nil || len(got) != len(want) {
		t.Fatalf("intList = %v, %v", got, err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("intList[%d] = %d, want %d", i, got[i], want[i])
		}
	}
	if _, err := intList("1,x"); err == nil {
		t.Error("intList accepted x")
	}
}

func TestPlotSweep(t *testing.T) {
	var runs []*AttackResult
	for _, c := range []int{8, 16, 32} {
		for _, k := range []string{"write", "mixed"} {
			r := &AttackResult{Name: "sweep-" + k + "-" + strconv.Itoa(c), Conns: c}
			r.Total.OKPerSec, r.Total.P99Ms = float64(100*c), float64(c)/2
			runs = append(runs, r)
		}
	}
	runs = append(runs, &AttackResult{Name: "write", Conns: 64}) // not a sweep run: ignored
	if s := sweepSeries(runs); len(s["write"]) != 3 || len(s["mixed"]) != 3 || s["write"][0].Conns != 8 {
		t.Fatalf("sweepSeries grouped %v", s)
	}
	path := filepath.Join(t.TempDir(), "sweep.png")
	if err := plotSweep(runs, path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || len(b) < 8 || string(b[1:4]) != "PNG" {
		t.Fatalf("not a PNG: %d bytes, %v", len(b), err)
	}
}
