import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import Shell from '../src/Shell';
import { Providers, queryClient } from '../src/Root';
import type { Notification, NotificationCount } from '../src/api/notifications';
import { notificationText, subjectPath } from '../src/pages/notifyCommon';
import { setUserZone } from '../src/util';
import { json, meFixture } from './helpers';

/** A stand-in for the browser's EventSource: the test emits the server's events. */
class FakeEventSource {
  static instances: FakeEventSource[] = [];
  url: string;
  readyState = 1;
  closed = false;
  private listeners: Record<string, ((e: Event) => void)[]> = {};
  constructor(url: string) {
    this.url = url;
    FakeEventSource.instances.push(this);
  }
  addEventListener(type: string, fn: (e: Event) => void) {
    (this.listeners[type] ??= []).push(fn);
  }
  removeEventListener(type: string, fn: (e: Event) => void) {
    this.listeners[type] = (this.listeners[type] ?? []).filter((f) => f !== fn);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  /** The server sends an event (data as JSON). */
  emit(type: string, data?: unknown) {
    act(() => {
      for (const fn of this.listeners[type] ?? []) fn(new MessageEvent(type, { data: data === undefined ? undefined : JSON.stringify(data) }));
    });
  }
}
const stream = () => {
  const open = FakeEventSource.instances.filter((e) => !e.closed);
  expect(open).toHaveLength(1);
  return open[0];
};

const original = window.matchMedia;
beforeEach(() => {
  setUserZone('Asia/Shanghai');
  FakeEventSource.instances = [];
  // a desktop-wide window, as the shell's own test
  window.matchMedia = (query: string) =>
    ({ matches: /min-width/.test(query), media: query, onchange: null, addListener: () => {}, removeListener: () => {}, addEventListener: () => {}, removeEventListener: () => {}, dispatchEvent: () => false }) as MediaQueryList;
});
afterEach(() => {
  cleanup();
  window.matchMedia = original;
  vi.unstubAllGlobals();
  queryClient.clear();
  localStorage.clear();
  setUserZone(null);
});

const note = (over: Partial<Notification> = {}): Notification => ({
  id: 'n1', kind: 'task_assigned', subjectKind: 'task', subjectId: 't1', title: '回访星河科技', detail: '', actorId: 'u2', actorName: '李经理',
  at: '2026-12-01T02:00:00Z', read: false, position: '120', ...over,
});

type Sent = { method: string; url: string; body?: unknown };

function Where() {
  const l = useLocation();
  return <div data-testid="where">{l.pathname + l.search}</div>;
}

/** Mounts the signed-in shell at route; the notifications endpoints answer from o. */
function mount(o: { route?: string; lang?: 'zh-CN' | 'en'; items?: Notification[]; pages?: Record<string, { items: Notification[]; nextCursor: string }>; count?: NotificationCount; afterRead?: NotificationCount; eventSource?: boolean; slowAfterRead?: boolean } = {}) {
  const sent: Sent[] = [];
  if (o.eventSource !== false) vi.stubGlobal('EventSource', FakeEventSource);
  else vi.stubGlobal('EventSource', undefined);
  // the server's count: what POST /notifications/read answers becomes the count every later read answers
  let count = o.count ?? { unread: 2, latest: '120' };
  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    const method = init.method ?? 'GET';
    sent.push({ method, url, body: init.body ? JSON.parse(String(init.body)) : undefined });
    if (url.startsWith('/api/v1/auth/me')) return json(200, meFixture(['leads.read', 'customers.read'], false, { preferences: { language: o.lang ?? 'zh-CN', timeZone: 'Asia/Shanghai', languageChosen: !!o.lang, timeZoneChosen: false } }));
    if (url === '/api/v1/notifications/count') return json(200, count);
    if (url === '/api/v1/notifications/read' && method === 'POST') {
      count = o.afterRead ?? { unread: 0, latest: count.latest };
      return json(200, count);
    }
    if (url.startsWith('/api/v1/notifications?')) {
      // after a write, the lists are slow to answer: the badge must take the write's own answer
      if (o.slowAfterRead && sent.some((x) => x.method === 'POST')) return new Promise<Response>(() => {});
      const q = new URLSearchParams(url.split('?')[1]);
      const key = (q.get('unread') === 'true' ? 'unread' : 'all') + ':' + (q.get('cursor') ?? '');
      const page = o.pages?.[key] ?? { items: o.items ?? [], nextCursor: '' };
      return json(200, { ...page, count });
    }
    return json(200, { items: [], total: 0, totalExact: true });
  });
  const r = render(
    <Providers lang={o.lang ?? 'zh-CN'}>
      <MemoryRouter initialEntries={[o.route ?? '/account']}>
        <Routes>
          <Route path="/*" element={<Shell />} />
        </Routes>
        <Where />
      </MemoryRouter>
    </Providers>,
  );
  return { sent, ...r };
}

