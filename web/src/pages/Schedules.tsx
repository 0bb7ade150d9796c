// The schedules (日程) page: the calendar by month, week or day (occurrences of the chosen view's
// entries, recurrences expanded by the server) and the list of entries with the documents' tabs
// (mine, today, created, participating, my team's, all). Mode, day, view and search are in the URL;
// /schedules/:id opens the entry's drawer (notifications lead there), and the occurrence clicked
// in the calendar comes along in the history state. The subscription panel hands out the link of
// the personal iCalendar feed. The month, and the week's and the day's time grids, move an
// occurrence its owner or creator drags to another day or half hour (scheduleDrag.tsx).
import { useEffect, useMemo, useRef, useState } from 'react';
import { Alert, Button, DatePicker, Empty, Grid, Input, Segmented, Select, Space, Spin, Tabs, Tag, Typography } from 'antd';
import { CalendarOutlined, LeftOutlined, PlusOutlined, RightOutlined } from '@ant-design/icons';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import dayjs, { type Dayjs } from 'dayjs';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import type { Query } from '../api/client';
import { fetchCalendar, type CalendarSlot, type ScheduleEntry, type ScheduleView } from '../api/schedules';
import type { TaskRelatedKind } from '../api/tasks';
import { DataList, type Col } from '../components/DataList';
import { UserSelect } from '../components/common';
import { ErrorState } from '../components/States';
import { useLang, useT, type Lang } from '../i18n';
import { label, scheduleView } from '../labels';
import { useSession } from '../session';
import { fmtTime, userZone } from '../util';
import { describeRRule } from './recurrence';
import { appDate, FeedPanel, fmtWhen, ScheduleDrawer, ScheduleForm, slotsByDay, slotTime, type Occurrence, type ScheduleDefaults } from './scheduleCommon';
import { dayShift, DRAG_TYPE, gridShift, SNAP, useReschedule, type Reschedule, type ShownSlot } from './scheduleDrag';
import { RelatedLink } from './taskCommon';

type Mode = 'month' | 'week' | 'day' | 'list';
const modes: Mode[] = ['month', 'week', 'day', 'list'];
/** The views of the calendar; the list has these and today. */
const calendarViews: ScheduleView[] = ['mine', 'created', 'participating', 'subordinates', 'all'];
const listViews = ['mine', 'today', 'created', 'participating', 'subordinates', 'all'] as const;
type ListView = (typeof listViews)[number];

const dateRe = /^\d{4}-\d{2}-\d{2}$/;
const zhWeek = ['周一', '周二', '周三', '周四', '周五', '周六', '周日'];
const enWeek = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const enMonths = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** A day's place in a week that starts on Monday. */
const mondayIndex = (d: Dayjs) => (d.day() + 6) % 7;
const weekStart = (d: Dayjs) => d.subtract(mondayIndex(d), 'day');
const fmt = (d: Dayjs) => d.format('YYYY-MM-DD');
const weekday = (d: Dayjs, lang: Lang) => (lang === 'en' ? enWeek : zhWeek)[mondayIndex(d)];

/** The days a mode shows around a date: a month's weeks, a week, a day. */
function span(mode: Mode, date: Dayjs): [Dayjs, Dayjs] {
  if (mode === 'week') return [weekStart(date), weekStart(date).add(6, 'day')];
  if (mode === 'day') return [date, date];
  const first = date.startOf('month');
  const last = date.endOf('month').startOf('day');
  return [weekStart(first), last.add(6 - mondayIndex(last), 'day')];
}

function periodTitle(mode: Mode, date: Dayjs, lang: Lang): string {
  const en = lang === 'en';
  if (mode === 'month') return en ? `${enMonths[date.month()]} ${date.year()}` : `${date.year()}年${date.month() + 1}月`;
  if (mode === 'day') return `${fmt(date)} ${weekday(date, lang)}`;
  const [a, b] = span('week', date);
  return `${fmt(a)} – ${a.year() === b.year() ? b.format('MM-DD') : fmt(b)}`;
}

/** One occurrence as a chip of the month grid and of the time grid's all-day row (all-day ones
 * filled); its editors drag it to another day. */
