package httpkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/access"
	"github.com/chronicle-crm/chronicle/domain/audit"
	"github.com/chronicle-crm/chronicle/domain/event"
	"github.com/chronicle-crm/chronicle/domain/field"
	"github.com/chronicle-crm/chronicle/domain/privacy"
	"github.com/chronicle-crm/chronicle/domain/role"
	"github.com/chronicle-crm/chronicle/readmodels"
)

// RevealsPerHour is how many reveals (POST …/{id}/reveal of leads, customers and contacts
// together) a user may make an hour (a token bucket per user and process), so that revealing
// cannot be used to copy the contact details of many records.
const RevealsPerHour = 100

// Auditor records the audit entries of reads (commands.Auditor does): contact details revealed
// and exports.
type Auditor interface {
	Revealed(ctx context.Context, m commands.Meta, e audit.ContactRevealed) (commands.Result, error)
	Exported(ctx context.Context, m commands.Meta, e audit.Exported) (commands.Result, error)
}

// DetailNames are the names of the contact details of every kind of record (leads: phone, mobile,
// email; customers: phone, fax, email; contacts: officePhone, mobile, email, fax), which are
// masked wherever they occur in the data of these records' events (a lead's conversion carries
// its contact's).
var DetailNames = []string{"phone", "mobile", "email", "officePhone", "fax"}

// Detail is one contact detail of a read view: its field name (as the API names it) and value.
type Detail struct {
	Name  string
	Value *string
}

// ContactDetails is who reads the contact details (telephone, mobile and fax numbers, e-mail
// addresses) of a kind of record (leads, customers, contacts) in full, and who may reveal them.
//
//   - In full: the record's owner (a salesperson calls their own leads and customers; a contact's
//     owner is its customer's) and holders of contactdetails.reveal.
//   - Masked for every other reader in scope, wherever the API shows them: the record, lists and
//     search results, command answers, snapshots, history (field changes and event data) and
//     exports. Phones keep their first 3 and last 4 digits (138****8000; shorter numbers fewer,
//     see MaskPhone), e-mail addresses their first character and domain (z***@example.com).
//   - Revealed, on request and audited (Reveal): by those who read them in full, and by the
//     readers who may change the record (its family's update permission; a pool record also
//     needs the assign permission, as for changing it). Anyone else in scope is refused (403).
//
// V is the module's read view (a pointer to a row embedding readmodels.Masking). The masking is
// done when answering: the events and the read models keep the values.
type ContactDetails[V any] struct {
	// Kind is the record kind the reveal's audit entry names: lead, customer or contact.
	Kind string
	// Names are the kind's contact detail fields, in the order the views list them.
	Names []string
	// Update and Assign are the record family's change and assign permissions.
	Update, Assign string
	// Projection is what a reveal waits for (X-Chronicle-Min-Position).
	Projection []string
	// Get is the record's current read view in actor's data scope.
	Get func(ctx context.Context, actor access.Actor, id uuid.UUID) (V, error)
	// Owner is v's owner (nil for a record in its pool).
	Owner func(v V) *uuid.UUID
	// Details are v's contact details (one per name of Names).
	Details func(v V) []Detail
	// Block is v's masking block.
	Block func(v V) *readmodels.Masking
	// SearchText is what keyword search matches of v (the view's SearchText): with the contact
	// details blanked, it is what a reader who reads them masked may find v by.
	SearchText func(v V) string
}

// Full reports whether actor reads v's contact details in full.
func (c ContactDetails[V]) Full(actor access.Actor, v V) bool {
	if actor.Can(role.ContactDetailsReveal) {
		return true
	}
	owner := c.Owner(v)
	return owner != nil && *owner == actor.ID && actor.ID != uuid.Nil
}

// MayReveal reports whether actor may ask for v's contact details in full (v being in actor's
// data scope).
func (c ContactDetails[V]) MayReveal(actor access.Actor, v V) bool {
	if c.Full(actor, v) {
		return true
	}
	return actor.Can(c.Update) && (c.Owner(v) != nil || actor.Can(c.Assign))
}

