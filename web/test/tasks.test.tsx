import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { Providers, queryClient } from '../src/Root';
import type { Task, TaskComment } from '../src/api/tasks';
import CustomerDetail from '../src/pages/CustomerDetail';
import TaskDetail from '../src/pages/TaskDetail';
import Tasks from '../src/pages/Tasks';
import { SessionContext, type SessionInfo } from '../src/session';
import { setUserZone } from '../src/util';
import { json, renderWith, session } from './helpers';

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

const task = (over: Partial<Task> = {}): Task => ({
  id: 't1', title: '准备星河报价单', description: '按二期范围报价', relatedKind: 'customer', relatedId: 'c1', relatedName: '北京星河科技有限公司',
  priority: 'high', status: 'not_started', startAt: '2026-12-01T01:00:00Z', dueAt: '2026-12-03T10:00:00Z', overdue: false,
  participants: ['u3'], reminders: [60, 1440], ownerId: 'u1', ownerName: '张伟', inPool: false, assigneeId: 'u1', assigneeName: '张伟', creatorId: 'u2', creatorName: '李娜',
  assignedBy: 'u2', assignedAt: '2026-12-01T01:00:00Z', note: '', completedAt: null,
  checklist: [
    { id: 'i1', text: '确认数量', done: true },
    { id: 'i2', text: '核对折扣', done: false },
  ],
  checklistDone: 1, checklistTotal: 2, commentCount: 1, source: 'direct',
  createdAt: '2026-12-01T01:00:00Z', updatedAt: '2026-12-01T02:00:00Z', version: 5, ...over,
});
const comments: TaskComment[] = [
  { id: 'm1', text: '客户要求周五前给到', by: 'u2', byName: '李娜', at: '2026-12-01T03:00:00Z' },
  { id: 'm2', text: '好的，我来跟进', by: 'u1', byName: '张伟', at: '2026-12-01T04:00:00Z' },
];

type Sent = { method: string; url: string; body: Record<string, unknown> | undefined; ifMatch: string | null };

/** Answers the reads the task screens make; writes are collected and answered by onWrite (the task by default). */
function serve(o: { task?: Task; list?: Task[]; total?: number; totalExact?: boolean; onWrite?: (s: Sent) => Response | undefined } = {}) {
  const sent: Sent[] = [];
  const gets: string[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    if (method === 'GET') {
      gets.push(url);
      const path = url.split('?')[0];
      if (path === '/api/v1/users') return json(200, { items: users, total: users.length, totalExact: true });
      if (path === '/api/v1/tasks') return json(200, { items: o.list ?? [], total: o.total ?? (o.list ?? []).length, totalExact: o.totalExact ?? true, nextCursor: '' });
      if (path.endsWith('/comments')) return json(200, { items: comments });
      if (path.endsWith('/history')) return json(200, { items: [], total: 0, totalExact: true });
      if (path === '/api/v1/customers/c1') return json(200, { id: 'c1', name: '北京星河科技有限公司', status: 'potential', inPool: false, locked: false, ownerId: 'u1', custom: {}, version: 2 }, { ETag: '"2"' });
      if (path.startsWith('/api/v1/tasks/') && o.task) return json(200, o.task, { ETag: `"${o.task.version}"` });
      return json(200, { items: [], total: 0, totalExact: true });
    }
    const s = { method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined, ifMatch: new Headers(init?.headers).get('If-Match') };
    sent.push(s);
    return o.onWrite?.(s) ?? json(method === 'POST' && url === '/api/v1/tasks' ? 201 : 200, task({ id: 't9', version: 1 }), { ETag: '"1"', 'X-Chronicle-Position': '30' });
  });
  return { sent, gets };
}

/** The open dialog with this title. */
const dialogTitled = (title: string) =>
  waitFor(() => {
    const d = screen.getAllByRole('dialog').find((x) => x.querySelector('.ant-modal-title')?.textContent === title);
    if (!d) throw new Error(`no dialog “${title}”`);
    return d;
  });

/** The list's rows (jsdom is a narrow screen: the list shows cards, titled by the task's title). */
const card = async (title: string) => {
  const found = await waitFor(() => {
    const c = screen.getAllByTestId('list-card').find((x) => x.textContent?.includes(title));
    if (!c) throw new Error(`no card ${title}`);
    return c;
  });
  return found as HTMLElement;
};

