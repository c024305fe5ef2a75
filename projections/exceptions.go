package projections

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/ledger"
)

// Exceptions and communication cadences are kept by the RAID register's
// projection, as documents of their own kinds, for the transparency
// report: how long the client takes to decide an exception, and how often
// a client-side stakeholder went without news for longer than agreed.

// Document kinds of exceptions and cadences.
const (
	kindException = "exception"
	kindCadence   = "cadence"
)

// exceptionDoc is an exception and when it was raised and decided.
type exceptionDoc struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"`
	TriggerID string     `json:"trigger_id"`
	RaisedAt  time.Time  `json:"raised_at"`
	DecidedAt *time.Time `json:"decided_at,omitempty"`
	Chosen    string     `json:"chosen,omitempty"`
}

// cadenceDoc is a client-side stakeholder's agreed cadence: since when, and
// when they were last informed; Breaches counts the gaps already closed
// that were longer than agreed.
type cadenceDoc struct {
	StakeholderID string    `json:"stakeholder_id"`
	EveryDays     int64     `json:"every_days"`
	Since         time.Time `json:"since"`
	Last          time.Time `json:"last"` // last informed, or Since
	Breaches      int       `json:"breaches"`
	Left          bool      `json:"left"`
}

func applyExceptions(t *txn, r *ledger.Recorded) error {
	h := r.Event.Head()
	eng, at := h.EngagementID, h.At
	switch ev := r.Event.(type) {
	case *domain.ExceptionRaised:
		t.put(kindException, eng, ev.ExceptionID, seqOf(r), "", &exceptionDoc{ID: ev.ExceptionID, Kind: ev.Kind, TriggerID: ev.TriggerID, RaisedAt: at})
	case *domain.ExceptionDecided:
		x, ok, err := load[exceptionDoc](t, kindException, eng, ev.ExceptionID)
		if err != nil {
			return err
		}
		if !ok {
			return unknown("exception", ev.ExceptionID)
		}
		x.DecidedAt, x.Chosen = ptr(at), ev.Chosen
		t.put(kindException, eng, ev.ExceptionID, 0, "", x)
	case *domain.CadenceAgreed:
		c, ok, err := load[cadenceDoc](t, kindCadence, eng, ev.StakeholderID)
		if err != nil {
			return err
		}
		if !ok {
			c = &cadenceDoc{StakeholderID: ev.StakeholderID}
		}
		// A cadence agreed again counts from then; the breaches stay.
		c.EveryDays, c.Since, c.Last = ev.EveryDays, at, at
		t.put(kindCadence, eng, ev.StakeholderID, seqOf(r), "", c)
	case *domain.ClientInformed:
		for _, id := range ev.Recipients {
			c, ok, err := load[cadenceDoc](t, kindCadence, eng, id)
			if err != nil {
				return err
			}
			if !ok || c.Left {
				continue
			}
			if at.Sub(c.Last) > everyOf(c) {
				c.Breaches++
			}
			c.Last = at
			t.put(kindCadence, eng, id, 0, "", c)
		}
	case *domain.StakeholderLeft:
		c, ok, err := load[cadenceDoc](t, kindCadence, eng, ev.StakeholderID)
		if err != nil || !ok {
			return err
		}
		c.Left = true
		t.put(kindCadence, eng, ev.StakeholderID, 0, "", c)
	}
	return nil
}

func everyOf(c *cadenceDoc) time.Duration { return time.Duration(c.EveryDays) * 24 * time.Hour }

// TransparencyExceptions: the exceptions raised when a tolerance was
// passed, the open ones oldest first, and how many days the client took
// to decide the others (from raised_at to decided_at).
type TransparencyExceptions struct {
	Open               int             `json:"open"`
	Decided            int             `json:"decided"`
	ByAge              []OpenException `json:"by_age"`
	MeanDaysToDecision *float64        `json:"mean_days_to_decision"`
	MaxDaysToDecision  *float64        `json:"max_days_to_decision"`
}

