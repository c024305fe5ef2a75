package esdb

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestParseWrongExpectedVersion(t *testing.T) {
	tests := []struct {
		msg            string
		actual         uint64
		exists, parsed bool
	}{
		{"wrong expected version: expecting '3' but got '7'", 7, true, true},
		{"wrong expected version: expecting 'no_stream' but got '0'", 0, true, true},
		{"wrong expected version: expecting 'stream_exists' but got 'no_stream'", 0, false, true},
		{"wrong expected version: expecting '1' but got '18446744073709551615'", 18446744073709551615, true, true},
		{"some other wording", 0, false, false},
		{"wrong expected version: expecting '1' but got '-1'", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			actual, exists, ok := parseWrongExpectedVersion(errors.New(tt.msg))
			if actual != tt.actual || exists != tt.exists || ok != tt.parsed {
				t.Fatalf("= %d, %v, %v; want %d, %v, %v", actual, exists, ok, tt.actual, tt.exists, tt.parsed)
			}
		})
	}
}

func TestSettingsIn(t *testing.T) {
	got := settingsIn("esdb://h:1?tls=false&MaxDiscoverAttempts=5")
	if !got["tls"] || !got["maxdiscoverattempts"] || got["gossiptimeout"] {
		t.Fatalf("settingsIn = %v", got)
	}
	if len(settingsIn("esdb://h:1")) != 0 {
		t.Fatal("settings found in a string without query")
	}
}

// TestUnavailable: a stream that broke under a send (io.EOF, wrapped by the
// client) is a connection failure, retried once and otherwise reported as
// unavailable; other errors are not.
func TestUnavailable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("could not send append request. Reason: %w", io.EOF), true},
		{errors.New("wrong expected version"), false},
		{io.ErrUnexpectedEOF, false},
	}
	for _, tt := range tests {
		if got := unavailable(tt.err); got != tt.want {
			t.Errorf("unavailable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
