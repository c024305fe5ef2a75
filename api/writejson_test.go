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
