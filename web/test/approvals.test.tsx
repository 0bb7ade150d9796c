import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import dayjs from 'dayjs';
import { afterEach, expect, test, vi } from 'vitest';
import { queryClient } from '../src/Root';
import ApprovalFlows, { stepBody } from '../src/pages/ApprovalFlows';
import Approvals from '../src/pages/Approvals';
import Org from '../src/pages/Org';
import { numberPreview } from '../src/pages/contractCommon';
import type { ApprovalFlow, ApprovalItem } from '../src/pages/contractTypes';
import { PendingBadge } from '../src/pages/PendingBadge';
import { json, renderWith, session } from './helpers';

afterEach(() => {
  vi.unstubAllGlobals();
  queryClient.clear();
});

const users = [
  { id: 'u1', username: 'zhang', displayName: '张伟', disabled: false },
  { id: 'u2', username: 'lina', displayName: '李娜', disabled: false },
  { id: 'u3', username: 'wangfang', displayName: '王芳', disabled: false },
];
const item = (over: Partial<ApprovalItem> = {}): ApprovalItem => ({
  kind: 'contract', subjectId: 'k1', seq: 4, purpose: 'contract', number: 'HT-202612-0001', title: '星河 ERP 实施合同', amount: '1234567.50', submitterId: 'u2',
  submittedAt: '2026-12-02T01:00:00Z', status: 'pending', step: 1,
  steps: [
    { name: '上级审批', kind: 'superior', approverIds: ['u4'], decision: 'approved', by: 'u4', at: '2026-12-02T01:30:00Z', comment: '' },
    { name: '经理审批', kind: 'role', approverIds: ['u1', 'u3'], decision: '' },
  ],
  stepName: '经理审批', approverIds: ['u1', 'u3'], updatedAt: '2026-12-02T02:00:00Z', ...over,
});

type Sent = { method: string; url: string; body: Record<string, unknown> | undefined; ifMatch: string | null };

function serve(o: { inbox?: Record<string, ApprovalItem[]>; flow?: ApprovalFlow | null; onWrite?: (s: Sent) => Response | undefined } = {}) {
  const sent: Sent[] = [];
  const gets: string[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    if (method === 'GET') {
      gets.push(url);
      const [path, query = ''] = url.split('?');
      const q = new URLSearchParams(query);
      if (path === '/api/v1/users') return json(200, { items: users, total: users.length, totalExact: true });
      if (path === '/api/v1/approvals') {
        const items = o.inbox?.[q.get('view') ?? ''] ?? [];
        return json(200, { items, total: items.length, totalExact: true, nextCursor: '' });
      }
      if (path === '/api/v1/contracts/k1') return json(200, { id: 'k1', number: 'HT-202612-0001', status: 'pending', version: 7 }, { ETag: '"7"' });
      if (path === '/api/v1/approval-flows') return json(200, { items: o.flow ? [o.flow] : [] });
      if (path === '/api/v1/contract-numbering') return json(200, { pattern: 'HT-{yyyy}{mm}-{seq:4}', version: 2 });
      if (path === '/api/v1/roles') return json(200, { items: [{ id: 'r1', name: 'manager', displayName: '销售经理' }, { id: 'r2', name: 'sales', displayName: '销售代表' }] });
      if (path === '/api/v1/departments') return json(200, { items: [{ id: 'd1', name: '华北区', parentId: null, depth: 0, disabled: false, version: 1 }], total: 1, totalExact: true });
      return json(200, { items: [], total: 0, totalExact: true });
    }
    const s = { method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined, ifMatch: new Headers(init?.headers).get('If-Match') };
    sent.push(s);
    return o.onWrite?.(s) ?? json(200, { id: 'k1', version: 8 }, { ETag: '"8"', 'X-Chronicle-Position': '30' });
  });
  return { sent, gets };
}