const badgeShows = (n: number) =>
  waitFor(() => {
    expect(screen.getByTestId('bell-count').textContent).toBe(String(n));
    // the badge itself (antd titles its count with the number; none when zero)
    const sup = screen.getByTestId('bell').querySelector('sup.ant-badge-count');
    if (n) expect(sup?.getAttribute('title')).toBe(String(n));
    else expect(sup).toBeNull();
  }, { timeout: 5000 });

test('one stream per signed-in shell: the badge shows the count it sends, and the stream closes with the shell', async () => {
  const { sent, unmount } = mount();
  await screen.findByTestId('bell');
  const es = stream();
  expect(es.url).toBe('/api/v1/notifications/stream');
  es.emit('count', { unread: 3, latest: '120' });
  await badgeShows(3);
  expect(screen.getByTestId('bell-name').textContent).toBe(' 条未读通知');
  expect(screen.getByRole('button', { name: /3\s*条未读通知/ })).toBe(screen.getByTestId('bell'));
  es.emit('count', { unread: 7, latest: '125' });
  await badgeShows(7);
  // live: the count is not polled
  expect(sent.some((s) => s.url === '/api/v1/notifications/count')).toBe(false);
  unmount();
  expect(es.closed).toBe(true);
});

test('an arriving notification shows a toast worded in the page language; clicking it opens the task', async () => {
  const { sent } = mount();
  await screen.findByTestId('bell');
  const es = stream();
  es.emit('notifications', { items: [note({ id: 'n9', subjectId: 't9' })] });
  es.emit('count', { unread: 1, latest: '121' });
  const toast = await screen.findByTestId('notification-toast');
  expect(toast.textContent).toBe('李经理 给你分配了任务「回访星河科技」');
  await badgeShows(1);
  fireEvent.click(toast);
  await waitFor(() => expect(screen.getByTestId('where').textContent).toBe('/tasks/t9'));
  await waitFor(() => expect(sent.find((s) => s.url === '/api/v1/notifications/read')?.body).toEqual({ ids: ['n9'] }));
});

test('an arriving notification makes a page showing its task read the task again', async () => {
  mount();
  await screen.findByTestId('bell');
  queryClient.setQueryData(['/tasks', 't9'], { id: 't9', status: 'not_started' });
  queryClient.setQueryData(['/tasks', 't8'], { id: 't8', status: 'not_started' });
  stream().emit('notifications', { items: [note({ id: 'n9', kind: 'task_done', subjectId: 't9' })] });
  await waitFor(() => expect(queryClient.getQueryState(['/tasks', 't9'])?.isInvalidated).toBe(true));
  expect(queryClient.getQueryState(['/tasks', 't8'])?.isInvalidated).toBe(false);
});

test('an arriving notification refreshes the open panel', async () => {
  const { sent } = mount({ items: [note()] });
  await screen.findByTestId('bell');
  const es = stream();
  fireEvent.click(screen.getByTestId('bell'));
  await within(await screen.findByTestId('bell-panel')).findByText('李经理 给你分配了任务「回访星河科技」');
  const reads = () => sent.filter((s) => s.url === '/api/v1/notifications?limit=10').length;
  expect(reads()).toBe(1);
  es.emit('notifications', { items: [note({ id: 'n2', kind: 'task_overdue' })] });
  await waitFor(() => expect(reads()).toBe(2));
});

