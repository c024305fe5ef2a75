package projections

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/candor-ledger/candor/internal/jsonenc"
)

// Encoders of the documents a rebuild writes most (one or more per item of
// an engagement: requirements, assumptions, changes, features, milestones,
// delays, decisions, informations...). Each step of a rebuild encodes every
// document it changed, under the write lock, before the next step can be
// staged: encoding/json's reflection made that a tenth of a rebuild. These
// write exactly what encoding/json writes (a test compares the two, field
// by field), so stored documents do not change.

func appendJSONFloat(b []byte, f float64) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		q, err := json.Marshal(f) // the error encoding/json gives
		return append(b, q...), err
	}
	// As encoding/json: %f, or %e far from 1, with a short exponent.
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// appendJSONStrings appends a list of strings: null when nil, as
// encoding/json does.
func appendJSONStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, s)
	}
	return append(b, ']')
}

func appendJSONBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendStringField appends name (the key, with its comma or brace) and the
// string s.
func appendStringField(b []byte, name string, s string) []byte {
	b = append(b, name...)
	return jsonenc.AppendString(b, s)
}

// appendTimeField appends name and the time t.
func appendTimeField(b []byte, name string, t time.Time) ([]byte, error) {
	b = append(b, name...)
	return jsonenc.AppendTime(b, t)
}

// appendOptTime appends name and *t, nothing when t is nil (omitempty).
func appendOptTime(b []byte, name string, t *time.Time) ([]byte, error) {
	if t == nil {
		return b, nil
	}
	return appendTimeField(b, name, *t)
}

// appendOptFloat appends name and *f, nothing when f is nil (omitempty).
func appendOptFloat(b []byte, name string, f *float64) ([]byte, error) {
	if f == nil {
		return b, nil
	}
	b = append(b, name...)
	return appendJSONFloat(b, *f)
}

// appendSlice appends a list of documents: null when nil.
func appendSlice[T any, P interface {
	*T
	jsonAppender
}](b []byte, list []T) ([]byte, error) {
	if list == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i := range list {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = P(&list[i]).appendJSON(b); err != nil {
			return b, err
		}
	}
	return append(b, ']'), nil
}

