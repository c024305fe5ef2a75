package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
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
	// Replaying the store decodes every event: most take the fast path,
	// which gives what encoding/json gives or steps aside.
	if plan := fastPlans[typ]; plan != nil && version == r.version {
		e := r.new()
		if ok, err := fastDecode(plan, data, reflect.ValueOf(e).Elem()); ok {
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrMalformedEvent, typ, err)
			}
			return e, nil
		}
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
			t := f.Interface().(time.Time)
			if t.IsZero() {
				continue
			}
			t = t.UTC()
			if y := t.Year(); y < 0 || y > 9999 {
				return fmt.Errorf("time %s out of range", v.Type().Field(i).Name)
			}
			f.Set(reflect.ValueOf(t))
		case f.Kind() == reflect.Struct:
			if err := normalizeTimes(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// ---- fast path -------------------------------------------------------------

// encoding/json decodes an event in a few microseconds, most of it spent
// validating the input in a first pass and finding fields by reflection;
// rebuilding the read models decodes every stored event, so that cost adds
// up. fastDecode reads the JSON that Marshal writes (a flat object of known
// fields: strings, lists of strings, times, numbers, booleans) in one pass
// with a plan made once per type. Anything else (an unknown or differently
// cased key, an escape in a key, a null inside a list, a type mismatch,
// bad JSON) makes it step aside, and Unmarshal starts over with
// encoding/json: whatever the fast path accepts, it decodes exactly as
// encoding/json does (a test compares the two).

type fastKind uint8

const (
	fastString fastKind = iota
	fastStrings
	fastTime
	fastBool
	fastFloat
	fastInt
)

type fastField struct {
	name   string // JSON name
	goName string // for errors, as normalizeTimes says it
	index  []int  // reflect field index, through the embedded Header
	kind   fastKind
}

// fastPlans holds, per event type, how to decode its fields; a type with a
// field the fast path does not handle has none.
var fastPlans = func() map[string][]fastField {
	m := make(map[string][]fastField, len(registry))
	for _, r := range registry {
		if plan, ok := fastPlanOf(reflect.TypeOf(r.new()).Elem(), nil); ok && !hasDuplicateNames(plan) {
			m[r.typ] = plan
		}
	}
	return m
}()

func fastPlanOf(t reflect.Type, prefix []int) ([]fastField, bool) {
	var plan []fastField
	for i := range t.NumField() {
		f := t.Field(i)
		index := append(slices.Clone(prefix), i)
		if f.Anonymous {
			if f.Type.Kind() != reflect.Struct || f.Type == timeType || f.Tag.Get("json") != "" {
				return nil, false
			}
			sub, ok := fastPlanOf(f.Type, index)
			if !ok {
				return nil, false
			}
			plan = append(plan, sub...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" && opts == "" {
			continue
		}
		if name == "" || opts != "" && opts != "omitempty" && opts != "omitzero" {
			return nil, false // Go names and options: encoding/json's rules
		}
		var kind fastKind
		switch {
		case f.Type == timeType:
			kind = fastTime
		case f.Type.Kind() == reflect.String:
			kind = fastString
		case f.Type == reflect.TypeFor[[]string]():
			kind = fastStrings
		case f.Type.Kind() == reflect.Bool:
			kind = fastBool
		case f.Type.Kind() == reflect.Float64:
			kind = fastFloat
		case f.Type.Kind() == reflect.Int64:
			kind = fastInt
		default:
			return nil, false
		}
		plan = append(plan, fastField{name: name, goName: f.Name, index: index, kind: kind})
	}
	return plan, true
}

// hasDuplicateNames: encoding/json resolves two fields of one name by
// depth; the fast path leaves such a type alone.
func hasDuplicateNames(plan []fastField) bool {
	seen := map[string]bool{}
	for _, f := range plan {
		if seen[f.name] {
			return true
		}
		seen[f.name] = true
	}
	return false
}

// fastDecode decodes data into v (a new event struct) following plan, and
// puts its times in UTC. ok false: the fast path stepped aside (v may be
// half set). err: data is what encoding/json decodes too, but a time is out
// of range.
func fastDecode(plan []fastField, data []byte, v reflect.Value) (ok bool, err error) {
	d := fastDecoder{b: data}
	d.space()
	if !d.eat('{') {
		return false, nil
	}
	d.space()
	if !d.eat('}') {
		for {
			key, ok := d.plainString()
			if !ok {
				return false, nil
			}
			d.space()
			if !d.eat(':') {
				return false, nil
			}
			d.space()
			f := findField(plan, key)
			if f == nil || !d.value(f, v.FieldByIndex(f.index)) {
				return false, nil
			}
			d.space()
			if d.eat(',') {
				d.space()
				continue
			}
			if d.eat('}') {
				break
			}
			return false, nil
		}
	}
	d.space()
	if d.i != len(d.b) {
		return false, nil
	}
	// As normalizeTimes does.
	for i := range plan {
		f := &plan[i]
		if f.kind != fastTime {
			continue
		}
		t := v.FieldByIndex(f.index).Addr().Interface().(*time.Time)
		if t.IsZero() {
			continue
		}
		*t = t.UTC()
		if y := t.Year(); y < 0 || y > 9999 {
			return true, fmt.Errorf("time %s out of range", f.goName)
		}
	}
	return true, nil
}

func findField(plan []fastField, key []byte) *fastField {
	for i := range plan {
		if plan[i].name == string(key) {
			return &plan[i]
		}
	}
	return nil
}

type fastDecoder struct {
	b []byte
	i int
}

func (d *fastDecoder) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *fastDecoder) eat(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *fastDecoder) literal(lit string) bool {
	if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
		d.i += len(lit)
		return true
	}
	return false
}

