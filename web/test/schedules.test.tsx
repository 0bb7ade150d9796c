import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { Providers, queryClient } from '../src/Root';
import type { CalendarSlot, ScheduleEntry } from '../src/api/schedules';
import Schedules from '../src/pages/Schedules';
import { defaultRecurrence, describeRecurrence, describeRRule, parseRRule, recurrenceProblem, toRRule } from '../src/pages/recurrence';
import { slotDays } from '../src/pages/scheduleCommon';
import { SessionContext, type SessionInfo } from '../src/session';
import { setUserZone } from '../src/util';
import { json, session } from './helpers';

beforeEach(() => setUserZone('Asia/Shanghai'));
afterEach(() => {
  vi.unstubAllGlobals();
  queryClient.clear();
  localStorage.clear();
  setUserZone(null);
});

describe('the recurrence builder', () => {
  const r = (over: Partial<ReturnType<typeof defaultRecurrence>>, start = '2026-12-07') => ({ ...defaultRecurrence(start), ...over });

  test('writes the RRULE of each choice as the server writes it', () => {
    expect(toRRule(r({}))).toBe('');
    expect(toRRule(r({ freq: 'DAILY' }))).toBe('FREQ=DAILY');
    expect(toRRule(r({ freq: 'DAILY', interval: 2, end: 'count', count: 5 }))).toBe('FREQ=DAILY;INTERVAL=2;COUNT=5');
    // days in week order whatever order they were ticked in
    expect(toRRule(r({ freq: 'WEEKLY', days: ['WE', 'MO'], end: 'count', count: 8 }))).toBe('FREQ=WEEKLY;BYDAY=MO,WE;COUNT=8');
    expect(toRRule(r({ freq: 'WEEKLY', interval: 2, days: ['FR'], end: 'until', until: '2027-03-31' }))).toBe('FREQ=WEEKLY;INTERVAL=2;BYDAY=FR;UNTIL=20270331');
    expect(toRRule(r({ freq: 'MONTHLY' }))).toBe('FREQ=MONTHLY;BYMONTHDAY=7');
    expect(toRRule(r({ freq: 'MONTHLY', monthDay: -1 }))).toBe('FREQ=MONTHLY;BYMONTHDAY=-1');
    expect(toRRule(r({ freq: 'MONTHLY', monthly: 'nth', nth: 2, nthDay: 'TU' }))).toBe('FREQ=MONTHLY;BYDAY=2TU');
    expect(toRRule(r({ freq: 'MONTHLY', monthly: 'nth', nth: -1, nthDay: 'FR', interval: 3 }))).toBe('FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR');
    expect(toRRule(r({ freq: 'YEARLY', end: 'count', count: 3 }))).toBe('FREQ=YEARLY;COUNT=3');
  });

  test('a frequency starts from the start date: its weekday, its day of the month, its place in the month', () => {
    // 2026-12-07 is the first Monday of December; 2026-12-29 the last Tuesday
    expect(defaultRecurrence('2026-12-07')).toMatchObject({ days: ['MO'], monthDay: 7, nth: 1, nthDay: 'MO' });
    expect(defaultRecurrence('2026-12-29')).toMatchObject({ days: ['TU'], monthDay: 29, nth: -1, nthDay: 'TU' });
  });

  test('reads existing rules back into the form, and writes them again unchanged', () => {
    for (const rule of [
      'FREQ=DAILY',
      'FREQ=WEEKLY;BYDAY=MO,WE;COUNT=8',
      'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH,SA;UNTIL=20270131',
      'FREQ=MONTHLY;BYMONTHDAY=15',
      'FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20270630',
      'FREQ=YEARLY;INTERVAL=2',
    ])
      expect(toRRule(parseRRule(rule, '2026-12-07')!)).toBe(rule);
    expect(parseRRule('FREQ=MONTHLY;BYDAY=2TU', '2026-12-08')).toMatchObject({ freq: 'MONTHLY', monthly: 'nth', nth: 2, nthDay: 'TU', end: 'never' });
    expect(parseRRule('RRULE:FREQ=WEEKLY;BYDAY=FR,MO;COUNT=4')).toMatchObject({ freq: 'WEEKLY', days: ['MO', 'FR'], end: 'count', count: 4 });
    // what a rule leaves to the start: a weekly rule's day, a monthly rule's day of the month
    expect(parseRRule('FREQ=WEEKLY', '2026-12-09')).toMatchObject({ days: ['WE'] });
    expect(parseRRule('FREQ=MONTHLY', '2026-12-09')).toMatchObject({ monthly: 'day', monthDay: 9 });
    // an UNTIL time is its date in Asia/Shanghai
    expect(parseRRule('FREQ=DAILY;UNTIL=20261231T170000Z')).toMatchObject({ end: 'until', until: '2027-01-01' });
    expect(parseRRule('')).toMatchObject({ freq: '' });
    // what the form cannot show
    for (const bad of ['FREQ=HOURLY', 'FREQ=WEEKLY;BYSETPOS=1', 'FREQ=DAILY;BYDAY=MO', 'FREQ=MONTHLY;BYDAY=MO,TU', 'FREQ=WEEKLY;BYDAY=1MO', 'FREQ=DAILY;COUNT=2;UNTIL=20270101', 'COUNT=2'])
      expect(parseRRule(bad, '2026-12-07')).toBeNull();
  });

  test('tells the rule in words in both languages', () => {
    expect(describeRecurrence(r({ freq: 'WEEKLY', days: ['MO', 'WE'], end: 'count', count: 8 }), 'zh-CN')).toBe('每周一、三，共 8 次');
    expect(describeRecurrence(r({ freq: 'WEEKLY', days: ['MO', 'WE'], end: 'count', count: 8 }), 'en')).toBe('Weekly on Mon, Wed, 8 times');
    expect(describeRRule('FREQ=WEEKLY;INTERVAL=2;BYDAY=FR', 'zh-CN')).toBe('每 2 周的周五');
    expect(describeRRule('FREQ=DAILY;UNTIL=20261231', 'zh-CN')).toBe('每天，至 2026-12-31');
    expect(describeRRule('FREQ=MONTHLY;BYDAY=-1FR', 'zh-CN')).toBe('每月最后一个周五');
    expect(describeRRule('FREQ=MONTHLY;BYDAY=2TU', 'en')).toBe('Monthly on the second Tuesday');
    expect(describeRRule('FREQ=MONTHLY;BYMONTHDAY=-1', 'zh-CN')).toBe('每月最后一天');
    expect(describeRRule('FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=15', 'zh-CN')).toBe('每 3 个月的 15 日');
    expect(describeRRule('FREQ=YEARLY', 'zh-CN', '2026-12-07')).toBe('每年 12 月 7 日');
    expect(describeRRule('FREQ=YEARLY;COUNT=1', 'en', '2026-12-07')).toBe('Yearly on Dec 7, 1 time');
    expect(describeRRule('', 'zh-CN')).toBe('');
  });

  test('refuses what the server would refuse', () => {
    expect(recurrenceProblem(r({ freq: 'WEEKLY', days: [] }))?.[0]).toBe('请至少选择一天');
    expect(recurrenceProblem(r({ freq: 'DAILY', end: 'count', count: 1001 }))?.[0]).toBe('次数须为 1 到 1000');
    expect(recurrenceProblem(r({ freq: 'DAILY', end: 'until', until: '' }))?.[0]).toBe('请选择结束日期');
    expect(recurrenceProblem(r({ freq: 'DAILY', end: 'until', until: '2026-12-01' }), '2026-12-07')?.[0]).toBe('结束日期不能早于开始日期');
    expect(recurrenceProblem(r({ freq: 'DAILY', interval: 0 }))).not.toBeNull();
    expect(recurrenceProblem(r({ freq: 'WEEKLY', days: ['MO'] }))).toBeNull();
  });
});