// OpenException is an exception the client has not decided yet.
type OpenException struct {
	EngagementID string    `json:"engagement_id"`
	ID           string    `json:"id"`
	Kind         string    `json:"kind"`
	TriggerID    string    `json:"trigger_id"`
	Since        time.Time `json:"since"`
	AgeDays      float64   `json:"age_days"`
}

// TransparencyCadence: breaches of the agreed communication cadences. A
// breach is a gap between two pieces of information reaching a
// client-side stakeholder (or between the agreement and the first) longer
// than agreed; Overdue lists those whose current gap already is, each
// counted in Breaches too.
type TransparencyCadence struct {
	Agreed   int              `json:"agreed"`
	Breaches int              `json:"breaches"`
	Overdue  []OverdueCadence `json:"overdue"`
}

// OverdueCadence is a client-side stakeholder not informed for longer
// than agreed.
type OverdueCadence struct {
	EngagementID  string    `json:"engagement_id"`
	StakeholderID string    `json:"stakeholder_id"`
	EveryDays     int64     `json:"every_days"`
	LastInformed  time.Time `json:"last_informed"` // or when the cadence was agreed
	DaysSince     float64   `json:"days_since"`
}

// exceptionIndicators computes the exception and cadence figures at now.
func exceptionIndicators(d raidDocs, now time.Time) (TransparencyExceptions, TransparencyCadence) {
	ex := TransparencyExceptions{ByAge: []OpenException{}}
	ca := TransparencyCadence{Overdue: []OverdueCadence{}}
	var sum float64
	for eng, xs := range d.exceptions {
		for _, x := range xs {
			if x.DecidedAt == nil {
				ex.Open++
				ex.ByAge = append(ex.ByAge, OpenException{EngagementID: eng, ID: x.ID, Kind: x.Kind, TriggerID: x.TriggerID,
					Since: x.RaisedAt, AgeDays: days(now.Sub(x.RaisedAt))})
				continue
			}
			ex.Decided++
			n := days(x.DecidedAt.Sub(x.RaisedAt))
			sum += n
			if ex.MaxDaysToDecision == nil || n > *ex.MaxDaysToDecision {
				ex.MaxDaysToDecision = ptr(n)
			}
		}
	}
	if ex.Decided > 0 {
		ex.MeanDaysToDecision = ptr(sum / float64(ex.Decided))
	}
	for eng, cs := range d.cadences {
		for _, c := range cs {
			if c.Left {
				continue
			}
			ca.Agreed++
			ca.Breaches += c.Breaches
			if now.Sub(c.Last) > everyOf(&c) {
				ca.Breaches++
				ca.Overdue = append(ca.Overdue, OverdueCadence{EngagementID: eng, StakeholderID: c.StakeholderID, EveryDays: c.EveryDays,
					LastInformed: c.Last, DaysSince: days(now.Sub(c.Last))})
			}
		}
	}
	key := func(eng, id string) string { return eng + "/" + id }
	slices.SortFunc(ex.ByAge, func(a, b OpenException) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return strings.Compare(key(a.EngagementID, a.ID), key(b.EngagementID, b.ID))
	})
	slices.SortFunc(ca.Overdue, func(a, b OverdueCadence) int {
		if c := cmp.Compare(b.DaysSince, a.DaysSince); c != 0 {
			return c
		}
		return strings.Compare(key(a.EngagementID, a.StakeholderID), key(b.EngagementID, b.StakeholderID))
	})
	return ex, ca
}

// decodeExceptionDoc reads a document of the kinds above into d.
func decodeExceptionDoc(d *raidDocs, eng, kind string, data []byte) error {
	switch kind {
	case kindException:
		var x exceptionDoc
		if err := json.Unmarshal(data, &x); err != nil {
			return fmt.Errorf("decode %s: %w", kind, err)
		}
		d.exceptions[eng] = append(d.exceptions[eng], x)
	case kindCadence:
		var x cadenceDoc
		if err := json.Unmarshal(data, &x); err != nil {
			return fmt.Errorf("decode %s: %w", kind, err)
		}
		d.cadences[eng] = append(d.cadences[eng], x)
	}
	return nil
}
