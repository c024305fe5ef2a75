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
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
	"github.com/candor-ledger/candor/verifier"
)

// writeOp describes one write operation: which domain command its body
// decodes into and what it creates. Everything else (path parameters into
// command fields, generated ids, the acting stakeholder, preconditions,
// idempotency, the response) is the same for every write and done by
// Server.write.
type writeOp struct {
	cmd domain.Command // zero value of the command struct
	// newID is the JSON field of the id of what the command creates; the
	// server generates a UUIDv7 when the body has none.
	newID string
	// location, for creations, is the path of the created resource; its
	// {params} come from the path, then from the recorded events. Empty for
	// writes that create nothing addressable (they answer 200).
	location string
	// create marks the command that opens an engagement.
	create bool
}

// The request headers of writes.
const (
	headerIfMatch        = "If-Match"
	headerIdempotencyKey = "Idempotency-Key"
	headerPosition       = "X-Candor-Position"
	headerReplayed       = "Idempotency-Replayed"
	headerETag           = "ETag"
)

// write returns the handler of one write operation.
func (s *Server) write(op writeOp) echo.HandlerFunc {
	typ := reflect.TypeOf(op.cmd)
	return func(c echo.Context) error {
		p := principal(c)
		if p.Role == auth.RoleAuditor {
			return newProblem(http.StatusForbidden, CodeReadOnlyRole, "auditors read, they do not write")
		}
		cmd := reflect.New(typ)
		if err := decodeBody(c, cmd.Interface()); err != nil {
			return err
		}
		// Path parameters name the things the command acts on.
		for i, name := range c.ParamNames() {
			if name == "engagement_id" {
				continue
			}
			if f, ok := jsonField(cmd.Elem(), name); ok {
				f.SetString(c.ParamValues()[i])
			}
		}
		key := c.Request().Header.Get(headerIdempotencyKey)
		engagementID := c.Param("engagement_id")
		if op.create {
			f, _ := jsonField(cmd.Elem(), "engagement_id")
			if f.String() == "" {
				f.SetString(newEngagementID(p.ID, key))
			}
			engagementID = f.String()
			opener := cmd.Elem().FieldByName("Opener")
			if sid := opener.FieldByName("StakeholderID"); sid.String() == "" {
				sid.SetString(newID())
			}
			opener.FieldByName("PrincipalID").SetString(p.ID)
		}
		if op.newID != "" {
			if f, ok := jsonField(cmd.Elem(), op.newID); ok && f.String() == "" {
				f.SetString(newID())
			}
		}
		// Only who may list principals (admins) is told that one does not
		// exist: anyone else gets the same answer for an unknown principal
		// as for a known one, which the registry is then not even asked
		// about. A stakeholder linked to an unknown principal is inert: no
		// token acts as it.
		if f, ok := jsonField(cmd.Elem(), "principal_id"); ok && f.String() != "" && !op.create && p.Role == auth.RoleAdmin {
			if _, err := s.auth.Principal(f.String()); err != nil {
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
		if key != "" {
			fp = fingerprint(c, p)
		}
		req := ledger.Request{
			EngagementID:   engagementID,
			Create:         op.create,
			IfMatch:        ifMatch,
			IdempotencyKey: key,
			Fingerprint:    fp,
			CorrelationID:  c.Response().Header().Get(echo.HeaderXRequestID),
			PrincipalID:    p.ID,
			Witness:        witness,
			Access:         writeAccess(p, op.create),
			Command: func(st *domain.Engagement) (domain.Command, error) {
				// A fresh copy each time: the ledger may decide again after a
				// concurrent append, against a newer state.
				v := reflect.New(typ).Elem()
				v.Set(cmd.Elem())
				if !op.create {
					sh, ok := st.StakeholderByPrincipal(p.ID)
					if !ok {
						return nil, notStakeholder(p)
					}
					v.FieldByName("ActorID").SetString(sh.ID)
				}
				return v.Interface().(domain.Command), nil
			},
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
		return s.writeResponse(ctx, c, op, res)
	}
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

// decodeBody decodes the (already validated) JSON body into v. Unknown
// fields are refused here too, in case the contract ever forgets
// additionalProperties: false.
func decodeBody(c echo.Context, v any) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err = dec.Decode(v)
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) && isInteger(ute.Type) {
		// 1e3 and 1000.0 are integers to the contract (and to
		// kin-openapi, which validated them), not to encoding/json.
		if b, changed := integralNumbers(body); changed {
			reflect.ValueOf(v).Elem().SetZero()
			dec = json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			err = dec.Decode(v)
		}
	}
	if err != nil {
		if errors.As(err, &ute) {
			p := newProblem(http.StatusUnprocessableEntity, CodeValidationFailed, "the request body does not match its schema")
			p.Errors = []FieldError{{Pointer: fieldPointer(ute.Field), Detail: "wrong type"}}
			return p
		}
		var pe *time.ParseError
		if errors.As(err, &pe) {
			return newProblem(http.StatusUnprocessableEntity, CodeValidationFailed, "a time is not RFC 3339")
		}
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			return newProblem(http.StatusUnprocessableEntity, CodeValidationFailed, err.Error())
		}
		return newProblem(http.StatusBadRequest, CodeMalformedJSON, "the body is not valid JSON")
	}
	// One JSON value and nothing else: `{...}}{` is not a valid body.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return newProblem(http.StatusBadRequest, CodeMalformedJSON, "the body has data after its JSON value")
	}
	return nil
}

