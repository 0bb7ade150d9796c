// Drag to reschedule in the schedule calendar: what a drop sends (times, the occurrence's name,
// If-Match), what the calendar shows after the server's answer, who may drag.
import { createEvent, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { Providers, queryClient } from '../src/Root';
import type { CalendarSlot, ScheduleEntry } from '../src/api/schedules';
import Schedules from '../src/pages/Schedules';
import { gridShift, moveTimes, seriesMove } from '../src/pages/scheduleDrag';
import { SessionContext } from '../src/session';
import { setUserZone } from '../src/util';
import { json, session } from './helpers';

const original = window.matchMedia;
/** A desktop-wide window (the week is a time grid). */
const wide = () => {
  window.matchMedia = (query: string) =>
    ({ matches: /min-width/.test(query), media: query, onchange: null, addListener: () => {}, removeListener: () => {}, addEventListener: () => {}, removeEventListener: () => {}, dispatchEvent: () => false }) as MediaQueryList;
};
beforeEach(() => setUserZone('Asia/Shanghai'));
afterEach(() => {
  vi.unstubAllGlobals();
  queryClient.clear();
  localStorage.clear();
  setUserZone(null);
  window.matchMedia = original;
});

const slot = (over: Partial<CalendarSlot> = {}): CalendarSlot => ({
  scheduleId: 's1', occurrence: '2026-12-07T01:00:00Z', start: '2026-12-07T01:00:00Z', end: '2026-12-07T02:30:00Z', allDay: false,
  title: '拜访星河科技', location: '中关村大街1号', recurring: false, edited: false, ownerId: 'u1', ownerName: '张伟', creatorId: 'u1',
  relatedKind: '', relatedId: null, relatedName: '', version: 3, ...over,
});

const entry = (over: Partial<ScheduleEntry> = {}): ScheduleEntry => ({
  id: 's1', title: '拜访星河科技', description: '', location: '中关村大街1号', allDay: false, recurrence: 'FREQ=WEEKLY;BYDAY=MO,WE',
  relatedKind: '', relatedId: null, relatedName: '', startAt: '2026-12-07T01:00:00Z', endAt: '2026-12-07T02:00:00Z',
  ownerId: 'u1', ownerName: '张伟', inPool: false, creatorId: 'u1', creatorName: '张伟', createdAt: '2026-12-01T00:30:00Z', updatedAt: '2026-12-01T02:00:00Z',
  version: 3, start: '2026-12-07T01:00:00Z', end: '2026-12-07T02:00:00Z', seriesEnd: null, participants: [], reminders: [15],
  cancelled: [], overrides: {}, ...over,
});

type Sent = { method: string; url: string; body: Record<string, unknown> | undefined; ifMatch: string | null };

/** The API: the calendar answers slots() (read anew each time: what the server has now); writes are
 * collected and answered by onWrite (200 with the entry by default). */
function serve(o: { slots: () => CalendarSlot[]; entry?: ScheduleEntry; onWrite?: (s: Sent) => Response | undefined }) {
  const sent: Sent[] = [];
  let calendarReads = 0;
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    if (method === 'GET') {
      const path = url.split('?')[0];
      if (path === '/api/v1/calendar') {
        calendarReads++;
        const p = new URL(url, 'http://x').searchParams;
        return json(200, { items: o.slots(), truncated: false, from: p.get('from'), to: p.get('to') });
      }
      if (path.startsWith('/api/v1/schedules/') && o.entry) return json(200, o.entry, { ETag: `"${o.entry.version}"` });
      return json(200, { items: [], total: 0, totalExact: true });
    }
    const s = { method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined, ifMatch: new Headers(init?.headers).get('If-Match') };
    sent.push(s);
    const answer = o.onWrite?.(s);
    if (answer) return answer;
    return json(200, o.entry ?? entry({ recurrence: '' }), { ETag: '"4"', 'X-Chronicle-Position': '30' });
  });
  return { sent, calendarReads: () => calendarReads };
}

function mount(route: string, me = 'u1') {
  return render(
    <Providers lang="zh-CN">
      <MemoryRouter initialEntries={[route]}>
        <SessionContext.Provider value={session(['schedules.create'], false, { id: me })}>
          <Routes>
            <Route path="/schedules" element={<Schedules />} />
            <Route path="/schedules/:id" element={<Schedules />} />
          </Routes>
        </SessionContext.Provider>
      </MemoryRouter>
    </Providers>,
  );
}