function Where() {
  const l = useLocation();
  return <div data-testid="where">{l.pathname + l.search}</div>;
}
/** The task pages under their routes, with the current location shown. */
function mount(route: string, s: SessionInfo) {
  return render(
    <Providers lang="zh-CN">
      <MemoryRouter initialEntries={[route]}>
        <SessionContext.Provider value={s}>
          <Routes>
            <Route path="/tasks" element={<Tasks />} />
            <Route path="/tasks/new" element={<Tasks />} />
            <Route path="/tasks/:id" element={<TaskDetail />} />
            <Route path="/customers/:id" element={<CustomerDetail />} />
          </Routes>
          <Where />
        </SessionContext.Provider>
      </MemoryRouter>
    </Providers>,
  );
}

test('the list sends the view and filters of the URL and shows the rows: priority, status, due (red when overdue), related record, checklist, an inexact total', async () => {
  const { gets } = serve({
    list: [
      task({ priority: 'urgent', overdue: true, dueAt: '2026-11-20T10:00:00Z', checklistDone: 2, checklistTotal: 5 }),
      task({ id: 't2', title: '回访王总', priority: 'low', status: 'in_progress', relatedKind: '', relatedId: null, relatedName: '', checklist: [], checklistDone: 0, checklistTotal: 0 }),
    ],
    total: 10000,
    totalExact: false,
  });
  mount('/tasks?view=overdue&status=not_started&status=in_progress&priority=urgent&q=报价', session(['tasks.read', 'tasks.export', 'tasks.create']));
  const row = await card('准备星河报价单');
  expect(within(row).getByText('紧急')).toBeInTheDocument();
  expect(within(row).getByText('未开始')).toBeInTheDocument();
  const due = within(row).getByTestId('task-due');
  // 10:00 UTC is 18:00 in Shanghai
  expect(due).toHaveTextContent('2026-11-20 18:00');
  expect(due).toHaveTextContent('已逾期');
  expect(due).toHaveStyle({ color: 'rgb(207, 19, 34)' });
  expect(within(row).getByText('北京星河科技有限公司').closest('a')).toHaveAttribute('href', '/customers/c1');
  expect(within(row).getByText('客户：', { exact: false })).toBeInTheDocument();
  expect(within(row).getByTestId('task-checklist-progress')).toHaveTextContent('2/5');
  const other = await card('回访王总');
  expect(within(other).getByText('进行中')).toBeInTheDocument();
  expect(within(other).getByText('低')).toBeInTheDocument();
  expect(within(other).getByTestId('task-due')).not.toHaveTextContent('已逾期');
  expect(within(other).getByTestId('task-due')).not.toHaveAttribute('data-overdue');
  expect(screen.getByTestId('list-total')).toHaveTextContent('共 10,000+ 条');
  const read = new URL(gets.find((u) => u.startsWith('/api/v1/tasks?'))!, 'http://x');
  expect(read.searchParams.get('view')).toBe('overdue');
  expect(read.searchParams.getAll('status')).toEqual(['not_started', 'in_progress']);
  expect(read.searchParams.getAll('priority')).toEqual(['urgent']);
  expect(read.searchParams.get('q')).toBe('报价');
  expect(read.searchParams.get('tz')).toBe('Asia/Shanghai');
  // the views: subordinates with tasks.read; choosing one puts it in the URL and reads it
  const tabs = screen.getByRole('tablist');
  expect(within(tabs).getByText('下属的任务')).toBeInTheDocument();
  expect(within(tabs).getByRole('tab', { selected: true })).toHaveTextContent('已逾期');
  fireEvent.click(within(tabs).getByText('今天到期'));
  await waitFor(() => expect(gets.some((u) => u.startsWith('/api/v1/tasks?') && new URL(u, 'http://x').searchParams.get('view') === 'today')).toBe(true));
  expect(screen.getByTestId('where')).toHaveTextContent('view=today');
  // the export keeps the filters
  fireEvent.mouseEnter(screen.getByTestId('task-export'));
  const csv = await screen.findByTestId('task-export-csv');
  const href = new URL(csv.getAttribute('href')!, 'http://x');
  expect(href.pathname).toBe('/api/v1/tasks/export');
  expect(href.searchParams.get('format')).toBe('csv');
  expect(href.searchParams.get('view')).toBe('today');
  expect(href.searchParams.getAll('status')).toEqual(['not_started', 'in_progress']);
  expect(screen.getByTestId('task-new')).toBeInTheDocument();
}, 120000);