test('an occurrence shows on the days of the user’s zone it covers', () => {
  expect(slotDays({ start: '2026-12-07T01:00:00Z', end: '2026-12-07T02:00:00Z', allDay: false })).toEqual(['2026-12-07']);
  // 17:30 UTC is 01:30 the next day in Shanghai
  expect(slotDays({ start: '2026-12-07T17:30:00Z', end: '2026-12-07T18:00:00Z', allDay: false })).toEqual(['2026-12-08']);
  // ending at midnight it does not reach the next day
  expect(slotDays({ start: '2026-12-07T14:00:00Z', end: '2026-12-08T16:00:00Z', allDay: false })).toEqual(['2026-12-07', '2026-12-08']);
  expect(slotDays({ start: '2026-12-10', end: '2026-12-12', allDay: true })).toEqual(['2026-12-10', '2026-12-11', '2026-12-12']);
});

const users = [
  { id: 'u1', username: 'zhang', displayName: '张伟', disabled: false },
  { id: 'u2', username: 'lina', displayName: '李娜', disabled: false },
];

const slot = (over: Partial<CalendarSlot> = {}): CalendarSlot => ({
  scheduleId: 's1', occurrence: '2026-12-07T01:00:00Z', start: '2026-12-07T01:00:00Z', end: '2026-12-07T02:00:00Z', allDay: false,
  title: '拜访星河科技', location: '中关村大街1号', recurring: true, edited: false, ownerId: 'u1', ownerName: '张伟', creatorId: 'u2',
  relatedKind: 'customer', relatedId: 'c1', relatedName: '北京星河科技有限公司', version: 3, ...over,
});

