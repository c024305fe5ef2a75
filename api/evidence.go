package api

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/evidence"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/verifier"
)

// Codes of the evidence's problems (docs/EVIDENCE.md).
const (
	CodeEvidenceOff            = "evidence_off"
	CodeCheckpointInvalid      = "checkpoint_invalid"
	CodeCheckpointInconsistent = "checkpoint_inconsistent"
)

// Headers of the evidence.
const (
	// headerCheckpoint carries, on a client's approval, the checkpoint it
	// last saw: the signed note, base64.
	headerCheckpoint = "X-Candor-Checkpoint"
	// headerIntegrity is on every response while the log is in breach.
	headerIntegrity = "X-Candor-Integrity"
)

// witnessOps are the client-side writes that may carry a checkpoint.
var witnessOps = map[string]bool{
	"acknowledgeInformation": true, "acceptDelivery": true, "rejectDelivery": true,
	"validateAssumption": true, "rejectAssumption": true, "approveChange": true, "rejectChange": true,
}

// receiptTimeout bounds the wait for a write's receipt: the write is
// stored either way; past it the response has no receipt, and the client
// asks GET /v1/evidence/inclusion later.
const receiptTimeout = 5 * time.Second

func (s *Server) registerEvidenceMetrics(reg prometheus.Registerer) error {
	if s.evidence == nil {
		return nil
	}
	return reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "candor_evidence_breach",
		Help: "1 when the store was found not to match its transparency log (the server then serves read-only).",
	}, func() float64 {
		if s.evidence.Breach() != nil {
			return 1
		}
		return 0
	}))
}

// integrity, in breach, names the breach on every response and refuses
// every request that would change something.
func (s *Server) integrity(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.evidence == nil {
			return next(c)
		}
		b := s.evidence.Breach()
		if b == nil {
			return next(c)
		}
		c.Response().Header().Set(headerIntegrity, "breach; "+headerSafe(b.String()))
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		p := newProblem(http.StatusServiceUnavailable, CodeIntegrityBreach,
			"the store no longer matches its transparency log, so the server serves read-only: "+b.String())
		return p
	}
}

// headerSafe keeps a header value to printable ASCII.
func headerSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
}

// witness reads the checkpoint a client sent with an approval, checks it
// against the log and returns what the event records of it.
func (s *Server) witness(c echo.Context, operationID string) (*verifier.Witness, error) {
	v := c.Request().Header.Get(headerCheckpoint)
	if v == "" || !witnessOps[operationID] {
		return nil, nil
	}
	if s.evidence == nil {
		return nil, newProblem(http.StatusServiceUnavailable, CodeEvidenceOff, "this server keeps no transparency log")
	}
	bad := func(detail string) error {
		p := newProblem(http.StatusUnprocessableEntity, CodeCheckpointInvalid, detail)
		p.Errors = []FieldError{{Parameter: "header." + headerCheckpoint, Detail: detail}}
		return p
	}
	note, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, bad("not base64")
	}
	w, err := s.evidence.Witness(c.Request().Context(), string(note))
	switch {
	case errors.Is(err, evidence.ErrCheckpointInvalid):
		return nil, bad("not a checkpoint signed by this log: " + err.Error())
	case errors.Is(err, evidence.ErrCheckpointInconsistent):
		return nil, newProblem(http.StatusConflict, CodeCheckpointInconsistent,
			"the log is not consistent with this checkpoint, which it signed: its history was rewritten ("+err.Error()+")")
	case err != nil:
		return nil, err
	}
	return &w, nil
}

// receipt attaches to a write's response the receipt of its events.
func (s *Server) receipt(ctx context.Context, out *WriteResult) {
	if s.evidence == nil || len(out.Events) == 0 {
		return
	}
	pos := make([]eventstore.Position, len(out.Events))
	for i, e := range out.Events {
		pos[i] = eventstore.Position(e.Position)
	}
	ctx, cancel := context.WithTimeout(ctx, receiptTimeout)
	defer cancel()
	rc, err := s.evidence.Receipt(ctx, pos)
	if err != nil {
		s.log.Warn("write answered without a receipt", "error", err.Error())
		return
	}
	out.Receipt = rc
}

func (s *Server) requireEvidence() error {
	if s.evidence == nil {
		return newProblem(http.StatusServiceUnavailable, CodeEvidenceOff, "this server keeps no transparency log")
	}
	return nil
}