/** A drag from one element to another, as the browser sends it (the data travels in dataTransfer). */
function dragTo(from: HTMLElement, to: HTMLElement, at: { clientY?: number } = {}) {
  const data = new Map<string, string>();
  const dataTransfer = { setData: (k: string, v: string) => data.set(k, v), getData: (k: string) => data.get(k) ?? '', get types() { return [...data.keys()]; }, effectAllowed: '', dropEffect: '' };
  // jsdom has no DragEvent: the pointer's height is put on the event by hand
  const start = createEvent.dragStart(from, { dataTransfer });
  if (at.clientY !== undefined) Object.defineProperty(start, 'clientY', { value: at.clientY });
  fireEvent(from, start);
  fireEvent.dragOver(to, { dataTransfer });
  fireEvent.drop(to, { dataTransfer });
  fireEvent.dragEnd(from, { dataTransfer });
}

const day = (date: string) => document.querySelector(`[data-testid="schedule-day"][data-date="${date}"]`) as HTMLElement;
const chips = (date: string) => within(day(date)).queryAllByTestId('schedule-chip');
const chipTitled = (date: string, title: string) =>
  waitFor(() => {
    const c = chips(date).find((x) => x.textContent?.includes(title));
    if (!c) throw new Error(`no “${title}” on ${date}`);
    return c;
  });
const column = (date: string) => document.querySelector(`[data-testid="grid-day"][data-date="${date}"]`) as HTMLElement;
const halfHour = (date: string, time: string) => document.querySelector(`[data-testid="time-slot"][data-date="${date}"][data-time="${time}"]`) as HTMLElement;

