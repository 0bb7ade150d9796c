// Drag to reschedule in the schedule calendar (native HTML5 drag and drop). The month moves an
// occurrence by whole days (its time of day and length kept); the week's and the day's time grid
// move it to another half hour, and in the week to another day (its length kept); all-day ones move
// by days. A single entry is PATCHed at the version the calendar showed; an occurrence of a series
// asks first: this occurrence (POST …/occurrences, named by its original start) or the whole series
// (PATCH of the series' start and end, shifted alike, where its rule can move with it). The moved
// occurrence shows at its new place while the server answers; the calendar is read again after
// every attempt, and a refused move is put back at once.
//
// Times move on the wall clock of the user's zone (the calendar is drawn in it); all-day entries'
// dates and the series' rules are the application's zone's (Asia/Shanghai).
import { useState } from 'react';
import { Alert, App, Button, Modal, Space, Spin, Typography } from 'antd';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import dayjs, { type Dayjs } from 'dayjs';
import { ApiError } from '../api/client';
import { editOccurrence, fetchSchedule, updateSchedule, type CalendarSlot, type ScheduleEntry, type ScheduleOccurrenceRequest, type SchedulePatch } from '../api/schedules';
import { ErrorState } from '../components/States';
import { useLang, useT } from '../i18n';
import { fieldErrorCode, scheduleProblem } from '../labels';
import { useSession } from '../session';
import { userZone } from '../util';
import { appDate, appZone, fmtWhen, isEditor } from './scheduleCommon';

/** The data type a dragged occurrence carries (its scheduleId and occurrence). */
export const DRAG_TYPE = 'application/x-chronicle-schedule';
/** The time grid's rows, and what a drop there snaps to: half an hour. */
export const SNAP = 30;

/** A move: whole days, then minutes, on the wall clock of the user's zone (days only for all-day entries). */
export interface Shift {
  days: number;
  minutes: number;
}

const dateOnly = /^\d{4}-\d{2}-\d{2}$/;
const wallFormat = 'YYYY-MM-DDTHH:mm:ss.SSS';
/** An instant as the wall clock of the user's zone, held in UTC so that arithmetic knows no daylight saving. */
const wall = (v: string): Dayjs => dayjs.utc(dayjs(v).tz(userZone()).format(wallFormat));
/** A wall clock of the user's zone as an RFC 3339 instant. */
const instant = (w: Dayjs): string => dayjs.tz(w.format(wallFormat), userZone()).toISOString();

/** A start or an end moved: a date by the days, an instant on the user's wall clock. */
export function shiftTime(v: string, allDay: boolean, s: Shift): string {
  if (allDay || dateOnly.test(v)) return dayjs(v).add(s.days, 'day').format('YYYY-MM-DD');
  return instant(wall(v).add(s.days, 'day').add(s.minutes, 'minute'));
}

/** An occurrence's start and end after a move: the start shifted, the end as far after it as before. */
export function moveTimes(o: Pick<CalendarSlot, 'start' | 'end' | 'allDay'>, s: Shift): { start: string; end: string } {
  if (o.allDay || dateOnly.test(o.start)) return { start: shiftTime(o.start, true, s), end: shiftTime(o.end, true, s) };
  const start = shiftTime(o.start, false, s);
  return { start, end: new Date(Date.parse(start) + (Date.parse(o.end) - Date.parse(o.start))).toISOString() };
}

/** The move of a drop on another day of the month (or of the all-day row): whole days. */
export function dayShift(from: string, to: string): Shift {
  return { days: dayjs(to).diff(dayjs(from), 'day'), minutes: 0 };
}

/**
 * The move of a drop on the time grid: the point of the occurrence that was grabbed (a day and a
 * minute of it in the user's zone) goes to the half hour dropped on, and the new start is snapped
 * to the grid.
 */
export function gridShift(start: string, grab: { day: string; minute: number }, drop: { day: string; minute: number }): Shift {
  const from = wall(start);
  const grabbed = dayjs.utc(grab.day).add(grab.minute, 'minute');
  const offset = Math.round(grabbed.diff(from, 'minute') / SNAP) * SNAP;
  const to = dayjs.utc(drop.day).add(drop.minute - offset, 'minute');
  const days = to.startOf('day').diff(from.startOf('day'), 'day');
  return { days, minutes: to.diff(from.add(days, 'day'), 'minute') };
}