// EvidenceKey is the body of GET /v1/evidence/key.
type EvidenceKey struct {
	PublicKey    string   `json:"public_key"`
	PreviousKeys []string `json:"previous_keys"`
}

func (s *Server) getEvidenceKey(c echo.Context) error {
	if err := s.requireEvidence(); err != nil {
		return err
	}
	k := s.evidence.Key()
	return c.JSON(http.StatusOK, EvidenceKey{PublicKey: k.Public, PreviousKeys: append([]string{}, k.Previous...)})
}

// CheckpointOut is a signed checkpoint and what it says.
type CheckpointOut struct {
	Checkpoint string    `json:"checkpoint"`
	Size       int64     `json:"size"`
	Root       string    `json:"root"`
	Time       time.Time `json:"time"`
}

func checkpointOut(sg *evidence.Signed) CheckpointOut {
	c := sg.Checkpoint
	return CheckpointOut{Checkpoint: sg.Note, Size: c.Size, Root: base64.StdEncoding.EncodeToString(c.Root[:]), Time: c.Time}
}

func (s *Server) evidenceError(err error) error {
	var b *evidence.Breach
	switch {
	case errors.As(err, &b):
		return newProblem(http.StatusServiceUnavailable, CodeIntegrityBreach, "the store no longer matches its transparency log: "+b.String())
	case errors.Is(err, evidence.ErrNotFound):
		return newProblem(http.StatusNotFound, CodeNotFound, "no such event in the log")
	case errors.Is(err, evidence.ErrTreeSize):
		return badParam("query.from", "a tree size from 0 up to to, and to up to the log's size")
	}
	return err
}

func (s *Server) getCheckpoint(c echo.Context) error {
	if err := s.requireEvidence(); err != nil {
		return err
	}
	sg, err := s.evidence.Latest(c.Request().Context())
	if err != nil {
		return s.evidenceError(err)
	}
	return c.JSON(http.StatusOK, checkpointOut(sg))
}

// InclusionOut is an event's leaf with its proof under a checkpoint.
type InclusionOut struct {
	Checkpoint CheckpointOut `json:"checkpoint"`
	Leaf       verifier.Leaf `json:"leaf"`
}

func (s *Server) getInclusionProof(c echo.Context) error {
	if err := s.requireEvidence(); err != nil {
		return err
	}
	q := c.QueryParams()
	var (
		pos uint64
		id  uuid.UUID
		err error
	)
	switch {
	case q.Get("position") != "":
		if pos, err = strconv.ParseUint(q.Get("position"), 10, 64); err != nil || pos == 0 {
			return badParam("query.position", "a position, from 1")
		}
	case q.Get("event_id") != "":
		if id, err = uuid.Parse(q.Get("event_id")); err != nil {
			return badParam("query.event_id", "an event id")
		}
	default:
		return badParam("query.position", "give position or event_id")
	}
	leaf, sg, err := s.evidence.Inclusion(c.Request().Context(), eventstore.Position(pos), id)
	if err != nil {
		return s.evidenceError(err)
	}
	// Only who may see an event learns that it exists.
	p := principal(c)
	visible := seesEverything(p)
	if !visible && strings.HasPrefix(leaf.Stream, ledger.StreamPrefix) {
		if visible, err = s.visibleTo(c.Request().Context(), p, strings.TrimPrefix(leaf.Stream, ledger.StreamPrefix)); err != nil {
			return err
		}
	}
	if !visible {
		return newProblem(http.StatusNotFound, CodeNotFound, "no such event in the log")
	}
	return c.JSON(http.StatusOK, InclusionOut{Checkpoint: checkpointOut(sg), Leaf: leaf})
}

// ConsistencyOut proves the tree of size From a prefix of the one of size To.
type ConsistencyOut struct {
	From     int64          `json:"from"`
	FromRoot string         `json:"from_root"`
	To       int64          `json:"to"`
	ToRoot   string         `json:"to_root"`
	Proof    []string       `json:"proof"`
	Latest   *CheckpointOut `json:"checkpoint,omitempty"` // when to was not given
}