func (r *Requirement) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendStringField(b, `{"id":`, r.ID)
	b = appendStringField(b, `,"title":`, r.Title)
	if r.Description != "" {
		b = appendStringField(b, `,"description":`, r.Description)
	}
	b = appendStringField(b, `,"origin":`, r.Origin)
	if r.DeliveryID != "" {
		b = appendStringField(b, `,"delivery_id":`, r.DeliveryID)
	}
	b = appendStringField(b, `,"raised_by":`, r.RaisedBy)
	if b, err = appendTimeField(b, `,"raised_at":`, r.RaisedAt); err != nil {
		return b, err
	}
	b = append(b, `,"clarified":`...)
	b = appendJSONBool(b, r.Clarified)
	b = append(b, `,"questions":`...)
	if b, err = appendSlice(b, r.Questions); err != nil {
		return b, err
	}
	b = append(b, `,"clarifications":`...)
	if b, err = appendSlice(b, r.Clarifications); err != nil {
		return b, err
	}
	b = append(b, `,"changes":`...)
	if b, err = appendSlice(b, r.Changes); err != nil {
		return b, err
	}
	if len(r.DeliveredIn) > 0 {
		b = append(b, `,"delivered_in":`...)
		b = appendJSONStrings(b, r.DeliveredIn)
	}
	if b, err = appendOptTime(b, `,"raised_occurred_at":`, r.RaisedOccurredAt); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (q *Question) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendStringField(b, `{"id":`, q.ID)
	b = appendStringField(b, `,"text":`, q.Text)
	b = appendStringField(b, `,"status":`, string(q.Status))
	b = appendStringField(b, `,"asked_by":`, q.AskedBy)
	if b, err = appendTimeField(b, `,"asked_at":`, q.AskedAt); err != nil {
		return b, err
	}
	if q.Answer != "" {
		b = appendStringField(b, `,"answer":`, q.Answer)
	}
	if q.AnsweredBy != "" {
		b = appendStringField(b, `,"answered_by":`, q.AnsweredBy)
	}
	if q.AnsweredAt != nil {
		if b, err = appendTimeField(b, `,"answered_at":`, *q.AnsweredAt); err != nil {
			return b, err
		}
	}
	b = append(b, `,"age_days":`...)
	if b, err = appendJSONFloat(b, q.AgeDays); err != nil {
		return b, err
	}
	if b, err = appendOptTime(b, `,"asked_occurred_at":`, q.AskedOccurredAt); err != nil {
		return b, err
	}
	if b, err = appendOptTime(b, `,"answered_occurred_at":`, q.AnsweredOccurredAt); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (c *Clarification) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendStringField(b, `{"text":`, c.Text)
	if c.QuestionID != "" {
		b = appendStringField(b, `,"question_id":`, c.QuestionID)
	}
	b = appendStringField(b, `,"clarified_by":`, c.ClarifiedBy)
	if b, err = appendTimeField(b, `,"clarified_at":`, c.ClarifiedAt); err != nil {
		return b, err
	}
	if c.AnsweredBy != "" {
		b = appendStringField(b, `,"answered_by":`, c.AnsweredBy)
	}
	if c.QuotedAnswer != "" {
		b = appendStringField(b, `,"answer":`, c.QuotedAnswer)
	}
	if b, err = appendOptTime(b, `,"clarified_occurred_at":`, c.ClarifiedOccurredAt); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (c *Change) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendStringField(b, `{"id":`, c.ID)
	if c.RequirementID != "" {
		b = appendStringField(b, `,"requirement_id":`, c.RequirementID)
	}
	b = appendStringField(b, `,"description":`, c.Description)
	if c.Reason != "" {
		b = appendStringField(b, `,"reason":`, c.Reason)
	}
	b = appendStringField(b, `,"status":`, string(c.Status))
	b = appendStringField(b, `,"requested_by":`, c.RequestedBy)
	if b, err = appendTimeField(b, `,"requested_at":`, c.RequestedAt); err != nil {
		return b, err
	}
	if c.DecidedBy != "" {
		b = appendStringField(b, `,"decided_by":`, c.DecidedBy)
	}
	if c.DecidedAt != nil {
		if b, err = appendTimeField(b, `,"decided_at":`, *c.DecidedAt); err != nil {
			return b, err
		}
	}
	if c.Comment != "" {
		b = appendStringField(b, `,"comment":`, c.Comment)
	}
	if b, err = appendOptTime(b, `,"requested_occurred_at":`, c.RequestedOccurredAt); err != nil {
		return b, err
	}
	if b, err = appendOptTime(b, `,"decided_occurred_at":`, c.DecidedOccurredAt); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (a *Assumption) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendStringField(b, `{"id":`, a.ID)
	if a.RequirementID != "" {
		b = appendStringField(b, `,"requirement_id":`, a.RequirementID)
	}
	b = appendStringField(b, `,"statement":`, a.Statement)
	b = appendStringField(b, `,"status":`, string(a.Status))
	b = appendStringField(b, `,"made_by":`, a.MadeBy)
	if b, err = appendTimeField(b, `,"made_at":`, a.MadeAt); err != nil {
		return b, err
	}
	if a.ResolvedBy != "" {
		b = appendStringField(b, `,"resolved_by":`, a.ResolvedBy)
	}
	if a.ResolvedAt != nil {
		if b, err = appendTimeField(b, `,"resolved_at":`, *a.ResolvedAt); err != nil {
			return b, err
		}
	}
	if a.Comment != "" {
		b = appendStringField(b, `,"comment":`, a.Comment)
	}
	b = append(b, `,"age_days":`...)
	if b, err = appendJSONFloat(b, a.AgeDays); err != nil {
		return b, err
	}
	if b, err = appendOptTime(b, `,"made_occurred_at":`, a.MadeOccurredAt); err != nil {
		return b, err
	}
	if b, err = appendOptTime(b, `,"resolved_occurred_at":`, a.ResolvedOccurredAt); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (f *Feature) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendStringField(b, `{"id":`, f.ID)
	b = appendStringField(b, `,"title":`, f.Title)
	if f.Description != "" {
		b = appendStringField(b, `,"description":`, f.Description)
	}
	b = appendStringField(b, `,"status":`, string(f.Status))
	b = appendStringField(b, `,"proposed_by":`, f.ProposedBy)
	if b, err = appendTimeField(b, `,"proposed_at":`, f.ProposedAt); err != nil {
		return b, err
	}
	if f.DecidedBy != "" {
		b = appendStringField(b, `,"decided_by":`, f.DecidedBy)
	}
	if f.DecidedAt != nil {
		if b, err = appendTimeField(b, `,"decided_at":`, *f.DecidedAt); err != nil {
			return b, err
		}
	}
	if len(f.DeliveredIn) > 0 {
		b = append(b, `,"delivered_in":`...)
		b = appendJSONStrings(b, f.DeliveredIn)
	}
	if b, err = appendOptTime(b, `,"proposed_occurred_at":`, f.ProposedOccurredAt); err != nil {
		return b, err
	}
	if b, err = appendOptTime(b, `,"decided_occurred_at":`, f.DecidedOccurredAt); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (m *Milestone) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendStringField(b, `{"id":`, m.ID)
	b = appendStringField(b, `,"title":`, m.Title)
	if b, err = appendTimeField(b, `,"original_due_date":`, m.OriginalDueDate); err != nil {
		return b, err
	}
	if b, err = appendTimeField(b, `,"due_date":`, m.DueDate); err != nil {
		return b, err
	}
	b = appendStringField(b, `,"planned_by":`, m.PlannedBy)
	if b, err = appendTimeField(b, `,"planned_at":`, m.PlannedAt); err != nil {
		return b, err
	}
	b = append(b, `,"delays":`...)
	b = strconv.AppendInt(b, int64(m.Delays), 10)
	if b, err = appendOptTime(b, `,"planned_occurred_at":`, m.PlannedOccurredAt); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (d *Delay) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendStringField(b, `{"id":`, d.ID)
	b = appendStringField(b, `,"milestone_id":`, d.MilestoneID)
	b = appendStringField(b, `,"milestone_title":`, d.MilestoneTitle)
	if b, err = appendTimeField(b, `,"original_due_date":`, d.OriginalDueDate); err != nil {
		return b, err
	}
	if b, err = appendTimeField(b, `,"previous_due_date":`, d.PreviousDueDate); err != nil {
		return b, err
	}
	if b, err = appendTimeField(b, `,"new_due_date":`, d.NewDueDate); err != nil {
		return b, err
	}
	b = appendStringField(b, `,"reason":`, d.Reason)
	b = appendStringField(b, `,"disclosed_by":`, d.DisclosedBy)
	if b, err = appendTimeField(b, `,"disclosed_at":`, d.DisclosedAt); err != nil {
		return b, err
	}
	b = append(b, `,"lead_time_days":`...)
	if b, err = appendJSONFloat(b, d.LeadTimeDays); err != nil {
		return b, err
	}
	b = append(b, `,"disclosed_after_due":`...)
	b = appendJSONBool(b, d.DisclosedAfterDue)
	if b, err = appendOptTime(b, `,"disclosed_occurred_at":`, d.DisclosedOccurredAt); err != nil {
		return b, err
	}
	if b, err = appendOptFloat(b, `,"claimed_lead_time_days":`, d.ClaimedLeadTimeDays); err != nil {
		return b, err
	}
	if b, err = appendOptFloat(b, `,"recording_gap_days":`, d.RecordingGapDays); err != nil {
		return b, err
	}
	if d.DependencyID != "" {
		b = appendStringField(b, `,"dependency_id":`, d.DependencyID)
	}
	if d.DependencyLate {
		b = append(b, `,"dependency_late":true`...)
	}
	if d.DependencyParty != "" {
		b = appendStringField(b, `,"dependency_party":`, string(d.DependencyParty))
	}
	return append(b, '}'), nil
}

