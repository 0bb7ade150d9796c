package scheduleapi

import (
	"bytes"
	"cmp"
	"fmt"
	"github.com/google/uuid"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chronicle-crm/chronicle/adapters/httpapi/httpkit"
	"github.com/chronicle-crm/chronicle/commands"
	"github.com/chronicle-crm/chronicle/commands/schedulecmd"
	"github.com/chronicle-crm/chronicle/domain/schedule"
	"github.com/chronicle-crm/chronicle/readmodels/scheduleview"
)

// FeedTask is an open task as the calendar feed shows it (a VTODO): Priority is iCalendar's (1
// most pressing … 9 least).
type FeedTask struct {
	ID          uuid.UUID
	Title       string
	Description string
	DueAt       time.Time
	InProgress  bool
	Priority    int
	Version     int64
}

// sortSlots orders a calendar's occurrences by start, then entry and occurrence (a total order:
// no allocation per comparison, no stable sort needed).
func sortSlots(s []Slot) {
	// A slot is large: order small (start, index) pairs, reading a slot only on a tie of starts,
	// then move each slot once.
	type key struct {
		start int64
		i     int32
	}
	keys := make([]key, len(s))
	for i := range s {
		keys[i] = key{s[i].sortKey, int32(i)}
	}
	slices.SortFunc(keys, func(x, y key) int {
		if c := cmp.Compare(x.start, y.start); c != 0 {
			return c
		}
		a, b := &s[x.i], &s[y.i]
		if c := bytes.Compare(a.ScheduleID[:], b.ScheduleID[:]); c != 0 {
			return c
		}
		return strings.Compare(a.Occurrence, b.Occurrence)
	})
	idx := make([]int32, len(s))
	for k := range keys {
		idx[k] = keys[k].i
	}
	// s[k] takes the slot at idx[k]: follow each cycle of the permutation, moving each slot once
	// (a moved place is marked -1)
	for start := range s {
		if idx[start] < 0 {
			continue
		}
		held := s[start]
		k := start
		for {
			from := int(idx[k])
			idx[k] = -1
			if from == start {
				s[k] = held
				break
			}
			s[k] = s[from]
			k = from
		}
	}
}

// FeedPath is where a feed is served: the API prefix, then this and the secret.
const FeedPath = "/calendar/feed/"

// feedStatus answers GET /calendar/feed: whether the actor's feed answers to a secret, since when.
func (a api) feedStatus(r *http.Request) (httpkit.Reply, error) {
	if err := a.Kit.WaitFor(r, projection...); err != nil {
		return httpkit.Reply{}, err
	}
	at, err := a.Views.FeedIssued(r.Context(), httpkit.ActorOf(r.Context()).ID)
	if err != nil {
		return httpkit.Reply{}, err
	}
	body := map[string]any{"active": !at.IsZero(), "issuedAt": nil}
	if !at.IsZero() {
		body["issuedAt"] = at
	}
	return httpkit.OK(body), nil
}

// issueFeed answers POST /calendar/feed: a new secret for the actor's feed, shown once, with
// the feed's path; any earlier secret stops working.
func (a api) issueFeed(r *http.Request) (httpkit.Reply, error) {
	m, err := httpkit.Meta(r)
	if err != nil {
		return httpkit.Reply{}, err
	}
	token, res, err := a.Feeds.Issue(r.Context(), m)
	if err != nil {
		return httpkit.Reply{}, err
	}
	if err := a.Kit.Await(r.Context(), res.Position, projection...); err != nil {
		return httpkit.Reply{}, err
	}
	path := "/api/v1" + FeedPath + token + ".ics"
	return httpkit.JSON(http.StatusCreated, map[string]any{"token": token, "path": path}), nil
}

// revokeFeed answers DELETE /calendar/feed: the actor's feed answers to no secret.
func (a api) revokeFeed(r *http.Request) (httpkit.Reply, error) {
	m, err := httpkit.Meta(r)
	if err != nil {
		return httpkit.Reply{}, err
	}
	res, err := a.Feeds.Revoke(r.Context(), m)
	if err != nil {
		return httpkit.Reply{}, err
	}
	if err := a.Kit.Await(r.Context(), res.Position, projection...); err != nil {
		return httpkit.Reply{}, err
	}
	return httpkit.NoContent(), nil
}

// The feed's window: what calendar applications show of the past and the future.
const (
	feedPast   = 90 * 24 * time.Hour
	feedFuture = 366 * 24 * time.Hour
)

