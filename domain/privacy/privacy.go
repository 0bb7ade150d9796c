// Package privacy says which values of the stored events are personal data, whose they are, and
// how an erasure is recorded: the registry of personal fields per event type, the marker an
// erased value reads as, the privacy.subject_erased.v1 event and the port of the store of the
// data subjects' keys.
//
// Personal values are written to the event store encrypted with a key of their own data subject
// (a lead or a contact: a natural person); erasing a subject destroys its key, after which every
// read of its personal values answers Erased. The events themselves are never rewritten, so the
// audit chain, which covers the stored bytes (the ciphertext), still verifies.
package privacy

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/eventstore"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// Erased is what a personal value reads as once its subject's key is destroyed. The UI shows it
// as an "erased / 已删除" tag; the read models store it in place of the value.
// (The value is field.Erased, which the field checks accept.)
const Erased = field.Erased

// Subject kinds: the natural persons Chronicle holds personal data of.
const (
	KindLead    = "lead"
	KindContact = "contact"
)

// Kinds are the subject kinds an erasure accepts.
var Kinds = []string{KindLead, KindContact}

// ErrSubjectErased refuses a non-empty personal value for a subject whose key was destroyed:
// nothing personal is stored for an erased subject again. It wraps eventstore.ErrInvalidEvent, so
// an AppendEach reports it per element like any invalid append.
var ErrSubjectErased = fmt.Errorf("%w: the personal data of this data subject was erased; its personal fields can not be set again",
	eventstore.ErrInvalidEvent)

// ErrAlreadyErased: the subject's erasure was recorded before.
var ErrAlreadyErased = errors.New("the personal data of this data subject was erased before")

// Rule names the personal fields of one data subject in an event's JSON: Subject is the path of
// the field that holds the subject's id, Paths the paths of its personal string values (paths are
// dotted JSON member names). A rule whose subject field is absent or empty does not apply (a lead
// converted without a contact). KindPath, when set, is the path of a field that must hold Kind
// for the rule to apply (a task's related record is a lead, a contact or something else).
type Rule struct {
	Kind     string
	Subject  string
	KindPath string
	Paths    []string
}

// Registry maps event types to the rules of their personal fields.
type Registry map[string][]Rule

// Rules are the rules of an event type (none: nothing personal).
func (r Registry) Rules(eventType string) []Rule { return r[eventType] }

// Personal is true when events of the type may carry personal values.
func (r Registry) Personal(eventType string) bool { return len(r[eventType]) > 0 }

func prefixed(prefix string, names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + "." + n
	}
	return out
}

// The personal fields of leads and contacts. A lead is a person (its name, numbers, e-mail and
// address); its company, source, level and remark are not personal fields. A contact is a person
// at a customer: name, numbers, e-mail, fax and birthday (title, gender and remark are not).
// Customers are organisations and hold no personal fields of their own (docs/architecture.md),
// but a customer made from a lead holds the lead's copies.
var (
	leadFields    = []string{"name", "phone", "mobile", "email", "address"}
	contactFields = []string{"name", "officePhone", "mobile", "email", "fax", "birthday"}
	// leadCopies are the lead's personal fields a conversion copies into its customer.
	leadCopies = []string{"phone", "email", "address"}
)

// LeadCopies are the customer fields a conversion copied from a lead's personal fields.
func LeadCopies() []string { return leadCopies }

// Default is the registry of Chronicle's events.
func Default() Registry {
	return Registry{
		"lead.created.v1":    {{Kind: KindLead, Subject: "leadId", Paths: prefixed("fields", leadFields...)}},
		"lead.updated.v1":    {{Kind: KindLead, Subject: "leadId", Paths: prefixed("patch", leadFields...)}},
		"lead.converted.v1":  {{Kind: KindContact, Subject: "contactId", Paths: prefixed("contact", contactFields...)}},
		"contact.created.v1": {{Kind: KindContact, Subject: "contactId", Paths: prefixed("fields", contactFields...)}},
		"contact.updated.v1": {{Kind: KindContact, Subject: "contactId", Paths: prefixed("fields", contactFields...)}},
		// A customer made from a lead takes the lead's numbers, e-mail and address: they were
		// collected as the person's, and are erased with the lead (the company name is not).
		"customer.created.v1": {{Kind: KindLead, Subject: "fromLeadId", Paths: prefixed("fields", leadCopies...)}},
		// Tasks and schedule entries keep the name of the record they are about as a label.
		"task.created.v1":     related("fields"),
		"task.updated.v1":     related("patch"),
		"schedule.created.v1": related("fields"),
		"schedule.updated.v1": related("patch"),
	}
}

// related are the rules of a related record's name (relatedKind, relatedId, relatedName) under
// member: a lead's or a contact's name is theirs. An update that changes the name alone (the
// same record linked again after it was renamed) names no subject and is not covered.
func related(member string) []Rule {
	var out []Rule
	for _, kind := range Kinds {
		out = append(out, Rule{Kind: kind, Subject: member + ".relatedId", KindPath: member + ".relatedKind", Paths: []string{member + ".relatedName"}})
	}
	return out
}

// Fields are the personal field names of a subject kind, as the record's read view names them.
func Fields(kind string) []string {
	switch kind {
	case KindLead:
		return leadFields
	case KindContact:
		return contactFields
	}
	return nil
}

// Subject is a data subject: a lead or a contact.
type Subject struct {
	Kind string    `json:"kind"`
	ID   uuid.UUID `json:"id"`
}

// ParseSubject checks a subject's kind.
func ParseSubject(kind string, id uuid.UUID) (Subject, error) {
	kind = strings.TrimSpace(kind)
	switch {
	case kind != KindLead && kind != KindContact:
		return Subject{}, &field.Error{Field: "subject.kind", Message: "must be lead or contact"}
	case id == uuid.Nil:
		return Subject{}, &field.Error{Field: "subject.id", Message: "is required"}
	}
	return Subject{Kind: kind, ID: id}, nil
}

// Stream of a subject's erasure: one per subject, written once (expected version NoStream).
func Stream(subject uuid.UUID) string { return StreamPrefix + "-" + subject.String() }

// StreamPrefix is the stream kind of erasures.
const StreamPrefix = "privacy"

// MaxReason is the longest reason of an erasure, in characters.
const MaxReason = 500

// SubjectErased: an administrator erased the personal data of a subject; the subject's key is
// destroyed after this is recorded. Reason says why (a request under PIPL Art. 47 / GDPR Art.
// 17, ...); it must not repeat the personal data.
type SubjectErased struct {
	Kind      string    `json:"kind"`
	SubjectID string    `json:"subjectId"`
	Reason    string    `json:"reason"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
}

func (SubjectErased) EventType() string { return "privacy.subject_erased.v1" }

// Register adds the privacy events to a registry.
func Register(r *event.Registry) {
	r.Register(func() event.Event { return &SubjectErased{} })
}
