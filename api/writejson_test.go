package api

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// encodeLikeEcho is what c.JSON writes: encoding/json's Encoder, HTML-safe,
// with a trailing newline.
func encodeLikeEcho(v any) ([]byte, error) {
	var buf bytes.Buffer
	err := json.NewEncoder(&buf).Encode(v)
	return buf.Bytes(), err
}

func checkWriteJSON(t *testing.T, w *WriteResult) {
	t.Helper()
	want, wantErr := encodeLikeEcho(w)
	got, err := w.appendJSON(nil)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("error %v, encoding/json's %v", err, wantErr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("appendJSON:\n%s\nencoding/json:\n%s", got, want)
	}
}

func TestWriteResultJSON(t *testing.T) {
	at := time.Date(2026, 11, 23, 21, 50, 5, 123456789, time.UTC)
	ev := func(mod func(*EventOut)) WriteResult {
		e := EventOut{ID: "01a20a62-e11a-70c9-958e-fbdd5a8a7578", Type: "expert.invited", SchemaVersion: 1, Revision: 7,
			Position: 1234, RecordedAt: at, Actor: "sh-1", CorrelationID: "req-1", Data: json.RawMessage(`{"expert_id":"x","name":"Ann"}`)}
		mod(&e)
		return WriteResult{Events: []EventOut{e, e}, Revision: 8, Position: 1235}
	}
	paris := time.FixedZone("Paris", 3600)
	tests := []struct {
		name string
		w    WriteResult
	}{
		{"typical", ev(func(*EventOut) {})},
		{"no events", WriteResult{Events: []EventOut{}}},
		{"nil events", WriteResult{}},
		{"zero event", WriteResult{Events: []EventOut{{}}}},
		{"no actor nor correlation", ev(func(e *EventOut) { e.Actor, e.CorrelationID = "", "" })},
		{"HTML in strings", ev(func(e *EventOut) { e.Actor = `<script>&"x"</script>` })},
		{"control and unicode", ev(func(e *EventOut) { e.CorrelationID = "a\tb\nc\x00é\u2028\u2029😀" })},
		{"invalid UTF-8", ev(func(e *EventOut) { e.Type = "a\xffb\xc3" })},
		{"data with spaces", ev(func(e *EventOut) { e.Data = json.RawMessage(" {\n\"a\" : [1, 2 ,{ }],\t\"b\":\"x y\"} ") })},
		{"data with HTML", ev(func(e *EventOut) { e.Data = json.RawMessage(`{"a":"<b>&amp;</b>","c":"\u2028\u2029"}`) })},
		{"data null", ev(func(e *EventOut) { e.Data = json.RawMessage("null") })},
		{"data nil", ev(func(e *EventOut) { e.Data = nil })},
		{"data invalid", ev(func(e *EventOut) { e.Data = json.RawMessage(`{"a":`) })},
		{"whole seconds", ev(func(e *EventOut) { e.RecordedAt = at.Truncate(time.Second) })},
		{"zero time", ev(func(e *EventOut) { e.RecordedAt = time.Time{} })},
		{"not UTC", ev(func(e *EventOut) { e.RecordedAt = at.In(paris) })},
		{"odd offset", ev(func(e *EventOut) { e.RecordedAt = at.In(time.FixedZone("odd", 24*3600+30)) })},
		{"year 10000", ev(func(e *EventOut) { e.RecordedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) })},
		{"negative year", ev(func(e *EventOut) { e.RecordedAt = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) })},
		{"negative version", ev(func(e *EventOut) { e.SchemaVersion = -3 })},
		{"largest numbers", WriteResult{Events: []EventOut{{Revision: 1<<64 - 1, Position: 1<<64 - 1}}, Revision: 1<<64 - 1, Position: 1<<64 - 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkWriteJSON(t, &tt.w) })
	}
}

func TestWriteResultJSONRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	pieces := []string{"a", "Z", "0", "-", "_", ".", ":", " ", `"`, `\`, "<", ">", "&", "\n", "\x00", "\x7f", "é", "\xff", "\u2028", "😀", "/"}
	str := func() string {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	for range 3000 {
		var w WriteResult
		for range r.IntN(3) {
			data, _ := json.Marshal(map[string]any{str(): str(), "n": r.IntN(100), "l": []any{str(), nil, true}})
			w.Events = append(w.Events, EventOut{
				ID: str(), Type: str(), SchemaVersion: r.IntN(5), Revision: r.Uint64(), Position: r.Uint64(),
				RecordedAt: time.Unix(r.Int64N(1<<34)-1<<33, r.Int64N(1e9)).UTC(), Actor: str(), CorrelationID: str(),
				Data: data,
			})
		}
		w.Revision, w.Position = r.Uint64(), r.Uint64()
		checkWriteJSON(t, &w)
	}
}

func FuzzWriteResultJSON(f *testing.F) {
	f.Add("id", "type", "actor", `{"a":"<b>"}`, int64(0))
	f.Add("\xff", "\u2028", "", " [1, 2] ", int64(-62135596800))
	f.Fuzz(func(t *testing.T, id, typ, actor, data string, unix int64) {
		w := WriteResult{Events: []EventOut{{ID: id, Type: typ, Actor: actor, Data: json.RawMessage(data), RecordedAt: time.Unix(unix, 0).UTC()}}}
		checkWriteJSON(t, &w)
	})
}

// topLevelStringRef is what topLevelString replaces.
func topLevelStringRef(data []byte, name string) (string, bool) {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return "", false
	}
	v, ok := m[name].(string)
	return v, ok
}

func checkTopLevelString(t *testing.T, data, name string) {
	t.Helper()
	v, ok := topLevelString([]byte(data), name)
	rv, rok := topLevelStringRef([]byte(data), name)
	if v != rv || ok != rok {
		t.Fatalf("topLevelString(%q, %q) = %q, %v; decoding says %q, %v", data, name, v, ok, rv, rok)
	}
}

func TestTopLevelString(t *testing.T) {
	tests := []struct{ data, name string }{
		{`{"expert_id":"e1","name":"Ann"}`, "expert_id"},
		{`{"name":"Ann","expert_id":"e1"}`, "expert_id"},
		{` { "a" : [1, {"expert_id":"nested"}], "expert_id" : "top" } `, "expert_id"},
		{`{"a":{"expert_id":"nested"}}`, "expert_id"},
		{`{"expert_id":"first","expert_id":"last"}`, "expert_id"},
		{`{"expert_id":"first","expert_id":7}`, "expert_id"},
		{`{"expert_id":7,"expert_id":"last"}`, "expert_id"},
		{`{"expert_id":null}`, "expert_id"},
		{`{"expert_id":""}`, "expert_id"},
		{`{"expert_id":true,"b":false,"c":null,"d":-1.5e3}`, "d"},
		{`{"exp\u0065rt_id":"escaped key"}`, "expert_id"},
		{`{"expert_id":"a\"b\\c\u00e9\ud83d\ude00"}`, "expert_id"},
		{`{"expert_id":"é"}`, "expert_id"},
		{"{\"expert_id\":\"\xff\"}", "expert_id"},
		{`{"a":"}","expert_id":"after a brace in a string"}`, "expert_id"},
		{`{"a":"\"","expert_id":"after an escaped quote"}`, "expert_id"},
		{`{"a":[[[]]],"b":{},"expert_id":"x"}`, "expert_id"},
		{`{}`, "expert_id"},
		{`null`, "expert_id"},
		{`["expert_id","x"]`, "expert_id"},
		{`"expert_id"`, "expert_id"},
		{`{"expert_id":"x"`, "expert_id"},
		{`{"expert_id":"x"} {}`, "expert_id"},
		{``, "expert_id"},
		{`{"Expert_ID":"case differs"}`, "expert_id"},
	}
	for _, tt := range tests {
		checkTopLevelString(t, tt.data, tt.name)
	}
}

func TestTopLevelStringRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	keys := []string{"expert_id", "name", "Expert_id", "exp\"ert", "é", "a\\b", ""}
	var value func(depth int) any
	value = func(depth int) any {
		switch r.IntN(8) {
		case 0:
			return nil
		case 1:
			return r.IntN(2) == 0
		case 2:
			return r.Float64() * 1e6
		case 3:
			if depth < 3 {
				var l []any
				for range r.IntN(3) {
					l = append(l, value(depth+1))
				}
				return l
			}
		case 4:
			if depth < 3 {
				m := map[string]any{}
				for range r.IntN(3) {
					m[keys[r.IntN(len(keys))]] = value(depth + 1)
				}
				return m
			}
		}
		return keys[r.IntN(len(keys))] + "\"}],\\<é"[:r.IntN(9)]
	}
	for range 5000 {
		// Objects written by hand, so that keys may repeat and spaces vary.
		var b strings.Builder
		b.WriteString("{")
		for i := range r.IntN(5) {
			if i > 0 {
				b.WriteString(", "[:1+r.IntN(2)])
			}
			k, _ := json.Marshal(keys[r.IntN(len(keys))])
			v, _ := json.Marshal(value(0))
			b.Write(k)
			b.WriteString(" :"[r.IntN(2):])
			b.Write(v)
		}
		b.WriteString("}")
		for _, name := range keys {
			checkTopLevelString(t, b.String(), name)
		}
	}
}

func FuzzTopLevelString(f *testing.F) {
	f.Add(`{"expert_id":"e1","name":"Ann"}`, "expert_id")
	f.Add(`{"a":{"expert_id":"x"},"expert_id":"y","expert_id":1}`, "expert_id")
	f.Fuzz(func(t *testing.T, data, name string) { checkTopLevelString(t, data, name) })
}
