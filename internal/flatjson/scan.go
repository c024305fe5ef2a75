package flatjson

// Scan is the other half of the package: where the caller wants the
// members themselves rather than a struct (the events' metadata, read by
// the million in a rebuild), it reads, in one pass and without
// reflection, the flat objects of plain strings and integers Candor
// writes, and declines anything else, for encoding/json to decode.

// Scan reads b, which must be one JSON object (whitespace around allowed)
// whose values are strings of printable ASCII without escapes, or integers
// (no fraction, no exponent). For each member, in order, it calls field
// with the key and the value (a string's bytes without its quotes, or an
// integer's digits, with str false); the slices alias b. Scan returns
// false, having stopped, when b is anything else or field returns false.
func Scan(b []byte, field func(key, value []byte, str bool) bool) bool {
	i := 0
	space := func() {
		for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
			i++
		}
	}
	eat := func(c byte) bool {
		if i < len(b) && b[i] == c {
			i++
			return true
		}
		return false
	}
	str := func() ([]byte, bool) {
		if !eat('"') {
			return nil, false
		}
		for start := i; i < len(b); i++ {
			switch c := b[i]; {
			case c == '"':
				i++
				return b[start : i-1], true
			case c < 0x20 || c == '\\' || c >= 0x80:
				return nil, false
			}
		}
		return nil, false
	}
	integer := func() ([]byte, bool) {
		start := i
		eat('-')
		if !eat('0') {
			if i >= len(b) || b[i] < '1' || b[i] > '9' {
				return nil, false
			}
			for i < len(b) && b[i] >= '0' && b[i] <= '9' {
				i++
			}
		}
		return b[start:i], true // a fraction or exponent after it fails the member
	}
	space()
	if !eat('{') {
		return false
	}
	space()
	if eat('}') {
		space()
		return i == len(b)
	}
	for {
		key, ok := str()
		if !ok {
			return false
		}
		space()
		if !eat(':') {
			return false
		}
		space()
		var val []byte
		isStr := i < len(b) && b[i] == '"'
		if isStr {
			val, ok = str()
		} else {
			val, ok = integer()
		}
		if !ok || !field(key, val, isStr) {
			return false
		}
		space()
		if eat(',') {
			space()
			continue
		}
		if eat('}') {
			space()
			return i == len(b)
		}
		return false
	}
}
