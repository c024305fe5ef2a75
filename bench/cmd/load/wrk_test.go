package main

import "testing"

func TestParseWrk(t *testing.T) {
	out := `Running 20s test @ http://127.0.0.1:34075
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    19.03ms   43.48ms 493.28ms   96.86%
    Req/Sec     2.65k   597.85     3.88k    73.01%
  Latency Distribution
     50%  850.00us
     75%   16.25ms
     90%   24.00ms
     99%    1.20s
  103611 requests in 20.08s, 109.04MB read
  Socket errors: connect 0, read 0, write 0, timeout 3
  Non-2xx or 3xx responses: 11
Requests/sec:   5159.34
Transfer/sec:      5.43MB
`
	r, err := parseWrk(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 103611 || r.PerSecond != 5159.34 || r.Non2xx != 11 {
		t.Errorf("totals: %+v", r)
	}
	if r.P50Ms != 0.85 || r.P90Ms != 24 || r.P99Ms != 1200 {
		t.Errorf("latencies: p50 %v p90 %v p99 %v", r.P50Ms, r.P90Ms, r.P99Ms)
	}
	if r.SocketErrors == "" {
		t.Error("socket errors not reported")
	}
	if want := 5159.34 * (103611 - 11) / 103611.0; r.OKPerSec != want {
		t.Errorf("ok/s %v, want %v", r.OKPerSec, want)
	}
	if _, err := parseWrk("wrk: connection refused\n"); err == nil {
		t.Error("no error for a report without figures")
	}
}
