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
// both ends, such as the ids' ^[A-Za-z0-9._:-]+$, is matched with a byte
// table instead of the regular expression machine: every id in every path
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

// asciiClass matches strings made only of the bytes of its set: at least
// one of them, unless empty is allowed.
type asciiClass struct {
	set   [2]uint64 // bit b: byte b (< 128) is in the class
	empty bool
}

// asciiClassMatcher recognizes ^[class]+$ and ^[class]*$ whose class holds
// only ASCII characters. Go's regexp reads the subject as UTF-8 and a
// multi-byte or invalid sequence can only be a character outside such a
// class, so the byte test is exact.
func asciiClassMatcher(expr string) (*asciiClass, bool) {
	re, err := syntax.Parse(expr, syntax.Perl) // as regexp.Compile parses
	if err != nil {
		return nil, false
	}
	re = re.Simplify()
	if re.Op != syntax.OpConcat || len(re.Sub) != 3 ||
		re.Sub[0].Op != syntax.OpBeginText || re.Sub[2].Op != syntax.OpEndText {
		return nil, false
	}
	rep := re.Sub[1]
	if (rep.Op != syntax.OpPlus && rep.Op != syntax.OpStar) || rep.Sub[0].Op != syntax.OpCharClass {
		return nil, false
	}
	m := &asciiClass{empty: rep.Op == syntax.OpStar}
	ranges := rep.Sub[0].Rune
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		if hi >= 0x80 {
			return nil, false
		}
		for r := lo; r <= hi; r++ {
			m.set[r/64] |= 1 << (r % 64)
		}
	}
	return m, true
}

func (m *asciiClass) MatchString(s string) bool {
	if s == "" {
		return m.empty
	}
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b >= 0x80 || m.set[b/64]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}
