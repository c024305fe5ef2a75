package personal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/keystore"
	"github.com/candor-ledger/candor/ledger"
)

// Stream holds one subject.erased event per erasure: who erased whom
// (ids), when and why, never what. It is in the store, under the
// evidence, like every event.
const Stream = "candor.subjects"

// TypeSubjectErased is the type of an erasure's event.
const TypeSubjectErased = "subject.erased"

// Errors of the subject service.
var (
	// ErrSubjectNotFound: no stakeholder or expert of that id joined that
	// engagement (or the id is not a subject id).
	ErrSubjectNotFound = errors.New("personal: no such data subject")
	// ErrReasonRequired: an erasure says why.
	ErrReasonRequired = errors.New("personal: an erasure needs a reason")
)

// Erasure is the record of one erasure.
type Erasure struct {
	Subject     string    `json:"subject_id"`
	Reason      string    `json:"reason"`
	PrincipalID string    `json:"principal_id"` // who erased
	At          time.Time `json:"at"`
}

// Service erases subjects and gathers what is held about one.
type Service struct {
	store  eventstore.Store
	keys   *keystore.Store
	cipher *Cipher
	now    func() time.Time
}

// NewService returns the service and finishes any erasure whose event was
// stored but that the key store has not recorded as complete (a crash in
// between).
func NewService(ctx context.Context, store eventstore.Store, keys *keystore.Store) (*Service, error) {
	s := &Service{store: store, keys: keys, cipher: New(keys), now: time.Now}
	if err := s.Reconcile(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Cipher returns the service's cipher.
func (s *Service) Cipher() *Cipher { return s.cipher }

// Reconcile finishes every erasure recorded in the log that the key store
// has not completed; a completed one costs a look-up, not a read of its
// engagement.
func (s *Service) Reconcile(ctx context.Context) error {
	for from := uint64(0); ; {
		evs, err := s.store.ReadStream(ctx, Stream, eventstore.ReadStreamOptions{From: from, Limit: 1024})
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("personal: read erasures: %w", err)
		}
		for _, e := range evs {
			var er Erasure
			if err := json.Unmarshal(e.Data, &er); err != nil {
				return fmt.Errorf("personal: decode erasure at revision %d: %w", e.Revision, err)
			}
			done, err := s.keys.Completed(ctx, er.Subject)
			if err != nil {
				return err
			}
			if !done {
				if err := s.destroy(ctx, er.Subject, er.At, nil); err != nil {
					return err
				}
			}
		}
		if len(evs) < 1024 {
			return nil
		}
		from = evs[len(evs)-1].Revision + 1
	}
}

// Erase records the erasure of a subject, then destroys their keys: from
// then on every read shows their personal fields as ErasedValue. Erasing
// an erased subject returns the first erasure's record.
func (s *Service) Erase(ctx context.Context, subject, reason, principalID string) (Erasure, bool, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return Erasure{}, false, ErrReasonRequired
	}
	evs, err := s.find(ctx, subject)
	if err != nil {
		return Erasure{}, false, err
	}
	if prev, ok, err := s.erasure(ctx, subject); err != nil || ok {
		if ok {
			// Finish it, should a crash have interrupted it.
			var done bool
			if done, err = s.keys.Completed(ctx, subject); err == nil && !done {
				err = s.destroy(ctx, subject, prev.At, evs)
			}
		}
		return prev, false, err
	}
	er := Erasure{Subject: subject, Reason: reason, PrincipalID: principalID, At: s.now().UTC()}
	data, err := json.Marshal(er)
	if err != nil {
		return Erasure{}, false, fmt.Errorf("personal: encode erasure: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Erasure{}, false, fmt.Errorf("personal: event id: %w", err)
	}
	meta, _ := json.Marshal(map[string]string{"principal_id": principalID})
	// The event first: if the keys' destruction is lost to a crash,
	// NewService finishes it from the event.
	if _, err := s.store.Append(ctx, Stream, eventstore.Any(), eventstore.EventData{ID: id, Type: TypeSubjectErased, Data: data, Metadata: meta}); err != nil {
		return Erasure{}, false, fmt.Errorf("personal: record erasure: %w", err)
	}
	if err := s.destroy(ctx, subject, er.At, evs); err != nil {
		return Erasure{}, false, err
	}
	return er, true, nil
}

// destroy destroys the keys of a subject whose erasure is recorded: it
// tombstones them and destroys the keys bound to them (keystore.Erase),
// then destroys every key their envelopes in their engagement's stream
// name, whose bindings a crash may have lost, and records the erasure as
// complete (keystore.Complete). The stream is read after the tombstone, so
// that no key given to the subject escapes: one given before it is bound,
// in memory or in the file, or named by a stored event; none is given
// after it. known is the start of the stream, already read, or nil.
func (s *Service) destroy(ctx context.Context, subject string, at time.Time, known []eventstore.RecordedEvent) error {
	if err := s.keys.Erase(ctx, subject, at); err != nil {
		return err
	}
	var kids []int64
	if eng, _, ok := SplitSubject(subject); ok {
		from := uint64(0)
		if len(known) > 0 {
			from = known[len(known)-1].Revision + 1
		}
		rest, err := s.readStream(ctx, ledger.StreamName(eng), from)
		if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
			return err
		}
		for _, e := range append(known, rest...) {
			kids = append(kids, kidsOf(e, subject)...)
		}
	}
	return s.keys.Complete(ctx, subject, kids)
}

