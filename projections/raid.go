package projections

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/candor-ledger/candor/domain"
	"github.com/candor-ledger/candor/ledger"
)

// The RAID register (risks, issues, dependencies) is one projection, with
// a document per risk, per difficulty (an issue) and per dependency, as
// the other registers keep one per item. Every *_days figure and whether a
// dependency is late are computed at query time from `now`; the
// transparency report's governance indicators are computed from the same
// documents.

// NameRAID is the RAID register's projection.
const NameRAID = "raid"

// Document kinds of the RAID register.
const (
	kindRisk       = "risk"
	kindIssue      = "issue"
	kindDependency = "dependency"
)

// RAIDRegister is an engagement's risks, issues (difficulties) and
// dependencies.
type RAIDRegister struct {
	EngagementID string           `json:"engagement_id"`
	AsOf         time.Time        `json:"as_of"`
	Risks        []RAIDRisk       `json:"risks"`
	Issues       []RAIDIssue      `json:"issues"`
	Dependencies []RAIDDependency `json:"dependencies"`
}

// RAIDRisk is one risk. Score is probability × impact; AgeDays runs from
// raised_at until now, or until it occurred or was closed.
type RAIDRisk struct {
	ID           string        `json:"id"`
	Title        string        `json:"title"`
	Description  string        `json:"description,omitempty"`
	Probability  int64         `json:"probability"`
	Impact       int64         `json:"impact"`
	Score        int64         `json:"score"`
	OwnerID      string        `json:"owner_id"`
	Response     string        `json:"response"`
	MilestoneID  string        `json:"milestone_id,omitempty"`
	Status       domain.Status `json:"status"` // open | escalated | occurred | closed
	RaisedBy     string        `json:"raised_by"`
	RaisedAt     time.Time     `json:"raised_at"`
	Reviews      int           `json:"reviews"`
	ReviewedAt   *time.Time    `json:"reviewed_at,omitempty"` // the last review
	EscalatedTo  string        `json:"escalated_to,omitempty"`
	EscalatedAt  *time.Time    `json:"escalated_at,omitempty"`
	DifficultyID string        `json:"difficulty_id,omitempty"` // the issue it became
	ClosedAt     *time.Time    `json:"closed_at,omitempty"`     // occurred or closed
	Reason       string        `json:"reason,omitempty"`
	AgeDays      float64       `json:"age_days"`
	// RaisedOccurredAt is when it is said to have been raised, if claimed.
	RaisedOccurredAt *time.Time `json:"raised_occurred_at,omitempty"`
}

// RAIDIssue is a difficulty and where its lifecycle stands. AgeDays runs
// from reported_at until now, or until it was resolved.
type RAIDIssue struct {
	ID          string          `json:"id"`
	Description string          `json:"description"`
	MilestoneID string          `json:"milestone_id,omitempty"`
	RiskID      string          `json:"risk_id,omitempty"` // the risk that became it
	Status      domain.Status   `json:"status"`            // open | resolved
	OwnerID     string          `json:"owner_id,omitempty"`
	Severity    domain.Severity `json:"severity,omitempty"`
	ReportedBy  string          `json:"reported_by"`
	ReportedAt  time.Time       `json:"reported_at"`
	AssignedAt  *time.Time      `json:"assigned_at,omitempty"`
	ResolvedBy  string          `json:"resolved_by,omitempty"`
	ResolvedAt  *time.Time      `json:"resolved_at,omitempty"`
	Resolution  string          `json:"resolution,omitempty"`
	AgeDays     float64         `json:"age_days"`
	// ReportedOccurredAt is when it is said to have been reported, if claimed.
	ReportedOccurredAt *time.Time `json:"reported_occurred_at,omitempty"`
}