func (s *Server) getConsistencyProof(c echo.Context) error {
	if err := s.requireEvidence(); err != nil {
		return err
	}
	from, err := strconv.ParseInt(c.QueryParam("from"), 10, 64)
	if err != nil || from < 0 {
		return badParam("query.from", "a tree size")
	}
	var to int64
	if v := c.QueryParam("to"); v != "" {
		if to, err = strconv.ParseInt(v, 10, 64); err != nil || to < 1 {
			return badParam("query.to", "a tree size")
		}
	}
	proof, fr, tr, sg, err := s.evidence.Consistency(c.Request().Context(), from, to)
	if err != nil {
		return s.evidenceError(err)
	}
	out := ConsistencyOut{From: from, FromRoot: base64.StdEncoding.EncodeToString(fr[:]), To: to,
		ToRoot: base64.StdEncoding.EncodeToString(tr[:]), Proof: append([]string{}, proof...)}
	if sg != nil {
		cp := checkpointOut(sg)
		out.Latest, out.To = &cp, sg.Checkpoint.Size
	}
	return c.JSON(http.StatusOK, out)
}

// exportEngagement answers the engagement's bundle (docs/EVIDENCE.md §6).
func (s *Server) exportEngagement(c echo.Context) error {
	id := c.Param("engagement_id")
	visible, err := s.visibleTo(c.Request().Context(), principal(c), id)
	if err != nil {
		return err
	}
	if !visible {
		return errEngagementNotFound()
	}
	if err := s.requireEvidence(); err != nil {
		return err
	}
	b, err := s.evidence.Export(c.Request().Context(), ledger.StreamName(id))
	if err != nil {
		return s.evidenceError(err)
	}
	if len(b.Events) == 0 && len(b.Missing) == 0 {
		return errEngagementNotFound() // an admin asking for one that never was
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="candor-`+id+`.bundle.json"`)
	return c.JSON(http.StatusOK, b)
}

func (s *Server) evidenceHandlers() map[string]echo.HandlerFunc {
	return map[string]echo.HandlerFunc{
		"getEvidenceKey": s.getEvidenceKey, "getCheckpoint": s.getCheckpoint,
		"getInclusionProof": s.getInclusionProof, "getConsistencyProof": s.getConsistencyProof,
		"exportEngagement": s.exportEngagement,
	}
}

// EvidenceStatus is the evidence's part of /readyz.
type EvidenceStatus struct {
	Status string `json:"status"` // ok, breach
	Size   int64  `json:"size"`   // leaves in the log
	Breach string `json:"breach,omitempty"`
}

func (s *Server) evidenceReadiness(r *Readiness) {
	if s.evidence == nil {
		r.Checks["evidence"] = "off"
		return
	}
	size, _ := s.evidence.Size()
	st := &EvidenceStatus{Status: "ok", Size: size}
	if b := s.evidence.Breach(); b != nil {
		st.Status, st.Breach = "breach", b.String()
	}
	r.Checks["evidence"] = st.Status
	r.Evidence = st
}

// verifyEngagementLog checks the engagement's export as the offline
// verifier does, and names its first problem (nil: it holds, or no log).
func (s *Server) verifyEngagementLog(ctx context.Context, stream string) (*ChainBreakOut, error) {
	if s.evidence == nil {
		return nil, nil
	}
	b, err := s.evidence.Export(ctx, stream)
	if err != nil {
		var br *evidence.Breach
		if errors.As(err, &br) {
			return breakOut(stream, 0, 0, br.String()), nil
		}
		return nil, err
	}
	rep, err := verifier.Verify(b, nil)
	if err != nil {
		return breakOut(stream, 0, 0, err.Error()), nil
	}
	if rep.OK() {
		return nil, nil
	}
	p := rep.Problems[0]
	return breakOut(p.Stream, p.Revision, p.Position, p.Reason), nil
}

// verifyStoreLog checks every event of the store against its leaf.
func (s *Server) verifyStoreLog(ctx context.Context) (*ChainBreakOut, error) {
	if s.evidence == nil {
		return nil, nil
	}
	rep, err := s.evidence.Check(ctx)
	if err != nil || rep.OK() {
		return nil, err
	}
	f := rep.Findings[0]
	return breakOut(f.Stream, f.Revision, f.Position, f.Reason), nil
}

func breakOut(stream string, rev, pos uint64, reason string) *ChainBreakOut {
	b := &ChainBreakOut{Stream: stream, Revision: rev, Position: pos, Reason: "transparency log: " + reason}
	if id, ok := strings.CutPrefix(stream, ledger.StreamPrefix); ok {
		b.EngagementID = id
	}
	return b
}
