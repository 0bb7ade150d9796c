import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { Providers, queryClient } from '../src/Root';
import type { Task, TaskStatus } from '../src/api/tasks';
import Tasks from '../src/pages/Tasks';
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
  { id: 'u3', username: 'wangfang', displayName: '王芳', disabled: false },
];

// the signed-in user is u1 (张伟); these tasks are his to do, created by 李娜
const task = (over: Partial<Task> = {}): Task => ({
  id: 't1', title: '准备星河报价单', description: '', relatedKind: 'customer', relatedId: 'c1', relatedName: '北京星河科技有限公司',
  priority: 'high', status: 'not_started', startAt: null, dueAt: '2026-12-03T10:00:00Z', overdue: false,
  participants: [], reminders: [], ownerId: 'u1', ownerName: '张伟', inPool: false, assigneeId: 'u1', assigneeName: '张伟', creatorId: 'u2', creatorName: '李娜',
  assignedBy: 'u2', assignedAt: '2026-12-01T01:00:00Z', note: '', completedAt: null, checklist: [], checklistDone: 0, checklistTotal: 0, commentCount: 0, source: 'direct',
  createdAt: '2026-12-01T01:00:00Z', updatedAt: '2026-12-01T02:00:00Z', version: 5, ...over,
});

type Sent = { method: string; url: string; body: Record<string, unknown> | undefined; ifMatch: string | null };

/**
 * A task server over the tasks given: GET /tasks answers the tasks of the status asked (pageSize
 * at a time, the cursor is the offset; total and totalExact may be set per status), a status
 * move that onWrite does not answer is made (the version goes up) and answered with the task.
 */
function serve(tasks: Task[], o: { pageSize?: number; totals?: Partial<Record<TaskStatus, { total: number; exact: boolean }>>; onWrite?: (s: Sent) => Response | undefined } = {}) {
  const store = tasks.map((x) => ({ ...x }));
  const sent: Sent[] = [];
  const reads: URL[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const u = new URL(url, 'http://x');
    if (method === 'GET') {
      if (u.pathname === '/api/v1/users') return json(200, { items: users, total: users.length, totalExact: true });
      if (u.pathname === '/api/v1/tasks') {
        reads.push(u);
        const status = u.searchParams.getAll('status');
        const all = store.filter((x) => status.length === 0 || status.includes(x.status));
        const size = o.pageSize ?? Number(u.searchParams.get('limit') ?? 50);
        const from = Number(u.searchParams.get('cursor') || 0);
        const items = all.slice(from, from + size);
        const more = from + size < all.length;
        const tot = status.length === 1 ? o.totals?.[status[0] as TaskStatus] : undefined;
        return json(200, { items, nextCursor: more ? String(from + size) : '', total: tot?.total ?? all.length, totalExact: tot?.exact ?? true });
      }
      return json(200, { items: [], total: 0, totalExact: true });
    }
    const s: Sent = { method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined, ifMatch: new Headers(init?.headers).get('If-Match') };
    sent.push(s);
    const answer = o.onWrite?.(s);
    if (answer) return answer;
    const m = /^\/api\/v1\/tasks\/([^/]+)\/status$/.exec(url);
    const x = m && store.find((y) => y.id === m[1]);
    if (!x) return json(404, { type: 'about:blank', title: 'Not Found', status: 404, code: 'not_found' });
    x.status = s.body!.status as TaskStatus;
    x.version++;
    return json(200, x, { ETag: `"${x.version}"`, 'X-Chronicle-Position': String(40 + x.version) });
  });
  return { sent, reads, store };
}

function Where() {
  const l = useLocation();
  return <div data-testid="where">{l.pathname + l.search}</div>;
}
function mount(route: string, s: SessionInfo = session(['tasks.read'], false, { id: 'u1' })) {
  return render(
    <Providers lang="zh-CN">
      <MemoryRouter initialEntries={[route]}>
        <SessionContext.Provider value={s}>
          <Routes>
            <Route path="/tasks" element={<Tasks />} />
          </Routes>
          <Where />
        </SessionContext.Provider>
      </MemoryRouter>
    </Providers>,
  );
}

