package main

import (
	"io"
	"sync"
	"time"
)

// logWriter buffers the server's log lines and writes them out from a
// goroutine of its own, at most every flushEvery or as soon as flushAt
// bytes wait. A request's log line only goes into memory: without this
// every access-log line was a write(2) under the log handler's lock, and
// when the writes happened under the lock a slow reader of stderr (a pipe
// to a log collector) stalled every request for as long as it was slow.
// The backlog is bounded: past maxBacklog bytes a line waits for the
// writer, so that a sink that never catches up slows the server rather
// than losing lines or growing memory without end.
type logWriter struct {
	out io.Writer

	mu      sync.Mutex
	room    *sync.Cond // signalled when the backlog was taken
	backlog []byte     // lines not yet taken by the writer
	spare   []byte     // the buffer last written out, reused

	outMu sync.Mutex // serialises writes to out: lines stay in order
	kick  chan struct{}
	stop  chan struct{}
	done  chan struct{}
}

const (
	flushEvery = 100 * time.Millisecond
	flushAt    = 64 << 10
	maxBacklog = 8 << 20
)

func newLogWriter(w io.Writer) *logWriter {
	lw := &logWriter{out: w, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	lw.room = sync.NewCond(&lw.mu)
	go lw.run()
	return lw
}

func (lw *logWriter) run() {
	defer close(lw.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-lw.stop:
			return
		case <-t.C:
		case <-lw.kick:
		}
		lw.Flush()
	}
}

// Write buffers p, one whole log line as slog's handlers write them.
func (lw *logWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	for len(lw.backlog) > 0 && len(lw.backlog)+len(p) > maxBacklog {
		lw.room.Wait()
	}
	lw.backlog = append(lw.backlog, p...)
	if len(lw.backlog) >= flushAt {
		select {
		case lw.kick <- struct{}{}:
		default: // the writer is due already
		}
	}
	return len(p), nil
}

// Flush writes out what is buffered, holding no lock that Write needs.
func (lw *logWriter) Flush() error {
	lw.outMu.Lock()
	defer lw.outMu.Unlock()
	lw.mu.Lock()
	b := lw.backlog
	lw.backlog, lw.spare = lw.spare[:0], nil
	lw.room.Broadcast()
	lw.mu.Unlock()
	var err error
	if len(b) > 0 {
		_, err = lw.out.Write(b)
	}
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if cap(b) <= maxBacklog { // keep one buffer of ordinary size
		lw.spare = b[:0]
	}
	return err
}

// Close stops the periodic flush and flushes.
func (lw *logWriter) Close() error {
	close(lw.stop)
	<-lw.done
	return lw.Flush()
}
