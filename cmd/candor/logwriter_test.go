package main

import (
	"strings"
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

// gatedWriter blocks every Write until the test opens the gate, as a pipe
// to a log collector that stopped reading does.
type gatedWriter struct {
	gate    chan struct{}
	entered chan struct{}
	out     lockedBuffer
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	select {
	case g.entered <- struct{}{}:
	default:
	}
	<-g.gate
	return g.out.Write(p)
}

// A slow log sink must not stall the requests that log: lines go into
// memory while the sink blocks, and reach it in order once it reads again.
// Only past maxBacklog does a line wait for the sink.
func TestLogWriterDoesNotWaitForASlowSink(t *testing.T) {
	g := &gatedWriter{gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	lw := newLogWriter(g)
	line := []byte(strings.Repeat("x", 99) + "\n")
	// Enough to start a flush that blocks in the sink.
	for range flushAt/len(line) + 1 {
		lw.Write(line)
	}
	select {
	case <-g.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the writer never wrote to the sink")
	}
	// The sink is blocked: writes up to the bound return at once.
	wrote := make(chan int)
	go func() {
		n := 0
		for ; (n+2)*len(line) <= maxBacklog; n++ {
			lw.Write(line)
		}
		wrote <- n
	}()
	var n int
	select {
	case n = <-wrote:
	case <-time.After(10 * time.Second):
		t.Fatal("Write waited for a blocked sink below the backlog bound")
	}
	// Past the bound a line waits for the sink instead of being lost.
	over := make(chan struct{})
	go func() {
		lw.Write(line)
		lw.Write(line)
		close(over)
	}()
	select {
	case <-over:
		t.Fatal("Write past the backlog bound did not wait")
	case <-time.After(100 * time.Millisecond):
	}
	close(g.gate)
	<-over
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	want := (flushAt/len(line) + 1 + n + 2) * len(line)
	if got := g.out.String(); len(got) != want || strings.Trim(got, "x\n") != "" {
		t.Fatalf("sink got %d bytes, want %d of whole lines", len(got), want)
	}
}
