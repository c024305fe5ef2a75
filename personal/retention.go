package personal

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/eventstore"
	"github.com/candor-ledger/candor/ledger"
)

// Expiry is a subject whose engagement's retention period has passed.
// A subject belongs to one engagement (Subject), so its engagement is all
// the engagements its data is in; the same person in another engagement
// is another subject, with a key and a retention of its own.
type Expiry struct {
	Subject       string    `json:"subject_id"`
	EngagementID  string    `json:"engagement_id"`
	ClosedAt      time.Time `json:"closed_at"`
	RetentionDays int64     `json:"retention_days"`
	EndedAt       time.Time `json:"ended_at"` // ClosedAt + RetentionDays
}

// Reason is the reason recorded when the expiry is erased.
func (e Expiry) Reason() string {
	return fmt.Sprintf("retention of engagement %s ended on %s (%d days after its closing)",
		e.EngagementID, e.EndedAt.UTC().Format(time.DateOnly), e.RetentionDays)
}

// Expired returns the subjects, not yet erased, of every engagement closed
// with a retention period that ended at or before now, by engagement and
// subject. An engagement closed without one is kept until erasures are
// asked for.
func (s *Service) Expired(ctx context.Context, now time.Time) ([]Expiry, error) {
	type engagement struct {
		closedAt time.Time
		days     int64
		subjects []string
	}
	engs := map[string]*engagement{}
	of := func(id string) *engagement {
		e := engs[id]
		if e == nil {
			e = &engagement{}
			engs[id] = e
		}
		return e
	}
	for after := eventstore.Start; ; {
		evs, err := s.store.ReadAll(ctx, after, 4096)
		if err != nil {
			return nil, fmt.Errorf("personal: read the store: %w", err)
		}
		for _, e := range evs {
			if !strings.HasPrefix(e.Stream, ledger.StreamPrefix) {
				continue
			}
			switch {
			case e.Type == domain.TypeEngagementClosed:
				var c struct {
					EngagementID  string    `json:"engagement_id"`
					At            time.Time `json:"at"`
					RetentionDays int64     `json:"retention_days"`
				}
				if err := json.Unmarshal(e.Data, &c); err != nil {
					return nil, fmt.Errorf("personal: %s@%d: %w", e.Stream, e.Revision, err)
				}
				en := of(c.EngagementID)
				en.closedAt, en.days = c.At, c.RetentionDays
			case len(domain.PersonalFields(e.Type)) > 0:
				sub, _, err := SubjectOf(e.Type, e.Data)
				if err != nil {
					return nil, fmt.Errorf("personal: %s@%d: %w", e.Stream, e.Revision, err)
				}
				eng, _, _ := SplitSubject(sub)
				en := of(eng)
				en.subjects = append(en.subjects, sub)
			}
		}
		if len(evs) == 0 {
			break
		}
		after = evs[len(evs)-1].Position
	}
	var out []Expiry
	for id, en := range engs {
		if en.days == 0 {
			continue
		}
		ended := en.closedAt.AddDate(0, 0, int(en.days))
		if ended.After(now) {
			continue
		}
		for _, sub := range en.subjects {
			erased, _, err := s.keys.Erased(ctx, sub)
			if err != nil {
				return nil, err
			}
			if !erased {
				out = append(out, Expiry{Subject: sub, EngagementID: id, ClosedAt: en.closedAt, RetentionDays: en.days, EndedAt: ended})
			}
		}
	}
	slices.SortFunc(out, func(a, b Expiry) int {
		return strings.Compare(a.EngagementID+" "+a.Subject, b.EngagementID+" "+b.Subject)
	})
	return slices.CompactFunc(out, func(a, b Expiry) bool { return a.Subject == b.Subject }), nil
}
