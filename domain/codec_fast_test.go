package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// slowUnmarshal is Unmarshal through encoding/json only, as it was before
// the fast path: the reference the fast path must match.
func slowUnmarshal(typ string, data []byte) (Event, error) {
	r, ok := registered(typ)
	if !ok {
		return nil, fmt.Errorf("unknown %s", typ)
	}
	e := r.new()
	if err := json.Unmarshal(data, e); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformedEvent, typ, err)
	}
	if err := normalizeTimes(reflect.ValueOf(e).Elem()); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformedEvent, typ, err)
	}
	return e, nil
}

// sameAsSlow checks that Unmarshal (fast path or not) decodes data as
// encoding/json does, nil and empty lists apart, and fails when it fails.
func sameAsSlow(t *testing.T, typ string, data []byte) {
	t.Helper()
	want, werr := slowUnmarshal(typ, data)
	got, gerr := Unmarshal(typ, CurrentVersion(typ), data)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%s %s: error %v, encoding/json says %v", typ, data, gerr, werr)
	}
	if werr != nil {
		if decoders[typ].Decode(data, newEvent(typ)) && gerr.Error() != werr.Error() {
			t.Fatalf("%s %s: error %q, encoding/json says %q", typ, data, gerr, werr)
		}
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s %s:\n got %#v\nwant %#v", typ, data, got, want)
	}
}

func newEvent(typ string) Event {
	r, _ := registered(typ)
	return r.new()
}

func TestEveryEventTypeHasAFastPlan(t *testing.T) {
	for _, r := range registry {
		if decoders[r.typ] == nil {
			t.Errorf("%s: no fast plan, it decodes through encoding/json only", r.typ)
		}
	}
}

// What Marshal writes takes the fast path and decodes as encoding/json
// decodes it.
func TestFastPathOnMarshalledEvents(t *testing.T) {
	for _, e := range lifeStory(t).events {
		typ, _, data, err := Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if !decoders[typ].Decode(data, newEvent(typ)) {
			t.Errorf("%s %s: fast path not taken", typ, data)
		}
		sameAsSlow(t, typ, data)
	}
}