function Chip({ slot, day, onOpen, narrow, drag }: { slot: ShownSlot; day: string; onOpen: (s: CalendarSlot) => void; narrow?: boolean; drag?: Reschedule }) {
  const { lang } = useLang();
  const all = slot.allDay;
  const time = slotTime(slot, day, lang);
  const may = !!drag && !narrow && drag.mayDrag(slot);
  const held = drag?.dragging?.slot === slot;
  return (
    <button
      type="button"
      data-testid="schedule-chip"
      data-all-day={all ? 'true' : 'false'}
      data-pending={slot.pending ? 'true' : undefined}
      title={`${time} ${slot.title}${slot.location ? ' · ' + slot.location : ''}`}
      draggable={may}
      onDragStart={(e) => {
        if (!may) {
          e.preventDefault();
          return;
        }
        e.stopPropagation();
        e.dataTransfer.setData(DRAG_TYPE, `${slot.scheduleId} ${slot.occurrence}`);
        e.dataTransfer.setData('text/plain', slot.title);
        e.dataTransfer.effectAllowed = 'move';
        drag.start({ slot, day, minute: 0 });
      }}
      onDragEnd={() => drag?.end()}
      onClick={(e) => {
        e.stopPropagation();
        onOpen(slot);
      }}
      style={{
        display: 'block',
        width: '100%',
        textAlign: 'left',
        border: 0,
        borderRadius: 4,
        padding: '1px 4px',
        marginTop: 2,
        fontSize: 12,
        lineHeight: '18px',
        cursor: may ? 'grab' : 'pointer',
        whiteSpace: 'nowrap',
        overflow: 'hidden',
        textOverflow: 'ellipsis',
        background: all ? '#1f5fbf' : '#eaf1fb',
        color: all ? '#fff' : '#1d2733',
        opacity: slot.pending || held ? 0.55 : 1,
      }}
    >
      {/* a phone's day is too narrow for the time: the title it is, the drawer tells the rest */}
      {!all && !narrow && <span style={{ fontVariantNumeric: 'tabular-nums', marginInlineEnd: 4 }}>{time}</span>}
      {slot.title}
    </button>
  );
}

/** The drop handlers of a day that takes whole-day moves (a day of the month, a day of the
 * all-day row): accept — the dragged occurrence may land here — and where it was dropped. */
function dayDrop(key: string, drag: Reschedule, accept: boolean, over: string | null, setOver: (v: string | null) => void) {
  return {
    onDragOver: (e: React.DragEvent) => {
      if (!accept) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'move';
      if (over !== key) setOver(key);
    },
    onDragLeave: (e: React.DragEvent) => {
      if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOver(over === key ? null : over);
    },
    onDrop: (e: React.DragEvent) => {
      e.preventDefault();
      setOver(null);
      const d = drag.dragging;
      if (d && accept) drag.drop(dayShift(d.day, key));
      else drag.end();
    },
  };
}

/** The month: weeks from Monday, each day with its occurrences (the first four, then “+N”); an
 * occurrence dropped on another day moves by that many days. */
function MonthGrid({ date, byDay, today, onOpen, onDay, drag }: { date: Dayjs; byDay: Map<string, ShownSlot[]>; today: string; onOpen: (s: CalendarSlot) => void; onDay: (d: string) => void; drag: Reschedule }) {
  const t = useT();
  const { lang } = useLang();
  const narrow = !!Grid.useBreakpoint().xs;
  const [over, setOver] = useState<string | null>(null);
  const [from, to] = span('month', date);
  const days: Dayjs[] = [];
  for (let d = from; !d.isAfter(to); d = d.add(1, 'day')) days.push(d);
  const shown = 4;
  return (
    <div data-testid="schedule-month" style={{ display: 'grid', gridTemplateColumns: 'repeat(7, minmax(0, 1fr))', border: '1px solid #e5e8ef', borderRadius: 6, overflow: 'hidden', background: '#fff' }}>
      {(lang === 'en' ? enWeek : zhWeek).map((w) => (
        <div key={w} style={{ padding: '6px 8px', fontWeight: 600, fontSize: 13, background: '#f5f7fa', borderBottom: '1px solid #e5e8ef' }}>
          {w}
        </div>
      ))}
      {days.map((d) => {
        const key = fmt(d);
        const list = byDay.get(key) ?? [];
        const inMonth = d.month() === date.month();
        const target = over === key && drag.dragging && drag.dragging.day !== key;
        return (
          <div
            key={key}
            data-testid="schedule-day"
            data-date={key}
            {...dayDrop(key, drag, !!drag.dragging, over, setOver)}
            style={{
              minHeight: 96,
              padding: 4,
              borderTop: '1px solid #eef0f4',
              borderInlineStart: mondayIndex(d) ? '1px solid #eef0f4' : undefined,
              background: target ? '#eaf1fb' : inMonth ? '#fff' : '#fafbfc',
              outline: target ? '2px dashed #1f5fbf' : undefined,
              outlineOffset: -2,
              minWidth: 0,
            }}
          >
            <button
              type="button"
              onClick={() => onDay(key)}
              aria-label={t(`${key} 的日程`, `Entries of ${key}`)}
              style={{
                border: 0,
                background: key === today ? '#1f5fbf' : 'transparent',
                color: key === today ? '#fff' : inMonth ? '#1d2733' : '#595959',
                borderRadius: 10,
                minWidth: 22,
                height: 22,
                padding: '0 6px',
                cursor: 'pointer',
                fontSize: 12,
                fontWeight: key === today ? 600 : 400,
              }}
            >
              {d.date()}
            </button>
            {list.slice(0, shown).map((s) => (
              <Chip key={s.scheduleId + s.occurrence} slot={s} day={key} onOpen={onOpen} narrow={narrow} drag={drag} />
            ))}
            {list.length > shown && (
              <Button type="link" size="small" style={{ padding: 0, height: 20, fontSize: 12 }} onClick={() => onDay(key)} data-testid="schedule-more">
                {t(`还有 ${list.length - shown} 项`, `${list.length - shown} more`)}
              </Button>
            )}
          </div>
        );
      })}
    </div>
  );
}