describe('the month', () => {
  test('an entry dropped two days later is PATCHed at its version, its time of day (in the user’s zone, across a change to summer time) and length kept; the calendar then shows the server’s', async () => {
    // 09:00–10:30 in Berlin on Friday 26 March 2027 (winter time, UTC+1); summer time begins on Sunday the 28th
    setUserZone('Europe/Berlin');
    let at = slot({ occurrence: '2027-03-26T08:00:00Z', start: '2027-03-26T08:00:00Z', end: '2027-03-26T09:30:00Z' });
    const api = serve({
      slots: () => [at],
      onWrite: (s) => {
        at = { ...at, start: String(s.body!.start), end: String(s.body!.end), occurrence: String(s.body!.start), version: 4 };
        return undefined;
      },
    });
    mount('/schedules?date=2027-03-15');
    const chip = await chipTitled('2027-03-26', '拜访星河科技');
    expect(chip).toHaveTextContent('09:00拜访星河科技');
    expect(chip).toHaveAttribute('draggable', 'true');
    const reads = api.calendarReads();
    dragTo(chip, day('2027-03-28'));
    await waitFor(() => expect(api.sent).toHaveLength(1));
    // 09:00 on the 28th is 07:00 UTC in summer time (not 08:00, which 48 hours would give)
    expect(api.sent[0]).toEqual({ method: 'PATCH', url: '/api/v1/schedules/s1', body: { start: '2027-03-28T07:00:00.000Z', end: '2027-03-28T08:30:00.000Z' }, ifMatch: '"3"' });
    expect(await screen.findByText('日程已改期')).toBeInTheDocument();
    await waitFor(() => expect(api.calendarReads()).toBeGreaterThan(reads));
    expect(await chipTitled('2027-03-28', '拜访星河科技')).toHaveTextContent('09:00拜访星河科技');
    expect(chips('2027-03-26')).toHaveLength(0);
  }, 120000);

  test('an all-day entry moves by its dates, still all day', async () => {
    const api = serve({ slots: () => [slot({ occurrence: '2026-12-10', start: '2026-12-10', end: '2026-12-11', allDay: true, title: '华东展会' })] });
    mount('/schedules?date=2026-12-15');
    const chip = await chipTitled('2026-12-10', '华东展会');
    dragTo(chip, day('2026-12-14'));
    await waitFor(() => expect(api.sent).toHaveLength(1));
    expect(api.sent[0]).toEqual({ method: 'PATCH', url: '/api/v1/schedules/s1', body: { start: '2026-12-14', end: '2026-12-15' }, ifMatch: '"3"' });
  }, 120000);

  test('a 403 says so, sends nothing more, and the entry is where the calendar read again puts it', async () => {
    const api = serve({
      slots: () => [slot()],
      onWrite: () => json(403, { type: 't', title: 'Forbidden', status: 403, code: 'not_editor', detail: "only the entry's owner or creator may do this" }),
    });
    mount('/schedules?date=2026-12-15');
    const chip = await chipTitled('2026-12-07', '拜访星河科技');
    const reads = api.calendarReads();
    dragTo(chip, day('2026-12-09'));
    await waitFor(() => expect(api.sent).toHaveLength(1));
    expect(api.sent[0]).toMatchObject({ method: 'PATCH', body: { start: '2026-12-09T01:00:00.000Z', end: '2026-12-09T02:30:00.000Z' } });
    expect(await screen.findByText('你不能修改这条日程')).toBeInTheDocument();
    await waitFor(() => expect(api.calendarReads()).toBeGreaterThan(reads));
    await chipTitled('2026-12-07', '拜访星河科技');
    expect(chips('2026-12-09')).toHaveLength(0);
    expect(api.sent).toHaveLength(1);
  }, 120000);

  test('a stale version (412) says someone else changed it and shows where it is now', async () => {
    let moved = false;
    const api = serve({
      // someone else moved it to the 8th meanwhile
      slots: () => [moved ? slot({ start: '2026-12-08T01:00:00Z', end: '2026-12-08T02:30:00Z', version: 4 }) : slot()],
      onWrite: () => {
        moved = true;
        return json(412, { type: 't', title: 'Precondition Failed', status: 412, code: 'version_conflict', currentVersion: 4 });
      },
    });
    mount('/schedules?date=2026-12-15');
    dragTo(await chipTitled('2026-12-07', '拜访星河科技'), day('2026-12-10'));
    await waitFor(() => expect(api.sent).toHaveLength(1));
    expect(api.sent[0].ifMatch).toBe('"3"');
    expect(await screen.findByText('这条日程已被他人修改，日历已刷新为最新内容，请重新拖动。')).toBeInTheDocument();
    await chipTitled('2026-12-08', '拜访星河科技');
    expect(chips('2026-12-10')).toHaveLength(0);
    expect(chips('2026-12-07')).toHaveLength(0);
  }, 120000);

  test('only the owner’s and the creator’s occurrences are draggable; another’s drop sends nothing', async () => {
    const api = serve({
      slots: () => [
        slot({ scheduleId: 's2', title: '别人的会议', ownerId: 'u2', ownerName: '李娜', creatorId: 'u3' }),
        slot({ scheduleId: 's3', title: '替李娜安排的拜访', ownerId: 'u2', ownerName: '李娜', creatorId: 'u1' }),
      ],
    });
    mount('/schedules?date=2026-12-15');
    const theirs = await chipTitled('2026-12-07', '别人的会议');
    expect(theirs).toHaveAttribute('draggable', 'false');
    expect(await chipTitled('2026-12-07', '替李娜安排的拜访')).toHaveAttribute('draggable', 'true');
    dragTo(theirs, day('2026-12-09'));
    // still opens on a click
    await new Promise((r) => setTimeout(r, 200));
    expect(api.sent).toHaveLength(0);
    expect(chips('2026-12-09')).toHaveLength(0);
    expect(screen.queryByTestId('reschedule-dialog')).toBeNull();
  }, 120000);
});