test('in English the toast is worded in English', async () => {
  mount({ lang: 'en' });
  await screen.findByTestId('bell');
  stream().emit('notifications', { items: [note({ kind: 'task_commented', actorName: '张伟', detail: '明天再约' })] });
  expect((await screen.findByTestId('notification-toast')).textContent).toBe('张伟 commented on the task "回访星河科技": 明天再约');
  expect(screen.getByText('New notification')).toBeInTheDocument();
});

test('a count with a newer latest (some arrived while the stream reconnected) reads the open panel again; the same latest does not', async () => {
  const { sent } = mount({ items: [note()] });
  await screen.findByTestId('bell');
  const es = stream();
  es.emit('count', { unread: 1, latest: '120' });
  fireEvent.click(screen.getByTestId('bell'));
  await within(await screen.findByTestId('bell-panel')).findAllByTestId('notification-item');
  const reads = () => sent.filter((s) => s.url === '/api/v1/notifications?limit=10').length;
  expect(reads()).toBe(1);
  es.emit('count', { unread: 1, latest: '120' });
  await new Promise((r) => setTimeout(r, 300));
  expect(reads()).toBe(1);
  es.emit('count', { unread: 2, latest: '130' });
  await waitFor(() => expect(reads()).toBe(2));
  await badgeShows(2);
  // an older count (a late answer) does not move the badge back
  es.emit('count', { unread: 1, latest: '125' });
  await new Promise((r) => setTimeout(r, 300));
  await badgeShows(2);
});

test('the panel lists the latest 10, unread marked; clicking one marks it read and opens its task', async () => {
  const items = [note(), note({ id: 'n2', kind: 'task_done', subjectId: 't2', title: '报价', actorName: '张伟', detail: '已发送', read: true })];
  const { sent } = mount({ items });
  await screen.findByTestId('bell');
  stream().emit('count', { unread: 1, latest: '120' });
  fireEvent.click(screen.getByTestId('bell'));
  const panel = await screen.findByTestId('bell-panel');
  const rows = await within(panel).findAllByTestId('notification-item');
  expect(rows.map((r) => r.getAttribute('data-read'))).toEqual(['false', 'true']);
  expect(rows[1].textContent).toContain('张伟 完成了任务「报价」：已发送');
  expect(rows[0].textContent).toContain('2026-12-01 10:00');
  expect(sent.some((s) => s.url === '/api/v1/notifications?limit=10')).toBe(true);
  fireEvent.click(rows[0]);
  await waitFor(() => expect(screen.getByTestId('where').textContent).toBe('/tasks/t1'));
  await waitFor(() => expect(sent.filter((s) => s.method === 'POST' && s.url === '/api/v1/notifications/read').map((s) => s.body)).toEqual([{ ids: ['n1'] }]));
  // a read one opens its subject without another write
  fireEvent.click(screen.getByTestId('bell'));
  const again = await within(await screen.findByTestId('bell-panel')).findAllByTestId('notification-item');
  fireEvent.click(again[1]);
  await waitFor(() => expect(screen.getByTestId('where').textContent).toBe('/tasks/t2'));
  expect(sent.filter((s) => s.method === 'POST').length).toBe(1);
});

test('"mark all read" posts {all:true} and the badge takes the returned count; "see all" opens the page', async () => {
  const { sent } = mount({ items: [note()], afterRead: { unread: 1, latest: '120' }, slowAfterRead: true });
  await screen.findByTestId('bell');
  stream().emit('count', { unread: 5, latest: '120' });
  await badgeShows(5);
  fireEvent.click(screen.getByTestId('bell'));
  const panel = await screen.findByTestId('bell-panel');
  await within(panel).findAllByTestId('notification-item');
  fireEvent.click(within(panel).getByText('全部已读'));
  await waitFor(() => expect(sent.find((s) => s.method === 'POST')).toEqual({ method: 'POST', url: '/api/v1/notifications/read', body: { all: true } }));
  await badgeShows(1);
  // the panel shows them read at once
  await waitFor(() => expect(within(panel).getAllByTestId('notification-item').map((r) => r.getAttribute('data-read'))).toEqual(['true']));
  fireEvent.click(within(panel).getByText('查看全部'));
  await waitFor(() => expect(screen.getByTestId('where').textContent).toBe('/notifications'));
  expect(screen.getByTestId('current-module').textContent).toBe('通知');
});