/** One occurrence as a row of an agenda: time, title, where, whose, about what. */
function AgendaItem({ slot, day, onOpen }: { slot: CalendarSlot; day: string; onOpen: (s: CalendarSlot) => void }) {
  const t = useT();
  const { lang } = useLang();
  return (
    <div
      role="button"
      tabIndex={0}
      data-testid="agenda-item"
      onClick={() => onOpen(slot)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          onOpen(slot);
        }
      }}
      style={{ display: 'flex', gap: 12, padding: '8px 4px', borderBottom: '1px solid #f0f0f0', cursor: 'pointer', alignItems: 'flex-start' }}
    >
      <div style={{ width: 96, flex: 'none', fontVariantNumeric: 'tabular-nums', color: '#1d2733' }}>
        {slot.allDay ? <Tag color="blue" style={{ marginInlineEnd: 0 }}>{t('全天', 'All day')}</Tag> : slotTime(slot, day, lang, true)}
      </div>
      <div style={{ flex: 1, minWidth: 0 }}>
        <div style={{ fontWeight: 600, overflowWrap: 'anywhere' }}>
          {slot.title}
          {slot.recurring && (
            <Tag style={{ marginInlineStart: 6 }} color="geekblue">
              {t('重复', 'Repeats')}
            </Tag>
          )}
          {slot.edited && <Tag color="gold">{t('已调整', 'Changed')}</Tag>}
        </div>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {[slot.location, slot.ownerName, slot.relatedName].filter(Boolean).join(' · ')}
        </Typography.Text>
      </div>
    </div>
  );
}

/** The occurrences of one day, in order (all-day ones first). */
function DayAgenda({ day, slots, onOpen, heading }: { day: string; slots: CalendarSlot[]; onOpen: (s: CalendarSlot) => void; heading?: React.ReactNode }) {
  const t = useT();
  return (
    <div data-testid="schedule-agenda" data-date={day}>
      {heading}
      {slots.length === 0 ? (
        <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('没有日程', 'Nothing scheduled')} />
      ) : (
        slots.map((s) => <AgendaItem key={s.scheduleId + s.occurrence} slot={s} day={day} onOpen={onOpen} />)
      )}
    </div>
  );
}

/** The height of half an hour in the time grid. */
const ROW = 22;
const hm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const minuteOfDay = (v: string) => {
  const d = dayjs(v).tz(userZone());
  return d.hour() * 60 + d.minute();
};
const dayOf = (v: string) => dayjs(v).tz(userZone()).format('YYYY-MM-DD');

/** A timed occurrence's part of one day in the time grid (minutes of the day), side by side with those it overlaps. */
interface Segment {
  slot: ShownSlot;
  top: number;
  bottom: number;
  col: number;
  cols: number;
}

function segments(day: string, list: ShownSlot[]): Segment[] {
  const out: Segment[] = list
    .filter((s) => !s.allDay)
    .map((s) => {
      const top = dayOf(s.start) === day ? minuteOfDay(s.start) : 0;
      const bottom = dayOf(s.end) === day ? minuteOfDay(s.end) : 24 * 60;
      return { slot: s, top, bottom: Math.min(24 * 60, Math.max(bottom, top + SNAP)), col: 0, cols: 1 };
    })
    .sort((a, b) => a.top - b.top || b.bottom - a.bottom);
  // overlapping occurrences share the day's width: each in the first column free at its start
  let group: Segment[] = [];
  let ends: number[] = [];
  let groupEnd = -1;
  const close = () => {
    for (const g of group) g.cols = ends.length;
    group = [];
    ends = [];
  };
  for (const g of out) {
    if (g.top >= groupEnd) close();
    groupEnd = Math.max(groupEnd, g.bottom);
    let c = ends.findIndex((e) => e <= g.top);
    if (c < 0) c = ends.push(g.bottom) - 1;
    else ends[c] = g.bottom;
    g.col = c;
    group.push(g);
  }
  close();
  return out;
}