// RAIDDependency is something owed to the engagement by a date. Late: unmet
// after due_date at now, or met after it; DaysLate is how far past the due
// date it is (or was met), 0 when not late.
type RAIDDependency struct {
	ID          string        `json:"id"`
	Title       string        `json:"title"`
	Description string        `json:"description,omitempty"`
	OwedBy      string        `json:"owed_by"`
	OwedByParty domain.Party  `json:"owed_by_party"`
	DueDate     time.Time     `json:"due_date"`
	MilestoneID string        `json:"milestone_id,omitempty"`
	Status      domain.Status `json:"status"` // open | met
	RaisedBy    string        `json:"raised_by"`
	RaisedAt    time.Time     `json:"raised_at"`
	MetBy       string        `json:"met_by,omitempty"`
	MetAt       *time.Time    `json:"met_at,omitempty"`
	Note        string        `json:"note,omitempty"`
	DelayIDs    []string      `json:"delay_ids"` // delays disclosed as caused by it
	Late        bool          `json:"late"`
	DaysLate    float64       `json:"days_late"`
	// RaisedOccurredAt is when it is said to have been raised, if claimed.
	RaisedOccurredAt *time.Time `json:"raised_occurred_at,omitempty"`
}

func applyRAID(t *txn, r *ledger.Recorded) error {
	h := r.Event.Head()
	eng := h.EngagementID
	risk := func(id string, change func(*RAIDRisk)) error {
		x, ok, err := load[RAIDRisk](t, kindRisk, eng, id)
		if err != nil {
			return err
		}
		if !ok {
			return unknown("risk", id)
		}
		change(x)
		t.put(kindRisk, eng, id, 0, "", x)
		return nil
	}
	issue := func(id string, change func(*RAIDIssue)) error {
		x, ok, err := load[RAIDIssue](t, kindIssue, eng, id)
		if err != nil {
			return err
		}
		if !ok {
			return unknown("difficulty", id)
		}
		change(x)
		t.put(kindIssue, eng, id, 0, "", x)
		return nil
	}
	dependency := func(id string, change func(*RAIDDependency)) error {
		x, ok, err := load[RAIDDependency](t, kindDependency, eng, id)
		if err != nil {
			return err
		}
		if !ok {
			return unknown("dependency", id)
		}
		change(x)
		t.put(kindDependency, eng, id, 0, "", x)
		return nil
	}
	at := h.At
	switch ev := r.Event.(type) {
	case *domain.RiskRaised:
		t.put(kindRisk, eng, ev.RiskID, seqOf(r), "", &RAIDRisk{ID: ev.RiskID, Title: ev.Title, Description: ev.Description,
			Probability: ev.Probability, Impact: ev.Impact, Score: ev.Probability * ev.Impact, OwnerID: ev.OwnerID, Response: ev.Response,
			MilestoneID: ev.MilestoneID, Status: domain.StatusOpen, RaisedBy: h.ActorID, RaisedAt: at, RaisedOccurredAt: h.Claimed()})
	case *domain.RiskReviewed:
		return risk(ev.RiskID, func(x *RAIDRisk) {
			x.Probability, x.Impact, x.Score = ev.Probability, ev.Impact, ev.Probability*ev.Impact
			if ev.Response != "" {
				x.Response = ev.Response
			}
			x.Reviews++
			x.ReviewedAt = ptr(at)
		})
	case *domain.RiskEscalated:
		return risk(ev.RiskID, func(x *RAIDRisk) {
			x.Status, x.EscalatedTo, x.EscalatedAt, x.Reason = domain.StatusEscalated, ev.EscalatedTo, ptr(at), ev.Reason
		})
	case *domain.RiskOccurred:
		if err := issue(ev.DifficultyID, func(x *RAIDIssue) { x.RiskID = ev.RiskID }); err != nil {
			return err
		}
		return risk(ev.RiskID, func(x *RAIDRisk) {
			x.Status, x.DifficultyID, x.ClosedAt = domain.StatusOccurred, ev.DifficultyID, ptr(at)
		})
	case *domain.RiskClosed:
		return risk(ev.RiskID, func(x *RAIDRisk) { x.Status, x.ClosedAt, x.Reason = domain.StatusClosed, ptr(at), ev.Reason })
	case *domain.DifficultyReported:
		t.put(kindIssue, eng, ev.DifficultyID, seqOf(r), "", &RAIDIssue{ID: ev.DifficultyID, Description: ev.Description,
			MilestoneID: ev.MilestoneID, Status: domain.StatusOpen, ReportedBy: h.ActorID, ReportedAt: at, ReportedOccurredAt: h.Claimed()})
	case *domain.DifficultyAssigned:
		return issue(ev.DifficultyID, func(x *RAIDIssue) { x.OwnerID, x.Severity, x.AssignedAt = ev.OwnerID, ev.Severity, ptr(at) })
	case *domain.DifficultyResolved:
		return issue(ev.DifficultyID, func(x *RAIDIssue) {
			x.Status, x.ResolvedBy, x.ResolvedAt, x.Resolution = domain.StatusResolved, h.ActorID, ptr(at), ev.Resolution
		})
	case *domain.DependencyRaised:
		t.put(kindDependency, eng, ev.DependencyID, seqOf(r), "", &RAIDDependency{ID: ev.DependencyID, Title: ev.Title,
			Description: ev.Description, OwedBy: ev.OwedBy, OwedByParty: ev.OwedByParty, DueDate: ev.DueDate, MilestoneID: ev.MilestoneID,
			Status: domain.StatusOpen, RaisedBy: h.ActorID, RaisedAt: at, DelayIDs: []string{}, RaisedOccurredAt: h.Claimed()})
	case *domain.DependencyMet:
		return dependency(ev.DependencyID, func(x *RAIDDependency) {
			x.Status, x.MetBy, x.MetAt, x.Note = domain.StatusMet, h.ActorID, ptr(at), ev.Note
		})
	case *domain.DelayDisclosed:
		if ev.DependencyID != "" {
			return dependency(ev.DependencyID, func(x *RAIDDependency) { x.DelayIDs = append(x.DelayIDs, ev.DelayID) })
		}
	default:
		return applyExceptions(t, r) // exceptions.go
	}
	return nil
}

