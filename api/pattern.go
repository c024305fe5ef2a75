package api

import (
	"regexp"
	"regexp/syntax"

	"github.com/getkin/kin-openapi/openapi3"
)

// compilePattern is the compiler of the contract's `pattern`s that
// kin-openapi is given (see LoadSpec). It compiles what
// kin-openapi's default compiler compiles, and matches the same strings,
// but a pattern that is one ASCII character class repeated and anchored at
// both ends, such as the ids' (see asciiClassMatcher), is matched with a
// byte table instead of the regular expression machine: every id in every path
// is checked against it, and the machine costs more than a good part of
// the rest of the request's validation.
func compilePattern(expr string) (openapi3.RegexMatcher, error) {
	expr = kinPatternToGo(expr)
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil, err
	}
	if m, ok := asciiClassMatcher(expr); ok {
		return m, nil
	}
	return re, nil
}

// codepointEscape and kinPatternToGo rewrite the \uXXXX escapes of
// ECMA-262 patterns to Go's \x{XXXX}, as kin-openapi does before compiling.
var codepointEscape = regexp.MustCompile(`\\u([0-9A-F]{4})`)

func kinPatternToGo(expr string) string {
	return codepointEscape.ReplaceAllString(expr, `\x{$1}`)
}

// asciiClass matches strings made only of the bytes of set that hold at
// least one byte of need (none needed when need is empty: the empty string
// matches then).
type asciiClass struct {
	set, need byteSet
}

// byteSet holds bytes below 128: bit b is byte b.
type byteSet [2]uint64

func (s *byteSet) has(b byte) bool { return b < 0x80 && s[b/64]&(1<<(b%64)) != 0 }
func (s *byteSet) empty() bool     { return s[0] == 0 && s[1] == 0 }

// asciiSet returns the set of a character class that holds only ASCII
// characters.
func asciiSet(cc *syntax.Regexp) (byteSet, bool) {
	var s byteSet
	if cc.Op != syntax.OpCharClass {
		return s, false
	}
	for i := 0; i+1 < len(cc.Rune); i += 2 {
		lo, hi := cc.Rune[i], cc.Rune[i+1]
		if hi >= 0x80 {
			return s, false
		}
		for r := lo; r <= hi; r++ {
			s[r/64] |= 1 << (r % 64)
		}
	}
	return s, true
}

// asciiClassMatcher recognizes, for ASCII-only classes C and D with D in C,
// ^[C]+$, ^[C]*$ and ^[C]*[D][C]*$ (made of C, with at least one of D: the
// ids' pattern, which refuses ids made only of dots). Go's regexp reads the
// subject as UTF-8 and a multi-byte or invalid sequence can only be a
// character outside such a class, so the byte test is exact.
func asciiClassMatcher(expr string) (*asciiClass, bool) {
	re, err := syntax.Parse(expr, syntax.Perl) // as regexp.Compile parses
	if err != nil {
		return nil, false
	}
	re = re.Simplify()
	n := len(re.Sub)
	if re.Op != syntax.OpConcat || (n != 3 && n != 5) ||
		re.Sub[0].Op != syntax.OpBeginText || re.Sub[n-1].Op != syntax.OpEndText {
		return nil, false
	}
	if n == 3 {
		rep := re.Sub[1]
		if rep.Op != syntax.OpPlus && rep.Op != syntax.OpStar {
			return nil, false
		}
		set, ok := asciiSet(rep.Sub[0])
		if !ok {
			return nil, false
		}
		m := &asciiClass{set: set}
		if rep.Op == syntax.OpPlus {
			m.need = set
		}
		return m, true
	}
	before, one, after := re.Sub[1], re.Sub[2], re.Sub[3]
	if before.Op != syntax.OpStar || after.Op != syntax.OpStar || !before.Sub[0].Equal(after.Sub[0]) {
		return nil, false
	}
	set, ok1 := asciiSet(before.Sub[0])
	need, ok2 := asciiSet(one)
	if !ok1 || !ok2 || need.empty() || need[0]&^set[0] != 0 || need[1]&^set[1] != 0 {
		return nil, false
	}
	return &asciiClass{set: set, need: need}, true
}

func (m *asciiClass) MatchString(s string) bool {
	found := m.need.empty()
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !m.set.has(b) {
			return false
		}
		found = found || m.need.has(b)
	}
	return found
}