func isInteger(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// integralNumbers rewrites the body's numbers that are integers written
// with a fraction or an exponent (1e3, 1000.0) as plain integers, as far
// as a float64 holds them exactly (2^53, the contract's bound): the value
// kin-openapi validated. It reports whether it changed any.
func integralNumbers(body []byte) ([]byte, bool) {
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	var out bytes.Buffer
	enc := jsontext.NewEncoder(&out)
	changed := false
	for {
		tok, err := dec.ReadToken()
		if errors.Is(err, io.EOF) {
			return out.Bytes(), changed
		}
		if err != nil {
			return nil, false
		}
		if tok.Kind() == '0' {
			if f, err := tok.Float(); err == nil && f == math.Trunc(f) && math.Abs(f) <= 1<<53 {
				if i := jsontext.Int(int64(f)); i.String() != tok.String() {
					tok, changed = i, true
				}
			}
		}
		if err := enc.WriteToken(tok); err != nil {
			return nil, false
		}
	}
}

// jsonField finds the settable string field of struct v whose JSON name is
// name, looking into embedded structs as encoding/json does.
func jsonField(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		sf := t.Field(i)
		tag, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if sf.Anonymous && tag == "" && sf.Type.Kind() == reflect.Struct {
			if f, ok := jsonField(v.Field(i), name); ok {
				return f, true
			}
			continue
		}
		if tag == name && sf.Type.Kind() == reflect.String && sf.IsExported() {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
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
func (s *Server) writeResponse(ctx context.Context, c echo.Context, op writeOp, res ledger.Result) error {
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
	if op.location != "" {
		h.Set(echo.HeaderLocation, resolveLocation(op.location, c, res.EngagementID, out.Events))
		status = http.StatusCreated
	}
	if _, pretty := c.QueryParams()["pretty"]; pretty || c.Echo().Debug {
		return c.JSON(status, out) // echo's indented form, on request
	}
	body, err := out.appendJSON(make([]byte, 0, 1024))
	if err != nil {
		return err
	}
	return c.JSONBlob(status, body)
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

// resolveLocation fills a location template from the path parameters, the
// engagement id, then the ids found in the recorded events' data.
func resolveLocation(tmpl string, c echo.Context, engagementID string, events []EventOut) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		j := strings.IndexByte(tmpl[i:], '}') + i
		name := tmpl[i+1 : j]
		b.WriteString(tmpl[:i])
		b.WriteString(locationParam(name, c, engagementID, events))
		tmpl = tmpl[j+1:]
	}
}

func locationParam(name string, c echo.Context, engagementID string, events []EventOut) string {
	if v := c.Param(name); v != "" {
		return v
	}
	if name == "engagement_id" {
		return engagementID
	}
	for _, e := range events {
		if v, ok := topLevelString(e.Data, name); ok && v != "" {
			return v
		}
	}
	return ""
}