describe('the week', () => {
  test('an entry dropped on a later half hour of another day moves there, its length kept', async () => {
    wide();
    let at = slot();
    const api = serve({
      slots: () => [at],
      onWrite: (s) => {
        at = { ...at, start: String(s.body!.start), end: String(s.body!.end), occurrence: String(s.body!.start), version: 4 };
        return undefined;
      },
    });
    mount('/schedules?mode=week&date=2026-12-09');
    const block = await waitFor(() => within(column('2026-12-07')).getByTestId('schedule-block'));
    expect(block).toHaveTextContent('09:00–10:30');
    expect(block).toHaveAttribute('draggable', 'true');
    dragTo(block, halfHour('2026-12-09', '14:30'));
    await waitFor(() => expect(api.sent).toHaveLength(1));
    // 14:30–16:00 in Shanghai
    expect(api.sent[0]).toEqual({ method: 'PATCH', url: '/api/v1/schedules/s1', body: { start: '2026-12-09T06:30:00.000Z', end: '2026-12-09T08:00:00.000Z' }, ifMatch: '"3"' });
    await waitFor(() => expect(within(column('2026-12-09')).getByTestId('schedule-block')).toHaveTextContent('14:30–16:00'));
    expect(within(column('2026-12-07')).queryByTestId('schedule-block')).toBeNull();
  }, 120000);

  test('the half hour grabbed stays under the pointer, and another’s occurrence is not draggable', async () => {
    wide();
    const api = serve({ slots: () => [slot(), slot({ scheduleId: 's2', title: '别人的会议', ownerId: 'u2', creatorId: 'u2', start: '2026-12-08T01:00:00Z', end: '2026-12-08T02:00:00Z' })] });
    mount('/schedules?mode=week&date=2026-12-09');
    const block = await waitFor(() => within(column('2026-12-07')).getByTestId('schedule-block'));
    const theirs = within(column('2026-12-08')).getByTestId('schedule-block');
    expect(theirs).toHaveAttribute('draggable', 'false');
    dragTo(theirs, halfHour('2026-12-08', '15:00'));
    // grabbed in its second half hour (09:30) and dropped on 11:00: it starts at 10:30
    dragTo(block, halfHour('2026-12-07', '11:00'), { clientY: 30 });
    await waitFor(() => expect(api.sent).toHaveLength(1));
    expect(api.sent[0].body).toEqual({ start: '2026-12-07T02:30:00.000Z', end: '2026-12-07T04:00:00.000Z' });
  }, 120000);
});

describe('a series', () => {
  const weekly = () => slot({ occurrence: '2026-12-09T01:00:00Z', start: '2026-12-09T01:00:00Z', end: '2026-12-09T02:00:00Z', recurring: true });

  test('an occurrence dropped on another day asks; “this occurrence” posts its edit under its original start', async () => {
    const api = serve({ slots: () => [weekly()], entry: entry() });
    mount('/schedules?date=2026-12-15');
    dragTo(await chipTitled('2026-12-09', '拜访星河科技'), day('2026-12-10'));
    const dialog = await screen.findByTestId('reschedule-dialog');
    expect(within(dialog).getByTestId('reschedule-times')).toHaveTextContent('2026-12-09 09:00 – 10:00 → 2026-12-10 09:00 – 10:00');
    expect(api.sent).toHaveLength(0);
    fireEvent.click(await waitFor(() => {
      const b = within(dialog).getByTestId('reschedule-occurrence');
      expect(b).toBeEnabled();
      return b;
    }));
    await waitFor(() => expect(api.sent).toHaveLength(1));
    expect(api.sent[0]).toEqual({
      method: 'POST',
      url: '/api/v1/schedules/s1/occurrences',
      body: { occurrence: '2026-12-09T01:00:00Z', start: '2026-12-10T01:00:00.000Z', end: '2026-12-10T02:00:00.000Z' },
      ifMatch: '"3"',
    });
  }, 120000);

  test('“the whole series” shifts the series’ start and its weekdays alike, and warns of the occurrences changed one by one', async () => {
    const api = serve({ slots: () => [weekly()], entry: entry({ cancelled: ['2026-12-14T01:00:00Z'] }) });
    mount('/schedules?date=2026-12-15');
    dragTo(await chipTitled('2026-12-09', '拜访星河科技'), day('2026-12-10'));
    const dialog = await screen.findByTestId('reschedule-dialog');
    expect(await within(dialog).findByTestId('reschedule-warning')).toHaveTextContent('移动整个系列会清除已单独修改和已取消的 1 次日程。');
    fireEvent.click(within(dialog).getByTestId('reschedule-series'));
    await waitFor(() => expect(api.sent).toHaveLength(1));
    // Mondays and Wednesdays from the 7th become Tuesdays and Thursdays from the 8th
    expect(api.sent[0]).toEqual({
      method: 'PATCH',
      url: '/api/v1/schedules/s1',
      body: { start: '2026-12-08T01:00:00.000Z', end: '2026-12-08T02:00:00.000Z', recurrence: 'FREQ=WEEKLY;BYDAY=TU,TH' },
      ifMatch: '"3"',
    });
  }, 120000);

  test('a series whose rule cannot follow, or an occurrence changed on its own, moves only this occurrence (its own title kept)', async () => {
    const edited = slot({ occurrence: '2026-12-25T01:00:00Z', start: '2026-12-24T01:00:00Z', end: '2026-12-24T02:00:00Z', recurring: true, edited: true, title: '年终回访' });
    const api = serve({
      slots: () => [edited],
      entry: entry({ recurrence: 'FREQ=MONTHLY;BYDAY=-1FR', start: '2026-11-27T01:00:00Z', end: '2026-11-27T02:00:00Z', overrides: { '2026-12-25T01:00:00Z': { start: '2026-12-24T01:00:00Z', end: '2026-12-24T02:00:00Z', title: '年终回访' } } }),
    });
    mount('/schedules?date=2026-12-15');
    dragTo(await chipTitled('2026-12-24', '年终回访'), day('2026-12-23'));
    const dialog = await screen.findByTestId('reschedule-dialog');
    expect(await within(dialog).findByTestId('reschedule-why')).toHaveTextContent('这一次已单独修改过，只能单独调整。');
    expect(within(dialog).getByTestId('reschedule-series')).toBeDisabled();
    fireEvent.click(within(dialog).getByTestId('reschedule-occurrence'));
    await waitFor(() => expect(api.sent).toHaveLength(1));
    expect(api.sent[0]).toMatchObject({
      url: '/api/v1/schedules/s1/occurrences',
      body: { occurrence: '2026-12-25T01:00:00Z', start: '2026-12-23T01:00:00.000Z', end: '2026-12-23T02:00:00.000Z', title: '年终回访' },
    });
  }, 120000);
});

