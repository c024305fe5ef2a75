package e2e_test

import (
	"strings"
	"testing"

	"github.com/candor-ledger/candor/e2e"
)

func TestParseVmRSS(t *testing.T) {
	tests := []struct {
		name   string
		status string
		want   int64
		ok     bool
	}{
		{"present", "Name:\tcandor\nVmPeak:\t 9000 kB\nVmRSS:\t   51200 kB\nThreads:\t8\n", 51200 * 1024, true},
		{"absent", "Name:\tzombie\nState:\tZ\n", 0, false},
		{"bad unit", "VmRSS:\t 12 MB\n", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e2e.ParseVmRSS(tc.status)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("ParseVmRSS = %d, %v; want %d (ok %v)", got, err, tc.want, tc.ok)
			}
		})
	}
}

func TestNewAdminToken(t *testing.T) {
	a, b := e2e.NewAdminToken(), e2e.NewAdminToken()
	if a == b || !strings.HasPrefix(a, "cnd_") || len(a) != 4+43 || strings.ContainsAny(a, "+/=") {
		t.Errorf("tokens %q, %q: want distinct cnd_ + 43 base64url characters", a, b)
	}
}