test('without EventSource the badge polls GET /notifications/count', async () => {
  const { sent } = mount({ eventSource: false, count: { unread: 4, latest: '99' } });
  await badgeShows(4);
  expect(sent.some((s) => s.url === '/api/v1/notifications/count')).toBe(true);
  expect(FakeEventSource.instances).toHaveLength(0);
});

test('a stream that keeps failing is closed and the count is polled instead', async () => {
  const { sent } = mount({ count: { unread: 6, latest: '99' } });
  await screen.findByTestId('bell');
  const es = stream();
  expect(sent.some((s) => s.url === '/api/v1/notifications/count')).toBe(false);
  es.emit('error');
  es.emit('error');
  expect(es.closed).toBe(false);
  es.emit('error');
  expect(es.closed).toBe(true);
  await badgeShows(6);
  expect(sent.some((s) => s.url === '/api/v1/notifications/count')).toBe(true);
});

test('the page: all, then the unread tab asks unread=true; load more sends the cursor; mark one read', async () => {
  const { sent } = mount({
    route: '/notifications',
    pages: {
      'all:': { items: [note(), note({ id: 'n2', kind: 'task_overdue', read: true })], nextCursor: 'c2' },
      'all:c2': { items: [note({ id: 'n3', kind: 'record_assigned', subjectKind: 'customer', subjectId: 'c1', title: '' })], nextCursor: '' },
      'unread:': { items: [note({ id: 'n4', kind: 'task_commented', actorName: '张伟', detail: '请周五前完成' })], nextCursor: '' },
    },
  });
  await screen.findByText('李经理 给你分配了任务「回访星河科技」');
  expect(screen.getByText('任务「回访星河科技」已逾期')).toBeInTheDocument();
  expect(sent.some((s) => s.url === '/api/v1/notifications?limit=20')).toBe(true);
  fireEvent.click(screen.getByText('加载更多'));
  await screen.findByText('李经理 把一个客户分配给了你');
  expect(sent.some((s) => s.url === '/api/v1/notifications?limit=20&cursor=c2')).toBe(true);
  expect(screen.queryByText('加载更多')).toBeNull();

  fireEvent.click(screen.getByRole('tab', { name: /未读/ }));
  await screen.findByText('张伟 评论了任务「回访星河科技」：请周五前完成');
  expect(sent.some((s) => s.url === '/api/v1/notifications?unread=true&limit=20')).toBe(true);
  expect(screen.queryByText('任务「回访星河科技」已逾期')).toBeNull();

  fireEvent.click(screen.getByTestId('notification-mark-read'));
  await waitFor(() => expect(sent.find((s) => s.method === 'POST')?.body).toEqual({ ids: ['n4'] }));
  // marking read stays on the page
  expect(screen.getByTestId('where').textContent).toBe('/notifications?tab=unread');
});

test('the page in English', async () => {
  mount({ route: '/notifications', lang: 'en', items: [note({ kind: 'task_reminder', detail: '2026-12-02T10:00:00Z' })] });
  await screen.findByText('The task "回访星河科技" is due at 12-02 18:00');
  expect(screen.getByRole('tab', { name: /Unread/ })).toBeInTheDocument();
  expect(screen.getByText('Mark all read')).toBeInTheDocument();
  expect(screen.getByTestId('current-module').textContent).toBe('Notifications');
});

// the schedule notifications' subject (the OpenAPI document's enum of subjectKind does not list it yet)
const scheduleKind = 'schedule' as Notification['subjectKind'];