const column = (status: TaskStatus) => screen.getByTestId(`board-column-${status}`);
/** The card of that title in that column (waits for it). */
const cardIn = (status: TaskStatus, title: string) =>
  waitFor(() => {
    const c = within(column(status)).queryAllByTestId('board-card').find((x) => x.getAttribute('aria-label') === title);
    if (!c) throw new Error(`no card “${title}” in ${status}`);
    return c as HTMLElement;
  });
const titlesIn = (status: TaskStatus) => within(column(status)).queryAllByTestId('board-card').map((c) => c.getAttribute('aria-label'));
/** The statuses the board's reads asked for (one each), in order. */
const statusesRead = (reads: URL[]) => reads.map((r) => r.searchParams.getAll('status').join(','));

/** Opens a card's "move to…" menu and chooses a status. */
async function moveByMenu(card: HTMLElement, title: string, to: string) {
  fireEvent.click(within(card).getByRole('button', { name: `移动“${title}”到…` }));
  const menu = await waitFor(() => {
    const open = [...document.querySelectorAll('.ant-dropdown:not(.ant-dropdown-hidden) [role="menu"]')].pop() as HTMLElement | undefined;
    if (!open) throw new Error('no open menu');
    return open;
  });
  fireEvent.click(within(menu).getByText(to));
}

/** The open dialog with this title (the page's hidden task form shares the dialogs' label id in
 * tests, so they are told apart by their title). */
const dialogTitled = (title: string) =>
  waitFor(() => {
    const d = screen.getAllByRole('dialog').find((x) => x.querySelector('.ant-modal-title')?.textContent === title);
    if (!d) throw new Error(`no dialog “${title}”`);
    return d;
  });

test('the board reads each column by its status with the view and filters of the URL; cards show their fields; counts, "1,000+" and load more', async () => {
  const { reads } = serve(
    [
      task({ priority: 'urgent', overdue: true, dueAt: '2026-11-20T10:00:00Z' }),
      task({ id: 't2', title: '回访王总', priority: 'low', relatedKind: '', relatedId: null, relatedName: '' }),
      task({ id: 't3', title: '整理会议纪要', priority: 'normal', dueAt: null }),
      task({ id: 't4', title: '演示新版本', status: 'in_progress', assigneeId: 'u3', assigneeName: '王芳' }),
      task({ id: 't5', title: '签回合同', status: 'done' }),
    ],
    { pageSize: 2, totals: { not_started: { total: 1000, exact: false } } },
  );
  mount('/tasks?layout=board&view=created&q=星河&priority=urgent&priority=low');
  const first = await cardIn('not_started', '准备星河报价单');
  // one read per column, each with its status and the page's view and filters
  await waitFor(() => expect(new Set(statusesRead(reads))).toEqual(new Set(['not_started', 'in_progress', 'done', 'cancelled'])));
  for (const r of reads) {
    expect(r.searchParams.get('view')).toBe('created');
    expect(r.searchParams.get('q')).toBe('星河');
    expect(r.searchParams.getAll('priority')).toEqual(['urgent', 'low']);
    expect(r.searchParams.get('tz')).toBe('Asia/Shanghai');
    expect(r.searchParams.get('limit')).toBe('50');
    expect(r.searchParams.has('layout')).toBe(false);
  }
  // jsdom is a narrow screen: the columns stack one under the other
  expect(screen.getByTestId('task-board')).toHaveAttribute('data-stacked', 'true');
  // columns are regions named by their heading
  expect(within(column('not_started')).getByRole('heading', { level: 2 })).toHaveTextContent('未开始');
  expect(column('in_progress').tagName).toBe('SECTION');
  expect(column('in_progress')).toHaveAttribute('aria-label', '进行中（1）');
  // the card: title linking to the task, priority, due (red when overdue), assignee, related record; focusable
  expect(within(first).getByText('准备星河报价单').closest('a')).toHaveAttribute('href', '/tasks/t1');
  expect(within(first).getByText('紧急')).toBeInTheDocument();
  expect(within(first).getByTestId('task-due')).toHaveTextContent('2026-11-20 18:00');
  expect(within(first).getByTestId('task-due')).toHaveAttribute('data-overdue', 'true');
  expect(within(first).getByTestId('task-card-assignee')).toHaveTextContent('张伟');
  expect(within(first).getByText('北京星河科技有限公司').closest('a')).toHaveAttribute('href', '/customers/c1');
  expect(first).toHaveAttribute('tabindex', '0');
  expect(within(await cardIn('in_progress', '演示新版本')).getByTestId('task-card-assignee')).toHaveTextContent('王芳');
  await cardIn('done', '签回合同');
  expect(within(column('cancelled')).getByText('暂无任务')).toBeInTheDocument();
  // counts: the page's total, + when it is not exact
  expect(within(column('not_started')).getByTestId('column-count')).toHaveTextContent(/^1,000\+$/);
  expect(within(column('done')).getByTestId('column-count')).toHaveTextContent(/^1$/);
  // the first page held two; load more reads on from the cursor
  expect(titlesIn('not_started')).toEqual(['准备星河报价单', '回访王总']);
  fireEvent.click(within(column('not_started')).getByTestId('column-more'));
  await cardIn('not_started', '整理会议纪要');
  const more = reads.find((r) => r.searchParams.get('cursor'));
  expect(more?.searchParams.get('cursor')).toBe('2');
  expect(more?.searchParams.getAll('status')).toEqual(['not_started']);
  await waitFor(() => expect(within(column('not_started')).queryByTestId('column-more')).toBeNull());
}, 120000);

