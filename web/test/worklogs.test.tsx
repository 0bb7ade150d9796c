import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { Providers, queryClient } from '../src/Root';
import type { WorkLog, WorkLogComment, WorkLogStats } from '../src/api/worklogs';
import { notificationText } from '../src/pages/notifyCommon';
import WorkLogDetail from '../src/pages/WorkLogDetail';
import WorkLogs from '../src/pages/WorkLogs';
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

const users = [
  { id: 'u1', username: 'zhang', displayName: '张伟', disabled: false },
  { id: 'u2', username: 'lina', displayName: '李娜', disabled: false },
];

const log = (over: Partial<WorkLog> = {}): WorkLog => ({
  id: 'w1', kind: 'daily', period: '2026-12-01', status: 'submitted', workDone: '拜访星河科技，演示 ERP', plan: '发出报价单', problems: '客户预算未定',
  ownerId: 'u2', ownerName: '李娜', inPool: false, writerId: 'u2', writerName: '李娜',
  links: [{ kind: 'customer', id: 'c1', name: '北京星河科技有限公司' }], extraRecipients: [], recipients: ['u1'],
  recipientCount: 1, readCount: 0, commentCount: 1, unread: true, editable: false, submittedAt: '2026-12-01T10:00:00Z',
  createdAt: '2026-12-01T09:00:00Z', updatedAt: '2026-12-01T10:00:00Z', version: 3, ...over,
});
const comments: WorkLogComment[] = [{ id: 'm1', text: '请补充报价进展', by: 'u1', byName: '张伟', at: '2026-12-01T11:00:00Z' }];
const stats: WorkLogStats = {
  kind: 'daily', periods: ['2026-11-30', '2026-12-01'], expected: 10, submitted: 3,
  items: [
    { departmentId: 'd1', departmentName: '销售一部', members: 3, expected: 6, submitted: 2, byPeriod: [1, 1] },
    { departmentId: 'd2', departmentName: '销售二部', members: 2, expected: 4, submitted: 1, byPeriod: [0, 1] },
  ],
};

type Sent = { method: string; url: string; body: Record<string, unknown> | undefined; ifMatch: string | null };

function serve(o: { log?: WorkLog; list?: WorkLog[]; onWrite?: (s: Sent) => Response | undefined } = {}) {
  const sent: Sent[] = [];
  const gets: string[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    if (method === 'GET') {
      gets.push(url);
      const path = url.split('?')[0];
      if (path === '/api/v1/users') return json(200, { items: users, total: users.length, totalExact: true });
      if (path === '/api/v1/worklogs') return json(200, { items: o.list ?? [], total: (o.list ?? []).length, totalExact: true, nextCursor: '' });
      if (path === '/api/v1/worklogs/stats') return json(200, stats);
      if (path.endsWith('/comments')) return json(200, { items: comments, total: 1, totalExact: true, nextCursor: '' });
      if (path.endsWith('/receipts')) return json(200, { items: [{ userId: 'u1', name: '张伟', readAt: null }], total: 1, totalExact: true, nextCursor: '' });
      if (path.endsWith('/history')) return json(200, { items: [], total: 0, totalExact: true });
      if (path.startsWith('/api/v1/worklogs/') && o.log) return json(200, o.log, { ETag: `"${o.log.version}"` });
      return json(200, { items: [], total: 0, totalExact: true });
    }
    const s = { method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined, ifMatch: new Headers(init?.headers).get('If-Match') };
    sent.push(s);
    if (url.endsWith('/read')) return new Response(null, { status: 204, headers: { 'X-Chronicle-Position': '40' } });
    return o.onWrite?.(s) ?? json(method === 'POST' && url === '/api/v1/worklogs' ? 201 : 200, log({ id: 'w9', version: 1 }), { ETag: '"1"', 'X-Chronicle-Position': '30' });
  });
  return { sent, gets };
}