// Apply masks the contact details of views (one record, a page of a list or an export) that
// actor does not read in full, and says so in their masking blocks.
func (c ContactDetails[V]) Apply(actor access.Actor, views ...V) {
	for _, v := range views {
		block := c.Block(v)
		*block = readmodels.Masking{}
		if c.Full(actor, v) {
			continue
		}
		for _, d := range c.Details(v) {
			if *d.Value != "" && *d.Value != privacy.Erased { // an erased value hides nothing
				*d.Value = Mask(d.Name, *d.Value)
				block.MaskedFields = append(block.MaskedFields, d.Name)
			}
		}
		block.Revealable = len(block.MaskedFields) > 0 && c.MayReveal(actor, v)
	}
}

// Read is get with the contact details masked for actor where the rule says so.
func (c ContactDetails[V]) Read(get func(ctx context.Context, actor access.Actor, id uuid.UUID) (V, error)) func(ctx context.Context, actor access.Actor, id uuid.UUID) (V, error) {
	return func(ctx context.Context, actor access.Actor, id uuid.UUID) (V, error) {
		v, err := get(ctx, actor, id)
		if err == nil {
			c.Apply(actor, v)
		}
		return v, err
	}
}

// Masking is search with the contact details masked for the searching actor (ActorOf(ctx))
// where the rule says so. keyword is the query's keyword. A record the actor reads masked is
// found by a keyword through what it shows them, or by one of its contact details given whole
// (a number's digits, an e-mail address: "who has this caller's number?"), never by a part of
// one: else searching 1380, 1381, … would spell a masked number out digit by digit. A record
// matched by a part alone is left out of the page, which may then hold fewer items than asked
// for; its cursor still leads on. Nor does the total tell: a keyword that looks like a part of
// a number or an address (three digits or more, or an @) searched by a reader without
// contactdetails.reveal, or a page that lost records, answers the page's own count as a lower
// bound (totalExact false) instead of the count of every match.
func Masking[Q, V any](c ContactDetails[V], keyword func(Q) string, search func(ctx context.Context, q Q) (readmodels.Page[V], error)) func(ctx context.Context, q Q) (readmodels.Page[V], error) {
	return func(ctx context.Context, q Q) (readmodels.Page[V], error) {
		page, err := search(ctx, q)
		if err != nil {
			return page, err
		}
		actor := ActorOf(ctx)
		if needle := strings.ToLower(strings.TrimSpace(keyword(q))); needle != "" && !actor.Can(role.ContactDetailsReveal) {
			n := len(page.Items)
			page.Items = slices.DeleteFunc(page.Items, func(v V) bool { return !c.Full(actor, v) && !c.visiblyMatches(v, needle) })
			if len(page.Items) < n || len(field.Digits(needle)) >= 3 || strings.Contains(needle, "@") {
				page.Total, page.TotalExact = int64(len(page.Items)), false
			}
		}
		c.Apply(actor, page.Items...)
		return page, nil
	}
}

// visiblyMatches reports whether v's search text without its contact details holds needle (the
// lower-cased keyword, as the list's search compares it), or needle is one of its contact details
// whole (an e-mail address, or a number's digits).
func (c ContactDetails[V]) visiblyMatches(v V, needle string) bool {
	details := c.Details(v)
	for _, d := range details {
		if *d.Value == "" {
			continue
		}
		if strings.ToLower(*d.Value) == needle || field.Digits(needle) == needle && field.Digits(*d.Value) == needle {
			return true
		}
	}
	kept := make([]string, len(details))
	for i, d := range details {
		kept[i], *d.Value = *d.Value, ""
	}
	text := c.SearchText(v)
	for i, d := range details {
		*d.Value = kept[i]
	}
	return strings.Contains(text, needle)
}

