package projections

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/candor-ledger/candor/domain"
)

// TestCheckpointerCountsTheFilesPages: the checkpoint is due once the WAL
// has grown by checkpointEvery bytes, whatever the size of the file's
// pages.
func TestCheckpointerCountsTheFilesPages(t *testing.T) {
	every := checkpointEvery
	t.Cleanup(func() { checkpointEvery = every })
	checkpointEvery = 128 << 10
	for _, page := range []int64{4 << 10, 16 << 10, 64 << 10} {
		c := &checkpointer{page: page, kick: make(chan struct{}, 1)}
		due := int(checkpointEvery / page) // frames
		for i, step := range []struct {
			frames int // in the WAL after a commit
			due    bool
		}{
			{due - 1, false},
			{due, true},
			{due - 1, false}, // the WAL started over after the checkpoint
			{due, true},
		} {
			c.wrote(step.frames)
			kicked := false
			select {
			case <-c.kick:
				kicked = true
				c.pending.Store(0) // as run does
			default:
			}
			if kicked != step.due {
				t.Errorf("page %d, step %d: %d frames in the WAL: due %t, want %t", page, i, step.frames, kicked, step.due)
			}
		}
	}
}

// TestFileKeepsItsPageSize: a read-model file keeps the page size it was
// created with when pageSize changes: it opens, serves, is written and
// checkpointed as before, and the checkpointer counts in its pages.
func TestFileKeepsItsPageSize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the read models three times")
	}
	for _, tc := range []struct{ created, reopened int }{
		{16 << 10, 4 << 10}, // a file of today's pages, were they made smaller
		{4 << 10, 16 << 10},
	} {
		t.Run(fmt.Sprintf("%dKiB-%dKiB", tc.created>>10, tc.reopened>>10), func(t *testing.T) {
			testFileKeepsItsPageSize(t, tc.created, tc.reopened)
		})
	}
}

func testFileKeepsItsPageSize(t *testing.T, created, reopened int) {
	// Restored by the first cleanup registered, so the last to run:
	// after the engines' checkpointers have stopped reading them.
	page, every := pageSize, checkpointEvery
	t.Cleanup(func() { pageSize, checkpointEvery = page, every })
	pageSize = created
	st := newFakeStore()
	s := newScenario(t, st)
	s.mainScenario(eng1)
	e, path := openEngine(t, st, Options{})
	stop := runEngine(e)
	waitFor(t, e, s.last)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopened under another page size, checkpointing after every
	// commit; the warnings of failed checkpoints are kept.
	pageSize, checkpointEvery = reopened, 1
	var logged bytes.Buffer
	e2, err := Open(context.Background(), path, st, Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e2.Close() }) // on failure; closing twice is a no-op
	var got int64
	if err := e2.db.QueryRow(`PRAGMA page_size`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != int64(created) || e2.ckpt.page != int64(created) {
		t.Errorf("created with %d-byte pages, reopened with pageSize %d: file %d, checkpointer %d",
			created, reopened, got, e2.ckpt.page)
	}
	stop = runEngine(e2)
	for i, cmd := range []domain.Command{
		domain.AcceptDelivery{ActorID: bob, DeliveryID: "del-1"},
		domain.InformClient{ActorID: alice, InformationID: "info-3", Subject: "Delivered", Channel: domain.ChannelEmail, Recipients: []string{bob}},
		domain.AcknowledgeInformation{ActorID: bob, InformationID: "info-3"},
	} {
		s.at(53+float64(i)).do(eng1, cmd)
		waitFor(t, e2, s.last) // one commit, and checkpoint, each
	}
	ref, _ := openEngine(t, st, Options{})
	running(t, ref)
	waitFor(t, ref, s.last)
	if a, b := dump(t, e2), dump(t, ref); a != b {
		t.Errorf("created with %d-byte pages: differs from a fresh engine:\n%s", created, firstDiff(b, a))
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	e2.ckpt.stop() // the last checkpoint it started has ended
	if strings.Contains(logged.String(), "WAL") {
		t.Errorf("created with %d-byte pages: %s", created, logged.String())
	}
	var check string
	if err := e2.db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("created with %d-byte pages: integrity check: %q, %v", created, check, err)
	}
	if err := e2.Close(); err != nil {
		t.Fatal(err)
	}
}
