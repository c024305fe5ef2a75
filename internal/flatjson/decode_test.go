package flatjson

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

type head struct {
	ID string    `json:"id"`
	At time.Time `json:"at"`
	On time.Time `json:"on,omitzero"`
}

type party string

// flat has a field of every kind Decode reads.
type flat struct {
	head
	Name  string   `json:"name"`
	Party party    `json:"party,omitempty"`
	Tags  []string `json:"tags,omitempty"`
	Late  bool     `json:"late,omitempty"`
	Score float64  `json:"score"`
	Cents int64    `json:"cents"`
	Skip  string   `json:"-"`
}

// same checks that Decode, when it reads data, decodes it as
// json.Unmarshal does, and that it steps aside whenever json.Unmarshal
// fails.
func same(t *testing.T, data string) (taken bool) {
	t.Helper()
	var want flat
	werr := json.Unmarshal([]byte(data), &want)
	var got flat
	taken = For(reflect.TypeFor[flat]()).Decode([]byte(data), &got)
	if taken && werr != nil {
		t.Fatalf("%s: decoded, but encoding/json says %v", data, werr)
	}
	if taken && !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %#v\nwant %#v", data, got, want)
	}
	return taken
}

const base = `"id":"e-1","at":"2026-01-02T03:04:05Z","name":"N","score":1.5,"cents":12`

var cases = []string{
	`{` + base + `}`,
	" \t\r\n{ " + strings.ReplaceAll(base, ",", " ,\n ") + " } \n",
	`{` + base + `,"tags":null}`, `{` + base + `,"tags":[]}`, `{` + base + `,"tags":[ "a" , "b" ]}`,
	`{` + base + `,"tags":["a",null]}`, `{` + base + `,"tags":["a",1]}`, `{` + base + `,"tags":"a"}`,
	`{` + base + `,"name":null}`, `{` + base + `,"name":"second"}`, `{` + base + `,"party":"client"}`,
	`{` + base + `,"name":"Caf\u00e9 \"quoted\" \\ <b>&amp;</b> \ud83d\ude00"}`, `{` + base + `,"name":"Café ☕"}`,
	"{" + base + ",\"name\":\"bad \xff utf-8\"}", "{" + base + ",\"name\":\"ctrl \x01\"}", `{` + base + `,"name":"bad \x escape"}`,
	`{` + base + `,"Name":"cased"}`, `{` + base + `,"unknown":{"nested":[1,2,{"a":null}]}}`, `{` + base + `,"na\u006de":"escaped key"}`,
	`{` + base + `,"Skip":"x"}`,
	`{` + base + `,"at":"2026-01-02T03:04:05+02:00"}`, `{` + base + `,"at":"2026-01-02T03:04:05.123456789-07:30"}`,
	`{` + base + `,"at":"2026-01-02 03:04:05Z"}`, `{` + base + `,"at":"0000-01-01T00:00:00+01:00"}`, `{` + base + `,"at":null}`,
	`{` + base + `,"at":12}`, `{` + base + `,"on":"2026-01-02T03:04:05Z"}`,
	`{` + base + `,"score":-0}`, `{` + base + `,"score":1e3}`, `{` + base + `,"score":2.5e+10}`, `{` + base + `,"score":01}`,
	`{` + base + `,"score":1.}`, `{` + base + `,"score":.5}`, `{` + base + `,"score":1e400}`, `{` + base + `,"score":"1"}`,
	`{` + base + `,"cents":9223372036854775807}`, `{` + base + `,"cents":9223372036854775808}`, `{` + base + `,"cents":1.0}`,
	`{` + base + `,"late":true}`, `{` + base + `,"late":false}`, `{` + base + `,"late":null}`, `{` + base + `,"late":tru}`,
	`{` + base + `}x`, `{` + base + `,}`, `{` + base, `{` + base + `}{}`, `{}`, `{ }`, `[]`, ``,
	`{` + base + `,"name":"x" "late":true}`, `{` + base + `,"name" "x"}`, `{` + base + `,"name":nul}`,
}

// Every edge case decodes (or is left to encoding/json) as encoding/json
// decodes it, and what encoding/json writes takes the one pass.
func TestDecodeMatchesEncodingJSON(t *testing.T) {
	for _, c := range cases {
		same(t, c)
	}
	for _, v := range []flat{
		{head: head{ID: "a", At: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}, Name: "n", Tags: []string{"x"}, Late: true, Score: -2.25, Cents: -7},
		{Name: `"quoted" <b>`, Party: "client", Tags: []string{}},
	} {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if !same(t, string(data)) {
			t.Errorf("%s: written by encoding/json, not read in one pass", data)
		}
	}
}

// Types with a field Decode does not read have no Decoder; neither has a
// pointer, nor a struct whose JSON names clash.
func TestForRefuses(t *testing.T) {
	type nested struct {
		Sub struct{ A string } `json:"sub"`
	}
	type untagged struct{ A string }
	type clash struct {
		head
		ID string `json:"id"`
	}
	type number struct {
		N int `json:"n"`
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[nested](), reflect.TypeFor[untagged](), reflect.TypeFor[clash](), reflect.TypeFor[number](), reflect.TypeFor[*flat]()} {
		if For(typ) != nil {
			t.Errorf("For(%s) is not nil", typ)
		}
	}
	if For(reflect.TypeFor[flat]()).Decode([]byte(`{}`), &head{}) {
		t.Error("Decode into another type reported true")
	}
}

func FuzzDecode(f *testing.F) {
	for _, c := range cases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, data string) { same(t, data) })
}