test('moving by the keyboard menu posts the status at the card\'s version; after the reread the card is in its new column; done asks for a note', async () => {
  const api = serve([task(), task({ id: 't2', title: '回访王总', status: 'in_progress', version: 9 })]);
  mount('/tasks?layout=board');
  const card = await cardIn('not_started', '准备星河报价单');
  // the assignee (not the creator) is offered in progress and done, not cancelled nor its own column
  fireEvent.click(within(card).getByRole('button', { name: '移动“准备星河报价单”到…' }));
  const menu = await screen.findByRole('menu');
  expect(within(menu).getAllByRole('menuitem').map((m) => m.textContent)).toEqual(['进行中', '已完成']);
  const before = api.reads.length;
  fireEvent.click(within(menu).getByText('进行中'));
  await waitFor(() => expect(api.sent).toHaveLength(1));
  expect(api.sent[0]).toEqual({ method: 'POST', url: '/api/v1/tasks/t1/status', body: { status: 'in_progress' }, ifMatch: '"5"' });
  expect(await screen.findByText('已移到“进行中”')).toBeInTheDocument();
  // the columns were read again and the card came back from the server in its new column, at its new version
  await waitFor(() => expect(api.reads.length).toBeGreaterThanOrEqual(before + 2));
  const moved = await cardIn('in_progress', '准备星河报价单');
  await waitFor(() => expect(moved).not.toHaveAttribute('aria-busy'));
  expect(titlesIn('not_started')).toEqual([]);
  expect(titlesIn('in_progress')).toEqual(expect.arrayContaining(['准备星河报价单', '回访王总']));
  // done asks for the completion note; it is sent at the version read after the first move
  await moveByMenu(await cardIn('in_progress', '准备星河报价单'), '准备星河报价单', '已完成');
  const dialog = await dialogTitled('完成任务');
  expect(within(dialog).getByText('准备星河报价单')).toBeInTheDocument();
  fireEvent.change(within(dialog).getByLabelText('完成说明'), { target: { value: ' 报价已发客户 ' } });
  fireEvent.click(within(dialog).getByRole('button', { name: /完\s*成/ }));
  await waitFor(() => expect(api.sent).toHaveLength(2));
  expect(api.sent[1]).toEqual({ method: 'POST', url: '/api/v1/tasks/t1/status', body: { status: 'done', note: '报价已发客户' }, ifMatch: '"6"' });
  await cardIn('done', '准备星河报价单');
  await waitFor(() => expect(titlesIn('in_progress')).toEqual(['回访王总']));
}, 120000);