// at fills the figures relative to now.
func (x *RAIDRisk) at(now time.Time) {
	end := now
	if x.ClosedAt != nil {
		end = *x.ClosedAt
	}
	x.AgeDays = days(end.Sub(x.RaisedAt))
}

func (x *RAIDIssue) at(now time.Time) {
	end := now
	if x.ResolvedAt != nil {
		end = *x.ResolvedAt
	}
	x.AgeDays = days(end.Sub(x.ReportedAt))
}

// at fills Late and DaysLate: as domain.Dependency.LateAt says, from the
// recorded moments.
func (x *RAIDDependency) at(now time.Time) {
	end := now
	if x.MetAt != nil {
		end = *x.MetAt
	}
	x.Late = end.After(x.DueDate)
	x.DaysLate = 0
	if x.Late {
		x.DaysLate = days(end.Sub(x.DueDate))
	}
}

// RAID returns the RAID register of an engagement at now.
func (e *Engine) RAID(ctx context.Context, id string, now time.Time) (RAIDRegister, error) {
	if err := e.exists(ctx, id); err != nil {
		return RAIDRegister{}, err
	}
	t, release, err := e.acquire(NameRAID)
	if err != nil {
		return RAIDRegister{}, err
	}
	defer release()
	now = now.UTC()
	reg := RAIDRegister{EngagementID: id, AsOf: now}
	if reg.Risks, err = readDocs[RAIDRisk](ctx, e.reads, t, id, kindRisk); err != nil {
		return reg, fmt.Errorf("projections: %w", err)
	}
	if reg.Issues, err = readDocs[RAIDIssue](ctx, e.reads, t, id, kindIssue); err != nil {
		return reg, fmt.Errorf("projections: %w", err)
	}
	if reg.Dependencies, err = readDocs[RAIDDependency](ctx, e.reads, t, id, kindDependency); err != nil {
		return reg, fmt.Errorf("projections: %w", err)
	}
	reg.Risks, reg.Issues, reg.Dependencies = nonNil(reg.Risks), nonNil(reg.Issues), nonNil(reg.Dependencies)
	for i := range reg.Risks {
		reg.Risks[i].at(now)
	}
	for i := range reg.Issues {
		reg.Issues[i].at(now)
	}
	for i := range reg.Dependencies {
		reg.Dependencies[i].at(now)
	}
	return reg, nil
}

// ---- indicators ---------------------------------------------------------------

// GovernanceIndicators are the transparency report's figures on risks,
// dependencies and difficulties (embedded in TransparencyReport).
type GovernanceIndicators struct {
	Risks        TransparencyRisks        `json:"risks"`
	Dependencies TransparencyDependencies `json:"dependencies"`
	Difficulties TransparencyDifficulties `json:"difficulties"`
	// Exceptions raised when a tolerance was passed, and breaches of the
	// communication cadences (exceptions.go).
	Exceptions TransparencyExceptions `json:"exceptions"`
	Cadence    TransparencyCadence    `json:"cadence"`
}