test('without tasks.read, tasks.export and tasks.create: no team view, no export, no new task; the view defaults to mine', async () => {
  const { gets } = serve({ list: [task()] });
  mount('/tasks', session([]));
  await card('准备星河报价单');
  expect(within(screen.getByRole('tablist')).queryByText('下属的任务')).toBeNull();
  expect(within(screen.getByRole('tablist')).getByRole('tab', { selected: true })).toHaveTextContent('我的任务');
  expect(screen.queryByTestId('task-export')).toBeNull();
  expect(screen.queryByTestId('task-new')).toBeNull();
  expect(new URL(gets.find((u) => u.startsWith('/api/v1/tasks?'))!, 'http://x').searchParams.get('view')).toBe('mine');
  expect(screen.getByTestId('list-total')).toHaveTextContent('共 1 条');
}, 120000);

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

test('a new task about a record of the URL sends exactly what was filled in; a due time before the start shows on the due field', async () => {
  let answer = 0;
  const { sent } = serve({
    list: [],
    onWrite: () =>
      answer++ === 0
        ? json(422, { type: 't', title: 'Unprocessable', status: 422, code: 'validation_failed', errors: [{ field: 'dueAt', code: 'due_before_start', message: 'dueAt: before startAt' }] })
        : json(201, task({ id: 't9', version: 1 }), { ETag: '"1"' }),
  });
  mount('/tasks/new?relatedKind=customer&relatedId=c1&relatedName=北京星河科技有限公司', session(['tasks.create']));
  const dialog = await dialogTitled('新建任务');
  // the record of the URL, and the assignee is the user (without tasks.assign no one else)
  expect(await within(dialog).findByText('北京星河科技有限公司')).toBeInTheDocument();
  const assignee = within(dialog).getByLabelText('负责人');
  expect(assignee).toBeDisabled();
  expect(within(dialog).getByText('只能分配给自己')).toBeInTheDocument();
  fireEvent.change(within(dialog).getByLabelText('任务标题'), { target: { value: '  准备报价单 ' } });
  fireEvent.change(within(dialog).getByLabelText('任务描述'), { target: { value: '二期范围' } });
  await pickTime(dialog, '截止时间', '2026-12-10 18:00');
  fireEvent.click(within(dialog).getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toMatchObject({ method: 'POST', url: '/api/v1/tasks' });
  expect(sent[0].body).toEqual({
    title: '准备报价单',
    description: '二期范围',
    relatedKind: 'customer',
    relatedId: 'c1',
    priority: 'normal',
    dueAt: '2026-12-10T10:00:00.000Z', // 18:00 in Shanghai
    reminders: [60, 1440],
  });
  const dueItem = within(dialog).getByLabelText('截止时间').closest('.ant-form-item') as HTMLElement;
  expect(await within(dueItem).findByText('截止时间不能早于开始时间')).toBeInTheDocument();
  expect(screen.getByTestId('where')).toHaveTextContent('/tasks/new');
  fireEvent.click(within(dialog).getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(2));
  await waitFor(() => expect(screen.getByTestId('where')).toHaveTextContent(/^\/tasks\/t9$/));
}, 120000);

test("the assignee's actions show only to the assignee, the creator's only to the creator; completing asks a note and is sent at the version shown", async () => {
  const { sent } = serve({ task: task({ status: 'in_progress' }) });
  // the assignee (u1): start / complete / back, no edit, cancel or delete
  const r = mount('/tasks/t1', session(['tasks.read'], false, { id: 'u1' }));
  expect(await screen.findByTestId('task-complete')).toBeInTheDocument();
  expect(screen.getByTestId('task-unstart')).toBeInTheDocument();
  expect(screen.queryByTestId('task-start')).toBeNull(); // already in progress
  expect(screen.queryByTestId('task-edit')).toBeNull();
  expect(screen.queryByTestId('task-cancel')).toBeNull();
  expect(screen.queryByTestId('task-delete')).toBeNull();
  expect(screen.queryByTestId('task-assign')).toBeNull();
  const fields = screen.getByTestId('task-fields');
  expect(within(fields).getByText('张伟')).toBeInTheDocument();
  expect(within(fields).getByText('北京星河科技有限公司').closest('a')).toHaveAttribute('href', '/customers/c1');
  expect(within(fields).getByText('提前 1 小时、提前 1 天')).toBeInTheDocument();
  await waitFor(() => expect(within(fields).getByText('王芳')).toBeInTheDocument());
  r.unmount();
  queryClient.clear();
  // the creator (u2): edit / cancel / delete / assign, none of the assignee's moves
  const c = mount('/tasks/t1', session(['tasks.read'], false, { id: 'u2' }));
  expect(await screen.findByTestId('task-edit')).toBeInTheDocument();
  expect(screen.getByTestId('task-cancel')).toBeInTheDocument();
  expect(screen.getByTestId('task-delete')).toBeInTheDocument();
  expect(screen.getByTestId('task-assign')).toBeInTheDocument();
  expect(screen.queryByTestId('task-complete')).toBeNull();
  expect(screen.queryByTestId('task-unstart')).toBeNull();
  expect(screen.queryByTestId('task-start')).toBeNull();
  c.unmount();
  queryClient.clear();
  // someone else who may read it: nothing to do, and a read-only checklist
  const o = mount('/tasks/t1', session(['tasks.read'], false, { id: 'u3' }));
  expect(await screen.findByTestId('task-fields')).toBeInTheDocument();
  expect(within(screen.getByTestId('task-actions')).queryAllByRole('button')).toHaveLength(0);
  for (const box of within(screen.getByTestId('task-checklist')).getAllByRole('checkbox')) expect(box).toBeDisabled();
  expect(screen.queryByTestId('checklist-add')).toBeNull();
  o.unmount();
  queryClient.clear();
  // the assignee completes it with a note
  mount('/tasks/t1', session(['tasks.read'], false, { id: 'u1' }));
  fireEvent.click(await screen.findByTestId('task-complete'));
  const dialog = await dialogTitled('完成任务');
  fireEvent.change(within(dialog).getByLabelText('完成说明'), { target: { value: ' 报价已发客户 ' } });
  fireEvent.click(within(dialog).getByRole('button', { name: /完\s*成/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'POST', url: '/api/v1/tasks/t1/status', body: { status: 'done', note: '报价已发客户' }, ifMatch: '"5"' });
}, 120000);

test('a not-started task: the assignee starts it at its version; the creator cancels it only with a reason', async () => {
  const { sent } = serve({ task: task() });
  const r = mount('/tasks/t1', session(['tasks.read'], false, { id: 'u1' }));
  fireEvent.click(await screen.findByTestId('task-start'));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'POST', url: '/api/v1/tasks/t1/status', body: { status: 'in_progress' }, ifMatch: '"5"' });
  r.unmount();
  queryClient.clear();
  mount('/tasks/t1', session(['tasks.read'], false, { id: 'u2' }));
  fireEvent.click(await screen.findByTestId('task-cancel'));
  const dialog = await dialogTitled('取消任务');
  fireEvent.click(within(dialog).getByRole('button', { name: /取消任务/ }));
  expect(await within(dialog).findByText('请填写取消原因')).toBeInTheDocument();
  expect(sent).toHaveLength(1);
  fireEvent.change(within(dialog).getByLabelText('取消原因'), { target: { value: '客户暂停项目' } });
  fireEvent.click(within(dialog).getByRole('button', { name: /取消任务/ }));
  await waitFor(() => expect(sent).toHaveLength(2));
  expect(sent[1]).toEqual({ method: 'POST', url: '/api/v1/tasks/t1/status', body: { status: 'cancelled', note: '客户暂停项目' }, ifMatch: '"5"' });
}, 120000);