func (d *Decision) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendStringField(b, `{"id":`, d.ID)
	b = appendStringField(b, `,"title":`, d.Title)
	b = appendStringField(b, `,"kind":`, string(d.Kind))
	b = append(b, `,"options":`...)
	b = appendJSONStrings(b, d.Options)
	b = appendStringField(b, `,"chosen":`, d.Chosen)
	if d.Rationale != "" {
		b = appendStringField(b, `,"rationale":`, d.Rationale)
	}
	b = append(b, `,"participants":`...)
	if b, err = appendSlice(b, d.Participants); err != nil {
		return b, err
	}
	b = append(b, `,"client_participants":`...)
	if b, err = appendSlice(b, d.ClientParticipants); err != nil {
		return b, err
	}
	b = append(b, `,"without_client":`...)
	b = appendJSONBool(b, d.WithoutClient)
	if len(d.About) > 0 {
		b = append(b, `,"about":`...)
		b = appendJSONStrings(b, d.About)
	}
	b = appendStringField(b, `,"decided_by":`, d.DecidedBy)
	if b, err = appendTimeField(b, `,"decided_at":`, d.DecidedAt); err != nil {
		return b, err
	}
	if b, err = appendOptTime(b, `,"decided_occurred_at":`, d.DecidedOccurredAt); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