const entry = (over: Partial<ScheduleEntry> = {}): ScheduleEntry => ({
  id: 's1', title: '拜访星河科技', description: '带上报价单', location: '中关村大街1号', allDay: false, recurrence: 'FREQ=WEEKLY;BYDAY=MO,WE',
  relatedKind: 'customer', relatedId: 'c1', relatedName: '北京星河科技有限公司', startAt: '2026-12-07T01:00:00Z', endAt: '2026-12-07T02:00:00Z',
  ownerId: 'u1', ownerName: '张伟', inPool: false, creatorId: 'u2', creatorName: '李娜', createdAt: '2026-12-01T00:30:00Z', updatedAt: '2026-12-01T02:00:00Z',
  version: 3, start: '2026-12-07T01:00:00Z', end: '2026-12-07T02:00:00Z', seriesEnd: null, participants: ['u2'], reminders: [15],
  cancelled: [], overrides: {}, ...over,
});

type Sent = { method: string; url: string; body: Record<string, unknown> | undefined; ifMatch: string | null };

/** Answers the reads the schedule screens make; writes are collected and answered by onWrite (the entry by default). */
function serve(o: { slots?: CalendarSlot[]; entry?: ScheduleEntry; list?: ScheduleEntry[]; feed?: { active: boolean; issuedAt: string | null }; onWrite?: (s: Sent) => Response | undefined } = {}) {
  const sent: Sent[] = [];
  const gets: string[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    if (method === 'GET') {
      gets.push(url);
      const path = url.split('?')[0];
      if (path === '/api/v1/users') return json(200, { items: users, total: users.length, totalExact: true });
      if (path === '/api/v1/calendar') {
        const p = new URL(url, 'http://x').searchParams;
        return json(200, { items: o.slots ?? [], truncated: false, from: p.get('from') ?? '2026-12-07', to: p.get('to') ?? '2026-12-07' });
      }
      if (path === '/api/v1/calendar/feed') return json(200, o.feed ?? { active: false, issuedAt: null });
      if (path === '/api/v1/schedules') return json(200, { items: o.list ?? [], total: (o.list ?? []).length, totalExact: true, nextCursor: '' });
      if (path.endsWith('/history')) return json(200, { items: [], total: 0, totalExact: true });
      if (path.startsWith('/api/v1/schedules/') && o.entry) return json(200, o.entry, { ETag: `"${o.entry.version}"` });
      return json(200, { items: [], total: 0, totalExact: true });
    }
    const s = { method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined, ifMatch: new Headers(init?.headers).get('If-Match') };
    sent.push(s);
    const answer = o.onWrite?.(s);
    if (answer) return answer;
    if (url === '/api/v1/calendar/feed' && method === 'POST') return json(201, { token: 'q3v8u2Yw1Xk9d0bJmN4pR7sT6vW5xZ2aC8eF1gH3iJk', path: '/api/v1/calendar/feed/q3v8u2Yw1Xk9d0bJmN4pR7sT6vW5xZ2aC8eF1gH3iJk.ics' });
    if (method === 'DELETE') return new Response(null, { status: 204 });
    return json(method === 'POST' && url === '/api/v1/schedules' ? 201 : 200, entry({ id: 's9', version: 4 }), { ETag: '"4"', 'X-Chronicle-Position': '30' });
  });
  return { sent, gets };
}