test('the assignee ticks a checklist item (PATCH {done:true}, no If-Match) and adds one', async () => {
  const { sent } = serve({ task: task() });
  mount('/tasks/t1', session([], false, { id: 'u1' }));
  const list = await screen.findByTestId('task-checklist');
  expect(within(list).getByTestId('checklist-progress')).toHaveTextContent('1/2');
  const item = within(list).getAllByTestId('checklist-item').find((x) => x.textContent?.includes('核对折扣'))!;
  const box = within(item).getByRole('checkbox');
  expect(box).not.toBeChecked();
  fireEvent.click(box);
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'PATCH', url: '/api/v1/tasks/t1/checklist/i2', body: { done: true }, ifMatch: null });
  fireEvent.change(within(list).getByLabelText('新检查项'), { target: { value: ' 发送报价 ' } });
  fireEvent.click(within(list).getByTestId('checklist-add'));
  await waitFor(() => expect(sent).toHaveLength(2));
  expect(sent[1]).toEqual({ method: 'POST', url: '/api/v1/tasks/t1/checklist', body: { text: '发送报价' }, ifMatch: null });
  await waitFor(() => expect(within(list).getByLabelText('新检查项')).toHaveValue(''));
}, 120000);

test('the comments show oldest first with author and time; a comment is posted', async () => {
  const { sent } = serve({ task: task() });
  renderWith(<TaskDetail />, { path: '/tasks/:id', route: '/tasks/t1', s: session([], false, { id: 'u3' }) });
  const box = await screen.findByTestId('task-comments');
  const shown = await within(box).findAllByTestId('task-comment');
  expect(shown.map((c) => c.textContent)).toEqual(['李娜 · 2026-12-01 11:00客户要求周五前给到', '张伟 · 2026-12-01 12:00好的，我来跟进']);
  expect(within(box).getByTestId('comment-post')).toBeDisabled();
  fireEvent.change(within(box).getByLabelText('评论内容'), { target: { value: '我也关注一下' } });
  fireEvent.click(within(box).getByTestId('comment-post'));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'POST', url: '/api/v1/tasks/t1/comments', body: { text: '我也关注一下' }, ifMatch: null });
  await waitFor(() => expect(within(box).getByLabelText('评论内容')).toHaveValue(''));
}, 120000);