// masks reports whether actor reads the record id's contact details masked, judged on its current
// view (a record actor no longer sees, or a deleted one, is judged by the permission alone).
func (c ContactDetails[V]) masks(ctx context.Context, actor access.Actor, id uuid.UUID) (bool, error) {
	if actor.Can(role.ContactDetailsReveal) {
		return false, nil
	}
	v, err := c.Get(ctx, actor, id)
	switch {
	case errors.Is(err, readmodels.ErrNotFound) || errors.Is(err, commands.ErrNotFound):
		return true, nil
	case err != nil:
		return false, err
	}
	return !c.Full(actor, v), nil
}

// History is the record's history with the contact details masked (in the field changes and the
// events' data) for a reader who does not read them in full.
func (c ContactDetails[V]) History(load func(ctx context.Context, actor access.Actor, id uuid.UUID) ([]commands.Change, error)) func(ctx context.Context, actor access.Actor, id uuid.UUID) ([]commands.Change, error) {
	return func(ctx context.Context, actor access.Actor, id uuid.UUID) ([]commands.Change, error) {
		changes, err := load(ctx, actor, id)
		if err != nil {
			return nil, err
		}
		mask, err := c.masks(ctx, actor, id)
		if err != nil || !mask {
			return changes, err
		}
		for i, ch := range changes {
			for j, f := range ch.Changes {
				if slices.Contains(c.Names, f.Field) {
					changes[i].Changes[j].From, changes[i].Changes[j].To = maskAny(f.Field, f.From), maskAny(f.Field, f.To)
				}
			}
			changes[i].Event.Data = MaskEventData(ch.Event.Data, DetailNames...)
		}
		return changes, nil
	}
}

// AsOf is the record as it was at a time with its contact details masked for a reader who does
// not read them in full (judged as of now).
func (c ContactDetails[V]) AsOf(asOf func(ctx context.Context, actor access.Actor, id uuid.UUID, t time.Time) (map[string]any, error)) func(ctx context.Context, actor access.Actor, id uuid.UUID, t time.Time) (map[string]any, error) {
	return func(ctx context.Context, actor access.Actor, id uuid.UUID, t time.Time) (map[string]any, error) {
		v, err := asOf(ctx, actor, id, t)
		if err != nil {
			return nil, err
		}
		mask, err := c.masks(ctx, actor, id)
		if err != nil || !mask {
			return v, err
		}
		for _, name := range c.Names {
			v[name] = maskAny(name, v[name])
		}
		return v, nil
	}
}

// RevealBody is the body of POST …/{id}/reveal: the fields to reveal (none: all of them).
type RevealBody struct {
	Fields []string `json:"fields"`
}

// Revealed is the answer of a reveal: the record and the values of the fields asked for, in full.
type Revealed struct {
	ID     uuid.UUID         `json:"id"`
	Fields map[string]string `json:"fields"`
}

// Reveal answers POST …/{id}/reveal: the contact details asked for, in full, to a reader who may
// reveal them (MayReveal; 403 forbidden otherwise, a record out of scope is 404), at most
// RevealsPerHour a user and hour (429 rate_limited with Retry-After); each reveal is recorded
// (audit.contact_revealed.v1: who, which record, which fields; never the values) before the
// values are answered, and nothing is answered when it cannot be recorded.
func (c ContactDetails[V]) Reveal(k *Kit) Handler {
	return func(r *http.Request) (Reply, error) {
		id, err := PathID(r)
		var in RevealBody
		if err == nil && r.ContentLength != 0 {
			err = k.Decode(r, &in)
		}
		fields := c.Names
		if err == nil && len(in.Fields) > 0 {
			fields = nil
			for _, f := range in.Fields {
				if !slices.Contains(c.Names, f) {
					err = Invalid("fields", "%q is not a contact detail of a %s; one of %s", f, c.Kind, strings.Join(c.Names, ", "))
					break
				}
				if !slices.Contains(fields, f) {
					fields = append(fields, f)
				}
			}
		}
		m, merr := Meta(r)
		if err == nil {
			err = merr
		}
		if err == nil {
			err = k.WaitFor(r, c.Projection...)
		}
		if err != nil {
			return Reply{}, err
		}
		v, err := c.Get(r.Context(), m.Actor, id)
		if err != nil {
			return Reply{}, err
		}
		if !c.MayReveal(m.Actor, v) {
			return Reply{}, fmt.Errorf("%w: revealing contact details needs contactdetails.reveal, the record, or the right to change it", commands.ErrForbidden)
		}
		if k.Audit == nil {
			return Reply{}, errors.New("reveal: no auditor")
		}
		if k.Reveals != nil {
			if err := k.Reveals.Allow(m.Actor.ID); err != nil {
				return Reply{}, err
			}
		}
		e := audit.ContactRevealed{RecordKind: c.Kind, RecordID: id.String(), Fields: fields}
		if owner := c.Owner(v); owner != nil {
			e.OwnerID = owner.String()
		}
		res, err := k.Audit.Revealed(r.Context(), m, e)
		if err != nil {
			return Reply{}, err
		}
		out := Revealed{ID: id, Fields: map[string]string{}}
		for _, d := range c.Details(v) {
			if slices.Contains(fields, d.Name) {
				out.Fields[d.Name] = *d.Value
			}
		}
		return OK(out).With("X-Chronicle-Position", strconv.FormatUint(res.Position, 10)), nil
	}
}

