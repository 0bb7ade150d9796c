// The schedules (日程) page: the calendar by month, week or day (occurrences of the chosen view's
// entries, recurrences expanded by the server) and the list of entries with the documents' tabs
// (mine, today, created, participating, my team's, all). Mode, day, view and search are in the URL;
// /schedules/:id opens the entry's drawer (notifications lead there), and the occurrence clicked
// in the calendar comes along in the history state. The subscription panel hands out the link of
// the personal iCalendar feed.
import { useEffect, useMemo, useState } from 'react';
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

/** One occurrence as a chip of the month grid (all-day ones filled). */
function Chip({ slot, day, onOpen, narrow }: { slot: CalendarSlot; day: string; onOpen: (s: CalendarSlot) => void; narrow?: boolean }) {
  const { lang } = useLang();
  const all = slot.allDay;
  const time = slotTime(slot, day, lang);
  return (
    <button
      type="button"
      data-testid="schedule-chip"
      data-all-day={all ? 'true' : 'false'}
      title={`${time} ${slot.title}${slot.location ? ' · ' + slot.location : ''}`}
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
        cursor: 'pointer',
        whiteSpace: 'nowrap',
        overflow: 'hidden',
        textOverflow: 'ellipsis',
        background: all ? '#1f5fbf' : '#eaf1fb',
        color: all ? '#fff' : '#1d2733',
      }}
    >
      {/* a phone's day is too narrow for the time: the title it is, the drawer tells the rest */}
      {!all && !narrow && <span style={{ fontVariantNumeric: 'tabular-nums', marginInlineEnd: 4 }}>{time}</span>}
      {slot.title}
    </button>
  );
}

/** The month: weeks from Monday, each day with its occurrences (the first four, then “+N”). */
function MonthGrid({ date, byDay, today, onOpen, onDay }: { date: Dayjs; byDay: Map<string, CalendarSlot[]>; today: string; onOpen: (s: CalendarSlot) => void; onDay: (d: string) => void }) {
  const t = useT();
  const { lang } = useLang();
  const narrow = !!Grid.useBreakpoint().xs;
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
        return (
          <div
            key={key}
            data-testid="schedule-day"
            data-date={key}
            style={{ minHeight: 96, padding: 4, borderTop: '1px solid #eef0f4', borderInlineStart: mondayIndex(d) ? '1px solid #eef0f4' : undefined, background: inMonth ? '#fff' : '#fafbfc', minWidth: 0 }}
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
              <Chip key={s.scheduleId + s.occurrence} slot={s} day={key} onOpen={onOpen} narrow={narrow} />
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

/** A week: seven days side by side (one under the other on a phone), each an agenda. */
function WeekView({ date, byDay, today, onOpen, onDay }: { date: Dayjs; byDay: Map<string, CalendarSlot[]>; today: string; onOpen: (s: CalendarSlot) => void; onDay: (d: string) => void }) {
  const { lang } = useLang();
  const screens = Grid.useBreakpoint();
  const wide = !!screens.lg;
  const [from] = span('week', date);
  const days = Array.from({ length: 7 }, (_, i) => from.add(i, 'day'));
  return (
    <div data-testid="schedule-week" style={{ display: 'grid', gridTemplateColumns: wide ? 'repeat(7, minmax(0, 1fr))' : '1fr', gap: 8 }}>
      {days.map((d) => {
        const key = fmt(d);
        const list = byDay.get(key) ?? [];
        return (
          <div key={key} data-testid="schedule-day" data-date={key} style={{ background: '#fff', border: '1px solid #e5e8ef', borderRadius: 6, padding: 8, minWidth: 0 }}>
            <Button type="link" size="small" onClick={() => onDay(key)} style={{ padding: 0, fontWeight: key === today ? 700 : 500 }}>
              {weekday(d, lang)} {d.format('MM-DD')}
            </Button>
            {wide ? list.map((s) => <Chip key={s.scheduleId + s.occurrence} slot={s} day={key} onOpen={onOpen} />) : list.map((s) => <AgendaItem key={s.scheduleId + s.occurrence} slot={s} day={key} onOpen={onOpen} />)}
          </div>
        );
      })}
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
  const byDay = useMemo(() => slotsByDay(cal.data?.items ?? []), [cal.data]);

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
          {mode === 'month' && <MonthGrid date={date} byDay={byDay} today={today} onOpen={open} onDay={toDay} />}
          {mode === 'week' && <WeekView date={date} byDay={byDay} today={today} onOpen={open} onDay={toDay} />}
          {mode === 'day' && (
            <div style={{ background: '#fff', border: '1px solid #e5e8ef', borderRadius: 6, padding: 12 }}>
              <DayAgenda day={fmt(date)} slots={byDay.get(fmt(date)) ?? []} onOpen={open} />
            </div>
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
