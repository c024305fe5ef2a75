package projections

import (
	"encoding/json"
	"strconv"
	"time"
)

// Timeline entries and knowledge items are a new element of a rawList for
// nearly every event: encoding them is a large part of what a rebuild
// costs. These appenders write what encoding/json writes for them (a test
// compares the two), without reflection and without a buffer per element.

// appendJSONString appends s as a JSON string, exactly as encoding/json
// does (HTML characters escaped): directly when s is plain printable ASCII,
// as nearly every string here is, and through encoding/json otherwise.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if !plainJSON[s[i]] {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// plainJSON tells the bytes encoding/json writes as they are in a string:
// printable ASCII but the quote, the backslash and the HTML characters.
var plainJSON = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendJSONTime appends t as time.Time.MarshalJSON does (RFC 3339 with
// nanoseconds), which fails for the years and offsets RFC 3339 cannot say.
func appendJSONTime(b []byte, t time.Time) ([]byte, error) {
	if _, off := t.Zone(); t.Year() < 0 || t.Year() > 9999 || off <= -24*3600 || off >= 24*3600 {
		q, err := t.MarshalJSON()
		return append(b, q...), err
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

func (e *TimelineEntry) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"position":`...)
	b = strconv.AppendUint(b, uint64(e.Position), 10)
	b = append(b, `,"revision":`...)
	b = strconv.AppendUint(b, e.Revision, 10)
	b = append(b, `,"event_id":`...)
	b = appendJSONString(b, e.EventID)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, e.Type)
	b = append(b, `,"actor_id":`...)
	b = appendJSONString(b, e.ActorID)
	if e.ActorName != "" {
		b = append(b, `,"actor_name":`...)
		b = appendJSONString(b, e.ActorName)
	}
	if e.ActorParty != "" {
		b = append(b, `,"actor_party":`...)
		b = appendJSONString(b, string(e.ActorParty))
	}
	b = append(b, `,"at":`...)
	if b, err = appendJSONTime(b, e.At); err != nil {
		return b, err
	}
	b = append(b, `,"recorded_at":`...)
	if b, err = appendJSONTime(b, e.RecordedAt); err != nil {
		return b, err
	}
	b = append(b, `,"summary":`...)
	b = appendJSONString(b, e.Summary)
	if e.CorrelationID != "" {
		b = append(b, `,"correlation_id":`...)
		b = appendJSONString(b, e.CorrelationID)
	}
	return append(b, '}'), nil
}

func (k *KnowledgeItem) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"position":`...)
	b = strconv.AppendUint(b, uint64(k.Position), 10)
	b = append(b, `,"at":`...)
	if b, err = appendJSONTime(b, k.At); err != nil {
		return b, err
	}
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, k.Kind)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, k.Type)
	if k.RefID != "" {
		b = append(b, `,"ref_id":`...)
		b = appendJSONString(b, k.RefID)
	}
	if k.Subject != "" {
		b = append(b, `,"subject":`...)
		b = appendJSONString(b, k.Subject)
	}
	if k.Channel != "" {
		b = append(b, `,"channel":`...)
		b = appendJSONString(b, string(k.Channel))
	}
	b = append(b, `,"by":`...)
	b = appendJSONString(b, k.By)
	if len(k.About) > 0 {
		b = append(b, `,"about":[`...)
		for i, s := range k.About {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}