// TransparencyRisks: the open risks (open or escalated), the highest score
// first and, at equal scores, the oldest first; and how many occurred.
type TransparencyRisks struct {
	Open      int        `json:"open"`
	Escalated int        `json:"escalated"`
	Occurred  int        `json:"occurred"`
	ByScore   []OpenRisk `json:"by_score"`
}

// OpenRisk is a risk that can still happen.
type OpenRisk struct {
	EngagementID string        `json:"engagement_id"`
	ID           string        `json:"id"`
	Title        string        `json:"title"`
	Score        int64         `json:"score"`
	Status       domain.Status `json:"status"`
	OwnerID      string        `json:"owner_id"`
	Since        time.Time     `json:"since"`
	AgeDays      float64       `json:"age_days"`
}

// TransparencyDependencies: how many are open and late, and the client's
// late ones (unmet after their due date, or met after it), the latest
// first, with the delays said to have been caused by them.
type TransparencyDependencies struct {
	Open       int              `json:"open"`
	Late       int              `json:"late"`
	LateClient []LateDependency `json:"late_client"`
}

// LateDependency is a dependency past its due date.
type LateDependency struct {
	EngagementID string        `json:"engagement_id"`
	ID           string        `json:"id"`
	Title        string        `json:"title"`
	OwedBy       string        `json:"owed_by"`
	DueDate      time.Time     `json:"due_date"`
	Status       domain.Status `json:"status"`
	DaysLate     float64       `json:"days_late"`
	DelayIDs     []string      `json:"delay_ids"`
}

// TransparencyDifficulties: the open difficulties, oldest first, and how
// many have no owner yet.
type TransparencyDifficulties struct {
	Open       int              `json:"open"`
	Unassigned int              `json:"unassigned"`
	ByAge      []OpenDifficulty `json:"by_age"`
}

// OpenDifficulty is a difficulty not yet resolved.
type OpenDifficulty struct {
	EngagementID string          `json:"engagement_id"`
	ID           string          `json:"id"`
	Text         string          `json:"text"`
	Severity     domain.Severity `json:"severity,omitempty"`
	OwnerID      string          `json:"owner_id,omitempty"`
	Since        time.Time       `json:"since"`
	AgeDays      float64         `json:"age_days"`
}

// raidDocs are the RAID documents of some engagements.
type raidDocs struct {
	risks        map[string][]RAIDRisk
	issues       map[string][]RAIDIssue
	dependencies map[string][]RAIDDependency
	exceptions   map[string][]exceptionDoc
	cadences     map[string][]cadenceDoc
}

// readRAID reads the RAID documents of one engagement, or of all when id is
// empty.
func (e *Engine) readRAID(ctx context.Context, id string) (raidDocs, error) {
	d := raidDocs{risks: map[string][]RAIDRisk{}, issues: map[string][]RAIDIssue{}, dependencies: map[string][]RAIDDependency{},
		exceptions: map[string][]exceptionDoc{}, cadences: map[string][]cadenceDoc{}}
	t, release, err := e.acquire(NameRAID)
	if err != nil {
		return d, err
	}
	defer release()
	q := fmt.Sprintf(`SELECT eng, kind, data FROM %s WHERE kind IN (?, ?, ?, ?, ?) ORDER BY eng, seq, id`, t)
	args := []any{kindRisk, kindIssue, kindDependency, kindException, kindCadence}
	if id != "" {
		q = fmt.Sprintf(`SELECT eng, kind, data FROM %s WHERE eng = ? AND kind IN (?, ?, ?, ?, ?) ORDER BY eng, seq, id`, t)
		args = append([]any{id}, args...)
	}
	rows, err := e.reads.QueryContext(ctx, q, args...)
	if err != nil {
		return d, fmt.Errorf("projections: raid: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			eng, kind string
			data      []byte
		)
		if err := rows.Scan(&eng, &kind, &data); err != nil {
			return d, fmt.Errorf("projections: raid: %w", err)
		}
		switch kind {
		case kindRisk:
			var x RAIDRisk
			err = json.Unmarshal(data, &x)
			d.risks[eng] = append(d.risks[eng], x)
		case kindIssue:
			var x RAIDIssue
			err = json.Unmarshal(data, &x)
			d.issues[eng] = append(d.issues[eng], x)
		case kindDependency:
			var x RAIDDependency
			err = json.Unmarshal(data, &x)
			d.dependencies[eng] = append(d.dependencies[eng], x)
		default:
			err = decodeExceptionDoc(&d, eng, kind, data)
		}
		if err != nil {
			return d, fmt.Errorf("projections: raid: decode %s: %w", kind, err)
		}
	}
	if err := rows.Err(); err != nil {
		return d, fmt.Errorf("projections: raid: %w", err)
	}
	return d, nil
}