/** A timed occurrence in the time grid: a button (Enter opens it) its editors drag to another half hour. */
function Block({ g, day, onOpen, drag }: { g: Segment; day: string; onOpen: (s: CalendarSlot) => void; drag: Reschedule }) {
  const { lang } = useLang();
  const slot = g.slot;
  const may = drag.mayDrag(slot);
  const held = drag.dragging?.slot === slot;
  const time = slotTime(slot, day, lang, true);
  return (
    <button
      type="button"
      data-testid="schedule-block"
      data-pending={slot.pending ? 'true' : undefined}
      title={`${time} ${slot.title}${slot.location ? ' · ' + slot.location : ''}`}
      draggable={may}
      onDragStart={(e) => {
        if (!may) {
          e.preventDefault();
          return;
        }
        // the half hour of the occurrence that was grabbed stays under the pointer
        const r = e.currentTarget.getBoundingClientRect();
        const rows = Math.max(0, Math.floor((e.clientY - r.top) / ROW)) || 0;
        e.dataTransfer.setData(DRAG_TYPE, `${slot.scheduleId} ${slot.occurrence}`);
        e.dataTransfer.setData('text/plain', slot.title);
        e.dataTransfer.effectAllowed = 'move';
        drag.start({ slot, day, minute: g.top + rows * SNAP });
      }}
      onDragEnd={() => drag.end()}
      onClick={() => onOpen(slot)}
      style={{
        position: 'absolute',
        top: (g.top / SNAP) * ROW + 1,
        height: ((g.bottom - g.top) / SNAP) * ROW - 2,
        left: `calc(${(g.col / g.cols) * 100}% + 2px)`,
        width: `calc(${100 / g.cols}% - 4px)`,
        overflow: 'hidden',
        textAlign: 'left',
        border: 0,
        borderInlineStart: '3px solid #1f5fbf',
        borderRadius: 4,
        padding: '1px 4px',
        fontSize: 12,
        lineHeight: '17px',
        background: '#eaf1fb',
        color: '#1d2733',
        cursor: may ? 'grab' : 'pointer',
        opacity: slot.pending || held ? 0.55 : 1,
        zIndex: 1,
      }}
    >
      <span style={{ fontVariantNumeric: 'tabular-nums', marginInlineEnd: 4 }}>{time}</span>
      <strong style={{ fontWeight: 600 }}>{slot.title}</strong>
      {slot.location && <div style={{ color: '#595959', whiteSpace: 'nowrap', overflow: 'hidden', textOverflow: 'ellipsis' }}>{slot.location}</div>}
    </button>
  );
}

/**
 * The week's or the day's time grid: a row of all-day occurrences, then the hours in half-hour
 * rows with the timed occurrences placed by their times in the user's zone. An occurrence dropped
 * on another half hour (and, in the week, another day) moves there, its length kept; an all-day one
 * moves along the all-day row.
 */
