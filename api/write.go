package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/verifier"
)

// writeOp is one write operation of the contract: its command and the
// handler that makes it from the request.
type writeOp struct {
	cmd     domain.Command // the zero value of its command
	handler func(*Server) echo.HandlerFunc
}

// The request headers of writes.
const (
	headerIfMatch        = "If-Match"
	headerIdempotencyKey = "Idempotency-Key"
	headerPosition       = "X-Candor-Position"
	headerReplayed       = "Idempotency-Replayed"
	headerETag           = "ETag"
)

// op is the write operation of command C. Its body is decoded into a C;
// bind then sets on it what the body does not say (the path's parameters,
// the ids of what it creates, see binding) and returns where the command's
// ActorID is, for the server to fill in with the caller's stakeholder id
// (nil for the opening of an engagement, whose opener acts). Everything
// else (preconditions, idempotency, the response) is the same for every
// write and done by Server.execute.
func op[C domain.Command](bind func(cmd *C, b *binding) (actor *string)) writeOp {
	var zero C
	return writeOp{cmd: zero, handler: func(s *Server) echo.HandlerFunc {
		return func(c echo.Context) error {
			p := principal(c)
			if p.Role == auth.RoleAuditor {
				return newProblem(http.StatusForbidden, CodeReadOnlyRole, "auditors read, they do not write")
			}
			var cmd C
			if err := decodeBody(c, &cmd); err != nil {
				return err
			}
			b := &binding{c: c, principal: p, key: c.Request().Header.Get(headerIdempotencyKey), engagementID: c.Param("engagement_id")}
			actor := bind(&cmd, b)
			return s.execute(c, b, func(st *domain.Engagement) (domain.Command, error) {
				if !b.create {
					sh, ok := st.StakeholderByPrincipal(p.ID)
					if !ok {
						return nil, notStakeholder(p)
					}
					*actor = sh.ID // the ledger may decide again, on a newer state
				}
				return cmd, nil // a copy
			})
		}
	}}
}

// binding is what a write's bind step reads from the request, and what it
// settles: the engagement written to, whether the command opens it, the
// Location of what it creates.
type binding struct {
	c            echo.Context
	principal    auth.Principal
	key          string // the Idempotency-Key, if any
	engagementID string
	create       bool
	location     string // empty when the write creates nothing addressable
	links        string // the principal a stakeholder is linked to, if any
	ids          int    // ids made so far
}

// param is a parameter of the request's path.
func (b *binding) param(name string) string { return b.c.Param(name) }

// id returns *id, set first to a new id when the body gave none.
func (b *binding) id(id *string) string {
	if *id == "" {
		*id = b.newID()
	}
	return *id
}

// creates gives what the command creates the id *id (see id), and the
// Location path+id within the engagement.
func (b *binding) creates(id *string, path string) { b.at(path + b.id(id)) }

// at sets the Location of what the command creates, a path within the
// engagement.
func (b *binding) at(path string) { b.location = "/v1/engagements/" + b.engagementID + path }

// opens marks the command as the opening of engagement *id, which it names
// when the body does not (see newEngagementID).
func (b *binding) opens(id *string) {
	if *id == "" {
		*id = newEngagementID(b.principal.ID, b.key)
	}
	b.engagementID, b.create = *id, true
	b.at("")
}

// newID makes an id the body left out: a UUIDv7, or under an idempotency
// key one derived from the engagement, the key and how many ids the
// request made before, so that a retry replayed names what the first
// request created (a key is used once per engagement: the ledger refuses
// it for a different request).
func (b *binding) newID() string {
	b.ids++
	if b.key == "" {
		return newID()
	}
	return uuid.NewSHA1(idempotentNamespace, []byte(b.engagementID+"\x00"+b.key+"\x00"+strconv.Itoa(b.ids))).String()
}

// execute runs a write's command, made by command from the engagement's
// state, and answers it.
func (s *Server) execute(c echo.Context, b *binding, command func(*domain.Engagement) (domain.Command, error)) error {
	p := b.principal
	// Only who may list principals (admins) is told that one does not
	// exist: anyone else gets the same answer for an unknown principal
	// as for a known one, which the registry is then not even asked
	// about. A stakeholder linked to an unknown principal is inert: no
	// token acts as it.
	if b.links != "" && p.Role == auth.RoleAdmin {
		if _, err := s.auth.Principal(b.links); err != nil {
			pr := newProblem(http.StatusUnprocessableEntity, CodeValidationFailed, "no such principal")
			pr.Errors = []FieldError{{Pointer: "/principal_id", Detail: "no such principal"}}
			return pr
		}
	}
	ifMatch, err := parseIfMatch(c.Request().Header.Get(headerIfMatch))
	if err != nil {
		return err
	}
	witness, err := s.witness(c, operation(c).Operation.OperationID)
	if err != nil {
		return err
	}
	var fp string // only a key needs one: it tells a retry from a reuse
	if b.key != "" {
		fp = fingerprint(c, p)
	}
	req := ledger.Request{
		EngagementID:   b.engagementID,
		Create:         b.create,
		IfMatch:        ifMatch,
		IdempotencyKey: b.key,
		Fingerprint:    fp,
		CorrelationID:  c.Response().Header().Get(echo.HeaderXRequestID),
		PrincipalID:    p.ID,
		Witness:        witness,
		Access:         writeAccess(p, b.create),
		Command:        command,
	}
	// Detached from the client: a started write completes (or times
	// out) even if the client hangs up, and graceful shutdown waits
	// for it.
	s.inflight.Add(1)
	defer s.inflight.Done()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), s.cfg.WriteTimeout)
	defer cancel()
	start := time.Now()
	res, err := s.ledger.Execute(ctx, req)
	s.metrics.commands.WithLabelValues(operation(c).Operation.OperationID, outcome(err)).Observe(time.Since(start).Seconds())
	if err != nil {
		return err
	}
	return s.writeResponse(ctx, c, b.location, res)
}