function Where() {
  const l = useLocation();
  return <div data-testid="where">{l.pathname + l.search}</div>;
}
function mount(route: string, s: SessionInfo = session(['schedules.create'], false, { id: 'u1' })) {
  return render(
    <Providers lang="zh-CN">
      <MemoryRouter initialEntries={[route]}>
        <SessionContext.Provider value={s}>
          <Routes>
            <Route path="/schedules" element={<Schedules />} />
            <Route path="/schedules/:id" element={<Schedules />} />
          </Routes>
          <Where />
        </SessionContext.Provider>
      </MemoryRouter>
    </Providers>,
  );
}

/** The open dialog with this title. */
const dialogTitled = (title: string) =>
  waitFor(() => {
    const d = screen.getAllByRole('dialog').find((x) => x.querySelector('.ant-modal-title')?.textContent === title);
    if (!d) throw new Error(`no dialog “${title}”`);
    return d;
  });

const day = (date: string) => document.querySelector(`[data-testid="schedule-day"][data-date="${date}"]`) as HTMLElement;
const chips = (date: string) => within(day(date)).queryAllByTestId('schedule-chip').map((c) => c.textContent);

/** Types a time into a date picker of the form and confirms it. */
const pickTime = async (dialog: HTMLElement, labelText: string, value: string) => {
  const input = within(dialog).getByLabelText(labelText);
  fireEvent.mouseDown(input);
  fireEvent.focus(input);
  fireEvent.change(input, { target: { value } });
  fireEvent.keyDown(input, { key: 'Enter', code: 'Enter', keyCode: 13 });
  fireEvent.blur(input);
  await waitFor(() => expect(input).toHaveValue(value));
};

/** Picks an option of an antd select (by its label) inside a container. */
const choose = async (select: HTMLElement, option: string) => {
  fireEvent.mouseDown(select.querySelector('input') ?? select);
  const item = await waitFor(() => {
    const open = [...document.querySelectorAll('.ant-select-dropdown:not(.ant-select-dropdown-hidden)')].pop() as HTMLElement | undefined;
    if (!open) throw new Error('no open list');
    return within(open).getByTitle(option);
  });
  fireEvent.click(item);
};

test('the month shows each occurrence on its day in Asia/Shanghai, all-day ones first, and reads the weeks it shows', async () => {
  const { gets } = serve({
    slots: [
      slot(),
      // 17:30 UTC on the 7th is 01:30 on the 8th in Shanghai
      slot({ scheduleId: 's2', occurrence: '2026-12-07T17:30:00Z', start: '2026-12-07T17:30:00Z', end: '2026-12-07T18:30:00Z', title: '夜间上线', recurring: false }),
      slot({ scheduleId: 's3', occurrence: '2026-12-07', start: '2026-12-07', end: '2026-12-08', allDay: true, title: '华东展会', recurring: false }),
      slot({ occurrence: '2026-12-09T01:00:00Z', start: '2026-12-09T06:00:00Z', end: '2026-12-09T07:00:00Z', edited: true, title: '改期：拜访星河科技' }),
    ],
  });
  mount('/schedules?date=2026-12-15');
  expect(await screen.findByTestId('schedule-period')).toHaveTextContent('2026年12月');
  await waitFor(() => expect(chips('2026-12-07')).toEqual(['华东展会', '09:00拜访星河科技']));
  expect(chips('2026-12-08')).toEqual(['华东展会', '01:30夜间上线']);
  expect(chips('2026-12-09')).toEqual(['14:00改期：拜访星河科技']);
  expect(chips('2026-12-10')).toEqual([]);
  // December 2026 starts on a Tuesday and ends on a Thursday: the grid runs Monday 30 Nov to Sunday 3 Jan
  expect(document.querySelectorAll('[data-testid="schedule-day"]')).toHaveLength(35);
  expect(day('2026-11-30')).toBeInTheDocument();
  expect(day('2027-01-03')).toBeInTheDocument();
  const read = new URL(gets.find((u) => u.startsWith('/api/v1/calendar?'))!, 'http://x');
  expect(read.searchParams.get('view')).toBe('mine');
  expect(read.searchParams.get('from')).toBe('2026-11-29');
  expect(read.searchParams.get('to')).toBe('2027-01-04');
  // next month; the view applies to the calendar
  fireEvent.click(screen.getByTestId('schedule-next'));
  expect(await screen.findByText('2027年1月')).toBeInTheDocument();
  expect(screen.getByTestId('where')).toHaveTextContent('date=2027-01-15');
  await choose(screen.getByTestId('schedule-view'), '我创建的');
  await waitFor(() => expect(gets.some((u) => u.startsWith('/api/v1/calendar?') && u.includes('view=created') && u.includes('from=2026-12-27'))).toBe(true));
  // no schedules.read: no team view
  expect(within([...document.querySelectorAll('.ant-select-dropdown')].pop() as HTMLElement).queryByTitle('下属的')).toBeNull();
}, 120000);