test('a 403 tells that only the assignee may change the status; the card stays where it was and the board is read again', async () => {
  const api = serve([task()], {
    onWrite: () => json(403, { type: 'about:blank', title: 'Forbidden', status: 403, code: 'not_assignee', detail: 'only the assignee may change the status' }),
  });
  mount('/tasks?layout=board');
  const card = await cardIn('not_started', '准备星河报价单');
  const before = api.reads.length;
  await moveByMenu(card, '准备星河报价单', '进行中');
  await waitFor(() => expect(api.sent).toHaveLength(1));
  expect(await screen.findByText('只有负责人可以更改任务状态')).toBeInTheDocument();
  await waitFor(() => expect(api.reads.length).toBeGreaterThan(before));
  const still = await cardIn('not_started', '准备星河报价单');
  await waitFor(() => expect(still).not.toHaveAttribute('aria-busy'));
  expect(titlesIn('in_progress')).toEqual([]);
  expect(api.store[0].status).toBe('not_started');
}, 120000);

test('a 412 (changed meanwhile) opens the conflict dialog, rereads the board and leaves the card where the server has it', async () => {
  const api = serve([task()], {
    onWrite: () =>
      json(412, { type: 'about:blank', title: 'Precondition Failed', status: 412, code: 'version_conflict', detail: 'the record has changed', currentVersion: 6, changedBy: { id: 'u2', name: '李娜' }, changedAt: '2026-12-02T01:00:00Z' }),
  });
  mount('/tasks?layout=board');
  const card = await cardIn('not_started', '准备星河报价单');
  const before = api.reads.length;
  await moveByMenu(card, '准备星河报价单', '进行中');
  expect(await screen.findByTestId('conflict-dialog')).toHaveTextContent('李娜');
  await waitFor(() => expect(api.reads.length).toBeGreaterThan(before));
  await waitFor(() => expect(titlesIn('not_started')).toEqual(['准备星河报价单']));
  expect(titlesIn('in_progress')).toEqual([]);
}, 120000);

test('dragging a card onto another column highlights where it may go and posts the status', async () => {
  const api = serve([task()]);
  mount('/tasks?layout=board');
  const card = await cardIn('not_started', '准备星河报价单');
  expect(card).toHaveAttribute('draggable', 'true');
  const data = new Map<string, string>();
  const dataTransfer = { setData: (k: string, v: string) => data.set(k, v), getData: (k: string) => data.get(k) ?? '', get types() { return [...data.keys()]; }, effectAllowed: '', dropEffect: '' };
  fireEvent.dragStart(card, { dataTransfer });
  // the columns it may go to show it; cancelled (the creator's move) and its own do not
  expect(column('in_progress')).toHaveAttribute('data-drop', 'target');
  expect(column('done')).toHaveAttribute('data-drop', 'target');
  expect(column('cancelled')).toHaveAttribute('data-drop', 'idle');
  expect(column('not_started')).toHaveAttribute('data-drop', 'idle');
  fireEvent.dragOver(column('in_progress'), { dataTransfer });
  expect(column('in_progress')).toHaveAttribute('data-drop', 'over');
  fireEvent.drop(column('in_progress'), { dataTransfer });
  await waitFor(() => expect(api.sent).toHaveLength(1));
  expect(api.sent[0]).toEqual({ method: 'POST', url: '/api/v1/tasks/t1/status', body: { status: 'in_progress' }, ifMatch: '"5"' });
  expect(column('in_progress')).toHaveAttribute('data-drop', 'idle');
  await cardIn('in_progress', '准备星河报价单');
  await waitFor(() => expect(titlesIn('not_started')).toEqual([]));
  // a drop where it may not go sends nothing
  const moved = await cardIn('in_progress', '准备星河报价单');
  await waitFor(() => expect(moved).not.toHaveAttribute('aria-busy'));
  fireEvent.dragStart(moved, { dataTransfer });
  fireEvent.dragOver(column('cancelled'), { dataTransfer });
  fireEvent.drop(column('cancelled'), { dataTransfer });
  expect(screen.queryByRole('dialog')).toBeNull();
  expect(api.sent).toHaveLength(1);
}, 120000);