function Where() {
  const l = useLocation();
  return <div data-testid="where">{l.pathname + l.search}</div>;
}
function mount(route: string, s: SessionInfo) {
  return render(
    <Providers lang="zh-CN">
      <MemoryRouter initialEntries={[route]}>
        <SessionContext.Provider value={s}>
          <Routes>
            <Route path="/worklogs" element={<WorkLogs />} />
            <Route path="/worklogs/new" element={<WorkLogs />} />
            <Route path="/worklogs/stats" element={<WorkLogs />} />
            <Route path="/worklogs/:id" element={<WorkLogDetail />} />
          </Routes>
          <Where />
        </SessionContext.Provider>
      </MemoryRouter>
    </Providers>,
  );
}

test('the list sends the view and filters of the URL; the team view and the statistics follow the permissions', async () => {
  const { gets } = serve({ list: [log(), log({ id: 'w2', kind: 'weekly', period: '2026-11-30', unread: false, workDone: '本周总结' })] });
  mount('/worklogs?view=received&kind=daily&unread=true', session(['worklogs.read', 'worklogs.stats']));
  await waitFor(() => expect(screen.getAllByTestId('list-card').length).toBe(2));
  expect(screen.getByText('2026 第 49 周（2026-11-30 起）', { exact: false })).toBeInTheDocument();
  const read = new URL(gets.find((u) => u.startsWith('/api/v1/worklogs?'))!, 'http://x');
  expect(read.searchParams.get('view')).toBe('received');
  expect(read.searchParams.getAll('kind')).toEqual(['daily']);
  expect(read.searchParams.get('unread')).toBe('true');
  const tabs = screen.getByRole('tablist');
  expect(within(tabs).getByRole('tab', { selected: true })).toHaveTextContent('提交给我的');
  expect(within(tabs).getByText('下属的日志')).toBeInTheDocument();
  // the statistics: a row per department, submitted / expected
  fireEvent.click(within(tabs).getByText('提交统计'));
  await waitFor(() => expect(screen.getByTestId('where')).toHaveTextContent('/worklogs/stats'));
  const cells = await screen.findAllByTestId('stats-cell');
  expect(cells.map((c) => c.textContent)).toEqual(['2 / 6', '1 / 4']);
  expect(screen.getByText('销售一部')).toBeInTheDocument();
  expect(screen.getByText('3 / 10')).toBeInTheDocument();
  expect(gets.some((u) => u.startsWith('/api/v1/worklogs/stats?') && new URL(u, 'http://x').searchParams.get('kind') === 'daily')).toBe(true);
}, 120000);

test('without worklogs.read and worklogs.stats: no team view and no statistics; the view defaults to mine', async () => {
  const { gets } = serve({ list: [log({ writerId: 'u1', writerName: '张伟' })] });
  mount('/worklogs/stats', session([]));
  await waitFor(() => expect(screen.getAllByTestId('list-card').length).toBe(1));
  const tabs = screen.getByRole('tablist');
  expect(within(tabs).queryByText('下属的日志')).toBeNull();
  expect(within(tabs).queryByText('提交统计')).toBeNull();
  expect(within(tabs).getByRole('tab', { selected: true })).toHaveTextContent('我的日志');
  expect(gets.some((u) => u.startsWith('/api/v1/worklogs/stats'))).toBe(false);
  expect(new URL(gets.find((u) => u.startsWith('/api/v1/worklogs?'))!, 'http://x').searchParams.get('view')).toBe('mine');
}, 120000);

test('the writer submits a new daily log with exactly what was filled in', async () => {
  const { sent } = serve({ list: [] });
  mount('/worklogs/new', session([]));
  const dialog = await screen.findByTestId('worklog-form');
  fireEvent.change(within(dialog).getByLabelText('工作内容'), { target: { value: '  拜访星河科技  ' } });
  fireEvent.change(within(dialog).getByLabelText('工作计划'), { target: { value: '发出报价单' } });
  fireEvent.click(screen.getByTestId('worklog-submit'));
  await waitFor(() => expect(sent.length).toBe(1));
  const body = sent[0].body!;
  expect(sent[0].method).toBe('POST');
  expect(sent[0].url).toBe('/api/v1/worklogs');
  expect(body.kind).toBe('daily');
  expect(body.workDone).toBe('拜访星河科技');
  expect(body.plan).toBe('发出报价单');
  expect(body.submit).toBe(true);
  expect(body.period).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  expect(body).not.toHaveProperty('problems');
  await waitFor(() => expect(screen.getByTestId('where')).toHaveTextContent('/worklogs/w9'));
}, 120000);

