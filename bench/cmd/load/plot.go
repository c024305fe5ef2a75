package main

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// sweepSeries groups sweep runs by kind ("write", "mixed"): the name is
// "sweep-KIND-CONNS".
func sweepSeries(runs []*AttackResult) map[string][]*AttackResult {
	out := map[string][]*AttackResult{}
	for _, r := range runs {
		parts := strings.Split(r.Name, "-")
		if len(parts) != 3 || parts[0] != "sweep" {
			continue
		}
		out[parts[1]] = append(out[parts[1]], r)
	}
	for _, rs := range out {
		sort.Slice(rs, func(i, j int) bool { return rs[i].Conns < rs[j].Conns })
	}
	return out
}

// plotSweep draws throughput (successful requests/s) and p99 latency
// against concurrency, one line per kind, into a PNG.
func plotSweep(runs []*AttackResult, path string) error {
	series := sweepSeries(runs)
	kinds := make([]string, 0, len(series))
	for k := range series {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)

	tput := plot.New()
	tput.Title.Text = "Candor: throughput against concurrency (2 cores, load tool on the same machine)"
	tput.X.Label.Text = "concurrent connections"
	tput.Y.Label.Text = "successful requests/s"
	lat := plot.New()
	lat.Title.Text = "p99 latency against concurrency"
	lat.X.Label.Text = "concurrent connections"
	lat.Y.Label.Text = "p99 latency (ms)"
	var tArgs, lArgs []any
	for _, k := range kinds {
		var tp, lp plotter.XYs
		for _, r := range series[k] {
			tp = append(tp, plotter.XY{X: float64(r.Conns), Y: r.Total.OKPerSec})
			lp = append(lp, plotter.XY{X: float64(r.Conns), Y: r.Total.P99Ms})
		}
		label := k
		if k == "mixed" {
			label = "mixed (80% reads)"
		} else if k == "write" {
			label = "writes only"
		}
		tArgs = append(tArgs, label, tp)
		lArgs = append(lArgs, label, lp)
	}
	if err := plotutil.AddLinePoints(tput, tArgs...); err != nil {
		return err
	}
	if err := plotutil.AddLinePoints(lat, lArgs...); err != nil {
		return err
	}
	for _, p := range []*plot.Plot{tput, lat} {
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = connTicks{}
		p.Y.Min = 0
		p.Legend.Top = true
		p.Legend.Left = true
		p.Add(plotter.NewGrid())
	}

	const w, h = 20 * vg.Centimeter, 24 * vg.Centimeter
	img := vgimg.New(w, h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Centimeter / 2, PadBottom: vg.Centimeter / 2,
		PadLeft: vg.Centimeter / 2, PadRight: vg.Centimeter / 2, PadY: vg.Centimeter}
	plots := [][]*plot.Plot{{tput}, {lat}}
	canvases := plot.Align(plots, tiles, dc)
	for i := range plots {
		plots[i][0].Draw(canvases[i][0])
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// connTicks marks powers of two on the concurrency axis.
type connTicks struct{}

func (connTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for v := 1.0; v <= hi*1.0001; v *= 2 {
		if v >= lo*0.9999 {
			out = append(out, plot.Tick{Value: v, Label: fmt.Sprint(v)})
		}
	}
	return out
}