test('a new entry sends what was filled in: the times in UTC, the weekly rule built, the default reminder', async () => {
  const { sent } = serve();
  mount('/schedules?date=2026-12-07');
  fireEvent.click(await screen.findByTestId('schedule-new'));
  const dialog = await dialogTitled('新建日程');
  // without schedules.assign the entry goes in one's own calendar
  expect(within(dialog).getByLabelText('负责人')).toBeDisabled();
  fireEvent.change(within(dialog).getByLabelText('主题'), { target: { value: ' 拜访星河科技 ' } });
  fireEvent.change(within(dialog).getByLabelText('地点'), { target: { value: '中关村大街1号' } });
  await pickTime(dialog, '开始', '2026-12-07 09:00');
  // the end moved with the start (one hour)
  await waitFor(() => expect(within(dialog).getByLabelText('结束')).toHaveValue('2026-12-07 10:00'));
  await choose(within(dialog).getByTestId('recurrence-freq'), '每周');
  // the start's weekday (Monday) is ticked; add Wednesday, end after 8 times
  const days = within(dialog).getByTestId('recurrence-days');
  expect(within(days).getByLabelText('周一')).toBeChecked();
  fireEvent.click(within(days).getByLabelText('周三'));
  fireEvent.click(within(dialog).getByLabelText('重复次数').closest('label')!.querySelector('input[type="radio"]')!);
  fireEvent.change(within(dialog).getByLabelText('重复次数'), { target: { value: '8' } });
  await waitFor(() => expect(within(dialog).getByTestId('recurrence-summary')).toHaveTextContent('每周一、三，共 8 次'));
  fireEvent.click(within(dialog).getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toMatchObject({ method: 'POST', url: '/api/v1/schedules' });
  expect(sent[0].body).toEqual({
    title: '拜访星河科技',
    start: '2026-12-07T01:00:00.000Z', // 09:00 in Shanghai
    end: '2026-12-07T02:00:00.000Z',
    location: '中关村大街1号',
    recurrence: 'FREQ=WEEKLY;BYDAY=MO,WE;COUNT=8',
    reminders: [15],
  });
  // the new entry opens
  await waitFor(() => expect(screen.getByTestId('where')).toHaveTextContent(/^\/schedules\/s9\?date=2026-12-07$/), { timeout: 10_000 });
}, 120000);

test('an all-day entry sends its dates', async () => {
  const { sent } = serve();
  mount('/schedules?mode=day&date=2026-12-10');
  fireEvent.click(await screen.findByTestId('schedule-new'));
  const dialog = await dialogTitled('新建日程');
  // a new entry on the day shown starts at 09:00 that day
  await waitFor(() => expect(within(dialog).getByLabelText('开始')).toHaveValue('2026-12-10 09:00'));
  fireEvent.change(within(dialog).getByLabelText('主题'), { target: { value: '华东展会' } });
  fireEvent.click(within(dialog).getByRole('switch'));
  await waitFor(() => expect(within(dialog).getByLabelText('开始')).toHaveValue('2026-12-10'));
  await pickTime(dialog, '结束', '2026-12-11');
  fireEvent.click(within(dialog).getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0].body).toEqual({ title: '华东展会', allDay: true, start: '2026-12-10', end: '2026-12-11', reminders: [15] });
}, 120000);

