package domain

// Party is one side of an engagement. Each party has a perimeter; each
// stakeholder belongs to exactly one party.
type Party string

// The three parties.
const (
	PartyClient   Party = "client"
	PartySupplier Party = "supplier"
	PartyProvider Party = "provider" // a third-party implementer
)

// Valid reports whether p is one of the three parties.
func (p Party) Valid() bool {
	return p == PartyClient || p == PartySupplier || p == PartyProvider
}

// Phase is where an engagement stands. Phases only move forward, one step at
// a time, and Closed is reached only by closing the engagement.
type Phase string

// The phases, in order.
const (
	PhaseEmergence  Phase = "emergence"
	PhaseScoping    Phase = "scoping"
	PhaseDelivery   Phase = "delivery"
	PhaseAcceptance Phase = "acceptance"
	PhaseClosed     Phase = "closed"
)

var phaseOrder = []Phase{PhaseEmergence, PhaseScoping, PhaseDelivery, PhaseAcceptance, PhaseClosed}

// Valid reports whether p is a known phase.
func (p Phase) Valid() bool { return p.rank() >= 0 }

func (p Phase) rank() int {
	for i, q := range phaseOrder {
		if q == p {
			return i
		}
	}
	return -1
}

// Next returns the phase after p, or "" after Closed or for an unknown phase.
func (p Phase) Next() Phase {
	r := p.rank()
	if r < 0 || r+1 >= len(phaseOrder) {
		return ""
	}
	return phaseOrder[r+1]
}

// Channel is how information reached the client.
type Channel string

// The channels.
const (
	ChannelMeeting  Channel = "meeting"
	ChannelCall     Channel = "call"
	ChannelEmail    Channel = "email"
	ChannelChat     Channel = "chat"
	ChannelDocument Channel = "document"
	ChannelDemo     Channel = "demo"
)

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	switch c {
	case ChannelMeeting, ChannelCall, ChannelEmail, ChannelChat, ChannelDocument, ChannelDemo:
		return true
	}
	return false
}

// Direction says which side of its target a success indicator must be on.
type Direction string

// The directions.
const (
	AtLeast Direction = "at_least" // on target when value >= target
	AtMost  Direction = "at_most"  // on target when value <= target
)

// Valid reports whether d is a known direction.
func (d Direction) Valid() bool { return d == AtLeast || d == AtMost }

// DecisionKind tells technical choices from strategic ones.
type DecisionKind string

// The kinds of decision.
const (
	DecisionTechnical DecisionKind = "technical"
	DecisionStrategic DecisionKind = "strategic"
)

// Valid reports whether k is a known kind of decision.
func (k DecisionKind) Valid() bool { return k == DecisionTechnical || k == DecisionStrategic }

// Status values of the things that wait for an answer. They are derived by
// Evolve and exposed in the state; they never appear in commands.
type Status string

// Statuses.
const (
	StatusOpen      Status = "open"                // questions, assumptions, change requests
	StatusAnswered  Status = "answered"            // questions
	StatusValidated Status = "validated"           // assumptions
	StatusRejected  Status = "rejected"            // assumptions, change requests, deliveries
	StatusApproved  Status = "approved"            // change requests
	StatusProposed  Status = "proposed"            // features
	StatusAccepted  Status = "accepted"            // features, deliveries
	StatusDeclined  Status = "declined"            // features
	StatusAwaiting  Status = "awaiting_acceptance" // deliveries
	StatusInvited   Status = "invited"             // experts
	StatusCommitted Status = "committed"           // experts
	StatusWithdrawn Status = "withdrawn"           // experts
)
