// Package flatjson decodes flat JSON objects into structs in one pass,
// exactly as encoding/json decodes them, or steps aside.
//
// encoding/json decodes a stored event in a few microseconds, most of it
// spent validating the input in a first pass and finding fields by
// reflection; rebuilding the read models decodes every stored event, and
// without this package a rebuild costs about a fifth more CPU per event
// (BENCHMARKS.md). It reads what encoding/json writes for a struct of
// known fields (strings, lists of strings, times, booleans, float64 and
// int64, through embedded structs) with a plan made once per type.
// Anything else makes Decode report false, and the caller starts over with
// encoding/json: whatever Decode accepts, it decodes as encoding/json does
// (its tests compare the two).
package flatjson

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A Decoder decodes JSON objects into values of one struct type.
type Decoder struct {
	typ  reflect.Type
	plan []field
}

// For returns the Decoder of struct type t, or nil when t has a field, a
// tag or two fields of one JSON name that it leaves to encoding/json.
func For(t reflect.Type) *Decoder {
	if t.Kind() != reflect.Struct {
		return nil
	}
	plan, ok := planOf(t, nil)
	if !ok || hasDuplicateNames(plan) {
		return nil
	}
	return &Decoder{typ: t, plan: plan}
}

var timeType = reflect.TypeFor[time.Time]()

type fieldKind uint8

const (
	kindString fieldKind = iota
	kindStrings
	kindTime
	kindBool
	kindFloat
	kindInt
)

type field struct {
	name  string // JSON name
	index []int  // reflect field index, through embedded structs
	kind  fieldKind
}

func planOf(t reflect.Type, prefix []int) ([]field, bool) {
	var plan []field
	for i := range t.NumField() {
		f := t.Field(i)
		index := append(slices.Clone(prefix), i)
		if f.Anonymous {
			if f.Type.Kind() != reflect.Struct || f.Type == timeType || f.Tag.Get("json") != "" {
				return nil, false
			}
			sub, ok := planOf(f.Type, index)
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
		var kind fieldKind
		switch {
		case f.Type == timeType:
			kind = kindTime
		case f.Type.Kind() == reflect.String:
			kind = kindString
		case f.Type == reflect.TypeFor[[]string]():
			kind = kindStrings
		case f.Type.Kind() == reflect.Bool:
			kind = kindBool
		case f.Type.Kind() == reflect.Float64:
			kind = kindFloat
		case f.Type.Kind() == reflect.Int64:
			kind = kindInt
		default:
			return nil, false
		}
		plan = append(plan, field{name: name, index: index, kind: kind})
	}
	return plan, true
}

// hasDuplicateNames: encoding/json resolves two fields of one name by
// depth; For leaves such a type to it.
func hasDuplicateNames(plan []field) bool {
	seen := map[string]bool{}
	for _, f := range plan {
		if seen[f.name] {
			return true
		}
		seen[f.name] = true
	}
	return false
}

// Decode decodes data into v, a pointer to a zero value of d's type, as
// json.Unmarshal does, and reports true; or it reports false, leaving v
// half set, when data holds anything it does not handle (an unknown or
// differently cased key, an escape in a key, a null inside a list, a type
// mismatch, bad JSON): the caller then decodes a fresh value with
// encoding/json, which says what is wrong.
func (d *Decoder) Decode(data []byte, v any) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Type() != d.typ {
		return false
	}
	s := rv.Elem()
	r := reader{b: data}
	r.space()
	if !r.eat('{') {
		return false
	}
	r.space()
	if !r.eat('}') {
		for {
			key, ok := r.plainString()
			if !ok {
				return false
			}
			r.space()
			if !r.eat(':') {
				return false
			}
			r.space()
			f := findField(d.plan, key)
			if f == nil || !r.value(f, s.FieldByIndex(f.index)) {
				return false
			}
			r.space()
			if r.eat(',') {
				r.space()
				continue
			}
			if r.eat('}') {
				break
			}
			return false
		}
	}
	r.space()
	return r.i == len(r.b)
}

func findField(plan []field, key []byte) *field {
	for i := range plan {
		if plan[i].name == string(key) {
			return &plan[i]
		}
	}
	return nil
}

type reader struct {
	b []byte
	i int
}

func (d *reader) space() {
	for d.i < len(d.b) {
		switch d.b[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *reader) eat(c byte) bool {
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *reader) literal(lit string) bool {
	if len(d.b)-d.i >= len(lit) && string(d.b[d.i:d.i+len(lit)]) == lit {
		d.i += len(lit)
		return true
	}
	return false
}

// plainString reads a string of printable ASCII without escapes and returns
// its content (which aliases the input).
func (d *reader) plainString() ([]byte, bool) {
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
func (d *reader) token() (tok []byte, plain bool, ok bool) {
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
func (d *reader) str() (string, bool) {
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
func (d *reader) number() (string, bool) {
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

func (d *reader) digits() bool {
	start := d.i
	for d.i < len(d.b) && d.b[d.i] >= '0' && d.b[d.i] <= '9' {
		d.i++
	}
	return d.i > start
}

// value reads the value of field f into fv. A null leaves fv as it is, as
// encoding/json does, except for a list, which it clears.
func (d *reader) value(f *field, fv reflect.Value) bool {
	if d.literal("null") {
		if f.kind == kindStrings {
			fv.SetZero()
		}
		return true
	}
	switch f.kind {
	case kindString:
		s, ok := d.str()
		if ok {
			fv.SetString(s)
		}
		return ok
	case kindTime:
		tok, _, ok := d.token()
		// time.Time's own decoding, on the token encoding/json would
		// hand it.
		return ok && fv.Addr().Interface().(*time.Time).UnmarshalJSON(tok) == nil
	case kindStrings:
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
	case kindBool:
		switch {
		case d.literal("true"):
			fv.SetBool(true)
		case d.literal("false"):
			fv.SetBool(false)
		default:
			return false
		}
		return true
	case kindFloat:
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
	case kindInt:
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
