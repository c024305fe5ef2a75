package personal

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/candor-ledger/candor/domain"
)

// A data subject is the person a personal field is about. Within an
// engagement a person is a stakeholder or an expert, whose ids are unique
// in the engagement whatever their kind (domain's newID), so
//
//	<local id>@<engagement id>
//
// names them across the store: '@' is in neither (domain.validID allows
// letters, digits and - _ . :). A principal (an API identity, package
// auth) is a subject under its own id, which holds no '@'.

// Subject returns the subject id of a stakeholder or an expert of an
// engagement.
func Subject(engagementID, localID string) string { return localID + "@" + engagementID }

// SplitSubject returns the engagement and local id of a subject id made by
// Subject; ok is false for a principal's id.
func SplitSubject(subject string) (engagementID, localID string, ok bool) {
	localID, engagementID, ok = strings.Cut(subject, "@")
	return engagementID, localID, ok && localID != "" && engagementID != ""
}

// subjectRules says, per event type with personal fields, which field of
// the event holds the local id of the person they are about. Every
// personal field of one event is about one person.
var subjectRules = map[string]string{
	domain.TypeStakeholderJoined: "stakeholder_id",
	domain.TypeExpertInvited:     "expert_id",
}

// SubjectOf returns the subject an event's personal fields are about, and
// false when the type has no personal field.
func SubjectOf(typ string, data []byte) (string, bool, error) {
	if len(domain.PersonalFields(typ)) == 0 {
		return "", false, nil
	}
	obj, err := decodeObject(data)
	if err != nil {
		return "", false, err
	}
	s, err := subjectOf(typ, obj)
	return s, err == nil, err
}

func subjectOf(typ string, obj map[string]json.RawMessage) (string, error) {
	idField, ok := subjectRules[typ]
	if !ok {
		return "", fmt.Errorf("%w: no rule for %s", ErrNoSubject, typ)
	}
	var eng, local string
	if err := json.Unmarshal(obj["engagement_id"], &eng); err != nil || eng == "" {
		return "", fmt.Errorf("%w: %s has no engagement_id", ErrNoSubject, typ)
	}
	if err := json.Unmarshal(obj[idField], &local); err != nil || local == "" {
		return "", fmt.Errorf("%w: %s has no %s", ErrNoSubject, typ, idField)
	}
	return Subject(eng, local), nil
}
