package respcache

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

func TestGetAnswersOnlyItsVersion(t *testing.T) {
	c, err := New(2)
	if err != nil {
		t.Fatal(err)
	}
	k := Key{Op: "getSummary", Stream: "e1", Query: "a=1"}
	v := Version{Revision: 3, Epoch: 1}
	c.Add(k, v, []byte("body"))
	tests := []struct {
		name string
		k    Key
		v    Version
		hit  bool
	}{
		{"same key and version", k, v, true},
		{"later revision", k, Version{Revision: 4, Epoch: 1}, false},
		{"new epoch", k, Version{Revision: 3, Epoch: 2}, false},
		{"other query", Key{Op: "getSummary", Stream: "e1", Query: "a=2"}, v, false},
		{"other stream", Key{Op: "getSummary", Stream: "e2", Query: "a=1"}, v, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, ok := c.Get(tt.k, tt.v)
			if ok != tt.hit || (ok && string(b) != "body") {
				t.Errorf("Get = %q, %v; want hit %v", b, ok, tt.hit)
			}
		})
	}
}

func TestBounded(t *testing.T) {
	c, err := New(2)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		c.Add(Key{Stream: fmt.Sprint(i)}, Version{}, []byte{byte(i)})
	}
	if _, ok := c.Get(Key{Stream: "0"}, Version{}); ok {
		t.Error("the least recently used response outlived a full cache")
	}
	if _, ok := c.Get(Key{Stream: "2"}, Version{}); !ok {
		t.Error("the newest response is gone")
	}
	if _, err := New(0); err == nil {
		t.Error("New(0) made a cache")
	}
}

// TestEncodeIsEncodingJSON: what is cached is byte for byte what
// encoding/json's Encoder writes, which answers uncached requests.
func TestEncodeIsEncodingJSON(t *testing.T) {
	type item struct {
		Name  string          `json:"name"`
		At    time.Time       `json:"at"`
		Tags  []string        `json:"tags,omitempty"`
		Ptr   *int            `json:"ptr"`
		Inner *struct{}       `json:"inner,omitempty"`
		Raw   json.RawMessage `json:"raw"`
	}
	for _, v := range []any{
		nil, 0, "<a href=\"x\">&</a>\u2028\u2029", []int{}, map[string]any{"b": 1, "a": []any{nil, true}},
		item{Name: "é\x00", At: time.Date(2026, 12, 4, 0, 0, 0, 5, time.FixedZone("x", 3600)), Raw: json.RawMessage(` {"a" : "<"} `)},
		[]item{{}}, "\xff",
	} {
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(v); err != nil {
			t.Fatal(err)
		}
		got, err := Encode(v)
		if err != nil || !bytes.Equal(got, want.Bytes()) {
			t.Errorf("Encode(%#v) = %q, %v; encoding/json writes %q", v, got, err, want.Bytes())
		}
	}
	if _, err := Encode(func() {}); err == nil {
		t.Error("a func encoded")
	}
}