test('the list ↔ board switch is kept in the URL with the view and filters', async () => {
  const { reads } = serve([task(), task({ id: 't2', title: '回访王总', status: 'done' })]);
  mount('/tasks?view=overdue&status=not_started&status=done');
  expect(await screen.findAllByTestId('list-card')).toHaveLength(2);
  expect(screen.queryByTestId('task-board')).toBeNull();
  fireEvent.click(within(screen.getByTestId('task-layout')).getByText('看板'));
  await waitFor(() => expect(new URL(screen.getByTestId('where').textContent!, 'http://x').searchParams.get('layout')).toBe('board'));
  const where = new URL(screen.getByTestId('where').textContent!, 'http://x');
  expect(where.searchParams.get('view')).toBe('overdue');
  expect(where.searchParams.getAll('status')).toEqual(['not_started', 'done']);
  // the status filter chooses the columns
  await cardIn('done', '回访王总');
  await cardIn('not_started', '准备星河报价单');
  expect(screen.queryByTestId('board-column-in_progress')).toBeNull();
  expect(screen.queryByTestId('board-column-cancelled')).toBeNull();
  const boardReads = reads.filter((r) => r.searchParams.getAll('status').length === 1);
  expect(boardReads.every((r) => r.searchParams.get('view') === 'overdue' && !r.searchParams.has('layout'))).toBe(true);
  // the tab still applies on the board
  fireEvent.click(within(screen.getByRole('tablist')).getByText('今天到期'));
  await waitFor(() => expect(reads.some((r) => r.searchParams.get('view') === 'today' && r.searchParams.getAll('status').join() === 'done')).toBe(true));
  expect(screen.getByTestId('where')).toHaveTextContent('layout=board');
  // and back to the list
  fireEvent.click(within(screen.getByTestId('task-layout')).getByText('列表'));
  await waitFor(() => expect(screen.getByTestId('where')).not.toHaveTextContent('layout='));
  expect(await screen.findAllByTestId('list-card')).toHaveLength(2);
  expect(screen.queryByTestId('task-board')).toBeNull();
}, 120000);

test("someone else's task neither drags nor has a move menu; its creator may only cancel it", async () => {
  serve([
    task({ id: 't7', title: '别人的任务', assigneeId: 'u2', assigneeName: '李娜', creatorId: 'u3', creatorName: '王芳' }),
    task({ id: 't8', title: '我分配的任务', assigneeId: 'u2', assigneeName: '李娜', creatorId: 'u1', creatorName: '张伟' }),
  ]);
  mount('/tasks?layout=board&view=all', session(['tasks.read'], true, { id: 'u1' }));
  const other = await cardIn('not_started', '别人的任务');
  expect(other).toHaveAttribute('draggable', 'false');
  expect(within(other).queryByRole('button', { name: /移动“/ })).toBeNull();
  const mine = await cardIn('not_started', '我分配的任务');
  expect(mine).toHaveAttribute('draggable', 'true');
  fireEvent.click(within(mine).getByRole('button', { name: '移动“我分配的任务”到…' }));
  const menu = await screen.findByRole('menu');
  expect(within(menu).getAllByRole('menuitem').map((m) => m.textContent)).toEqual(['已取消']);
}, 120000);
