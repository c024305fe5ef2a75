package api

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
)

// uuidRegexp is the regular expression uuidFormat replaces.
var uuidRegexp = regexp.MustCompile(openapi3.FormatOfStringForUUIDOfRFC9562)

func TestUUIDFormat(t *testing.T) {
	v7 := uuid.Must(uuid.NewV7()).String()
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"v7", v7, true},
		{"v4 upper case", strings.ToUpper(uuid.NewString()), true},
		{"v1", "6ba7b810-9dad-11d1-80b4-00c04fd430c8", true},
		{"v8 variant b", "01234567-89ab-8def-bfff-0123456789ab", true},
		{"nil", "00000000-0000-0000-0000-000000000000", true},
		{"max", "ffffffff-ffff-ffff-ffff-ffffffffffff", true},
		{"max mixed case", "FFFFffff-fFfF-ffff-FFFF-ffffffffffff", true},
		{"version 0", "01234567-89ab-0def-8fff-0123456789ab", false},
		{"version 9", "01234567-89ab-9def-8fff-0123456789ab", false},
		{"variant 7", "01234567-89ab-4def-7fff-0123456789ab", false},
		{"variant c", "01234567-89ab-4def-cfff-0123456789ab", false},
		{"almost nil", "00000000-0000-0000-0000-000000000001", false},
		{"almost max", "ffffffff-ffff-ffff-ffff-fffffffffffe", false},
		{"no hyphens", strings.ReplaceAll(v7, "-", ""), false},
		{"braces", "{" + v7 + "}", false},
		{"urn", "urn:uuid:" + v7, false},
		{"trailing newline", v7 + "\n", false},
		{"hyphen moved", v7[:7] + "-" + v7[7:8] + v7[9:], false},
		{"not hex", "0123456g-89ab-4def-8fff-0123456789ab", false},
		{"non-ASCII", "0123456é-89ab-4def-8fff-0123456789a", false},
		{"empty", "", false},
		{"short", v7[:35], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if re := uuidRegexp.MatchString(tt.in); re != tt.want {
				t.Fatalf("the table is wrong: the regexp says %v", re)
			}
			if got := uuidAccepts(tt.in); got != tt.want {
				t.Errorf("uuidFormat(%q) accepts: %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func uuidAccepts(s string) bool { return uuidFormat{}.Validate(s) == nil }

// mutate derives from a valid string a near miss: a changed, inserted or
// deleted byte taken from alphabet, or a swap of two bytes.
func mutate(r *rand.Rand, s, alphabet string) string {
	b := []byte(s)
	for n := 1 + r.IntN(3); n > 0; n-- {
		c := alphabet[r.IntN(len(alphabet))]
		switch i := r.IntN(len(b) + 1); {
		case len(b) == 0 || r.IntN(4) == 0:
			b = append(b[:i], append([]byte{c}, b[i:]...)...)
		case r.IntN(3) == 0 && i < len(b):
			b = append(b[:i], b[i+1:]...)
		case r.IntN(2) == 0:
			j := r.IntN(len(b))
			k := r.IntN(len(b))
			b[j], b[k] = b[k], b[j]
		case i < len(b):
			b[i] = c
		}
	}
	return string(b)
}

func TestUUIDFormatAgreesWithRegexp(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "0123456789abcdefABCDEFgG-{}:\n\x00\xff\xc3\xa9 fF0089bB"
	seeds := []string{"00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"}
	for range 20 {
		seeds = append(seeds, uuid.Must(uuid.NewV7()).String(), uuid.NewString())
	}
	accepted := 0
	for range 200_000 {
		s := mutate(r, seeds[r.IntN(len(seeds))], alphabet)
		want := uuidRegexp.MatchString(s)
		if got := uuidAccepts(s); got != want {
			t.Fatalf("uuidFormat(%q) accepts: %v, the regexp: %v", s, got, want)
		}
		if want {
			accepted++
		}
	}
	if accepted == 0 {
		t.Fatal("no generated string was a UUID: the comparison tested rejections only")
	}
}

func FuzzUUIDFormat(f *testing.F) {
	f.Add("00000000-0000-0000-0000-000000000000")
	f.Add("ffffffff-ffff-FFFF-ffff-ffffffffffff")
	f.Add("01234567-89ab-7def-8fff-0123456789ab")
	f.Add("01234567-89ab-7def-8fff-0123456789a\xff")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := uuidAccepts(s), uuidRegexp.MatchString(s); got != want {
			t.Fatalf("uuidFormat(%q) accepts: %v, the regexp: %v", s, got, want)
		}
	})
}
