// Package notification is the in-app inbox: what Chronicle tells a user (a task given to them, a
// reminder, a task of theirs done or overdue, a record assigned to them, an announcement addressed to
// them) and what they have read.
//
// The notifications themselves are not stored as events of their own: each follows from an event
// of the log (a task assigned is a notification to its new assignee), so the notifications read
// model derives them, with an id computed from the event's id and the recipient (ID), the same
// live and after any rebuild — a notification can never be made twice. What a user has read is
// theirs to record: Read events on the user's inbox stream, which the read model applies to the
// notifications they name.
package notification

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
)

// StreamPrefix is the stream kind of inboxes (one per user).
const StreamPrefix = "inbox"

// Stream is a user's inbox stream.
func Stream(user uuid.UUID) string { return StreamPrefix + "-" + user.String() }

// Kinds of notification.
const (
	TaskAssigned   = "task_assigned"   // a task was given to you
	TaskReminder   = "task_reminder"   // a task of yours is due soon
	TaskOverdue    = "task_overdue"    // a task of yours (or one you assigned) passed its due time
	TaskDone       = "task_done"       // a task you created or assigned was completed
	TaskCommented  = "task_commented"  // someone commented on a task you created or are assigned
	RecordAssigned = "record_assigned" // a lead, customer or opportunity was assigned to you
	// ApprovalRequested: a contract, receipt or payment voucher waits for your approval.
	ApprovalRequested = "approval_requested"
	// ApprovalDecided: your submission was approved (by its last step) or rejected.
	ApprovalDecided = "approval_decided"
	// ScheduleAssigned: someone put an entry in your calendar, invited you to one, or moved one
	// to your calendar.
	ScheduleAssigned = "schedule_assigned"
	// ScheduleReminder: an entry of your calendar starts soon.
	ScheduleReminder = "schedule_reminder"
	// AnnouncementPublished: an announcement addressed to you was published.
	AnnouncementPublished = "announcement_published"
	// WorkLogSubmitted: a work log was submitted to you (its title: its kind and period).
	WorkLogSubmitted = "worklog_submitted"
	// WorkLogCommented: someone commented on your work log.
	WorkLogCommented = "worklog_commented"
)

// Kinds lists them.
var Kinds = []string{TaskAssigned, TaskReminder, TaskOverdue, TaskDone, TaskCommented, RecordAssigned, ApprovalRequested, ApprovalDecided,
	ScheduleAssigned, ScheduleReminder, AnnouncementPublished, WorkLogSubmitted, WorkLogCommented}

// ns namespaces notification ids.
var ns = uuid.MustParse("5b0e7c1e-2f7d-4d0a-9a57-7c3f1f1e9b21")

// ID is the id of the notification that the event eventID makes for recipient: the same however
// often the event is projected.
func ID(eventID, recipient uuid.UUID) uuid.UUID {
	return uuid.NewSHA1(ns, append(eventID[:], recipient[:]...))
}

// MaxRead is how many notifications one Read names.
const MaxRead = 500

// Read: the user read these notifications (IDs), or everything up to a log position (UpTo).
type Read struct {
	UserID string    `json:"userId"`
	IDs    []string  `json:"ids,omitempty"`
	UpTo   uint64    `json:"upTo,omitempty"`
	At     time.Time `json:"at"`
}

func (Read) EventType() string { return "inbox.read.v1" }

// Register adds the inbox events to a registry.
func Register(r *event.Registry) { r.Register(func() event.Event { return &Read{} }) }

// ErrNothing: a Read names no notification and no position.
var ErrNothing = errors.New("name the notifications read, or all")

// Inbox is a user's inbox as commands decide with it: only its owner records what they read.
type Inbox struct {
	event.Root
	user uuid.UUID
}

// NewInbox is an inbox with no history.
func NewInbox(user uuid.UUID) *Inbox { return &Inbox{user: user} }

// Rehydrate rebuilds an inbox from its history.
func Rehydrate(user uuid.UUID, history []event.Event) (*Inbox, error) {
	i := &Inbox{user: user}
	i.Replay(func(event.Event) {}, history, nil)
	return i, nil
}

// MarkRead records that the user read the notifications ids, or all up to the log position
// upTo (one or the other).
func (i *Inbox) MarkRead(ids []uuid.UUID, upTo uint64, at time.Time) error {
	switch {
	case len(ids) == 0 && upTo == 0:
		return &field.Error{Field: "ids", Message: ErrNothing.Error()}
	case len(ids) > MaxRead:
		return field.Errorf("ids", "names %d notifications; at most %d", len(ids), MaxRead)
	}
	r := Read{UserID: i.user.String(), UpTo: upTo, At: at.UTC()}
	seen := map[uuid.UUID]bool{}
	for k, id := range ids {
		if id == uuid.Nil {
			return field.Errorf(fmt.Sprintf("ids[%d]", k), "is not a notification id")
		}
		if !seen[id] {
			seen[id] = true
			r.IDs = append(r.IDs, id.String())
		}
	}
	i.Record(func(event.Event) {}, r)
	return nil
}