test.each<[Partial<Notification>, string, string]>([
  [{ kind: 'task_assigned' }, '李经理 给你分配了任务「回访星河科技」', '李经理 assigned you the task "回访星河科技"'],
  [{ kind: 'task_reminder', detail: '2026-12-02T10:00:00Z' }, '任务「回访星河科技」将于 12-02 18:00 到期', 'The task "回访星河科技" is due at 12-02 18:00'],
  [{ kind: 'task_overdue', detail: '2026-12-02T10:00:00Z' }, '任务「回访星河科技」已逾期', 'The task "回访星河科技" is overdue'],
  [{ kind: 'task_done', actorName: '张伟', detail: '客户已确认' }, '张伟 完成了任务「回访星河科技」：客户已确认', '张伟 completed the task "回访星河科技": 客户已确认'],
  [{ kind: 'task_done', actorName: '张伟', detail: '' }, '张伟 完成了任务「回访星河科技」', '张伟 completed the task "回访星河科技"'],
  [{ kind: 'task_commented', actorName: '张伟', detail: '明天再约' }, '张伟 评论了任务「回访星河科技」：明天再约', '张伟 commented on the task "回访星河科技": 明天再约'],
  [{ kind: 'record_assigned', subjectKind: 'customer', title: '' }, '李经理 把一个客户分配给了你', '李经理 assigned you a customer'],
  [{ kind: 'record_assigned', subjectKind: 'customer', title: '星河科技' }, '李经理 把客户「星河科技」分配给了你', '李经理 assigned you the customer "星河科技"'],
  [{ kind: 'record_assigned', subjectKind: 'lead', title: '王总' }, '李经理 把线索「王总」分配给了你', '李经理 assigned you the lead "王总"'],
  [{ kind: 'record_assigned', subjectKind: 'opportunity', title: '' }, '李经理 把一个商机分配给了你', '李经理 assigned you an opportunity'],
  [{ kind: 'schedule_assigned', subjectKind: scheduleKind, detail: '2026-12-07T01:00:00Z' }, '李经理 把日程「回访星河科技」加入了你的日历（12-07 09:00）', '李经理 added "回访星河科技" to your calendar (12-07 09:00)'],
  [{ kind: 'schedule_assigned', subjectKind: scheduleKind, detail: '2026-12-10' }, '李经理 把日程「回访星河科技」加入了你的日历（12-10 全天）', '李经理 added "回访星河科技" to your calendar (12-10, all day)'],
  [{ kind: 'schedule_assigned', subjectKind: scheduleKind, detail: '' }, '李经理 把日程「回访星河科技」加入了你的日历', '李经理 added "回访星河科技" to your calendar'],
  [{ kind: 'schedule_reminder', subjectKind: scheduleKind, detail: '2026-12-07T01:00:00Z' }, '日程「回访星河科技」将于 12-07 09:00 开始', '"回访星河科技" starts at 12-07 09:00'],
  [{ kind: 'schedule_reminder', subjectKind: scheduleKind, detail: '2026-12-10' }, '日程「回访星河科技」将于 12-10 开始（全天）', '"回访星河科技" is on 12-10 (all day)'],
])('wording of %o', (over, zh, en) => {
  expect(notificationText(note(over), 'zh-CN')).toBe(zh);
  expect(notificationText(note(over), 'en')).toBe(en);
});

test('each subject opens its page', () => {
  expect(subjectPath({ subjectKind: 'task', subjectId: 't1' })).toBe('/tasks/t1');
  expect(subjectPath({ subjectKind: 'lead', subjectId: 'l1' })).toBe('/leads/l1');
  expect(subjectPath({ subjectKind: 'customer', subjectId: 'c1' })).toBe('/customers/c1');
  expect(subjectPath({ subjectKind: 'opportunity', subjectId: 'o1' })).toBe('/opportunities/o1');
  expect(subjectPath({ subjectKind: scheduleKind, subjectId: 's1' })).toBe('/schedules/s1');
});
