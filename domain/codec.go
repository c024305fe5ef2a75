package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/candor-ledger/candor/internal/flatjson"
)

// Marshal encodes an event for storage: its wire type, the current schema
// version of that type, and its JSON (snake_case, times in RFC 3339 UTC).
func Marshal(e Event) (typ string, version int, data []byte, err error) {
	if e == nil || isNilEvent(e) {
		return "", 0, nil, fmt.Errorf("%w: nil event", ErrMalformedEvent)
	}
	typ = e.EventType()
	r, ok := registered(typ)
	if !ok || reflect.TypeOf(e) != reflect.TypeOf(r.new()) {
		return "", 0, nil, fmt.Errorf("%w: %T", ErrUnknownEventType, e)
	}
	data, err = json.Marshal(e)
	if err != nil {
		return "", 0, nil, fmt.Errorf("%w: marshal %s: %v", ErrMalformedEvent, typ, err)
	}
	return typ, r.version, data, nil
}

// Unmarshal decodes a stored event into its current struct, upcasting
// payloads written under an older schema version. Times are returned in UTC.
// An unknown type wraps ErrUnknownEventType; bad JSON, a version that is not
// between 1 and the current one, or a time out of range wraps
// ErrMalformedEvent.
//
// Upcasting paths (one per old version, each to the next version):
//   - delay.disclosed v1 -> v2: v1 (before moments were recorded) carried
//     calendar dates "due_date" and "new_date" ("2006-01-02"); v2 carries
//     "previous_due_date" and "new_due_date" as RFC 3339 moments. A v1 date
//     becomes midnight UTC of that day.
func Unmarshal(typ string, version int, data []byte) (Event, error) {
	r, ok := registered(typ)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownEventType, typ)
	}
	if version < 1 || version > r.version {
		return nil, fmt.Errorf("%w: %s has no schema version %d (current is %d)", ErrMalformedEvent, typ, version, r.version)
	}
	if t := bytes.TrimSpace(data); len(t) == 0 || t[0] != '{' {
		return nil, fmt.Errorf("%w: %s: data is not a JSON object", ErrMalformedEvent, typ)
	}
	for v := version; v < r.version; v++ {
		up := upcasters[upKey{typ, v}]
		if up == nil {
			return nil, fmt.Errorf("%w: no upcaster for %s v%d", ErrMalformedEvent, typ, v)
		}
		var err error
		if data, err = up(data); err != nil {
			return nil, fmt.Errorf("%w: upcast %s v%d: %v", ErrMalformedEvent, typ, v, err)
		}
	}
	e := r.new()
	if d := decoders[typ]; d == nil || !d.Decode(data, e) {
		e = r.new() // Decode may have left it half set
		if err := json.Unmarshal(data, e); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrMalformedEvent, typ, err)
		}
	}
	if err := normalizeTimes(reflect.ValueOf(e).Elem()); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformedEvent, typ, err)
	}
	return e, nil
}

// CurrentVersion returns the schema version Marshal writes for typ, or 0 for
// an unknown type.
func CurrentVersion(typ string) int {
	if r, ok := registered(typ); ok {
		return r.version
	}
	return 0
}

func registered(typ string) (eventInfo, bool) {
	r, ok := byType[typ]
	return r, ok
}

var byType = func() map[string]eventInfo {
	m := make(map[string]eventInfo, len(registry))
	for _, r := range registry {
		m[r.typ] = r
	}
	return m
}()

var timeType = reflect.TypeFor[time.Time]()

// normalizeTimes puts every time.Time field of an event struct in UTC and
// refuses years Marshal could not write back (RFC 3339 has four digits).
func normalizeTimes(v reflect.Value) error {
	for i := range v.NumField() {
		f := v.Field(i)
		switch {
		case f.Type() == timeType:
			t := f.Addr().Interface().(*time.Time) // no copy to allocate
			if t.IsZero() {
				continue
			}
			if *t = t.UTC(); t.Year() < 0 || t.Year() > 9999 {
				return fmt.Errorf("time %s out of range", v.Type().Field(i).Name)
			}
		case f.Kind() == reflect.Struct:
			if err := normalizeTimes(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// decoders holds, per event type, the one-pass decoder of internal/flatjson
// (replaying the store decodes every event; a rebuild costs about a fifth
// more CPU per event through encoding/json alone). Every type has one (a
// test checks it); a payload it does not read goes to encoding/json.
var decoders = func() map[string]*flatjson.Decoder {
	m := make(map[string]*flatjson.Decoder, len(registry))
	for _, r := range registry {
		if d := flatjson.For(reflect.TypeOf(r.new()).Elem()); d != nil {
			m[r.typ] = d
		}
	}
	return m
}()

// ---- upcasters -------------------------------------------------------------

type upKey struct {
	typ     string
	version int
}

// upcasters turn the JSON of version v of a type into the JSON of v+1.
var upcasters = map[upKey]func([]byte) ([]byte, error){
	{TypeDelayDisclosed, 1}: upcastDelayDisclosedV1,
}

// delayDisclosedV1 is delay.disclosed as written under schema version 1.
type delayDisclosedV1 struct {
	Header
	DelayID     string `json:"delay_id"`
	MilestoneID string `json:"milestone_id"`
	DueDate     string `json:"due_date"` // "2006-01-02"
	NewDate     string `json:"new_date"` // "2006-01-02"
	Reason      string `json:"reason"`
}

func upcastDelayDisclosedV1(data []byte) ([]byte, error) {
	var v1 delayDisclosedV1
	if err := json.Unmarshal(data, &v1); err != nil {
		return nil, err
	}
	due, err := time.Parse(time.DateOnly, v1.DueDate)
	if err != nil {
		return nil, fmt.Errorf("due_date: %w", err)
	}
	next, err := time.Parse(time.DateOnly, v1.NewDate)
	if err != nil {
		return nil, fmt.Errorf("new_date: %w", err)
	}
	return json.Marshal(DelayDisclosed{
		Header: v1.Header, DelayID: v1.DelayID, MilestoneID: v1.MilestoneID,
		PreviousDueDate: due, NewDueDate: next, Reason: v1.Reason,
	})
}

// ---- personal data ---------------------------------------------------------

var personal sync.Map // event type -> []string

// PersonalFields returns the JSON names of the fields of an event type that
// hold personal data (tagged `personal:"true"`), so that the ledger can
// encrypt them per person and forget the key. Nil for an unknown type or a
// type without personal data. The slice is the caller's.
func PersonalFields(typ string) []string {
	if v, ok := personal.Load(typ); ok {
		return append([]string(nil), v.([]string)...)
	}
	r, ok := registered(typ)
	if !ok {
		return nil
	}
	names := personalNames(reflect.TypeOf(r.new()).Elem())
	personal.Store(typ, names)
	return append([]string(nil), names...)
}

func personalNames(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			out = append(out, personalNames(f.Type)...)
			continue
		}
		if f.Tag.Get("personal") != "true" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}