// writeAccess refuses, before the ledger looks at anything else, a caller
// who may not write to the engagement, so that neither If-Match nor an
// idempotency key nor the command can reveal whether an engagement it may
// not see exists: the refusal is word for word what a read of the
// engagement answers (404 for a member, see notStakeholder). An opening
// with the id of an existing engagement is refused the same way, unless the
// caller may see that engagement (then the domain answers 409
// engagement_already_opened).
func writeAccess(p auth.Principal, create bool) func(*domain.Engagement) error {
	return func(st *domain.Engagement) error {
		switch {
		case st == nil: // nothing to reveal: the ledger answers 404, or creates
			return nil
		case create:
			if !canSee(p, st) {
				return errEngagementNotFound()
			}
			return nil
		}
		if _, ok := st.StakeholderByPrincipal(p.ID); !ok {
			return notStakeholder(p)
		}
		return nil
	}
}

// notStakeholder is the refusal of a write by a principal who is not a
// current stakeholder: admins may know the engagement exists (they read
// everything), members may not.
func notStakeholder(p auth.Principal) error {
	if p.Role == auth.RoleAdmin {
		return newProblem(http.StatusForbidden, domain.CodeActorNotStakeholder,
			"only the engagement's stakeholders write to it")
	}
	return errEngagementNotFound()
}

func outcome(err error) string {
	if err == nil {
		return "ok"
	}
	return strconv.Itoa(toProblem(err).Status)
}

// decodeBody decodes the (already validated) JSON body into v, once.
// Unknown members are refused here too, in case the contract ever forgets
// additionalProperties: false.
func decodeBody(c echo.Context, v any) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	err = jsonv2.Unmarshal(body, v, decodeOptions)
	var pe *time.ParseError
	var se *jsonv2.SemanticError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe):
		return bodyProblem("a time is not RFC 3339", err, "not an RFC 3339 time")
	case errors.Is(err, jsonv2.ErrUnknownName):
		return bodyProblem("the request body has a member its schema does not know", err, "unknown member")
	case errors.As(err, &se):
		return bodyProblem("the request body does not match its schema", err, "wrong type")
	}
	return newProblem(http.StatusBadRequest, CodeMalformedJSON, "the body is not valid JSON")
}

// bodyProblem is the 422 of a body that does not decode into its command,
// pointing at the offending place when err says where.
func bodyProblem(detail string, err error, field string) *Problem {
	p := newProblem(http.StatusUnprocessableEntity, CodeValidationFailed, detail)
	var se *jsonv2.SemanticError
	if errors.As(err, &se) {
		p.Errors = []FieldError{{Pointer: string(se.JSONPointer), Detail: field}}
	}
	return p
}

// decodeOptions are those of decodeBody: strict as the contract is (no
// unknown member), and integers in any JSON spelling the contract accepts.
var decodeOptions = jsonv2.JoinOptions(
	jsonv2.RejectUnknownMembers(true),
	jsonv2.WithUnmarshalers(jsonv2.JoinUnmarshalers(
		jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *int) error {
			n, err := decodeInteger(dec)
			*v = int(n)
			return err
		}),
		jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *int64) error {
			n, err := decodeInteger(dec)
			*v = n
			return err
		}),
	)),
)

// errNotInteger is the reason a number does not decode into an integer.
var errNotInteger = errors.New("not an integer")

// decodeInteger reads an integer written with a fraction or an exponent
// (1e3, 1000.0) as the integer it is, as far as a float64 holds it exactly
// (2^53, the contract's bound): kin-openapi validated that value, and
// JSON Schema's integers are numbers without a fractional part, whatever
// their spelling.
func decodeInteger(dec *jsontext.Decoder) (int64, error) {
	tok, err := dec.ReadToken()
	switch {
	case err != nil:
		return 0, err
	case tok.Kind() == 'n':
		return 0, nil
	case tok.Kind() != '0':
		return 0, errNotInteger
	}
	if n, err := strconv.ParseInt(tok.String(), 10, 64); err == nil {
		return n, nil
	}
	if f, err := tok.Float(); err == nil && f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
		return int64(f), nil
	}
	return 0, errNotInteger
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// idempotentNamespace scopes the ids derived from idempotency keys.
var idempotentNamespace = uuid.MustParse("6f1b7a3e-2c1d-4f5e-9a8b-3c2d1e0f9a7b")

