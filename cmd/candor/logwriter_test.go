package main

import (
	"testing"
	"time"
)

func TestLogWriterFlushesPeriodicallyAndOnClose(t *testing.T) {
	var out lockedBuffer
	lw := newLogWriter(&out)
	if _, err := lw.Write([]byte("first\n")); err != nil {
		t.Fatal(err)
	}
	// Written out by the periodic flush, without Close.
	deadline := time.Now().Add(10 * time.Second)
	for out.String() != "first\n" {
		if time.Now().After(deadline) {
			t.Fatalf("not flushed after 10 s: %q", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := lw.Write([]byte("last\n")); err != nil {
		t.Fatal(err)
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "first\nlast\n" {
		t.Fatalf("after Close: %q", got)
	}
}
