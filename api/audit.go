package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/projections"
)

// asOf is the past moment of an audit read, and the basis on which facts
// are placed before or after it.
type asOf struct {
	ledger.AsOf
	// basis: compare as_of with when each fact was recorded (the default:
	// what Candor knew by then) or with when it is said to have happened
	// (its claimed occurred_at, or its recording when none was claimed).
	basis projections.Basis
}

// parseAsOf reads the past moment of an audit read: as_of (an RFC 3339
// time) or as_of_position (a global position, inclusive), and as_of_basis
// (recorded, the default, or occurred), which only a time takes. ok is
// false when no moment is given: the read is of the present.
func parseAsOf(c echo.Context) (at asOf, ok bool, err error) {
	t, p := c.QueryParam("as_of"), c.QueryParam("as_of_position")
	at.basis = projections.BasisRecorded
	switch b := c.QueryParam("as_of_basis"); {
	case b == "":
	case t == "":
		return at, false, badParam("query.as_of_basis", "as_of_basis places facts before or after an as_of time: give as_of too")
	case b == string(projections.BasisRecorded), b == string(projections.BasisOccurred):
		at.basis = projections.Basis(b)
	default:
		return at, false, badParam("query.as_of_basis", "must be recorded or occurred")
	}
	switch {
	case t != "" && p != "":
		return at, false, badParam("query.as_of", "give as_of or as_of_position, not both")
	case t != "":
		v, err := time.Parse(time.RFC3339Nano, t)
		if err != nil {
			return at, false, badParam("query.as_of", "must be an RFC 3339 time")
		}
		at.Time = &v
	case p != "":
		v, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return at, false, badParam("query.as_of_position", "must be a global position")
		}
		pos := eventstore.Position(v)
		at.Position = &pos
	default:
		return at, false, nil
	}
	return at, true, nil
}

// stateAsOf is the engagement as it stood at a past moment. On the
// recorded basis it is the ledger's StateAsOf; on the occurred basis, the
// fold, in stream order, of the facts that happened by then as claimed.
// The domain refuses a claim earlier than what the fact names, so such a
// fold holds together; a fact that still does not apply (an unclaimed
// fact decided on a server whose clock was behind another's) is left out
// until what it names has happened. The revision is that of the last fact
// folded. ErrNotFound when the engagement had not opened by then.
func (s *Server) stateAsOf(ctx context.Context, id string, at asOf) (*domain.Engagement, uint64, error) {
	if at.basis != projections.BasisOccurred || at.Time == nil {
		return s.ledger.StateAsOf(ctx, id, at.AsOf)
	}
	hist, err := s.ledger.History(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	var (
		st  *domain.Engagement
		rev uint64
	)
	for _, r := range hist {
		if !domain.OccurredBy(r.Event, *at.Time) {
			continue
		}
		next, err := domain.Evolve(st, r.Event)
		if errors.Is(err, domain.ErrCannotApply) && st != nil {
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("fold %s at revision %d: %w", r.Type, r.Revision, err)
		}
		st, rev = next, r.Revision
	}
	if st == nil {
		return nil, 0, ledger.ErrNotFound
	}
	return st, rev, nil
}

// VerificationOut is the outcome of a hash-chain verification.
type VerificationOut struct {
	// OK is true when every link checked held.
	OK      bool `json:"ok"`
	Streams int  `json:"streams"`
	Events  int  `json:"events"`
	// Broken is the first broken link, absent when OK.
	Broken    *ChainBreakOut `json:"broken,omitempty"`
	CheckedAt time.Time      `json:"checked_at"`
}

// ChainBreakOut names the first event whose link does not hold.
type ChainBreakOut struct {
	Stream       string `json:"stream"`
	EngagementID string `json:"engagement_id,omitempty"`
	Revision     uint64 `json:"revision"`
	Position     uint64 `json:"position"`
	Reason       string `json:"reason"`
}

func verificationOut(rep ledger.VerifyReport) VerificationOut {
	out := VerificationOut{OK: rep.OK(), Streams: rep.Streams, Events: rep.Events, CheckedAt: time.Now().UTC()}
	if b := rep.Broken; b != nil {
		out.Broken = &ChainBreakOut{Stream: b.Stream, Revision: b.Revision, Position: uint64(b.Position), Reason: b.Reason}
		if id, ok := strings.CutPrefix(b.Stream, ledger.StreamPrefix); ok {
			out.Broken.EngagementID = id
		}
	}
	return out
}

// verifyEngagement recomputes the hash chain of one engagement. It answers
// 200 either way: the check ran; ok says whether the chain holds.
func (s *Server) verifyEngagement(c echo.Context) error {
	// A broken log is what verification is for: who may see the
	// engagement still gets the report.
	if err := s.authorize(c, nil); err != nil && !breachKnownTo(principal(c), err) {
		return err
	}
	rep, err := ledger.VerifyStream(c.Request().Context(), s.store, ledger.StreamName(c.Param("engagement_id")))
	if err != nil {
		return err
	}
	out := verificationOut(rep)
	if out.OK {
		if out.Broken, err = s.verifyEngagementLog(c.Request().Context(), ledger.StreamName(c.Param("engagement_id"))); err != nil {
			return err
		}
		out.OK = out.Broken == nil
	}
	return c.JSON(http.StatusOK, out)
}

// verifyStore recomputes the hash chain of every engagement, in one pass
// over the store: for auditors and admins.
func (s *Server) verifyStore(c echo.Context) error {
	if err := requireAuditor(c, "verifying the whole store"); err != nil {
		return err
	}
	rep, err := ledger.VerifyAll(c.Request().Context(), s.store, ledger.StreamPrefix)
	if err != nil {
		return err
	}
	out := verificationOut(rep)
	if out.OK {
		if out.Broken, err = s.verifyStoreLog(c.Request().Context()); err != nil {
			return err
		}
		out.OK = out.Broken == nil
	}
	return c.JSON(http.StatusOK, out)
}
