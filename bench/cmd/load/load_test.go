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

func TestParseStatCPU(t *testing.T) {
	// utime 150 and stime 50 ticks: 2 s. The name holds a space and a ")".
	stat := "1234 (candor serve) R 1 1234 1234 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 8 0 1000 0 0"
	got, err := parseStatCPU(stat)
	if err != nil || got != 2*time.Second {
		t.Errorf("parseStatCPU = %v, %v; want 2s", got, err)
	}
	if _, err := parseStatCPU("garbage"); err == nil {
		t.Error("parseStatCPU(garbage) succeeded")
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