const dialogTitled = (title: string) =>
  waitFor(() => {
    const d = screen.getAllByRole('dialog').find((x) => x.querySelector('.ant-modal-title')?.textContent === title);
    if (!d) throw new Error(`no dialog “${title}”`);
    return d;
  });

test('the inbox lists what waits for me, each leading to its contract; approving inline reads the contract first and sends its version', async () => {
  const { sent, gets } = serve({ inbox: { pending: [item()], submitted: [item({ subjectId: 'k2', number: 'HT-202612-0002', status: 'rejected', step: -1 })] } });
  renderWith(<Approvals />, { path: '/approvals', route: '/approvals', s: session([]) });
  const cardEl = (await screen.findAllByTestId('list-card'))[0];
  expect(cardEl).toHaveTextContent('HT-202612-0001 星河 ERP 实施合同');
  expect(cardEl).toHaveTextContent('1,234,567.50');
  expect(cardEl).toHaveTextContent('待审批');
  expect(cardEl).toHaveTextContent('2/2 经理审批');
  await waitFor(() => expect(cardEl).toHaveTextContent('李娜'));
  expect(gets.some((u) => u.startsWith('/api/v1/approvals?view=pending'))).toBe(true);

  fireEvent.click(within(cardEl).getByTestId('inbox-approve'));
  const dialog = await dialogTitled('同意合同 HT-202612-0001');
  fireEvent.click(within(dialog).getByRole('button', { name: /同\s*意/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(gets).toContain('/api/v1/contracts/k1');
  expect(sent[0]).toEqual({ method: 'POST', url: '/api/v1/contracts/k1/approve', body: {}, ifMatch: '"7"' });

  // what I submitted: no decision buttons
  fireEvent.click(screen.getByRole('tab', { name: '我提交的' }));
  await waitFor(() => expect(gets.some((u) => u.startsWith('/api/v1/approvals?view=submitted'))).toBe(true));
  const mine = await waitFor(() => {
    const c = screen.getAllByTestId('list-card').find((x) => x.textContent?.includes('HT-202612-0002'));
    if (!c) throw new Error('not yet');
    return c;
  });
  expect(mine).toHaveTextContent('已驳回');
  expect(within(mine).queryByTestId('inbox-approve')).toBeNull();
}, 120000);

test('rejecting from the inbox needs a comment', async () => {
  const { sent } = serve({ inbox: { pending: [item()] } });
  renderWith(<Approvals />, { path: '/approvals', route: '/approvals', s: session([]) });
  fireEvent.click(await screen.findByTestId('inbox-reject'));
  const dialog = await dialogTitled('驳回合同 HT-202612-0001');
  fireEvent.click(within(dialog).getByRole('button', { name: /驳\s*回/ }));
  expect(await within(dialog).findByText('驳回时必须填写意见')).toBeInTheDocument();
  fireEvent.change(within(dialog).getByLabelText('驳回意见'), { target: { value: '金额超出预算' } });
  fireEvent.click(within(dialog).getByRole('button', { name: /驳\s*回/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'POST', url: '/api/v1/contracts/k1/reject', body: { comment: '金额超出预算' }, ifMatch: '"7"' });
  await waitFor(() => expect(screen.queryAllByRole('dialog')).toHaveLength(0));
  // a row opens its contract
  fireEvent.click(screen.getByText('HT-202612-0001 星河 ERP 实施合同'));
  expect(await screen.findByTestId('elsewhere')).toBeInTheDocument();
}, 120000);

test('a department shows its head, and the head is set with PATCH headId at its version', async () => {
  const depts = [
    { id: 'd1', name: '华北区', parentId: null, depth: 0, disabled: false, version: 4, headId: 'u3', createdAt: '2026-11-01T00:00:00Z' },
    { id: 'd2', name: '华南区', parentId: null, depth: 0, disabled: false, version: 2, createdAt: '2026-11-01T00:00:00Z' },
  ];
  const sent: Sent[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    if (method !== 'GET') {
      sent.push({ method, url, body: JSON.parse(String(init?.body)), ifMatch: new Headers(init?.headers).get('If-Match') });
      return json(200, { ...depts[1], headId: 'u2', version: 3 });
    }
    if (url.startsWith('/api/v1/users')) return json(200, { items: users, total: users.length, totalExact: true });
    if (url.startsWith('/api/v1/departments')) return json(200, { items: depts, total: 2, totalExact: true });
    return json(200, { items: [] });
  });
  renderWith(<Org />, { path: '/org/*', route: '/org/departments', s: session(['departments.manage']) });
  expect(await screen.findByTestId('department-head-d1')).toHaveTextContent('负责人：王芳');
  expect(screen.queryByTestId('department-head-d2')).toBeNull();
  fireEvent.click(screen.getByText('华南区'));
  const edit = await screen.findByTestId('department-edit');
  const user = userEvent.setup();
  await user.click(within(edit).getByLabelText('部门负责人'));
  await user.click(await screen.findByTitle('李娜 (lina)'));
  await user.click(within(edit).getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'PATCH', url: '/api/v1/departments/d2', body: { headId: 'u2' }, ifMatch: '"2"' });
}, 120000);

test('the menu badge counts the approvals waiting', async () => {
  const { gets } = serve({ inbox: { pending: [item(), item({ subjectId: 'k2' }), item({ subjectId: 'k3' })] } });
  renderWith(<PendingBadge />, { s: session([]) });
  expect(await screen.findByTestId('pending-approvals')).toHaveTextContent('3');
  expect(gets).toContain('/api/v1/approvals?view=pending&limit=1');
}, 120000);

const flow: ApprovalFlow = {
  kind: 'contract', name: '合同审批', version: 5,
  steps: [
    { kind: 'superior', name: '直属上级' },
    { kind: 'role', role: 'manager', minAmount: '50000.00', name: '经理审批' },
  ],
};

test('the flow editor sends the steps in their order, each with the fields of its kind, at the version', async () => {
  const { sent } = serve({ flow });
  renderWith(<ApprovalFlows />, { path: '/org/approval-flows', route: '/org/approval-flows', s: session(['settings.manage']) });
  const form = await screen.findByTestId('flow-form');
  await waitFor(() => expect(within(form).getByLabelText('第 2 步名称')).toHaveValue('经理审批'));
  // the role step goes first
  fireEvent.click(within(form).getByRole('button', { name: '上移第 2 步' }));
  await waitFor(() => expect(within(form).getByLabelText('第 1 步名称')).toHaveValue('经理审批'));
  // a third step: a named user, above 100,000
  fireEvent.click(screen.getByTestId('add-flow-step'));
  const user = userEvent.setup();
  await user.click(await within(form).findByLabelText('第 3 步审批人类型'));
  await user.click(await screen.findByTitle('指定用户'));
  await user.click(await within(form).findByLabelText('第 3 步用户'));
  await user.click(await screen.findByTitle('王芳 (wangfang)'));
  fireEvent.change(within(form).getByLabelText('第 3 步名称'), { target: { value: '总经理' } });
  fireEvent.change(within(form).getByLabelText('第 3 步最低金额'), { target: { value: '100000.005' } });
  fireEvent.click(screen.getByTestId('save-flow'));
  expect(await within(form).findByText('金额，最多两位小数')).toBeInTheDocument();
  expect(sent).toHaveLength(0);
  fireEvent.change(within(form).getByLabelText('第 3 步最低金额'), { target: { value: '100000' } });
  fireEvent.click(screen.getByTestId('save-flow'));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({
    method: 'PUT',
    url: '/api/v1/approval-flows/contract',
    ifMatch: '"5"',
    body: {
      name: '合同审批',
      steps: [
        { kind: 'role', role: 'manager', minAmount: '50000.00', name: '经理审批' },
        { kind: 'superior', name: '直属上级' },
        { kind: 'user', userId: 'u3', minAmount: '100000', name: '总经理' },
      ],
    },
  });
}, 120000);

test('before any definition the flow is one step, the superior; without settings.manage it is read-only', async () => {
  serve({ flow: null });
  renderWith(<ApprovalFlows />, { path: '/org/approval-flows', route: '/org/approval-flows', s: session([]) });
  const form = await screen.findByTestId('flow-form');
  expect(within(form).getAllByText('提交人的直属上级').length).toBeGreaterThan(0);
  expect(within(form).queryByLabelText('第 2 步名称')).toBeNull();
  expect(screen.queryByTestId('save-flow')).toBeNull();
  expect(screen.queryByTestId('add-flow-step')).toBeNull();
  expect(screen.queryByTestId('save-numbering')).toBeNull();
  // only a step's own fields are sent
  expect(stepBody({ kind: 'superior', role: 'manager', userId: 'u1', departmentId: 'd1', minAmount: ' ', name: '' })).toEqual({ kind: 'superior' });
  expect(stepBody({ kind: 'department_head', departmentId: 'd1', role: 'manager' })).toEqual({ kind: 'department_head', departmentId: 'd1' });
}, 120000);

test('numbering: the preview expands the tokens for a day and names what is wrong with a pattern', () => {
  const day = dayjs('2026-12-05');
  expect(numberPreview('HT-{yyyy}{mm}-{seq:4}', day)).toEqual({ number: 'HT-202612-0001' });
  expect(numberPreview('{yy}{mm}{dd}-{seq:3}', day, 42)).toEqual({ number: '261205-042' });
  expect(numberPreview('CT{seq:1}', day, 12)).toEqual({ number: 'CT12' });
  expect(numberPreview('HT-{yyyy}', day).problem).toEqual({ code: 'no_seq' });
  expect(numberPreview('{seq:2}-{seq:3}', day).problem).toEqual({ code: 'several_seq' });
  expect(numberPreview('HT-{seq:0}', day).problem).toEqual({ code: 'bad_seq', token: '{seq:0}' });
  expect(numberPreview('HT-{seq:10}', day).problem).toEqual({ code: 'bad_seq', token: '{seq:10}' });
  expect(numberPreview('HT-{month}-{seq:4}', day).problem).toEqual({ code: 'unknown_token', token: '{month}' });
  expect(numberPreview('  ', day).problem).toEqual({ code: 'empty' });
});

test('the numbering editor previews today\'s number as the pattern is typed and saves it at its version', async () => {
  const { sent } = serve({ flow });
  renderWith(<ApprovalFlows />, { path: '/org/approval-flows', route: '/org/approval-flows', s: session(['settings.manage']) });
  const form = await screen.findByTestId('numbering-form');
  const now = dayjs();
  await waitFor(() => expect(screen.getByTestId('numbering-preview')).toHaveTextContent(`HT-${now.format('YYYYMM')}-0001`));
  const input = within(form).getByLabelText('编号规则');
  fireEvent.change(input, { target: { value: 'HT{yy}{mm}{dd}{seq:5}{seq:2}' } });
  await waitFor(() => expect(screen.getByTestId('numbering-preview')).toHaveTextContent('规则只能包含一个 {seq:N} 序号'));
  fireEvent.click(screen.getByTestId('save-numbering'));
  await waitFor(() => expect(within(form).getAllByText('规则只能包含一个 {seq:N} 序号').length).toBe(2));
  expect(sent).toHaveLength(0);
  fireEvent.change(input, { target: { value: 'HT{yy}{mm}{dd}{seq:5}' } });
  await waitFor(() => expect(screen.getByTestId('numbering-preview')).toHaveTextContent(`HT${now.format('YYMMDD')}00001`));
  fireEvent.click(screen.getByTestId('save-numbering'));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'PUT', url: '/api/v1/contract-numbering', body: { pattern: 'HT{yy}{mm}{dd}{seq:5}' }, ifMatch: '"2"' });
}, 120000);
