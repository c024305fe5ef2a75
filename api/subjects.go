package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/candor-ledger/candor/auth"
	"github.com/candor-ledger/candor/keystore"
	"github.com/candor-ledger/candor/personal"
)

// Personal is what the API needs of package personal (*personal.Service):
// opening the envelopes of personal fields in every response, erasure and
// access. Without it (Deps.Personal nil) responses pass as they are and
// the subject endpoints answer 503.
type Personal interface {
	Reveal(ctx context.Context, body []byte) ([]byte, error)
	Erase(ctx context.Context, subject, reason, principalID string) (personal.Erasure, bool, error)
	Facts(ctx context.Context, subject string) (personal.Facts, error)
}

// CodeKeyStoreUnavailable: personal data cannot be read, the key store is
// lost or corrupt (never shown as garbage, nor as an erasure).
const CodeKeyStoreUnavailable = "key_store_unavailable"

// sealedOperations answer the events as stored, envelopes included: their
// bodies are evidence, hashed byte for byte (docs/EVIDENCE.md §6).
var sealedOperations = map[string]bool{"exportEngagement": true}

// reveal opens the envelopes in what the handler writes: everything inside
// (store, state, read models, caches) holds ciphertext, so an erasure shows
// in the next response, whatever served it.
func (s *Server) reveal(next echo.HandlerFunc) echo.HandlerFunc {
	if s.personal == nil {
		return next
	}
	return func(c echo.Context) error {
		if r, ok := c.(*request); ok && r.route != nil && sealedOperations[r.route.Operation.OperationID] {
			return next(c)
		}
		res := c.Response()
		w := &revealWriter{ResponseWriter: res.Writer, ctx: c.Request().Context(), p: s.personal}
		res.Writer = w
		err := next(c)
		w.flushHeader()
		return err
	}
}

// revealWriter holds the status back until the first write, so that a body
// whose envelopes cannot be opened is answered 503 instead. Each Write is
// revealed on its own: handlers write a JSON body, or an SSE frame, whole.
type revealWriter struct {
	http.ResponseWriter
	ctx   context.Context
	p     Personal
	code  int
	wrote bool
}

func (w *revealWriter) WriteHeader(code int) {
	if !w.wrote && w.code == 0 {
		w.code = code
	}
}

func (w *revealWriter) flushHeader() {
	if w.wrote || w.code == 0 {
		return
	}
	w.wrote = true
	w.ResponseWriter.WriteHeader(w.code)
}

var keyStoreProblem = []byte(`{"type":"urn:candor:problem:key_store_unavailable","title":"Service Unavailable","status":503,` +
	`"detail":"personal data cannot be read: the key store is lost, replaced or corrupt","code":"key_store_unavailable"}`)

func (w *revealWriter) Write(b []byte) (int, error) {
	out, err := w.p.Reveal(w.ctx, b)
	if err != nil {
		if !w.wrote {
			h := w.Header()
			h.Del("Etag")
			h.Set(echo.HeaderContentType, "application/problem+json")
			w.code = http.StatusServiceUnavailable
			w.flushHeader()
			_, _ = w.ResponseWriter.Write(keyStoreProblem)
		}
		return 0, err
	}
	if w.code == 0 {
		w.code = http.StatusOK
	}
	w.flushHeader()
	if _, err := w.ResponseWriter.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (w *revealWriter) Flush() {
	w.flushHeader()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *revealWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) subjectError(err error) error {
	switch {
	case errors.Is(err, personal.ErrSubjectNotFound):
		return newProblem(http.StatusNotFound, CodeNotFound, "no such data subject")
	case errors.Is(err, personal.ErrReasonRequired):
		pr := newProblem(http.StatusUnprocessableEntity, CodeValidationFailed, "an erasure needs a reason")
		pr.Errors = []FieldError{{Pointer: "/reason", Detail: "required"}}
		return pr
	case errors.Is(err, keystore.ErrKeyMissing), errors.Is(err, personal.ErrUndecryptable):
		return newProblem(http.StatusServiceUnavailable, CodeKeyStoreUnavailable, "personal data cannot be read: the key store is lost, replaced or corrupt")
	}
	return err
}

func (s *Server) getSubject(c echo.Context) error {
	if s.personal == nil {
		return newProblem(http.StatusServiceUnavailable, CodeUnavailable, "personal data is not configured")
	}
	f, err := s.personal.Facts(c.Request().Context(), c.Param("subject_id"))
	p := principal(c)
	if err == nil && p.Role != auth.RoleAdmin && (f.PrincipalID == "" || f.PrincipalID != p.ID) {
		// Not theirs: as if it did not exist.
		err = personal.ErrSubjectNotFound
	}
	if err != nil {
		return s.subjectError(err)
	}
	return c.JSON(http.StatusOK, f)
}

func (s *Server) eraseSubject(c echo.Context) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	if s.personal == nil {
		return newProblem(http.StatusServiceUnavailable, CodeUnavailable, "personal data is not configured")
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	er, fresh, err := s.personal.Erase(c.Request().Context(), c.Param("subject_id"), body.Reason, principal(c).ID)
	if err != nil {
		return s.subjectError(err)
	}
	status := http.StatusOK
	if fresh {
		status = http.StatusCreated
	}
	return c.JSON(status, er)
}
