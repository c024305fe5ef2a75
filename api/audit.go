package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
)

// parseAsOf reads the past moment of an audit read: as_of (an RFC 3339
// time, compared with when the store recorded each event) or
// as_of_position (a global position, inclusive). ok is false when neither
// is given: the read is of the present.
func parseAsOf(c echo.Context) (at ledger.AsOf, ok bool, err error) {
	t, p := c.QueryParam("as_of"), c.QueryParam("as_of_position")
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
	return c.JSON(http.StatusOK, verificationOut(rep))
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
	return c.JSON(http.StatusOK, verificationOut(rep))
}