describe('the moves', () => {
  test('the time grid snaps to the half hour; a series moves whole only where its rule can follow', () => {
    expect(gridShift('2026-12-07T01:10:00Z', { day: '2026-12-07', minute: 9 * 60 + 10 }, { day: '2026-12-08', minute: 14 * 60 })).toEqual({ days: 1, minutes: 290 });
    expect(moveTimes({ start: '2026-12-07T01:10:00Z', end: '2026-12-07T02:10:00Z', allDay: false }, { days: 1, minutes: 290 })).toEqual({ start: '2026-12-08T06:00:00.000Z', end: '2026-12-08T07:00:00.000Z' });
    const series = (recurrence: string, start = '2026-12-07T01:00:00Z') => ({ start, end: start, allDay: false, recurrence });
    const day = { days: 1, minutes: 0 };
    const clock = { days: 0, minutes: 120 };
    // the clock alone: every rule keeps its days
    expect(seriesMove(series('FREQ=MONTHLY;BYDAY=-1FR'), { edited: false }, clock)).toMatchObject({ problem: null, patch: { start: '2026-12-07T03:00:00.000Z' } });
    expect(seriesMove(series('FREQ=DAILY;UNTIL=20261231'), { edited: false }, day).patch?.recurrence).toBe('FREQ=DAILY;UNTIL=20270101');
    expect(seriesMove(series('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO'), { edited: false }, { days: -1, minutes: 0 }).patch?.recurrence).toBe('FREQ=WEEKLY;INTERVAL=2;BYDAY=SU');
    expect(seriesMove(series('FREQ=MONTHLY;BYMONTHDAY=7'), { edited: false }, day).patch?.recurrence).toBe('FREQ=MONTHLY;BYMONTHDAY=8');
    expect(seriesMove(series('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE'), { edited: false }, day).problem).toBe('rule');
    expect(seriesMove(series('FREQ=MONTHLY;BYDAY=-1FR'), { edited: false }, day).problem).toBe('rule');
    expect(seriesMove(series('FREQ=MONTHLY;BYMONTHDAY=28', '2026-12-28T01:00:00Z'), { edited: false }, day).problem).toBe('rule');
    expect(seriesMove(series('FREQ=DAILY'), { edited: true }, day).problem).toBe('edited');
  });
});