// plainString reads a string of printable ASCII without escapes and returns
// its content (which aliases the input).
func (d *fastDecoder) plainString() ([]byte, bool) {
	if !d.eat('"') {
		return nil, false
	}
	start := d.i
	for ; d.i < len(d.b); d.i++ {
		switch c := d.b[d.i]; {
		case c == '"':
			d.i++
			return d.b[start : d.i-1], true
		case c < 0x20 || c == '\\' || c >= 0x80:
			return nil, false
		}
	}
	return nil, false
}

// token reads a string token, quotes included, and says whether it holds
// anything but printable ASCII (escapes, other UTF-8, control bytes).
func (d *fastDecoder) token() (tok []byte, plain bool, ok bool) {
	if d.i >= len(d.b) || d.b[d.i] != '"' {
		return nil, false, false
	}
	start := d.i
	plain = true
	for d.i++; d.i < len(d.b); d.i++ {
		switch c := d.b[d.i]; {
		case c == '"':
			d.i++
			return d.b[start:d.i], plain, true
		case c == '\\':
			plain = false
			d.i++ // the escaped byte cannot end the string
		case c < 0x20 || c >= 0x80:
			plain = false
		}
	}
	return nil, false, false
}

// str reads a string value as encoding/json does.
func (d *fastDecoder) str() (string, bool) {
	tok, plain, ok := d.token()
	if !ok {
		return "", false
	}
	if plain {
		return string(tok[1 : len(tok)-1]), true
	}
	// Escapes and UTF-8 (valid or not) are encoding/json's to read.
	var s string
	if err := json.Unmarshal(tok, &s); err != nil {
		return "", false
	}
	return s, true
}

// number reads a number literal of JSON's grammar.
func (d *fastDecoder) number() (string, bool) {
	start := d.i
	d.eat('-')
	switch {
	case d.eat('0'):
	case d.i < len(d.b) && d.b[d.i] >= '1' && d.b[d.i] <= '9':
		d.digits()
	default:
		return "", false
	}
	if d.eat('.') && !d.digits() {
		return "", false
	}
	if d.eat('e') || d.eat('E') {
		if !d.eat('+') {
			d.eat('-')
		}
		if !d.digits() {
			return "", false
		}
	}
	return string(d.b[start:d.i]), true
}

func (d *fastDecoder) digits() bool {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}

// value reads the value of field f into fv. A null leaves fv as it is, as
// encoding/json does, except for a list, which it clears.
func (d *fastDecoder) value(f *fastField, fv reflect.Value) bool {
	if d.literal("null") {
		if f.kind == fastStrings {
			fv.SetZero()
		}
		return true
	}
	switch f.kind {
	case fastString:
		s, ok := d.str()
		if ok {
			fv.SetString(s)
		}
		return ok
	case fastTime:
		tok, _, ok := d.token()
		// time.Time's own decoding, on the token encoding/json would
		// hand it.
		return ok && fv.Addr().Interface().(*time.Time).UnmarshalJSON(tok) == nil
	case fastStrings:
		if !d.eat('[') {
			return false
		}
		list := []string{} // an empty array decodes to an empty list, not nil
		d.space()
		if !d.eat(']') {
			for {
				s, ok := d.str()
				if !ok {
					return false
				}
				list = append(list, s)
				d.space()
				if d.eat(',') {
					d.space()
					continue
				}
				if d.eat(']') {
					break
				}
				return false
			}
		}
		*fv.Addr().Interface().(*[]string) = list
		return true
	case fastBool:
		switch {
		case d.literal("true"):
			fv.SetBool(true)
		case d.literal("false"):
			fv.SetBool(false)
		default:
			return false
		}
		return true
	case fastFloat:
		lit, ok := d.number()
		if !ok {
			return false
		}
		n, err := strconv.ParseFloat(lit, 64)
		if err != nil {
			return false
		}
		fv.SetFloat(n)
		return true
	case fastInt:
		lit, ok := d.number()
		if !ok {
			return false
		}
		n, err := strconv.ParseInt(lit, 10, 64)
		if err != nil {
			return false
		}
		fv.SetInt(n)
		return true
	}
	return false
}

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