// feed answers GET /calendar/feed/{token}.ics, with no sign-in: the feed owner's entries (owned
// or taking part) and open tasks with a due time, in iCalendar (RFC 5545). An unknown, revoked
// or superseded secret, or a disabled owner, is 404.
func (a api) feed(r *http.Request) (httpkit.Reply, error) {
	token, ok := strings.CutSuffix(httpkit.PathVar(r, "token"), ".ics")
	if !ok || len(token) != 43 {
		return httpkit.Reply{}, commands.ErrNotFound
	}
	ctx := r.Context()
	owner, found, err := a.Views.FeedOwner(ctx, schedulecmd.TokenHash(token))
	if err != nil {
		return httpkit.Reply{}, err
	}
	if !found {
		return httpkit.Reply{}, commands.ErrNotFound
	}
	_, active, err := a.Org.Placement(ctx, owner)
	if err != nil {
		return httpkit.Reply{}, err
	}
	if !active {
		return httpkit.Reply{}, commands.ErrNotFound
	}
	now := a.Now()
	from, to := now.Add(-feedPast), now.Add(feedFuture)
	sr := scheduleview.Reader{User: owner}
	sr.Scope.None = true
	entries, _, err := a.Views.Window(ctx, scheduleview.Query{Reader: sr, View: scheduleview.ViewMine}, from, to)
	if err != nil {
		return httpkit.Reply{}, err
	}
	tasks, err := a.Tasks(ctx, owner, from, to)
	if err != nil {
		return httpkit.Reply{}, err
	}
	body := ICalendar("Chronicle 日程", entries, tasks, now)
	return httpkit.Stream(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/calendar; charset=utf-8")
		w.Header().Set("Cache-Control", "private, max-age=300")
		w.Header().Set("Content-Disposition", `inline; filename="chronicle.ics"`)
		_, _ = w.Write([]byte(body))
	}), nil
}

// ICalendar writes the entries and tasks as an iCalendar document (RFC 5545): a VEVENT per
// entry with its recurrence (RRULE, EXDATE for cancelled occurrences, and a VEVENT with
// RECURRENCE-ID per edited one) and reminders (VALARM), a VTODO per task; timed entries in
// Asia/Shanghai (a VTIMEZONE, so that weekly days do not shift in UTC), all-day ones as dates.
func ICalendar(name string, entries []*scheduleview.Entry, tasks []FeedTask, now time.Time) string {
	var b icsWriter
	b.line("BEGIN:VCALENDAR")
	b.line("VERSION:2.0")
	b.line("PRODID:-//Chronicle CRM//Schedules//ZH-CN")
	b.line("CALSCALE:GREGORIAN")
	b.line("METHOD:PUBLISH")
	b.prop("X-WR-CALNAME", name)
	b.line("X-WR-TIMEZONE:" + tzid)
	b.line("BEGIN:VTIMEZONE", "TZID:"+tzid, "BEGIN:STANDARD", "DTSTART:19700101T000000", "TZOFFSETFROM:+0800",
		"TZOFFSETTO:+0800", "TZNAME:CST", "END:STANDARD", "END:VTIMEZONE")
	stamp := "DTSTAMP:" + now.UTC().Format(utcStamp)
	for _, e := range entries {
		s := e.Series()
		f := s.Fields
		b.line("BEGIN:VEVENT", "UID:"+e.ID.String()+"@chronicle", stamp, fmt.Sprintf("SEQUENCE:%d", e.Version))
		b.times(f.Start, f.End, f.AllDay)
		if f.Recurrence != "" {
			if r, err := schedule.ParseRule(f.Recurrence); err == nil {
				b.line("RRULE:" + icsRule(r, f.AllDay))
			}
			for _, c := range s.Cancelled {
				b.line(icsTime("EXDATE", c, f.AllDay))
			}
		}
		b.event(f.Title, f.Location, f.Description, e.RelatedName)
		b.alarms(f.Reminders, f.Title)
		b.line("END:VEVENT")
		keys := make([]string, 0, len(s.Overrides))
		for k := range s.Overrides {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			o := s.Overrides[k]
			b.line("BEGIN:VEVENT", "UID:"+e.ID.String()+"@chronicle", stamp, fmt.Sprintf("SEQUENCE:%d", e.Version))
			b.line(icsTime("RECURRENCE-ID", k, f.AllDay))
			b.times(o.Start, o.End, f.AllDay)
			title, loc, desc := f.Title, f.Location, f.Description
			if o.Title != nil {
				title = *o.Title
			}
			if o.Location != nil {
				loc = *o.Location
			}
			if o.Description != nil {
				desc = *o.Description
			}
			b.event(title, loc, desc, e.RelatedName)
			b.alarms(f.Reminders, title)
			b.line("END:VEVENT")
		}
	}
	for _, t := range tasks {
		b.line("BEGIN:VTODO", "UID:task-"+t.ID.String()+"@chronicle", stamp, fmt.Sprintf("SEQUENCE:%d", t.Version))
		b.line("DUE:" + t.DueAt.UTC().Format(utcStamp))
		b.prop("SUMMARY", t.Title)
		if t.Description != "" {
			b.prop("DESCRIPTION", t.Description)
		}
		status := "NEEDS-ACTION"
		if t.InProgress {
			status = "IN-PROCESS"
		}
		b.line("STATUS:"+status, fmt.Sprintf("PRIORITY:%d", t.Priority))
		b.line("END:VTODO")
	}
	b.line("END:VCALENDAR")
	return b.String()
}