// Mask is a contact detail's value masked: an e-mail address (a field named email) by MaskEmail,
// anything else (a telephone, mobile or fax number) by MaskPhone.
func Mask(name, v string) string {
	if v == "" || v == privacy.Erased { // the marker of an erased value passes unchanged
		return v
	}
	if strings.EqualFold(name, "email") {
		return MaskEmail(v)
	}
	return MaskPhone(v)
}

// MaskPhone masks a telephone number's digits, leaving its other characters (+ - ( ) spaces) in
// place: at least 4 digits are hidden, and of n digits no more than 7 are shown, the first 3
// and the last 4 (13800138000 → 138****8000). Fewer digits show fewer: the first ones at most
// half of those shown (88886666 → 88****66); 4 digits or fewer are hidden entirely.
func MaskPhone(v string) string {
	n := 0
	for _, r := range v {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	if n == 0 {
		return "***"
	}
	hide := max(4, n-7)
	head, tail := 0, 0
	if hide < n {
		visible := n - hide
		head = min(3, visible/2)
		tail = visible - head
	}
	var b strings.Builder
	i := 0
	for _, r := range v {
		if r < '0' || r > '9' {
			b.WriteRune(r)
			continue
		}
		if i < head || i >= n-tail {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
		i++
	}
	return b.String()
}

// MaskEmail keeps an e-mail address's first character and its domain: zhang@example.com →
// z***@example.com. Text that is no address is hidden entirely (***).
func MaskEmail(v string) string {
	at := strings.LastIndex(v, "@")
	if at <= 0 {
		return "***"
	}
	_, size := utf8.DecodeRuneInString(v)
	return v[:size] + "***" + v[at:]
}

func maskAny(name string, v any) any {
	if s, ok := v.(string); ok {
		return Mask(name, s)
	}
	return v
}

// MaskEventData masks the contact details named (at any depth: a create's fields, an update's
// patch, a conversion's contact) in an event's data.
func MaskEventData(data []byte, names ...string) []byte {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return data
	}
	out, err := json.Marshal(maskTree(v, names))
	if err != nil {
		return data
	}
	return out
}

func maskTree(v any, names []string) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && slices.Contains(names, k) {
				v[k] = Mask(k, s)
			} else {
				v[k] = maskTree(x, names)
			}
		}
	case []any:
		for i, x := range v {
			v[i] = maskTree(x, names)
		}
	}
	return v
}

// MaskChanges masks, in field-level changes, the values of the contact details named (as
// History does for one record), in place.
func MaskChanges(changes []event.Change, names ...string) {
	for i, f := range changes {
		if slices.Contains(names, f.Field) {
			changes[i].From, changes[i].To = maskAny(f.Field, f.From), maskAny(f.Field, f.To)
		}
	}
}