test('an occurrence opens the drawer; its editor cancels that occurrence alone at the entry’s version', async () => {
  const { sent } = serve({ slots: [slot({ occurrence: '2026-12-09T01:00:00Z', start: '2026-12-09T01:00:00Z', end: '2026-12-09T02:00:00Z' })], entry: entry() });
  mount('/schedules?date=2026-12-09');
  await waitFor(() => expect(chips('2026-12-09')).toEqual(['09:00拜访星河科技']));
  fireEvent.click(within(day('2026-12-09')).getByTestId('schedule-chip'));
  await waitFor(() => expect(screen.getByTestId('where')).toHaveTextContent(/^\/schedules\/s1\?date=2026-12-09$/));
  const fields = await screen.findByTestId('schedule-fields');
  expect(within(fields).getByText('2026-12-09 09:00 – 10:00')).toBeInTheDocument();
  expect(within(fields).getByText('每周一、三')).toBeInTheDocument();
  expect(within(fields).getByText('北京星河科技有限公司').closest('a')).toHaveAttribute('href', '/customers/c1');
  expect(within(fields).getByText('提前 15 分钟')).toBeInTheDocument();
  // the creator, and a participant
  await waitFor(() => expect(within(fields).getAllByText('李娜')).toHaveLength(2));
  fireEvent.click(screen.getByTestId('occurrence-cancel'));
  const confirm = await waitFor(() => {
    const d = [...document.querySelectorAll('.ant-modal-confirm')].pop() as HTMLElement | undefined;
    if (!d) throw new Error('no confirm');
    return d;
  });
  expect(confirm).toHaveTextContent('2026-12-09 09:00 – 10:00');
  fireEvent.click(within(confirm).getByRole('button', { name: /取消此次/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'POST', url: '/api/v1/schedules/s1/occurrences/cancel', body: { occurrence: '2026-12-09T01:00:00Z' }, ifMatch: '"3"' });
}, 120000);

test('editing one occurrence sends its name and new times; a title like the series’ is not its own', async () => {
  const { sent } = serve({ slots: [slot({ occurrence: '2026-12-09T01:00:00Z', start: '2026-12-09T01:00:00Z', end: '2026-12-09T02:00:00Z' })], entry: entry() });
  mount('/schedules?date=2026-12-09');
  await waitFor(() => expect(chips('2026-12-09')).toHaveLength(1));
  fireEvent.click(within(day('2026-12-09')).getByTestId('schedule-chip'));
  fireEvent.click(await screen.findByTestId('occurrence-edit'));
  const dialog = await dialogTitled('仅修改此次日程');
  expect(within(dialog).getByLabelText('主题')).toHaveValue('拜访星河科技');
  await pickTime(dialog, '开始', '2026-12-09 14:00');
  await pickTime(dialog, '结束', '2026-12-09 15:00');
  fireEvent.change(within(dialog).getByLabelText('地点'), { target: { value: '线上会议' } });
  fireEvent.click(within(dialog).getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({
    method: 'POST',
    url: '/api/v1/schedules/s1/occurrences',
    body: { occurrence: '2026-12-09T01:00:00Z', start: '2026-12-09T06:00:00.000Z', end: '2026-12-09T07:00:00.000Z', location: '线上会议' },
    ifMatch: '"3"',
  });
}, 120000);

test('/schedules/:id opens the entry; the series form reads its rule back; an edit sends the changed fields at its version and a 412 opens the conflict dialog', async () => {
  const { sent } = serve({
    entry: entry({ recurrence: 'FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20270630', start: '2026-12-25T01:00:00Z', end: '2026-12-25T02:00:00Z', cancelled: ['2027-01-29T01:00:00Z'] }),
    onWrite: () => json(412, { type: 't', title: 'Precondition Failed', status: 412, code: 'version_mismatch', currentVersion: 4, changedBy: { id: 'u2', name: '李娜' }, changedAt: '2026-12-02T02:00:00Z' }),
  });
  mount('/schedules/s1');
  const fields = await screen.findByTestId('schedule-fields');
  expect(within(fields).getByText('每月最后一个周五，至 2027-06-30')).toBeInTheDocument();
  expect(within(fields).getByText('已取消 1 次，单独修改 0 次')).toBeInTheDocument();
  // not opened on an occurrence: only the series' actions
  expect(screen.queryByTestId('occurrence-cancel')).toBeNull();
  fireEvent.click(screen.getByTestId('schedule-edit'));
  const dialog = await dialogTitled('编辑日程');
  await waitFor(() => expect(within(dialog).getByLabelText('主题')).toHaveValue('拜访星河科技'));
  expect(within(dialog).getByTestId('recurrence-summary')).toHaveTextContent('每月最后一个周五，至 2027-06-30');
  expect(within(dialog).getByText('修改时间或重复规则会清除已单独修改和已取消的各次日程。')).toBeInTheDocument();
  fireEvent.change(within(dialog).getByLabelText('主题'), { target: { value: '月度回访' } });
  fireEvent.click(within(dialog).getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'PATCH', url: '/api/v1/schedules/s1', body: { title: '月度回访' }, ifMatch: '"3"' });
  expect(await screen.findByTestId('conflict-dialog')).toHaveTextContent('李娜');
}, 120000);

test('the list has the documents’ tabs; today is the calendar of today', async () => {
  const { gets } = serve({ list: [entry()], slots: [slot({ recurring: false, title: '今日拜访' })] });
  mount('/schedules?mode=list', session(['schedules.read'], false, { id: 'u1' }));
  const tabs = await screen.findByRole('tablist');
  expect([...tabs.querySelectorAll('[role="tab"]')].map((x) => x.textContent)).toEqual(['我的', '今日', '我创建的', '我参与的', '下属的', '全部']);
  const card = await waitFor(() => {
    const c = screen.getAllByTestId('list-card').find((x) => x.textContent?.includes('拜访星河科技'));
    if (!c) throw new Error('no card');
    return c;
  });
  expect(card).toHaveTextContent('每周一、三');
  expect(new URL(gets.find((u) => u.startsWith('/api/v1/schedules?'))!, 'http://x').searchParams.get('view')).toBe('mine');
  fireEvent.change(screen.getByLabelText('搜索日程'), { target: { value: '星河' } });
  fireEvent.keyDown(screen.getByLabelText('搜索日程'), { key: 'Enter', code: 'Enter', keyCode: 13 });
  await waitFor(() => expect(gets.some((u) => u.startsWith('/api/v1/schedules?') && new URL(u, 'http://x').searchParams.get('q') === '星河')).toBe(true));
  fireEvent.click(within(tabs).getByText('全部'));
  await waitFor(() => expect(gets.some((u) => u.startsWith('/api/v1/schedules?') && u.includes('view=all'))).toBe(true));
  fireEvent.click(within(tabs).getByText('今日'));
  const agenda = await screen.findByTestId('schedule-agenda');
  expect(await within(agenda).findByText('今日拜访')).toBeInTheDocument();
  // today's calendar: no dates (the server's today)
  const read = new URL(gets.filter((u) => u.startsWith('/api/v1/calendar')).pop()!, 'http://x');
  expect(read.searchParams.get('from')).toBeNull();
  expect(read.searchParams.get('to')).toBeNull();
}, 120000);

test('the subscription panel makes a link, shows its full address once, and warns before making another', async () => {
  const { sent } = serve({ feed: { active: false, issuedAt: null } });
  mount('/schedules');
  fireEvent.click(await screen.findByTestId('feed-open'));
  expect(await screen.findByText('订阅未开启')).toBeInTheDocument();
  fireEvent.click(screen.getByTestId('feed-issue'));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toMatchObject({ method: 'POST', url: '/api/v1/calendar/feed' });
  const url = await screen.findByTestId('feed-url');
  expect(url).toHaveValue(window.location.origin + '/api/v1/calendar/feed/q3v8u2Yw1Xk9d0bJmN4pR7sT6vW5xZ2aC8eF1gH3iJk.ics');
  expect(screen.getByTestId('feed-howto')).toHaveTextContent('Outlook');
  expect(screen.getByTestId('feed-howto')).toHaveTextContent('Google');
  // another link: asked first, the old one stops working
  fireEvent.click(screen.getByTestId('feed-issue'));
  expect(await screen.findByText('旧链接将立即失效，已用旧链接订阅的日历将不再更新，需要用新链接重新订阅。')).toBeInTheDocument();
  expect(sent).toHaveLength(1);
}, 120000);