function TimeGrid({ days, byDay, today, onOpen, onDay, drag }: { days: Dayjs[]; byDay: Map<string, ShownSlot[]>; today: string; onOpen: (s: CalendarSlot) => void; onDay?: (d: string) => void; drag: Reschedule }) {
  const t = useT();
  const { lang } = useLang();
  const [over, setOver] = useState<string | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const keys = days.map(fmt);
  const d = drag.dragging;
  const cols = `52px repeat(${days.length}, minmax(0, 1fr))`;
  // the grid opens at 08:00, or earlier when something starts earlier
  const first = Math.min(8 * 60, ...keys.flatMap((k) => segments(k, byDay.get(k) ?? []).map((g) => g.top)));
  useEffect(() => {
    if (scroller.current) scroller.current.scrollTop = Math.floor(first / 60) * 2 * ROW;
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [keys[0]]);
  const slotOf = (e: React.DragEvent): { day: string; minute: number } | null => {
    const el = (e.target as HTMLElement).closest<HTMLElement>('[data-time]');
    if (el?.dataset.date && el.dataset.time) {
      const [h, m] = el.dataset.time.split(':').map(Number);
      return { day: el.dataset.date, minute: h * 60 + m };
    }
    // over an occurrence: the half hour under the pointer
    const col = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const row = Math.floor((e.clientY - col.top) / ROW);
    const day = (e.currentTarget as HTMLElement).dataset.date;
    return day && row >= 0 && row < 48 ? { day, minute: row * SNAP } : null;
  };
  const border = '1px solid #e5e8ef';
  return (
    <div data-testid="schedule-grid" style={{ background: '#fff', border, borderRadius: 6, overflow: 'hidden' }}>
      {onDay && (
        <div style={{ display: 'grid', gridTemplateColumns: cols, background: '#f5f7fa', borderBottom: border }}>
          <div />
          {days.map((x) => (
            <div key={fmt(x)} style={{ padding: '4px 6px', borderInlineStart: border, minWidth: 0 }}>
              <Button type="link" size="small" onClick={() => onDay(fmt(x))} style={{ padding: 0, fontWeight: fmt(x) === today ? 700 : 500 }}>
                {weekday(x, lang)} {x.format('MM-DD')}
              </Button>
            </div>
          ))}
        </div>
      )}
      <div style={{ display: 'grid', gridTemplateColumns: cols, borderBottom: border }}>
        <div style={{ fontSize: 11, color: '#595959', padding: '4px 6px 4px 0', textAlign: 'right' }}>{t('全天', 'All day')}</div>
        {keys.map((k) => {
          const target = over === k && d?.slot.allDay && d.day !== k;
          return (
            <div
              key={k}
              data-testid="allday-cell"
              data-date={k}
              {...dayDrop(k, drag, !!d?.slot.allDay, over, setOver)}
              style={{ minHeight: 28, padding: '2px 4px 4px', borderInlineStart: border, minWidth: 0, background: target ? '#eaf1fb' : undefined, outline: target ? '2px dashed #1f5fbf' : undefined, outlineOffset: -2 }}
            >
              {(byDay.get(k) ?? [])
                .filter((x) => x.allDay)
                .map((x) => (
                  <Chip key={x.scheduleId + x.occurrence} slot={x} day={k} onOpen={onOpen} drag={drag} />
                ))}
            </div>
          );
        })}
      </div>
      <div ref={scroller} style={{ maxHeight: 600, overflowY: 'auto' }}>
        <div style={{ display: 'grid', gridTemplateColumns: cols }}>
          <div>
            {Array.from({ length: 24 }, (_, h) => (
              <div key={h} style={{ height: 2 * ROW, fontSize: 11, color: '#595959', textAlign: 'right', paddingInlineEnd: 6, lineHeight: '14px' }}>
                {hm(h * 60)}
              </div>
            ))}
          </div>
          {keys.map((k) => (
            <div
              key={k}
              data-testid="grid-day"
              data-date={k}
              style={{ position: 'relative', borderInlineStart: border, minWidth: 0 }}
              onDragOver={(e) => {
                if (!d || d.slot.allDay) return;
                const at = slotOf(e);
                if (!at) return;
                e.preventDefault();
                e.dataTransfer.dropEffect = 'move';
                const v = `${at.day} ${hm(at.minute)}`;
                if (over !== v) setOver(v);
              }}
              onDragLeave={(e) => {
                if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOver(null);
              }}
              onDrop={(e) => {
                e.preventDefault();
                setOver(null);
                const at = slotOf(e);
                if (d && !d.slot.allDay && at) drag.drop(gridShift(d.slot.start, { day: d.day, minute: d.minute }, at));
                else drag.end();
              }}
            >
              {Array.from({ length: 48 }, (_, i) => (
                <div
                  key={i}
                  data-testid="time-slot"
                  data-date={k}
                  data-time={hm(i * SNAP)}
                  style={{
                    height: ROW,
                    boxSizing: 'border-box',
                    borderTop: i % 2 ? '1px dashed #f0f0f0' : i ? '1px solid #eef0f4' : undefined,
                    background: over === `${k} ${hm(i * SNAP)}` ? '#d6e4f8' : k === today ? '#fcfdff' : undefined,
                  }}
                />
              ))}
              {segments(k, byDay.get(k) ?? []).map((g) => (
                <Block key={g.slot.scheduleId + g.slot.occurrence} g={g} day={k} onOpen={onOpen} drag={drag} />
              ))}
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}

/** A week: the time grid of its seven days (on a narrower screen the days one under the other, each an agenda). */
function WeekView({ date, byDay, today, onOpen, onDay, drag }: { date: Dayjs; byDay: Map<string, ShownSlot[]>; today: string; onOpen: (s: CalendarSlot) => void; onDay: (d: string) => void; drag: Reschedule }) {
  const { lang } = useLang();
  const screens = Grid.useBreakpoint();
  const wide = !!screens.lg;
  const [from] = span('week', date);
  const days = Array.from({ length: 7 }, (_, i) => from.add(i, 'day'));
  if (wide) return <TimeGrid days={days} byDay={byDay} today={today} onOpen={onOpen} onDay={onDay} drag={drag} />;
  return (
    <div data-testid="schedule-week" style={{ display: 'grid', gridTemplateColumns: '1fr', gap: 8 }}>
      {days.map((d) => {
        const key = fmt(d);
        const list = byDay.get(key) ?? [];
        return (
          <div key={key} data-testid="schedule-day" data-date={key} style={{ background: '#fff', border: '1px solid #e5e8ef', borderRadius: 6, padding: 8, minWidth: 0 }}>
            <Button type="link" size="small" onClick={() => onDay(key)} style={{ padding: 0, fontWeight: key === today ? 700 : 500 }}>
              {weekday(d, lang)} {d.format('MM-DD')}
            </Button>
            {list.map((s) => <AgendaItem key={s.scheduleId + s.occurrence} slot={s} day={key} onOpen={onOpen} />)}
          </div>
        );
      })}
    </div>
  );
}

/** A day: its time grid (on a phone its agenda). */
function DayView({ date, byDay, today, onOpen, drag }: { date: Dayjs; byDay: Map<string, ShownSlot[]>; today: string; onOpen: (s: CalendarSlot) => void; drag: Reschedule }) {
  const screens = Grid.useBreakpoint();
  const phone = !!screens.xs;
  if (!phone) return <TimeGrid days={[date]} byDay={byDay} today={today} onOpen={onOpen} drag={drag} />;
  return (
    <div style={{ background: '#fff', border: '1px solid #e5e8ef', borderRadius: 6, padding: 12 }}>
      <DayAgenda day={fmt(date)} slots={byDay.get(fmt(date)) ?? []} onOpen={onOpen} />
    </div>
  );
}

export default function Schedules() {
  const t = useT();
  const { lang } = useLang();
  const s = useSession();
  const nav = useNavigate();
  const loc = useLocation();
  const { id } = useParams();
  // the page's state is in the URL (a reload, a shared link and Back keep it); a change keeps the
  // occurrence the drawer shows
  const sp = useMemo(() => new URLSearchParams(loc.search), [loc.search]);
  const setSp = (p: Record<string, string | undefined>) => {
    const next = new URLSearchParams(loc.search);
    for (const [k, v] of Object.entries(p)) {
      if (v === undefined || v === '') next.delete(k);
      else next.set(k, v);
    }
    const qs = next.toString();
    nav({ pathname: loc.pathname, search: qs ? '?' + qs : '' }, { replace: true, state: loc.state });
  };
  const can = (p: string) => s.isAdmin || s.can(p);
  const screens = Grid.useBreakpoint();
  const phone = !!screens.xs;
  const [creating, setCreating] = useState<ScheduleDefaults | null>(null);
  const [feed, setFeed] = useState(false);

  const mode: Mode = (modes as string[]).includes(sp.get('mode') ?? '') ? (sp.get('mode') as Mode) : 'month';
  const list = mode === 'list';
  const today = dayjs().tz(userZone()).format('YYYY-MM-DD');
  const dateParam = sp.get('date') ?? '';
  const date = dayjs(dateRe.test(dateParam) && dayjs(dateParam).isValid() ? dateParam : today);
  const mayTeam = can('schedules.read');
  const shownCalendarViews = calendarViews.filter((v) => v !== 'subordinates' || mayTeam);
  const shownListViews = listViews.filter((v) => v !== 'subordinates' || mayTeam);
  const viewParam = sp.get('view') ?? '';
  const listView: ListView = (shownListViews as readonly string[]).includes(viewParam) ? (viewParam as ListView) : 'mine';
  const calView: ScheduleView = (shownCalendarViews as string[]).includes(viewParam) ? (viewParam as ScheduleView) : 'mine';
  const q = sp.get('q') ?? '';
  const search = loc.search;

  useEffect(() => {
    if (!can('schedules.create')) return;
    const onNew = () => setCreating({});
    window.addEventListener('chronicle:new', onNew);
    return () => window.removeEventListener('chronicle:new', onNew);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // the calendar: the mode's days, a day wider each side (the server's dates are Asia/Shanghai's,
  // the grid's the user's zone); today's list is the server's today
  const todayList = list && listView === 'today';
  const [from, to] = span(mode === 'list' ? 'day' : mode, date);
  const calQuery = useMemo(
    () => (todayList ? { view: 'mine' as ScheduleView, q: q || undefined } : { from: fmt(from.subtract(1, 'day')), to: fmt(to.add(1, 'day')), view: calView, q: q || undefined }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [todayList, fmt(from), fmt(to), calView, q],
  );
  const cal = useQuery({
    queryKey: ['/calendar', calQuery],
    queryFn: ({ signal }) => fetchCalendar(calQuery, signal),
    enabled: !list || todayList,
    placeholderData: keepPreviousData,
  });
  // the occurrences by day, those on their way to another time at their new place
  const drag = useReschedule();
  const byDay = useMemo(
    () => slotsByDay(drag.shown(cal.data?.items ?? [])),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [cal.data, drag.pending],
  );

  const open = (slot: CalendarSlot) => {
    const occ: Occurrence = { occurrence: slot.occurrence, start: slot.start, end: slot.end, allDay: slot.allDay, title: slot.title, location: slot.location, edited: slot.edited };
    nav(`/schedules/${slot.scheduleId}${search}`, { state: { occurrence: occ, scheduleId: slot.scheduleId } });
  };
  const state = loc.state as { occurrence?: Occurrence; scheduleId?: string } | null;
  const occurrence = id && state?.scheduleId === id ? state.occurrence : null;
  const closeDrawer = () => nav(`/schedules${search}`);
  const move = (n: number) => setSp({ date: fmt(date.add(n, mode === 'month' ? 'month' : mode === 'week' ? 'week' : 'day')) });
  const toDay = (d: string) => setSp({ mode: 'day', date: d });

  const link = { textDecoration: 'underline' };
  const columns: Col<ScheduleEntry>[] = [
    { key: 'title', title: t('主题', 'Title'), render: (r) => <Link to={`/schedules/${r.id}${search}`} style={link}>{r.title}</Link> },
    { key: 'startAt', title: t('时间', 'When'), sort: 'startAt', render: (r) => fmtWhen(r.start, r.end, r.allDay, lang) },
    { key: 'recurrence', title: t('重复', 'Repeats'), render: (r) => describeRRule(r.recurrence, lang, appDate(r.start)) || '—' },
    { key: 'location', title: t('地点', 'Location') },
    { key: 'ownerName', title: t('负责人', 'Owner') },
    { key: 'related', title: t('关联记录', 'Related to'), render: (r) => (r.relatedKind && r.relatedId ? <RelatedLink task={{ relatedKind: r.relatedKind as TaskRelatedKind, relatedId: r.relatedId, relatedName: r.relatedName }} /> : '') },
    { key: 'seriesEnd', title: t('系列结束', 'Series ends'), sort: 'seriesEnd', hidden: true, render: (r) => (r.recurrence ? (r.seriesEnd ? fmtTime(r.seriesEnd) : t('永不结束', 'Never')) : '') },
    { key: 'creatorName', title: t('创建人', 'Creator'), hidden: true },
    { key: 'createdAt', title: t('创建时间', 'Created'), sort: 'createdAt', hidden: true, render: (r) => fmtTime(r.createdAt) },
    { key: 'updatedAt', title: t('更新时间', 'Updated'), sort: 'updatedAt', hidden: true, render: (r) => fmtTime(r.updatedAt) },
  ];
  const listQuery = useMemo<Query>(
    () => ({ view: listView, q: q || undefined, from: sp.get('from') || undefined, to: sp.get('to') || undefined, ownerId: sp.get('ownerId') || undefined, sort: sp.get('sort') || undefined }),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [listView, q, search],
  );
  const range = [sp.get('from'), sp.get('to')].map((v) => (v ? dayjs(v) : null)) as [Dayjs | null, Dayjs | null];

  const searchBox = (
    <Input.Search
      data-search
      allowClear
      key={q}
      defaultValue={q}
      placeholder={t('搜索主题、地点、关联记录…（按 / ）', 'Search title, location, record… (press /)')}
      aria-label={t('搜索日程', 'Search entries')}
      onSearch={(v) => setSp({ q: v.trim() })}
      style={{ width: 260 }}
    />
  );

  return (
    <div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', marginBottom: 12 }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>{t('日程', 'Schedules')}</Typography.Title>
        <div style={{ flex: 1 }} />
        <Button icon={<CalendarOutlined />} onClick={() => setFeed(true)} data-testid="feed-open">
          {t('订阅日历', 'Subscribe')}
        </Button>
        {can('schedules.create') && (
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(mode === 'day' ? { date: fmt(date) } : {})} data-testid="schedule-new">
            {t('新建日程', 'New entry')}
          </Button>
        )}
      </div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', marginBottom: 12 }}>
        <Segmented
          aria-label={t('显示方式', 'Display')}
          data-testid="schedule-mode"
          value={mode}
          onChange={(v) => setSp({ mode: v === 'month' ? undefined : String(v), view: v !== 'list' && viewParam === 'today' ? undefined : viewParam })}
          options={[
            { value: 'month', label: t('月', 'Month') },
            { value: 'week', label: t('周', 'Week') },
            { value: 'day', label: t('日', 'Day') },
            { value: 'list', label: t('列表', 'List') },
          ]}
        />
        {!list && (
          <>
            <Space.Compact>
              <Button icon={<LeftOutlined />} aria-label={t('上一段', 'Previous')} onClick={() => move(-1)} data-testid="schedule-prev" />
              <Button onClick={() => setSp({ date: undefined })} data-testid="schedule-today">{t('今天', 'Today')}</Button>
              <Button icon={<RightOutlined />} aria-label={t('下一段', 'Next')} onClick={() => move(1)} data-testid="schedule-next" />
            </Space.Compact>
            <Typography.Text strong style={{ fontSize: 16 }} data-testid="schedule-period">
              {periodTitle(mode, date, lang)}
            </Typography.Text>
            <div style={{ flex: 1 }} />
            <Select<ScheduleView>
              aria-label={t('显示谁的日程', 'Whose entries')}
              data-testid="schedule-view"
              value={calView}
              style={{ width: 140 }}
              onChange={(v) => setSp({ view: v === 'mine' ? undefined : v })}
              options={shownCalendarViews.map((v) => ({ value: v, label: label(scheduleView, v, lang) }))}
            />
            {searchBox}
          </>
        )}
      </div>
      {list ? (
        <>
          <Tabs
            activeKey={listView}
            onChange={(k) => setSp({ view: k === 'mine' ? undefined : k })}
            items={shownListViews.map((v) => ({ key: v, label: label(scheduleView, v, lang) }))}
            data-testid="schedule-views"
          />
          {todayList ? (
            cal.error ? (
              <ErrorState error={cal.error} retry={() => void cal.refetch()} />
            ) : (
              <>
                <div style={{ marginBottom: 12 }}>{searchBox}</div>
                <Spin spinning={cal.isLoading}>
                  <DayAgenda day={cal.data?.from ?? today} slots={cal.data?.items ?? []} onOpen={open} />
                </Spin>
              </>
            )
          ) : (
            <>
              <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, marginBottom: 12, alignItems: 'center' }}>
                {searchBox}
                <DatePicker.RangePicker
                  allowEmpty={[true, true]}
                  aria-label={t('按日期筛选', 'Filter by date')}
                  placeholder={[t('日期 起', 'From'), t('止', 'to')]}
                  value={range}
                  onChange={(d) => setSp({ from: d?.[0]?.format('YYYY-MM-DD'), to: d?.[1]?.format('YYYY-MM-DD') })}
                />
                {listView !== 'created' && listView !== 'participating' && (
                  <UserSelect placeholder={t('负责人', 'Owner')} aria-label={t('按负责人筛选', 'Filter by owner')} value={sp.get('ownerId') ?? undefined} onChange={(v) => setSp({ ownerId: (v as string | undefined) ?? undefined })} style={{ minWidth: 140 }} />
                )}
              </div>
              <DataList<ScheduleEntry>
                id="schedules"
                path="/schedules"
                query={listQuery}
                columns={columns}
                sort={sp.get('sort') ?? undefined}
                onSortChange={(v) => setSp({ sort: v })}
                title={(r) => r.title}
                onOpen={(r) => nav(`/schedules/${r.id}${search}`)}
              />
            </>
          )}
        </>
      ) : cal.error && !cal.data ? (
        <ErrorState error={cal.error} retry={() => void cal.refetch()} />
      ) : (
        <Spin spinning={cal.isLoading || cal.isPlaceholderData}>
          {cal.data?.truncated && (
            <Alert type="warning" showIcon style={{ marginBottom: 8 }} title={t('这段时间的日程太多，只显示了一部分；请缩小范围或搜索。', 'This period holds too many entries; only some show. Narrow it or search.')} />
          )}
          {mode === 'month' && <MonthGrid date={date} byDay={byDay} today={today} onOpen={open} onDay={toDay} drag={drag} />}
          {mode === 'week' && <WeekView date={date} byDay={byDay} today={today} onOpen={open} onDay={toDay} drag={drag} />}
          {mode === 'day' && <DayView date={date} byDay={byDay} today={today} onOpen={open} drag={drag} />}
          {drag.dialog}
          {(mode === 'week' ? !!screens.lg : !phone) && (
            <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: 8, marginBottom: 0 }} data-testid="schedule-drag-hint">
              {t('拖动日程可改期（你负责或创建的日程）；也可以点开日程，用“编辑”修改时间。', 'Drag an entry you own or created to move it, or open it and change its time with Edit.')}
            </Typography.Paragraph>
          )}
        </Spin>
      )}
      <ScheduleDrawer id={id ?? null} occurrence={occurrence} onClose={closeDrawer} after={`/schedules${search}`} />
      <ScheduleForm open={!!creating} defaults={creating ?? undefined} onClose={() => setCreating(null)} onSaved={(nid) => {
        setCreating(null);
        nav(`/schedules/${nid}${search}`);
      }} />
      <FeedPanel open={feed} onClose={() => setFeed(false)} />
    </div>
  );
}