// appendFields appends the person's fields, without braces.
func (p *Person) appendFields(b []byte) []byte {
	b = appendStringField(b, `"id":`, p.ID)
	if p.Name != "" {
		b = appendStringField(b, `,"name":`, p.Name)
	}
	if p.Party != "" {
		b = appendStringField(b, `,"party":`, string(p.Party))
	}
	return b
}

func (p *Person) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	return append(p.appendFields(b), '}'), nil
}

func (r *Recipient) appendJSON(b []byte) ([]byte, error) {
	b = append(b, '{')
	b = r.Person.appendFields(b)
	var err error
	if b, err = appendOptTime(b, `,"acknowledged_at":`, r.AcknowledgedAt); err != nil {
		return b, err
	}
	if b, err = appendOptTime(b, `,"acknowledged_occurred_at":`, r.AcknowledgedOccurredAt); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (in *Information) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendStringField(b, `{"id":`, in.ID)
	b = appendStringField(b, `,"subject":`, in.Subject)
	if in.Summary != "" {
		b = appendStringField(b, `,"summary":`, in.Summary)
	}
	b = appendStringField(b, `,"channel":`, string(in.Channel))
	if len(in.About) > 0 {
		b = append(b, `,"about":`...)
		b = appendJSONStrings(b, in.About)
	}
	b = appendStringField(b, `,"informed_by":`, in.InformedBy)
	if b, err = appendTimeField(b, `,"informed_at":`, in.InformedAt); err != nil {
		return b, err
	}
	b = append(b, `,"recipients":`...)
	if b, err = appendSlice(b, in.Recipients); err != nil {
		return b, err
	}
	b = append(b, `,"acknowledged_by":`...)
	b = appendJSONStrings(b, in.AcknowledgedBy)
	b = append(b, `,"not_acknowledged":`...)
	b = appendJSONStrings(b, in.NotAcknowledged)
	if b, err = appendOptTime(b, `,"informed_occurred_at":`, in.InformedOccurredAt); err != nil {
		return b, err
	}
	if b, err = appendOptFloat(b, `,"recording_gap_days":`, in.RecordingGapDays); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (d *infoDoc) appendJSON(b []byte) ([]byte, error) {
	b = appendStringField(b, `{"subject":`, d.Subject)
	b = appendStringField(b, `,"channel":`, string(d.Channel))
	return append(b, '}'), nil
}

func (s *EngagementSummary) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendStringField(b, `{"id":`, s.ID)
	b = appendStringField(b, `,"title":`, s.Title)
	if s.Description != "" {
		b = appendStringField(b, `,"description":`, s.Description)
	}
	b = appendStringField(b, `,"phase":`, string(s.Phase))
	b = append(b, `,"parties":`...)
	if b, err = appendSlice(b, s.Parties); err != nil {
		return b, err
	}
	b = append(b, `,"counts":`...)
	b = s.Counts.appendJSON(b)
	if b, err = appendTimeField(b, `,"opened_at":`, s.OpenedAt); err != nil {
		return b, err
	}
	b = appendStringField(b, `,"opened_by":`, s.OpenedBy)
	if s.ClosedAt != nil {
		if b, err = appendTimeField(b, `,"closed_at":`, *s.ClosedAt); err != nil {
			return b, err
		}
	}
	if b, err = appendTimeField(b, `,"last_activity_at":`, s.LastActivityAt); err != nil {
		return b, err
	}
	b = appendStringField(b, `,"last_event_type":`, s.LastEventType)
	b = append(b, `,"revision":`...)
	b = strconv.AppendUint(b, s.Revision, 10)
	b = append(b, `,"position":`...)
	b = strconv.AppendUint(b, uint64(s.Position), 10)
	return append(b, '}'), nil
}