const (
	tzid     = "Asia/Shanghai"
	utcStamp = "20060102T150405Z"
)

// icsRule is a rule as RFC 5545 wants it with the entry's DTSTART: UNTIL is a date for all-day
// entries and, for timed ones, the UTC end of that day in Zone.
func icsRule(r schedule.Rule, allDay bool) string {
	until := r.Until
	r.Until = ""
	s := r.String()
	if until != "" {
		d, _ := time.ParseInLocation(time.DateOnly, until, schedule.Zone)
		if allDay {
			s += ";UNTIL=" + d.Format("20060102")
		} else {
			s += ";UNTIL=" + d.AddDate(0, 0, 1).Add(-time.Second).UTC().Format(utcStamp)
		}
	}
	return s
}

// icsTime writes a property holding a start as the entry keeps it (an instant or a date).
func icsTime(prop, v string, allDay bool) string {
	if allDay {
		d, _ := time.ParseInLocation(time.DateOnly, v, schedule.Zone)
		return prop + ";VALUE=DATE:" + d.Format("20060102")
	}
	t, _ := time.Parse(time.RFC3339, v)
	return prop + ";TZID=" + tzid + ":" + t.In(schedule.Zone).Format("20060102T150405")
}

type icsWriter struct{ strings.Builder }

// line writes content lines, folded at 75 octets (RFC 5545 §3.1) without splitting a character,
// ended by CRLF.
func (b *icsWriter) line(lines ...string) {
	for _, l := range lines {
		for first := true; ; first = false {
			limit := 75
			if !first {
				b.WriteByte(' ')
				limit = 74
			}
			if len(l) <= limit {
				b.WriteString(l)
				b.WriteString("\r\n")
				break
			}
			cut := limit
			for cut > 0 && !utf8.RuneStart(l[cut]) {
				cut--
			}
			b.WriteString(l[:cut])
			b.WriteString("\r\n")
			l = l[cut:]
		}
	}
}

// icsText escapes a TEXT value (RFC 5545 §3.3.11).
var icsText = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)

// prop writes a text property, escaped (RFC 5545 §3.3.11), without the control characters a TEXT
// value may not hold (§3.1: CONTROL, all but HTAB; line breaks are escaped first), which some
// calendar programs answer by refusing the whole feed.
func (b *icsWriter) prop(name, text string) {
	b.line(name + ":" + strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return -1
		}
		return r
	}, icsText.Replace(text)))
}

func (b *icsWriter) times(start, end string, allDay bool) {
	if allDay {
		s, _ := time.ParseInLocation(time.DateOnly, start, schedule.Zone)
		e, _ := time.ParseInLocation(time.DateOnly, end, schedule.Zone)
		b.line("DTSTART;VALUE=DATE:"+s.Format("20060102"), "DTEND;VALUE=DATE:"+e.AddDate(0, 0, 1).Format("20060102"))
		return
	}
	b.line(icsTime("DTSTART", start, false), icsTime("DTEND", end, false))
}

func (b *icsWriter) event(title, location, description, related string) {
	b.prop("SUMMARY", title)
	if location != "" {
		b.prop("LOCATION", location)
	}
	if related != "" {
		if description != "" {
			description += "\n"
		}
		description += "关联 Related: " + related
	}
	if description != "" {
		b.prop("DESCRIPTION", description)
	}
}

func (b *icsWriter) alarms(reminders []int, title string) {
	for _, m := range reminders {
		b.line("BEGIN:VALARM", "ACTION:DISPLAY", fmt.Sprintf("TRIGGER:-PT%dM", m))
		b.prop("DESCRIPTION", title)
		b.line("END:VALARM")
	}
}
