package flatjson

import (
	"bytes"
	"encoding/json"
	"testing"
)

type member struct {
	key, value string
	str        bool
}

func scan(b []byte) ([]member, bool) {
	var got []member
	ok := Scan(b, func(k, v []byte, str bool) bool {
		got = append(got, member{string(k), string(v), str})
		return true
	})
	return got, ok
}

// What Scan accepts, encoding/json reads to the same members; what Scan
// declines is left to encoding/json.
func TestScan(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []member // nil with ok false: declined
		ok   bool
	}{
		{`{}`, nil, true},
		{" { \"a\" : \"x\" ,\n\"n\":-0, \"m\": 120 } \t", []member{{"a", "x", true}, {"n", "-0", false}, {"m", "120", false}}, true},
		{`{"a":"x","a":"y"}`, []member{{"a", "x", true}, {"a", "y", true}}, true},
		{``, nil, false},
		{`[]`, nil, false},
		{`{"a":null}`, nil, false},
		{`{"a":true}`, nil, false},
		{`{"a":1.5}`, nil, false},
		{`{"a":1e3}`, nil, false},
		{`{"a":01}`, nil, false},
		{`{"a":-}`, nil, false},
		{`{"a":"esc\"aped"}`, nil, false},
		{`{"a":"x\\y"}`, nil, false},
		{`{"a":"\u0041"}`, nil, false},
		{`{"a":"Zoë"}`, nil, false},
		{"{\"a\":\"tab\there\"}", nil, false},
		{`{"a":{"b":1}}`, nil, false},
		{`{"a":"x",}`, nil, false},
		{`{"a":"x"} {}`, nil, false},
		{`{"a":"x"`, nil, false},
		{`{a:"x"}`, nil, false},
	} {
		got, ok := scan([]byte(c.in))
		if ok != c.ok || ok && len(got) != len(c.want) {
			t.Errorf("Scan(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
			continue
		}
		for i := range c.want {
			if ok && got[i] != c.want[i] {
				t.Errorf("Scan(%q) member %d = %+v, want %+v", c.in, i, got[i], c.want[i])
			}
		}
		if ok {
			sameAsEncodingJSON(t, []byte(c.in), got)
		}
	}
	// A field that refuses stops the scan.
	if Scan([]byte(`{"a":"x","b":"y"}`), func(k, _ []byte, _ bool) bool { return string(k) == "a" }) {
		t.Error("Scan went on after field refused")
	}
}

// sameAsEncodingJSON checks that encoding/json reads b as an object whose
// members (the last of each key) are those Scan gave.
func sameAsEncodingJSON(t *testing.T, b []byte, got []member) {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("Scan accepted %q, encoding/json refuses it: %v", b, err)
	}
	last := map[string]member{}
	for _, g := range got {
		last[g.key] = g
	}
	if len(last) != len(m) {
		t.Fatalf("%q: Scan gave %v, encoding/json %v", b, got, m)
	}
	for k, g := range last {
		switch v := m[k].(type) {
		case string:
			if !g.str || v != g.value {
				t.Fatalf("%q: key %q: Scan gave %+v, encoding/json %q", b, k, g, v)
			}
		case json.Number:
			if g.str || v.String() != g.value {
				t.Fatalf("%q: key %q: Scan gave %+v, encoding/json %v", b, k, g, v)
			}
		default:
			t.Fatalf("%q: key %q: encoding/json gave %T", b, k, v)
		}
	}
}

func FuzzScan(f *testing.F) {
	f.Add([]byte(`{"actor":"a","correlation_id":"c","schema_version":1,"prev_hash":"p","hash":"h"}`))
	f.Add([]byte(`{"a":-0,"b":"x","b":"y"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, ok := scan(b); ok {
			sameAsEncodingJSON(t, b, got)
		}
	})
}