// Edge cases of JSON, each decoded (or refused) as encoding/json does,
// whether the fast path handles it or steps aside.
func TestFastPathEdgeCases(t *testing.T) {
	const typ = TypeDecisionMade
	base := `"engagement_id":"e-1","actor_id":"a","at":"2026-01-02T03:04:05Z","decision_id":"d","title":"T","kind":"technical","options":["x","y"],"chosen":"x"`
	cases := []string{
		`{` + base + `}`,
		" \t\r\n{ " + strings.ReplaceAll(base, ",", " ,\n ") + " } \n",
		`{` + base + `,"participants":null,"client_participants":[]}`,
		`{` + base + `,"participants":[],"about":null}`,
		`{` + base + `,"participants":[ "a" , "b" ]}`,
		`{` + base + `,"participants":["a",null]}`,
		`{` + base + `,"participants":["a",1]}`,
		`{` + base + `,"participants":"a"}`,
		`{` + base + `,"title":null}`,
		`{` + base + `,"title":"second"}`,
		`{` + base + `,"options":["z"]}`,
		`{` + base + `,"title":"Caf\u00e9 \"quoted\" \\ <b>&amp;</b> \ud83d\ude00"}`,
		`{` + base + `,"title":"Café ☕"}`,
		"{" + base + ",\"title\":\"bad \xff utf-8\"}",
		"{" + base + ",\"title\":\"ctrl \x01\"}",
		`{` + base + `,"title":"bad \x escape"}`,
		`{` + base + `,"Title":"cased"}`,
		`{` + base + `,"TITLE":"cased"}`,
		`{` + base + `,"unknown":{"nested":[1,2,{"a":null}]}}`,
		`{` + base + `,"ti\u0074le":"escaped key"}`,
		`{` + base + `,"at":"2026-01-02T03:04:05+02:00"}`,
		`{` + base + `,"at":"2026-01-02T03:04:05.123456789-07:30"}`,
		`{` + base + `,"at":"2026-01-02 03:04:05Z"}`,
		`{` + base + `,"at":"-0001-01-01T00:00:00Z"}`,
		`{` + base + `,"at":"0000-01-01T00:00:00+01:00"}`,
		`{` + base + `,"at":"9999-12-31T23:59:59-01:00"}`,
		`{` + base + `,"at":null}`,
		`{` + base + `,"at":"0001-01-01T00:00:00Z"}`,
		`{` + base + `,"at":12}`,
		`{` + base + `,"at":"2026-01-02T03:04:05\u005a"}`,
		`{` + base + `}x`,
		`{` + base + `,}`,
		`{` + base,
		`{` + base + `}{}`,
		`{}`,
		`{ }`,
		`{"title":"only"}`,
		`[]`,
		`{` + base + `,"title":"x" "chosen":"y"}`,
		`{` + base + `,"title" "x"}`,
		`{` + base + `,"title":nul}`,
		`{` + base + `,"title":nullx}`,
	}
	for _, c := range cases {
		sameAsSlow(t, typ, []byte(c))
	}
	// Numbers and booleans.
	numBase := `"engagement_id":"e","actor_id":"a","at":"2026-01-02T03:04:05Z","measurement_id":"m","indicator_id":"i","measured_at":"2026-01-02T03:04:05Z"`
	for _, v := range []string{"0", "-0", "1", "-1.5", "99.999", "1e3", "1E-3", "2.5e+10", "01", "1.", ".5", "-", "+1", "1e", "1e400", "true", `"1"`, "null", "NaN"} {
		sameAsSlow(t, TypeIndicatorMeasured, []byte(`{`+numBase+`,"value":`+v+`}`))
	}
	costBase := `"engagement_id":"e","actor_id":"a","at":"2026-01-02T03:04:05Z","cost_impact_id":"c","currency":"EUR"`
	for _, v := range []string{"0", "-12", "120000", "9223372036854775807", "9223372036854775808", "1.0", "1e3", "-0", "null", `"5"`} {
		sameAsSlow(t, TypeCostImpactDisclosed, []byte(`{`+costBase+`,"amount":`+v+`}`))
	}
	joinBase := `"engagement_id":"e","actor_id":"a","at":"2026-01-02T03:04:05Z","stakeholder_id":"s","party":"client","name":"N"`
	for _, v := range []string{"true", "false", "null", "1", `"true"`, "tru", "falsey"} {
		sameAsSlow(t, TypeStakeholderJoined, []byte(`{`+joinBase+`,"late":`+v+`}`))
	}
}

// FuzzFastDecode: Unmarshal, with its fast path, agrees with encoding/json
// on any input.
func FuzzFastDecode(f *testing.F) {
	for _, e := range lifeStory(f).events {
		typ, _, data, err := Marshal(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(typ, data)
		f.Add(typ, bytes.ReplaceAll(data, []byte(`,"`), []byte(` , "`)))
	}
	f.Fuzz(func(t *testing.T, typ string, data []byte) {
		if _, ok := registered(typ); !ok {
			return
		}
		if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
			return // refused before decoding, by both
		}
		sameAsSlow(t, typ, data)
	})
}

func BenchmarkUnmarshal(b *testing.B) {
	var typs []string
	var datas [][]byte
	for _, e := range lifeStory(b).events {
		typ, _, data, err := Marshal(e)
		if err != nil {
			b.Fatal(err)
		}
		typs, datas = append(typs, typ), append(datas, data)
	}
	b.Run("fast", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			k := i % len(typs)
			if _, err := Unmarshal(typs[k], CurrentVersion(typs[k]), datas[k]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			k := i % len(typs)
			if _, err := slowUnmarshal(typs[k], datas[k]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The committed seed corpus of FuzzUnmarshal decodes as encoding/json
// decodes it, fast path or not.
func TestFastPathOnCommittedCorpus(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzUnmarshal", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		// go test fuzz v1, then string(typ), int(version), []byte(data).
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 4 {
			t.Fatalf("%s: %d lines, want 4", name, len(lines))
		}
		typ, err1 := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
		data, err2 := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[3], "[]byte("), ")"))
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", name, err1, err2)
		}
		if _, ok := registered(typ); ok && lines[2] == "int("+strconv.Itoa(CurrentVersion(typ))+")" {
			sameAsSlow(t, typ, []byte(data))
		}
	}
}
