package jsonenc

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

// point appends its own JSON with the helpers, as the read models'
// documents do.
type point struct {
	Name  string     `json:"name"`
	At    *time.Time `json:"at,omitempty"`
	X     *float64   `json:"x,omitempty"`
	Y     float64    `json:"y"`
	On    bool       `json:"on"`
	Tags  []string   `json:"tags"`
	Since time.Time  `json:"since"`
}

func (p *point) AppendJSON(b []byte) ([]byte, error) {
	var err error
	b = AppendStringField(b, `{"name":`, p.Name)
	if b, err = AppendOptTime(b, `,"at":`, p.At); err != nil {
		return b, err
	}
	if b, err = AppendOptFloat(b, `,"x":`, p.X); err != nil {
		return b, err
	}
	b = append(b, `,"y":`...)
	if b, err = AppendFloat(b, p.Y); err != nil {
		return b, err
	}
	b = append(b, `,"on":`...)
	b = AppendBool(b, p.On)
	b = append(b, `,"tags":`...)
	b = AppendStrings(b, p.Tags)
	if b, err = AppendTimeField(b, `,"since":`, p.Since); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

// The helpers write what encoding/json writes, and fail where it fails.
func TestComposeMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 890000000, time.FixedZone("CET", 3600))
	bad := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	floats := []float64{0, math.Copysign(0, -1), 1, -2.5, 1.0 / 3, 1e-6, 9.99e-7, 1e-7, -1e-9, 1e20, 1e21, 123456789e15,
		math.MaxFloat64, math.SmallestNonzeroFloat64, math.NaN(), math.Inf(1), math.Inf(-1)}
	var points []point
	for i, f := range floats {
		p := point{Name: []string{"", "plain", `q " \ <b>&</b>`, "é\u2028", "bad \xff"}[i%5], Y: f, On: i%2 == 0,
			Tags: [][]string{nil, {}, {"a"}, {"<x>", ""}}[i%4], Since: at}
		if i%3 == 0 {
			p.At, p.X = &at, &floats[len(floats)-1-i]
		}
		points = append(points, p)
	}
	points = append(points, point{Since: bad}, point{At: &bad})
	for i := range points {
		p := &points[i]
		want, wantErr := json.Marshal(p)
		got, err := p.AppendJSON(nil)
		if (err != nil) != (wantErr != nil) || err == nil && string(got) != string(want) {
			t.Errorf("AppendJSON(%+v) = %s, %v; want %s, %v", p, got, err, want, wantErr)
		}
	}
	ok := points[1:3]
	maps := []map[string]point{nil, {}, {"b<&>": ok[0], "a": ok[1], "ä": ok[0], "B": ok[1]}}
	for _, m := range maps {
		want, _ := json.Marshal(m)
		if got, err := AppendMap(nil, m); err != nil || string(got) != string(want) {
			t.Errorf("AppendMap = %s, %v; want %s", got, err, want)
		}
	}
	for _, l := range [][]point{nil, {}, ok} {
		want, _ := json.Marshal(l)
		if got, err := AppendSlice(nil, l); err != nil || string(got) != string(want) {
			t.Errorf("AppendSlice = %s, %v; want %s", got, err, want)
		}
	}
	if _, err := AppendSlice(nil, []point{ok[0], {Y: math.NaN()}}); err == nil {
		t.Error("AppendSlice accepted NaN")
	}
	if _, err := AppendMap(nil, map[string]point{"a": {Since: bad}}); err == nil {
		t.Error("AppendMap accepted the year 10000")
	}
}

func FuzzAppendFloat(f *testing.F) {
	for _, x := range []float64{0, 1e-7, 1e21, -3.25} {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, x float64) {
		want, wantErr := json.Marshal(x)
		got, err := AppendFloat(nil, x)
		if (err != nil) != (wantErr != nil) || err == nil && string(got) != string(want) {
			t.Fatalf("AppendFloat(%v) = %s, %v; want %s, %v", x, got, err, want, wantErr)
		}
	})
}
