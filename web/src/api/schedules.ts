import { call, get, type Query, type Schemas } from './client';

// The schedules (日程) API under the names the screens use: the records are the OpenAPI document's
// schemas (generated into schema.d.ts by `npm run gen:api`), the rest are the calls the screens
// make. All paths are under /api/v1.
//
// Times: a timed entry's start and end are RFC 3339 instants; an all-day entry's are dates
// ("YYYY-MM-DD", the end inclusive) in the application's zone (Asia/Shanghai), in which the
// server also expands recurrences. An occurrence is named by its original start as the calendar
// lists it (the instant in UTC, or the date).

/** The lists of GET /schedules?view= and GET /calendar?view= */
export type ScheduleView = 'mine' | 'created' | 'subordinates' | 'participating' | 'all';

/** A schedule entry (日程): the OpenAPI document's ScheduleEntry (a recurring series is one entry). */
export type ScheduleEntry = Schemas['ScheduleEntry'];
/** One occurrence in a calendar window (recurrences expanded, edits applied, cancellations left out). */
export type CalendarSlot = Schemas['CalendarSlot'];
export type CalendarWindow = Schemas['CalendarWindow'];
export type CalendarFeedStatus = Schemas['CalendarFeedStatus'];
export type CalendarFeedIssued = Schemas['CalendarFeedIssued'];

/** POST /schedules (ownerId empty: my own calendar). */
export type ScheduleCreate = Schemas['ScheduleCreate'];
/** PATCH /schedules/{id}: the fields to change (null or "" clears an optional one). */
export type SchedulePatch = Schemas['SchedulePatch'];
/** POST /schedules/{id}/occurrences: one occurrence's own times (and title, location, description where given). */
export type ScheduleOccurrenceRequest = Schemas['ScheduleOccurrenceRequest'];
export type ScheduleCancelRequest = Schemas['ScheduleCancelRequest'];
export type ScheduleRelatedKind = NonNullable<ScheduleCreate['relatedKind']>;

/** The reminder choices of the form, in minutes before each occurrence (an all-day one: before 00:00). */
export const reminderChoices = [0, 5, 15, 30, 60, 1440] as const;
/** What the server assumes when a create names no reminders. */
export const defaultReminders = [15];
/** At most this many reminders per entry. */
export const maxReminders = 5;

export const schedulePath = (id: string) => `/schedules/${encodeURIComponent(id)}`;

/** GET /calendar: the occurrences between two dates (Asia/Shanghai, to inclusive; today when both are left out). */
export const fetchCalendar = (q: { from?: string; to?: string; view?: ScheduleView; q?: string; ownerId?: string; relatedId?: string }, signal?: AbortSignal) =>
  get<CalendarWindow>('/calendar', q as Query, signal);

export const fetchSchedule = (id: string) => get<ScheduleEntry>(schedulePath(id));

export const createSchedule = (body: ScheduleCreate) => call<ScheduleEntry>('POST', '/schedules', { body });
export const updateSchedule = (id: string, body: SchedulePatch, version: number) => call<ScheduleEntry>('PATCH', schedulePath(id), { body, ifMatch: version });
export const changeScheduleOwner = (id: string, ownerId: string, version: number) =>
  call<ScheduleEntry>('POST', `${schedulePath(id)}/owner`, { body: { ownerId }, ifMatch: version });
export const editOccurrence = (id: string, body: ScheduleOccurrenceRequest, version: number) =>
  call<ScheduleEntry>('POST', `${schedulePath(id)}/occurrences`, { body, ifMatch: version });
export const cancelOccurrence = (id: string, occurrence: string, version: number) =>
  call<ScheduleEntry>('POST', `${schedulePath(id)}/occurrences/cancel`, { body: { occurrence } satisfies ScheduleCancelRequest, ifMatch: version });

/** GET /calendar/feed: whether my feed is on (the secret is shown only when issued). */
export const fetchFeed = () => get<CalendarFeedStatus>('/calendar/feed');
/** POST /calendar/feed: a new secret (any earlier one stops working); path is under the server's origin. */
export const issueFeed = () => call<CalendarFeedIssued>('POST', '/calendar/feed');
/** DELETE /calendar/feed: the feed answers to no secret. */
export const revokeFeed = () => call<void>('DELETE', '/calendar/feed');