// governanceIndicators computes the governance figures of the report at now.
func governanceIndicators(d raidDocs, now time.Time) GovernanceIndicators {
	g := GovernanceIndicators{
		Risks:        TransparencyRisks{ByScore: []OpenRisk{}},
		Dependencies: TransparencyDependencies{LateClient: []LateDependency{}},
		Difficulties: TransparencyDifficulties{ByAge: []OpenDifficulty{}},
	}
	for eng, rs := range d.risks {
		for _, x := range rs {
			switch x.Status {
			case domain.StatusOccurred:
				g.Risks.Occurred++
				continue
			case domain.StatusClosed:
				continue
			case domain.StatusEscalated:
				g.Risks.Escalated++
			}
			g.Risks.Open++
			g.Risks.ByScore = append(g.Risks.ByScore, OpenRisk{EngagementID: eng, ID: x.ID, Title: x.Title, Score: x.Score,
				Status: x.Status, OwnerID: x.OwnerID, Since: x.RaisedAt, AgeDays: days(now.Sub(x.RaisedAt))})
		}
	}
	for eng, ds := range d.dependencies {
		for _, x := range ds {
			x.at(now)
			if x.Status == domain.StatusOpen {
				g.Dependencies.Open++
			}
			if !x.Late {
				continue
			}
			g.Dependencies.Late++
			if x.OwedByParty == domain.PartyClient {
				g.Dependencies.LateClient = append(g.Dependencies.LateClient, LateDependency{EngagementID: eng, ID: x.ID, Title: x.Title,
					OwedBy: x.OwedBy, DueDate: x.DueDate, Status: x.Status, DaysLate: x.DaysLate, DelayIDs: nonNil(x.DelayIDs)})
			}
		}
	}
	for eng, is := range d.issues {
		for _, x := range is {
			if x.Status == domain.StatusResolved {
				continue
			}
			g.Difficulties.Open++
			if x.OwnerID == "" {
				g.Difficulties.Unassigned++
			}
			g.Difficulties.ByAge = append(g.Difficulties.ByAge, OpenDifficulty{EngagementID: eng, ID: x.ID, Text: x.Description,
				Severity: x.Severity, OwnerID: x.OwnerID, Since: x.ReportedAt, AgeDays: days(now.Sub(x.ReportedAt))})
		}
	}
	key := func(eng, id string) string { return eng + "/" + id }
	g.Exceptions, g.Cadence = exceptionIndicators(d, now)
	slices.SortFunc(g.Risks.ByScore, func(a, b OpenRisk) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return strings.Compare(key(a.EngagementID, a.ID), key(b.EngagementID, b.ID))
	})
	slices.SortFunc(g.Dependencies.LateClient, func(a, b LateDependency) int {
		if c := cmp.Compare(b.DaysLate, a.DaysLate); c != 0 {
			return c
		}
		return strings.Compare(key(a.EngagementID, a.ID), key(b.EngagementID, b.ID))
	})
	slices.SortFunc(g.Difficulties.ByAge, func(a, b OpenDifficulty) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return strings.Compare(key(a.EngagementID, a.ID), key(b.EngagementID, b.ID))
	})
	return g
}

// withGovernance adds the governance indicators to a transparency report
// of one engagement (or all, id empty), at the report's as_of.
func (e *Engine) withGovernance(ctx context.Context, id string, rep TransparencyReport) (TransparencyReport, error) {
	d, err := e.readRAID(ctx, id)
	if err != nil {
		return TransparencyReport{}, err
	}
	rep.GovernanceIndicators = governanceIndicators(d, rep.AsOf)
	return rep, nil
}