func (p *PartyView) appendJSON(b []byte) ([]byte, error) {
	b = appendStringField(b, `{"party":`, string(p.Party))
	b = appendStringField(b, `,"name":`, p.Name)
	if p.Perimeter != nil {
		b = append(b, `,"perimeter":`...)
		var err error
		if b, err = p.Perimeter.appendJSON(b); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func (p *Perimeter) appendJSON(b []byte) ([]byte, error) {
	b = appendStringField(b, `{"description":`, p.Description)
	if len(p.Includes) > 0 {
		b = append(b, `,"includes":`...)
		b = appendJSONStrings(b, p.Includes)
	}
	if len(p.Excludes) > 0 {
		b = append(b, `,"excludes":`...)
		b = appendJSONStrings(b, p.Excludes)
	}
	b, err := appendTimeField(b, `,"defined_at":`, p.DefinedAt)
	if err != nil {
		return b, err
	}
	if b, err = appendOptTime(b, `,"defined_occurred_at":`, p.DefinedOccurredAt); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (c *Counts) appendJSON(b []byte) []byte {
	for _, f := range [...]struct {
		name string
		n    int
	}{
		{`{"events":`, c.Events}, {`,"stakeholders":`, c.Stakeholders}, {`,"requirements":`, c.Requirements},
		{`,"open_questions":`, c.OpenQuestions}, {`,"open_assumptions":`, c.OpenAssumptions}, {`,"open_changes":`, c.OpenChanges},
		{`,"features_proposed":`, c.FeaturesProposed}, {`,"milestones":`, c.Milestones}, {`,"delays":`, c.Delays},
		{`,"decisions":`, c.Decisions}, {`,"informations":`, c.Informations}, {`,"indicators":`, c.Indicators},
		{`,"deliveries":`, c.Deliveries}, {`,"deliveries_awaiting":`, c.DeliveriesAwaiting},
	} {
		b = append(b, f.name...)
		b = strconv.AppendInt(b, int64(f.n), 10)
	}
	return append(b, '}')
}

func (in *Indicator) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendStringField(b, `{"id":`, in.ID)
	b = appendStringField(b, `,"name":`, in.Name)
	if in.Unit != "" {
		b = appendStringField(b, `,"unit":`, in.Unit)
	}
	b = append(b, `,"target":`...)
	if b, err = appendJSONFloat(b, in.Target); err != nil {
		return b, err
	}
	b = appendStringField(b, `,"direction":`, string(in.Direction))
	if in.WorkshopID != "" {
		b = appendStringField(b, `,"workshop_id":`, in.WorkshopID)
	}
	b = appendStringField(b, `,"defined_by":`, in.DefinedBy)
	if b, err = appendTimeField(b, `,"defined_at":`, in.DefinedAt); err != nil {
		return b, err
	}
	b = append(b, `,"measurements":`...)
	if b, err = appendSlice(b, in.Measurements); err != nil {
		return b, err
	}
	if in.Latest != nil {
		b = append(b, `,"latest":`...)
		if b, err = in.Latest.appendJSON(b); err != nil {
			return b, err
		}
	}
	b = appendStringField(b, `,"status":`, in.Status)
	if b, err = appendOptTime(b, `,"defined_occurred_at":`, in.DefinedOccurredAt); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (m *Measurement) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendStringField(b, `{"id":`, m.ID)
	b = append(b, `,"value":`...)
	if b, err = appendJSONFloat(b, m.Value); err != nil {
		return b, err
	}
	if b, err = appendTimeField(b, `,"measured_at":`, m.MeasuredAt); err != nil {
		return b, err
	}
	if m.Note != "" {
		b = appendStringField(b, `,"note":`, m.Note)
	}
	b = appendStringField(b, `,"recorded_by":`, m.RecordedBy)
	if b, err = appendTimeField(b, `,"recorded_at":`, m.RecordedAt); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (s *Stakeholder) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendStringField(b, `{"id":`, s.ID)
	b = appendStringField(b, `,"party":`, string(s.Party))
	b = appendStringField(b, `,"name":`, s.Name)
	if s.Email != "" {
		b = appendStringField(b, `,"email":`, s.Email)
	}
	if s.Role != "" {
		b = appendStringField(b, `,"role":`, s.Role)
	}
	if s.PrincipalID != "" {
		b = appendStringField(b, `,"principal_id":`, s.PrincipalID)
	}
	if b, err = appendTimeField(b, `,"joined_at":`, s.JoinedAt); err != nil {
		return b, err
	}
	b = append(b, `,"late":`...)
	b = appendJSONBool(b, s.Late)
	if s.BriefedAt != nil {
		if b, err = appendTimeField(b, `,"briefed_at":`, *s.BriefedAt); err != nil {
			return b, err
		}
	}
	if s.BriefedBy != "" {
		b = appendStringField(b, `,"briefed_by":`, s.BriefedBy)
	}
	if s.BriefingSummary != "" {
		b = appendStringField(b, `,"briefing_summary":`, s.BriefingSummary)
	}
	if s.LeftAt != nil {
		if b, err = appendTimeField(b, `,"left_at":`, *s.LeftAt); err != nil {
			return b, err
		}
	}
	b = append(b, `,"never_briefed":`...)
	b = appendJSONBool(b, s.NeverBriefed)
	for _, f := range [...]struct {
		name string
		t    *time.Time
	}{{`,"joined_occurred_at":`, s.JoinedOccurredAt}, {`,"briefed_occurred_at":`, s.BriefedOccurredAt}, {`,"left_occurred_at":`, s.LeftOccurredAt}} {
		if b, err = appendOptTime(b, f.name, f.t); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendMap appends a map of documents with its keys sorted, as
// encoding/json does: null when nil.
func appendMap[T any, P interface {
	*T
	jsonAppender
}](b []byte, m map[string]T) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, k)
		b = append(b, ':')
		v := m[k]
		var err error
		if b, err = P(&v).appendJSON(b); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

func (s *statsDoc) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendStringField(b, `{"title":`, s.Title)
	b = appendStringField(b, `,"phase":`, string(s.Phase))
	b = append(b, `,"delays":`...)
	if b, err = appendSlice(b, s.Delays); err != nil {
		return b, err
	}
	b = append(b, `,"open_assumptions":`...)
	if b, err = appendMap(b, s.OpenAssumptions); err != nil {
		return b, err
	}
	b = append(b, `,"open_questions":`...)
	if b, err = appendMap(b, s.OpenQuestions); err != nil {
		return b, err
	}
	if s.LastClientInformedAt != nil {
		if b, err = appendTimeField(b, `,"last_client_informed_at":`, *s.LastClientInformedAt); err != nil {
			return b, err
		}
	}
	b = append(b, `,"pending":`...)
	if b, err = appendMap(b, s.Pending); err != nil {
		return b, err
	}
	b = append(b, `,"decisions":`...)
	b = strconv.AppendInt(b, int64(s.Decisions), 10)
	b = append(b, `,"without_client":`...)
	if b, err = appendSlice(b, s.WithoutClient); err != nil {
		return b, err
	}
	b = append(b, `,"features":`...)
	if b, err = appendMap(b, s.Features); err != nil {
		return b, err
	}
	b = append(b, `,"people":`...)
	if b, err = appendMap(b, s.People); err != nil {
		return b, err
	}
	b = append(b, `,"indicators":`...)
	if b, err = appendMap(b, s.Indicators); err != nil {
		return b, err
	}
	if b, err = appendOptTime(b, `,"last_client_informed_occurred_at":`, s.LastClientInformedOccurredAt); err != nil {
		return b, err
	}
	b = append(b, `,"claimed":`...)
	b = strconv.AppendInt(b, int64(s.Claimed), 10)
	if b, err = appendOptFloat(b, `,"max_gap_days":`, s.MaxGapDays); err != nil {
		return b, err
	}
	b = append(b, `,"late":`...)
	if b, err = appendSlice(b, s.Late); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (l *statLate) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"revision":`...)
	b = strconv.AppendUint(b, l.Revision, 10)
	b = appendStringField(b, `,"type":`, l.Type)
	if b, err = appendTimeField(b, `,"occurred_at":`, l.OccurredAt); err != nil {
		return b, err
	}
	if b, err = appendTimeField(b, `,"recorded_at":`, l.RecordedAt); err != nil {
		return b, err
	}
	b = append(b, `,"gap_days":`...)
	if b, err = appendJSONFloat(b, l.GapDays); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (d *statDelay) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendStringField(b, `{"id":`, d.ID)
	b = appendStringField(b, `,"milestone_id":`, d.MilestoneID)
	b = append(b, `,"lead_days":`...)
	if b, err = appendJSONFloat(b, d.LeadDays); err != nil {
		return b, err
	}
	if b, err = appendTimeField(b, `,"disclosed_at":`, d.DisclosedAt); err != nil {
		return b, err
	}
	if b, err = appendOptFloat(b, `,"claimed_lead_days":`, d.ClaimedLeadDays); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (o *statOpen) appendJSON(b []byte) ([]byte, error) {
	b = appendStringField(b, `{"text":`, o.Text)
	if o.RequirementID != "" {
		b = appendStringField(b, `,"requirement_id":`, o.RequirementID)
	}
	b, err := appendTimeField(b, `,"since":`, o.Since)
	if err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (p *statPending) appendJSON(b []byte) ([]byte, error) {
	b = appendStringField(b, `{"subject":`, p.Subject)
	b, err := appendTimeField(b, `,"informed_at":`, p.InformedAt)
	if err != nil {
		return b, err
	}
	b = append(b, `,"waiting":`...)
	b = appendJSONStrings(b, p.Waiting)
	return append(b, '}'), nil
}

func (r *statRef) appendJSON(b []byte) ([]byte, error) {
	b = appendStringField(b, `{"id":`, r.ID)
	b = appendStringField(b, `,"title":`, r.Title)
	b, err := appendTimeField(b, `,"at":`, r.At)
	if err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (f *statFeature) appendJSON(b []byte) ([]byte, error) {
	b = appendStringField(b, `{"title":`, f.Title)
	b = appendStringField(b, `,"status":`, string(f.Status))
	b = append(b, `,"delivered":`...)
	b = appendJSONBool(b, f.Delivered)
	return append(b, '}'), nil
}

func (p *statPerson) appendJSON(b []byte) ([]byte, error) {
	b = appendStringField(b, `{"name":`, p.Name)
	b = appendStringField(b, `,"party":`, string(p.Party))
	b = append(b, `,"late":`...)
	b = appendJSONBool(b, p.Late)
	b = append(b, `,"briefed":`...)
	b = appendJSONBool(b, p.Briefed)
	b = append(b, `,"left":`...)
	b = appendJSONBool(b, p.Left)
	b, err := appendTimeField(b, `,"joined_at":`, p.JoinedAt)
	if err != nil {
		return b, err
	}
	b = append(b, `,"informed":`...)
	b = appendJSONBool(b, p.Informed)
	return append(b, '}'), nil
}

func (in *statIndicator) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = appendStringField(b, `{"name":`, in.Name)
	b = append(b, `,"target":`...)
	if b, err = appendJSONFloat(b, in.Target); err != nil {
		return b, err
	}
	b = appendStringField(b, `,"direction":`, string(in.Direction))
	if in.Latest != nil {
		b = append(b, `,"latest":`...)
		if b, err = in.Latest.appendJSON(b); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}
