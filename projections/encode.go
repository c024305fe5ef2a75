package projections

import (
	"strconv"

	"github.com/candor-ledger/candor/internal/jsonenc"
)

// Timeline entries and knowledge items are a new element of a rawList for
// nearly every event: encoding them is a large part of what a rebuild
// costs. These appenders (jsonenc.Appender) write what encoding/json
// writes for them (a test compares the two), without reflection and
// without a buffer per element. Measured alone (200,000-event rebuild, six
// alternating rounds), encoding/json instead cost 11.6% more CPU per event.

func (e *TimelineEntry) AppendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"position":`...)
	b = strconv.AppendUint(b, uint64(e.Position), 10)
	b = append(b, `,"revision":`...)
	b = strconv.AppendUint(b, e.Revision, 10)
	b = append(b, `,"event_id":`...)
	b = jsonenc.AppendString(b, e.EventID)
	b = append(b, `,"type":`...)
	b = jsonenc.AppendString(b, e.Type)
	b = append(b, `,"actor_id":`...)
	b = jsonenc.AppendString(b, e.ActorID)
	if e.ActorName != "" {
		b = append(b, `,"actor_name":`...)
		b = jsonenc.AppendString(b, e.ActorName)
	}
	if e.ActorParty != "" {
		b = append(b, `,"actor_party":`...)
		b = jsonenc.AppendString(b, string(e.ActorParty))
	}
	b = append(b, `,"at":`...)
	if b, err = jsonenc.AppendTime(b, e.At); err != nil {
		return b, err
	}
	b = append(b, `,"recorded_at":`...)
	if b, err = jsonenc.AppendTime(b, e.RecordedAt); err != nil {
		return b, err
	}
	b = append(b, `,"summary":`...)
	b = jsonenc.AppendString(b, e.Summary)
	if e.CorrelationID != "" {
		b = append(b, `,"correlation_id":`...)
		b = jsonenc.AppendString(b, e.CorrelationID)
	}
	if b, err = jsonenc.AppendOptTime(b, `,"occurred_at":`, e.OccurredAt); err != nil {
		return b, err
	}
	if b, err = jsonenc.AppendOptFloat(b, `,"recording_gap_days":`, e.RecordingGapDays); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}

func (k *KnowledgeItem) AppendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"position":`...)
	b = strconv.AppendUint(b, uint64(k.Position), 10)
	b = append(b, `,"at":`...)
	if b, err = jsonenc.AppendTime(b, k.At); err != nil {
		return b, err
	}
	b = append(b, `,"kind":`...)
	b = jsonenc.AppendString(b, k.Kind)
	b = append(b, `,"type":`...)
	b = jsonenc.AppendString(b, k.Type)
	if k.RefID != "" {
		b = append(b, `,"ref_id":`...)
		b = jsonenc.AppendString(b, k.RefID)
	}
	if k.Subject != "" {
		b = append(b, `,"subject":`...)
		b = jsonenc.AppendString(b, k.Subject)
	}
	if k.Channel != "" {
		b = append(b, `,"channel":`...)
		b = jsonenc.AppendString(b, string(k.Channel))
	}
	b = append(b, `,"by":`...)
	b = jsonenc.AppendString(b, k.By)
	if len(k.About) > 0 {
		b = append(b, `,"about":[`...)
		for i, s := range k.About {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonenc.AppendString(b, s)
		}
		b = append(b, ']')
	}
	if b, err = jsonenc.AppendOptTime(b, `,"occurred_at":`, k.OccurredAt); err != nil {
		return b, err
	}
	return append(b, '}'), nil
}