test("a customer's page offers 新建任务 with tasks.create: the form starts about that customer", async () => {
  serve({ list: [] });
  const r = mount('/customers/c1', session(['customers.read']));
  expect(await screen.findByText('北京星河科技有限公司', { selector: 'h1' })).toBeInTheDocument();
  expect(screen.queryByTestId('customer-new-task')).toBeNull();
  r.unmount();
  queryClient.clear();
  mount('/customers/c1', session(['customers.read', 'tasks.create']));
  fireEvent.click(await screen.findByTestId('customer-new-task'));
  const dialog = await dialogTitled('新建任务');
  const where = new URL(screen.getByTestId('where').textContent!, 'http://x');
  expect(where.pathname).toBe('/tasks/new');
  expect(where.searchParams.get('relatedKind')).toBe('customer');
  expect(where.searchParams.get('relatedId')).toBe('c1');
  expect(where.searchParams.get('relatedName')).toBe('北京星河科技有限公司');
  expect(await within(dialog).findByText('北京星河科技有限公司')).toBeInTheDocument();
}, 120000);

test('a holder of tasks.assign assigns the task to another user at its version', async () => {
  const { sent } = serve({ task: task() });
  mount('/tasks/t1', session(['tasks.read', 'tasks.assign'], false, { id: 'u3' }));
  fireEvent.click(await screen.findByTestId('task-assign'));
  const dialog = await dialogTitled('分配任务');
  const box = within(dialog).getByLabelText('负责人');
  fireEvent.mouseDown(box);
  const option = await waitFor(() => {
    const open = [...document.querySelectorAll('.ant-select-dropdown:not(.ant-select-dropdown-hidden)')].pop() as HTMLElement | undefined;
    if (!open) throw new Error('no open user list');
    return within(open).getByText('王芳 (wangfang)');
  });
  fireEvent.click(option);
  fireEvent.click(within(dialog).getByRole('button', { name: /分\s*配/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'POST', url: '/api/v1/tasks/t1/assign', body: { assigneeId: 'u3' }, ifMatch: '"5"' });
}, 120000);

test('the creator edits a task: only the changed fields are sent, at its version', async () => {
  const { sent } = serve({ task: task() });
  mount('/tasks/t1', session(['tasks.read'], false, { id: 'u2' }));
  fireEvent.click(await screen.findByTestId('task-edit'));
  const dialog = await dialogTitled('编辑任务');
  await waitFor(() => expect(within(dialog).getByLabelText('任务标题')).toHaveValue('准备星河报价单'));
  fireEvent.change(within(dialog).getByLabelText('任务标题'), { target: { value: '准备星河二期报价单' } });
  fireEvent.click(within(dialog).getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'PATCH', url: '/api/v1/tasks/t1', body: { title: '准备星河二期报价单' }, ifMatch: '"5"' });
}, 120000);