// newEngagementID makes the id of a new engagement. With an idempotency
// key it is derived from the caller and the key, so that a retry of the
// creation targets the same stream, where the ledger finds the key and
// replays the first result instead of opening a second engagement.
func newEngagementID(principalID, key string) string {
	if key == "" {
		return newID()
	}
	return uuid.NewSHA1(idempotentNamespace, []byte(principalID+"\x00"+key)).String()
}

// fingerprint identifies what was asked under an idempotency key: who, the
// method, the path and the body. The body was read (and buffered) by the
// validator, so it can be read again here.
func fingerprint(c echo.Context, p auth.Principal) string {
	req := c.Request()
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00", p.ID, req.Method, req.URL.Path)
	if req.GetBody != nil {
		if b, err := req.GetBody(); err == nil {
			_, _ = io.Copy(h, b)
			b.Close()
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// parseIfMatch reads an If-Match header holding one ETag as this API
// issues them: a quoted stream revision. "*" is no precondition.
func parseIfMatch(v string) (*uint64, error) {
	v = strings.TrimSpace(v)
	if v == "" || v == "*" {
		return nil, nil
	}
	bad := func() error {
		p := newProblem(http.StatusBadRequest, CodeInvalidParameter, `If-Match must be an ETag of this API, e.g. "12"`)
		p.Errors = []FieldError{{Parameter: "header.If-Match", Detail: "not an ETag issued by this API"}}
		return p
	}
	if len(v) < 3 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, bad()
	}
	n, err := strconv.ParseUint(v[1:len(v)-1], 10, 64)
	if err != nil {
		return nil, bad()
	}
	return &n, nil
}

func etag(rev uint64) string { return `"` + strconv.FormatUint(rev, 10) + `"` }

// EventOut is an event as the API shows it, in write responses and in the
// event log.
type EventOut struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schema_version"`
	Revision      uint64          `json:"revision"`
	Position      uint64          `json:"position"`
	RecordedAt    time.Time       `json:"recorded_at"`
	Actor         string          `json:"actor,omitempty"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	Data          json.RawMessage `json:"data"`
	// Hash is the event's hash, PrevHash its stream predecessor's
	// (docs/EVIDENCE.md): anyone can recompute and link them.
	Hash     string `json:"hash"`
	PrevHash string `json:"prev_hash"`
}

// WriteResult is the body of every write response.
type WriteResult struct {
	Events   []EventOut `json:"events"`
	Revision uint64     `json:"revision"`
	Position uint64     `json:"position"`
	// Receipt, when the server keeps a transparency log, is the signed
	// checkpoint that includes the events, with their inclusion proofs.
	Receipt *verifier.Receipt `json:"receipt,omitempty"`
}

// writeResponse answers a write from the events as the store recorded
// them (not as the ledger decided them), so that the response to a retry
// replayed under an idempotency key equals the first one: every store
// reports where and when it stored each event, and the ledger's result
// is that record.
func (s *Server) writeResponse(ctx context.Context, c echo.Context, location string, res ledger.Result) error {
	if len(res.Events) == 0 {
		return errors.New("api: the ledger reported a write without events")
	}
	out := WriteResult{Events: make([]EventOut, 0, len(res.Events)), Revision: res.Revision, Position: uint64(res.Position)}
	for _, r := range res.Events {
		out.Events = append(out.Events, newEventOut(r.ID, r.Type, r.Revision, r.Position, r.RecordedAt, r.Meta, r.Data))
	}
	s.receipt(ctx, &out)
	h := c.Response().Header()
	h.Set(headerETag, etag(res.Revision))
	h.Set(headerPosition, strconv.FormatUint(uint64(res.Position), 10))
	if res.Replayed {
		h.Set(headerReplayed, "true")
	}
	status := http.StatusOK
	if location != "" {
		h.Set(echo.HeaderLocation, location)
		status = http.StatusCreated
	}
	return c.JSON(status, out) // indented with ?pretty
}

// eventOut shows a stored event: its data exactly as stored, its actor
// and correlation id from the metadata.
func eventOut(e eventstore.RecordedEvent) EventOut {
	var m ledger.Metadata
	_ = json.Unmarshal(e.Metadata, &m) // a metadata-less event still shows
	m.Hash = ledger.EventHash(&e)
	return newEventOut(e.ID, e.Type, e.Revision, e.Position, e.RecordedAt, m, e.Data)
}

func newEventOut(id uuid.UUID, typ string, rev uint64, pos eventstore.Position, at time.Time, m ledger.Metadata, data []byte) EventOut {
	raw := json.RawMessage(data)
	if !json.Valid(raw) {
		raw = json.RawMessage("null")
	}
	return EventOut{
		ID: id.String(), Type: typ, SchemaVersion: m.SchemaVersion, Revision: rev,
		Position: uint64(pos), RecordedAt: at.UTC(), Actor: m.Actor, CorrelationID: m.CorrelationID,
		Data: raw, Hash: m.Hash, PrevHash: m.PrevHash,
	}
}