test('a recipient opening a log records the receipt once and comments; the writer sees no edit once commented', async () => {
  const { sent } = serve({ log: log(), onWrite: (s) => (s.url.endsWith('/comments') ? json(201, log({ commentCount: 2, unread: false })) : undefined) });
  mount('/worklogs/w1', session([]));
  expect(await screen.findByText('拜访星河科技，演示 ERP')).toBeInTheDocument();
  expect(screen.getByText('北京星河科技有限公司').closest('a')).toHaveAttribute('href', '/customers/c1');
  await waitFor(() => expect(sent.filter((s) => s.url === '/api/v1/worklogs/w1/read').length).toBe(1));
  expect(await screen.findByText('请补充报价进展')).toBeInTheDocument();
  expect(within(screen.getByTestId('worklog-receipts')).getByText('未读')).toBeInTheDocument();
  // not the writer: no edit, no submit
  expect(screen.queryByTestId('worklog-edit')).toBeNull();
  fireEvent.change(screen.getByLabelText('评论'), { target: { value: '收到，继续跟进' } });
  fireEvent.click(screen.getByTestId('worklog-comment-post'));
  await waitFor(() => expect(sent.some((s) => s.url === '/api/v1/worklogs/w1/comments' && s.body?.text === '收到，继续跟进')).toBe(true));
  expect(sent.filter((s) => s.url.endsWith('/read')).length).toBe(1);
}, 120000);

test('the writer of a draft edits it at the version shown and submits it', async () => {
  const draft = log({ writerId: 'u1', ownerId: 'u1', writerName: '张伟', status: 'draft', unread: false, recipients: [], recipientCount: 0, commentCount: 0, editable: true, submittedAt: null, version: 2 });
  const { sent } = serve({ log: draft });
  mount('/worklogs/w1', session([]));
  fireEvent.click(await screen.findByTestId('worklog-edit'));
  const dialog = await screen.findByTestId('worklog-form');
  await waitFor(() => expect(within(dialog).getByLabelText('工作计划')).toHaveValue('发出报价单'));
  fireEvent.change(within(dialog).getByLabelText('工作计划'), { target: { value: '周五前发出报价单' } });
  fireEvent.click(screen.getByTestId('worklog-save'));
  await waitFor(() => expect(sent.length).toBe(1));
  expect(sent[0]).toMatchObject({ method: 'PATCH', url: '/api/v1/worklogs/w1', ifMatch: '"2"', body: { plan: '周五前发出报价单' } });
  fireEvent.click(screen.getByTestId('worklog-submit-draft'));
  await waitFor(() => expect(sent.some((s) => s.method === 'POST' && s.url === '/api/v1/worklogs/w1/submit')).toBe(true));
  expect(sent.some((s) => s.url.endsWith('/read'))).toBe(false);
}, 120000);

test('the notifications of work logs are worded in both languages and lead to the log', () => {
  const n = { id: 'n1', kind: 'worklog_submitted', subjectKind: 'worklog', subjectId: 'w1', title: 'daily 2026-12-01', detail: '', actorId: 'u2', actorName: '李娜', at: '2026-12-01T10:00:00Z', read: false, position: '5' } as const;
  expect(notificationText(n, 'zh-CN')).toBe('李娜 向你提交了2026-12-01 日报');
  expect(notificationText(n, 'en')).toBe('李娜 submitted the daily report for 2026-12-01 to you');
  const c = { ...n, kind: 'worklog_commented', title: 'weekly 2026-11-30', detail: '请补充' } as const;
  expect(notificationText(c, 'zh-CN')).toBe('李娜 评论了你的2026-11-30 周报：请补充');
  expect(notificationText(c, 'en')).toBe('李娜 commented on your weekly report for 2026-11-30: 请补充');
});