export const isNoShift = (s: Shift) => s.days === 0 && s.minutes === 0;

const codes = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
const mondayIndex = (d: Dayjs) => (d.day() + 6) % 7;

/** Why the whole series cannot move with an occurrence; null when it can. */
export type SeriesProblem = 'edited' | 'rule' | null;

/**
 * The whole series moved by the shift of one of its occurrences: its start and end shifted alike,
 * and its rule where the rule names days (a weekly rule's weekdays, a monthly rule's day of the
 * month, the end date) and those days move. A series moves whole only where every occurrence then
 * moves by just that much: when the clock alone moves (the dates in Asia/Shanghai stay), or its
 * days move and the rule can follow — daily; weekly (on the start's weekday, or on several days
 * every week); monthly or yearly on a day that every month has before and after (the 1st to the
 * 28th, the month unchanged for a yearly one). Otherwise (the Nth weekday of a month, several days
 * every other week, a month's end) the problem is 'rule'; an occurrence changed on its own gives
 * 'edited' (a change of the series' times drops such changes).
 */
export function seriesMove(
  entry: Pick<ScheduleEntry, 'start' | 'end' | 'allDay' | 'recurrence'>,
  occurrence: Pick<CalendarSlot, 'edited'>,
  s: Shift,
): { problem: SeriesProblem; patch?: SchedulePatch } {
  if (occurrence.edited) return { problem: 'edited' };
  const { start, end } = moveTimes(entry, s);
  const before = appDate(entry.start);
  const after = appDate(start);
  const days = dayjs(after).diff(dayjs(before), 'day');
  if (days === 0 || !entry.recurrence) return { problem: null, patch: { start, end } };
  const parts = entry.recurrence
    .toUpperCase()
    .replace(/^RRULE:/, '')
    .split(';')
    .map((p) => p.split('=') as [string, string]);
  const get = (k: string) => parts.find(([n]) => n === k)?.[1];
  const freq = get('FREQ');
  const interval = Number(get('INTERVAL') ?? '1');
  const was = dayjs(before);
  const now = dayjs(after);
  const out: [string, string][] = [];
  for (const [k, v] of parts) {
    switch (k) {
      case 'FREQ':
      case 'INTERVAL':
      case 'COUNT':
      case 'WKST':
        out.push([k, v]);
        break;
      case 'UNTIL': {
        // a date, inclusive (a UTC time counts as its date in Asia/Shanghai, as the server reads it)
        const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z)?$/.exec(v);
        if (!m) return { problem: 'rule' };
        const until = m[4]
          ? dayjs(dayjs.utc(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`).tz(appZone).format('YYYY-MM-DD'))
          : dayjs(`${m[1]}-${m[2]}-${m[3]}`);
        if (!until.isValid()) return { problem: 'rule' };
        out.push([k, until.add(days, 'day').format('YYYYMMDD')]);
        break;
      }
      case 'BYDAY': {
        const list = v.split(',');
        if (freq !== 'WEEKLY' || list.some((c) => !codes.includes(c)) || !list.includes(codes[mondayIndex(was)])) return { problem: 'rule' };
        // several days a week move alike only when every week has them
        if (list.length > 1 && interval !== 1) return { problem: 'rule' };
        const moved = list.map((c) => codes[(((codes.indexOf(c) + days) % 7) + 7) % 7]);
        out.push([k, codes.filter((c) => moved.includes(c)).join(',')]);
        break;
      }
      case 'BYMONTHDAY': {
        if (freq !== 'MONTHLY' || Number(v) !== was.date()) return { problem: 'rule' };
        out.push([k, String(now.date())]);
        break;
      }
      default:
        return { problem: 'rule' };
    }
  }
  // a day of the month moves with every occurrence only among the days every month has (and a
  // yearly one within its month)
  if ((freq === 'MONTHLY' || freq === 'YEARLY') && (was.date() > 28 || now.date() > 28)) return { problem: 'rule' };
  if (freq === 'YEARLY' && was.month() !== now.month()) return { problem: 'rule' };
  return { problem: null, patch: { start, end, recurrence: out.map(([k, v]) => `${k}=${v}`).join(';') } };
}

/** What is being dragged: the occurrence and where it was grabbed (a day and a minute of it, in the user's zone). */
export interface Dragging {
  slot: CalendarSlot;
  day: string;
  minute: number;
}

/** An occurrence as the calendar shows it: at its new place while a move is under way. */
export type ShownSlot = CalendarSlot & { pending?: boolean };

interface Pending {
  scheduleId: string;
  /** undefined: every occurrence of the series */
  occurrence?: string;
  shift: Shift;
}

/**
 * The calendar's drag and drop: who may drag what, the occurrence being dragged, the drop (which
 * PATCHes a single entry or asks about a series' occurrence), the occurrences as shown (moves under
 * way applied) and the question's dialog.
 */
export function useReschedule() {
  const t = useT();
  const s = useSession();
  const qc = useQueryClient();
  const { message } = App.useApp();
  const [dragging, setDragging] = useState<Dragging | null>(null);
  const [pending, setPending] = useState<Pending[]>([]);
  const [asking, setAsking] = useState<{ slot: CalendarSlot; shift: Shift } | null>(null);
  const me = s.user.id;

  const key = (x: Pick<CalendarSlot, 'scheduleId' | 'occurrence'>) => x.scheduleId + ' ' + x.occurrence;
  const inFlight = (x: CalendarSlot) => pending.some((p) => p.scheduleId === x.scheduleId && (p.occurrence === undefined || p.occurrence === x.occurrence));
  /** Whether the reader may drag the occurrence: its entry's owner and creator edit it (and none of it is on its way). */
  const mayDrag = (x: CalendarSlot) => isEditor({ ownerId: x.ownerId, creatorId: x.creatorId }, me) && !inFlight(x);

  const refusal = (e: unknown): string => {
    if (!(e instanceof ApiError)) return String(e);
    if (e.status === 403) return t('你不能修改这条日程', 'You cannot change this entry');
    if (e.status === 409 || e.status === 412)
      return t('这条日程已被他人修改，日历已刷新为最新内容，请重新拖动。', 'Someone else changed this entry meanwhile; the calendar now shows the latest. Drag it again.');
    const fe = e.problem?.errors ?? [];
    if (fe.length) return fe.map((f) => (f.code && fieldErrorCode[f.code] ? t(...fieldErrorCode[f.code]) : `${f.field}: ${f.message}`)).join('; ');
    if (scheduleProblem[e.code]) return t(...scheduleProblem[e.code]);
    return e.message || e.code;
  };

  /** Sends a move: shown at its new place meanwhile; put back at once if refused; the calendar read again either way. */
  const commit = async (p: Pending, send: () => Promise<unknown>) => {
    setPending((ps) => [...ps, p]);
    let done = false;
    try {
      await send();
      done = true;
      message.success(t('日程已改期', 'The entry is moved'));
    } catch (e) {
      setPending((ps) => ps.filter((x) => x !== p));
      message.error(refusal(e));
    }
    try {
      await qc.invalidateQueries();
    } finally {
      if (done) setPending((ps) => ps.filter((x) => x !== p));
    }
  };

  const start = (d: Dragging) => setDragging(d);
  const end = () => setDragging(null);

  /** A drop: the dragged occurrence moves by the shift (nothing when it stays). */
  const drop = (shift: Shift) => {
    const d = dragging;
    setDragging(null);
    if (!d || isNoShift(shift) || !mayDrag(d.slot)) return;
    const o = d.slot;
    if (!o.recurring) {
      const times = moveTimes(o, shift);
      void commit({ scheduleId: o.scheduleId, occurrence: o.occurrence, shift }, () => updateSchedule(o.scheduleId, times, o.version));
      return;
    }
    setAsking({ slot: o, shift });
  };

  const moveOccurrence = (entry: ScheduleEntry) => {
    const a = asking!;
    setAsking(null);
    const o = a.slot;
    const body: ScheduleOccurrenceRequest = { occurrence: o.occurrence, ...moveTimes(o, a.shift) };
    // an occurrence's own title, location and description stay its own (an edit replaces them all)
    const own = entry.overrides?.[o.occurrence];
    if (own?.title != null) body.title = own.title;
    if (own?.location != null) body.location = own.location;
    if (own?.description != null) body.description = own.description;
    void commit({ scheduleId: o.scheduleId, occurrence: o.occurrence, shift: a.shift }, () => editOccurrence(o.scheduleId, body, o.version));
  };
  const moveSeries = (patch: SchedulePatch) => {
    const a = asking!;
    setAsking(null);
    void commit({ scheduleId: a.slot.scheduleId, shift: a.shift }, () => updateSchedule(a.slot.scheduleId, patch, a.slot.version));
  };

  /** The occurrences with the moves under way applied. */
  const shown = (items: CalendarSlot[]): ShownSlot[] =>
    pending.length === 0
      ? items
      : items.map((x) => {
          const p = pending.find((q) => q.scheduleId === x.scheduleId && (q.occurrence === undefined || q.occurrence === x.occurrence));
          return p ? { ...x, ...moveTimes(x, p.shift), pending: true } : x;
        });

  const dialog = asking ? <SeriesQuestion key={key(asking.slot)} slot={asking.slot} shift={asking.shift} onCancel={() => setAsking(null)} onOccurrence={moveOccurrence} onSeries={moveSeries} /> : null;
  return { dragging, start, end, drop, mayDrag, shown, pending, dialog };
}

export type Reschedule = ReturnType<typeof useReschedule>;

/** Asks whether an occurrence moves alone or with its whole series (where the series can). */
function SeriesQuestion({
  slot,
  shift,
  onCancel,
  onOccurrence,
  onSeries,
}: {
  slot: CalendarSlot;
  shift: Shift;
  onCancel: () => void;
  onOccurrence: (e: ScheduleEntry) => void;
  onSeries: (p: SchedulePatch) => void;
}) {
  const t = useT();
  const { lang } = useLang();
  const q = useQuery({ queryKey: ['/schedules', slot.scheduleId], queryFn: () => fetchSchedule(slot.scheduleId) });
  const e = q.data;
  const to = moveTimes(slot, shift);
  const series = e ? seriesMove(e, slot, shift) : null;
  const changed = e ? (e.cancelled ?? []).length + Object.keys(e.overrides ?? {}).length : 0;
  const why =
    series?.problem === 'edited'
      ? t('这一次已单独修改过，只能单独调整。', 'This occurrence was changed on its own, so it moves on its own.')
      : series?.problem === 'rule'
        ? t('这个系列的重复规则无法随之整体平移（例如每月第几个星期几、月末，或隔周的多天），只能调整这一次；要改整个系列，请用“编辑系列”。',
            'The series’ rule cannot move along with it (say, the Nth weekday of a month, a month’s end, or several days every other week), so only this occurrence can; to change the series use Edit the series.')
        : '';
  return (
    <Modal
      open
      title={t('调整日程时间', 'Move the entry')}
      onCancel={onCancel}
      destroyOnHidden
      data-testid="reschedule-dialog"
      footer={
        <Space wrap>
          <Button onClick={onCancel}>{t('取消', 'Cancel')}</Button>
          <Button disabled={!e || !series?.patch} onClick={() => series?.patch && onSeries(series.patch)} data-testid="reschedule-series">
            {t('整个系列', 'The whole series')}
          </Button>
          <Button type="primary" disabled={!e} onClick={() => e && onOccurrence(e)} data-testid="reschedule-occurrence">
            {t('只改这一次', 'This occurrence')}
          </Button>
        </Space>
      }
    >
      <Typography.Paragraph>
        {t(`“${slot.title}”是重复日程。要把哪些日程改到新的时间？`, `“${slot.title}” repeats. Which should move?`)}
      </Typography.Paragraph>
      <Typography.Paragraph data-testid="reschedule-times">
        {fmtWhen(slot.start, slot.end, slot.allDay, lang)} → <strong>{fmtWhen(to.start, to.end, slot.allDay, lang)}</strong>
      </Typography.Paragraph>
      {q.isLoading ? (
        <Spin />
      ) : q.error ? (
        <ErrorState error={q.error} retry={() => void q.refetch()} />
      ) : (
        <>
          {why && <Alert type="info" showIcon title={why} data-testid="reschedule-why" style={{ marginBottom: 8 }} />}
          {series?.patch && changed > 0 && (
            <Alert
              type="warning"
              showIcon
              data-testid="reschedule-warning"
              title={t(`移动整个系列会清除已单独修改和已取消的 ${changed} 次日程。`, `Moving the whole series drops the ${changed} occurrences edited or cancelled one by one.`)}
            />
          )}
        </>
      )}
    </Modal>
  );
}