// kidsOf returns the kids that the envelopes of the subject's personal
// fields in e name. Only those fields: an envelope copied into a free text
// by a writer could name any kid.
func kidsOf(e eventstore.RecordedEvent, subject string) []int64 {
	fields := domain.PersonalFields(e.Type)
	if len(fields) == 0 {
		return nil
	}
	obj, err := decodeObject(e.Data)
	if err != nil {
		return nil
	}
	if sub, err := subjectOf(e.Type, obj); err != nil || sub != subject {
		return nil
	}
	var kids []int64
	for _, f := range fields {
		var v string
		if json.Unmarshal(obj[f], &v) != nil {
			continue
		}
		if env, err := parseEnvelope(v); err == nil && env.version == 2 && env.subject == subject && env.eventID == e.ID && env.field == f {
			kids = append(kids, env.kid)
		}
	}
	return kids
}

// erasure returns the recorded erasure of a subject, if any.
func (s *Service) erasure(ctx context.Context, subject string) (Erasure, bool, error) {
	for from := uint64(0); ; {
		evs, err := s.store.ReadStream(ctx, Stream, eventstore.ReadStreamOptions{From: from, Limit: 1024})
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return Erasure{}, false, nil
		}
		if err != nil {
			return Erasure{}, false, fmt.Errorf("personal: read erasures: %w", err)
		}
		for _, e := range evs {
			var er Erasure
			if err := json.Unmarshal(e.Data, &er); err == nil && er.Subject == subject {
				return er, true, nil
			}
		}
		if len(evs) < 1024 {
			return Erasure{}, false, nil
		}
		from = evs[len(evs)-1].Revision + 1
	}
}

// Facts is everything held about a subject: every event that names them,
// decrypted (or reading ErasedValue once they were erased).
type Facts struct {
	Subject      string     `json:"subject_id"`
	EngagementID string     `json:"engagement_id"`
	PrincipalID  string     `json:"principal_id,omitempty"` // the API identity the subject signs in with, if any
	Erased       bool       `json:"erased"`
	ErasedAt     *time.Time `json:"erased_at,omitempty"`
	Events       []Fact     `json:"events"`
}

// Fact is one event naming the subject.
type Fact struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Revision   uint64          `json:"revision"`
	Position   uint64          `json:"position"`
	RecordedAt time.Time       `json:"recorded_at"`
	Data       json.RawMessage `json:"data"`
}

// Facts gathers what is held about a subject.
func (s *Service) Facts(ctx context.Context, subject string) (Facts, error) {
	evs, err := s.find(ctx, subject)
	if err != nil {
		return Facts{}, err
	}
	eng, local, _ := SplitSubject(subject)
	out := Facts{Subject: subject, EngagementID: eng, Events: []Fact{}}
	if erased, at, err := s.keys.Erased(ctx, subject); err != nil {
		return Facts{}, err
	} else if erased {
		out.Erased, out.ErasedAt = true, &at
	}
	for _, e := range evs {
		if !names(e.Data, local) {
			continue
		}
		data, _, err := s.cipher.Open(ctx, e.ID, e.Type, e.Data)
		if err != nil {
			return Facts{}, fmt.Errorf("personal: open %s@%d: %w", e.Stream, e.Revision, err)
		}
		if e.Type == domain.TypeStakeholderJoined && out.PrincipalID == "" {
			var j struct {
				StakeholderID string `json:"stakeholder_id"`
				PrincipalID   string `json:"principal_id"`
			}
			if json.Unmarshal(e.Data, &j) == nil && j.StakeholderID == local {
				out.PrincipalID = j.PrincipalID
			}
		}
		out.Events = append(out.Events, Fact{ID: e.ID.String(), Type: e.Type, Revision: e.Revision, Position: uint64(e.Position), RecordedAt: e.RecordedAt, Data: data})
	}
	return out, nil
}

// find reads the subject's engagement and checks that the subject joined it.
func (s *Service) find(ctx context.Context, subject string) ([]eventstore.RecordedEvent, error) {
	eng, _, ok := SplitSubject(subject)
	if !ok {
		return nil, fmt.Errorf("%w: %q is not <id>@<engagement id>", ErrSubjectNotFound, subject)
	}
	all, err := s.readStream(ctx, ledger.StreamName(eng), 0)
	if errors.Is(err, eventstore.ErrStreamNotFound) {
		return nil, ErrSubjectNotFound
	}
	if err != nil {
		return nil, err
	}
	for _, e := range all {
		if sub, ok, err := SubjectOf(e.Type, e.Data); err == nil && ok && sub == subject {
			return all, nil
		}
	}
	return nil, ErrSubjectNotFound
}

// readStream reads a stream from a revision to its end.
func (s *Service) readStream(ctx context.Context, stream string, from uint64) ([]eventstore.RecordedEvent, error) {
	var all []eventstore.RecordedEvent
	for {
		evs, err := s.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{From: from, Limit: 4096})
		if errors.Is(err, eventstore.ErrStreamNotFound) && len(all) > 0 {
			return all, nil
		}
		if err != nil {
			return nil, fmt.Errorf("personal: read %s: %w", stream, err)
		}
		all = append(all, evs...)
		if len(evs) < 4096 {
			return all, nil
		}
		from = evs[len(evs)-1].Revision + 1
	}
}

// names reports whether an event's data holds id as a string value, at any
// depth (actor, recipients, participants, the stakeholder's own event...).
func names(data []byte, id string) bool {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case string:
			return x == id
		case []any:
			for _, y := range x {
				if walk(y) {
					return true
				}
			}
		case map[string]any:
			for k, y := range x {
				if k != "engagement_id" && walk(y) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// Reveal opens the envelopes of a response body (see Cipher.Reveal).
func (s *Service) Reveal(ctx context.Context, body []byte) ([]byte, error) {
	return s.cipher.Reveal(ctx, body)
}
