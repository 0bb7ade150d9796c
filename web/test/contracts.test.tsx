import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, expect, test, vi } from 'vitest';
import { exportUrl } from '../src/api/client';
import { queryClient } from '../src/Root';
import ContractDetail from '../src/pages/ContractDetail';
import { ContractForm } from '../src/pages/ContractForm';
import Contracts from '../src/pages/Contracts';
import type { Approval, Contract } from '../src/pages/contractTypes';
import OpportunityDetail from '../src/pages/OpportunityDetail';
import { dictionariesFixture, json, renderWith, session } from './helpers';

afterEach(() => {
  vi.unstubAllGlobals();
  queryClient.clear();
});

const contract = (over: Partial<Contract> = {}): Contract => ({
  id: 'k1', number: 'HT-202612-0001', name: '星河 ERP 实施合同', customerId: 'c1', customerName: '北京星河科技有限公司', opportunityId: null, opportunityName: '',
  type: 'sales', signedOn: '2026-12-01', startsOn: '2026-12-01', endsOn: '2027-11-30', amount: '1234567.50', lines: [], customerSignatoryId: null,
  ourSignatoryId: null, paymentTerms: '签约后 30 天内付 50%', remarks: '', ownerId: 'u1', ownerName: '张伟', inPool: false, createdBy: 'u1', status: 'draft', terminationReason: '', approval: null, amendment: null,
  createdAt: '2026-12-01T02:00:00Z', updatedAt: '2026-12-02T02:00:00Z', version: 3, ...over,
});
const users = [
  { id: 'u1', username: 'zhang', displayName: '张伟', disabled: false },
  { id: 'u2', username: 'lina', displayName: '李娜', disabled: false },
  { id: 'u3', username: 'wangfang', displayName: '王芳', disabled: false },
  { id: 'u4', username: 'zhao', displayName: '赵敏', disabled: false },
];
const wonOpportunity = {
  id: 'o1', name: 'ERP 升级', customerId: 'c1', customerName: '北京星河科技有限公司', pipelineId: 'p1', stage: 'negotiation', status: 'won', probability: 100,
  amount: '20000.00', weightedAmount: '20000.00', wonAmount: '20000.00', closedOn: '2026-11-30', ownerId: 'u1', version: 9,
  lines: [{ productId: '0190a5c7-2c3d-7e4f-9a51-6b7c8d9e0f1a', productName: '标准版', quantity: '2', unitPrice: '10000.00', discount: '0.00', total: '20000.00' }],
};
const products = [
  { id: '0190a5c7-2c3d-7e4f-9a51-6b7c8d9e0f1a', name: '标准版', code: 'ERP-STD', price: '10000.00', status: 'on_sale' },
  { id: '0190a5c7-2c3d-7e4f-9a51-6b7c8d9e0f1b', name: '实施服务', code: 'SVC-IMP', price: '2000.00', status: 'on_sale' },
];
/** Picks a product of the catalogue on a line: the search lists it, a click sets the line's product, name and price. */
const pickProduct = async (line: number, name: string) => {
  const box = screen.getByLabelText(`第 ${line} 行产品`);
  fireEvent.mouseDown(box);
  fireEvent.change(box, { target: { value: name } });
  const option = await waitFor(() => {
    const open = [...document.querySelectorAll('.ant-select-dropdown:not(.ant-select-dropdown-hidden)')].pop() as HTMLElement | undefined;
    if (!open) throw new Error('no open product list');
    return within(open).getByText(new RegExp('^' + name + '（'));
  });
  fireEvent.click(option);
};
const dictionaries = () => {
  const d = dictionariesFixture();
  d.items.push({ kind: 'contract_type', levels: 1, version: 0, items: [{ code: 'sales', labels: { 'zh-CN': '销售合同', en: 'Sales' }, enabled: true }, { code: 'service', labels: { 'zh-CN': '服务合同', en: 'Service' }, enabled: true }] });
  return d;
};

type Sent = { method: string; url: string; body: Record<string, unknown> | undefined; ifMatch: string | null };

/** Answers the reads the contract screens make; writes are collected and answered by onWrite. */
function serve(o: { contract?: Contract; list?: Contract[]; onWrite?: (s: Sent) => Response | undefined } = {}) {
  const sent: Sent[] = [];
  const gets: string[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    if (method === 'GET') {
      gets.push(url);
      const path = url.split('?')[0];
      if (path === '/api/v1/users') return json(200, { items: users, total: users.length, totalExact: true });
      if (path === '/api/v1/dictionaries') return json(200, dictionaries());
      if (path === '/api/v1/contract-numbering') return json(200, { pattern: 'HT-{yyyy}{mm}-{seq:4}', version: 2 });
      if (path === '/api/v1/customers') return json(200, { items: [{ id: 'c1', name: '北京星河科技有限公司' }], total: 1, totalExact: true });
      if (path === '/api/v1/opportunities/o1') return json(200, wonOpportunity);
      if (path === '/api/v1/products') return json(200, { items: products, total: products.length, totalExact: true, nextCursor: '' });
      if (path === '/api/v1/contracts') return json(200, { items: o.list ?? [], total: (o.list ?? []).length, totalExact: true, nextCursor: '' });
      if (path.startsWith('/api/v1/contracts/') && o.contract) return json(200, o.contract, { ETag: `"${o.contract.version}"` });
      return json(200, { items: [], total: 0, totalExact: true });
    }
    const s = { method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined, ifMatch: new Headers(init?.headers).get('If-Match') };
    sent.push(s);
    return o.onWrite?.(s) ?? json(201, contract({ id: 'k9', version: 1 }), { ETag: '"1"', 'X-Chronicle-Position': '20' });
  });
  return { sent, gets };
}

const type = (label: string, value: string, within_: HTMLElement = document.body) => fireEvent.change(within(within_).getByLabelText(label), { target: { value } });

/** The open dialog with this title (in tests every antd dialog is labelled by the same id, so its name is not its own). */
const dialogTitled = (title: string) =>
  waitFor(() => {
    const d = screen.getAllByRole('dialog').find((x) => x.querySelector('.ant-modal-title')?.textContent === title);
    if (!d) throw new Error(`no dialog “${title}”`);
    return d;
  });

/** The list's rows (jsdom is a narrow screen: the list shows cards, titled number and name). */
const card = async (number: string) => (await screen.findAllByTestId('list-card')).find((c) => c.textContent?.includes(number)) as HTMLElement;

test('the list shows the contracts of the filters in the URL: number, customer, type label, exact amount, status', async () => {
  const { gets } = serve({ list: [contract({ status: 'pending' }), contract({ id: 'k2', number: 'HT-202612-0002', name: '运维服务', type: 'service', amount: '0.10', status: 'executing' })] });
  renderWith(<Contracts />, { path: '/contracts', route: '/contracts?status=pending&status=executing&amountMin=1000&sort=-amount', s: session(['contracts.read', 'contracts.export', 'contracts.create']) });
  const row = await card('HT-202612-0001');
  expect(within(row).getByText('HT-202612-0001 星河 ERP 实施合同')).toBeInTheDocument();
  expect(within(row).getByText('北京星河科技有限公司')).toBeInTheDocument();
  await waitFor(() => expect(within(row).getByText('销售合同')).toBeInTheDocument());
  expect(within(row).getByText('1,234,567.50')).toBeInTheDocument();
  expect(within(row).getByText('审批中')).toBeInTheDocument();
  const other = await card('HT-202612-0002');
  expect(within(other).getByText('0.10')).toBeInTheDocument();
  expect(within(other).getByText('执行中')).toBeInTheDocument();
  expect(screen.getByTestId('list-total')).toHaveTextContent('共 2 条');
  const read = gets.find((u) => u.startsWith('/api/v1/contracts?'))!;
  expect(read).toContain('status=pending&status=executing');
  expect(read).toContain('amountMin=1000');
  expect(read).toContain('sort=-amount');
  expect(screen.getByTestId('contract-export')).toBeInTheDocument();
  expect(exportUrl('contracts', 'xlsx', { status: ['pending', 'executing'], amountMin: '1000' })).toBe('/api/v1/contracts/export?status=pending&status=executing&amountMin=1000&format=xlsx');
}, 120000);

test('without contracts.export and contracts.create the list offers neither', async () => {
  serve({ list: [contract()] });
  renderWith(<Contracts />, { path: '/contracts', route: '/contracts', s: session(['contracts.read']) });
  expect(await card('HT-202612-0001')).toBeInTheDocument();
  expect(screen.queryByTestId('contract-export')).toBeNull();
  expect(screen.queryByRole('button', { name: /新建合同/ })).toBeNull();
}, 120000);

test('a new contract leaves the number blank (generated; the hint shows the pattern) and sends its lines as exact decimal strings', async () => {
  const { sent } = serve();
  const saved: string[] = [];
  renderWith(<ContractForm open customer={{ id: 'c1', name: '北京星河科技有限公司' }} onClose={() => {}} onSaved={(id) => saved.push(id)} />, { s: session(['contracts.create']) });
  const form = await screen.findByTestId('contract-form');
  expect(await within(form).findByText(/留空则按规则 HT-\{yyyy\}\{mm\}-\{seq:4\} 自动生成，如 HT-\d{6}-0001/)).toBeInTheDocument();
  type('合同名称', '星河 ERP 实施合同');
  fireEvent.click(screen.getByTestId('add-line'));
  fireEvent.click(screen.getByTestId('add-line'));
  await pickProduct(1, '标准版');
  await waitFor(() => expect(screen.getByLabelText('第 1 行单价')).toHaveValue('10000.00'));
  type('第 1 行数量', '3');
  type('第 1 行单价', '0.10');
  await pickProduct(2, '实施服务');
  type('第 2 行数量', '1.5');
  type('第 2 行单价', '3333.33');
  type('第 2 行折扣', '0');
  // the amount is the lines' exact sum, and is not typed
  await waitFor(() => expect(screen.getByLabelText('合同金额')).toHaveValue('5000.30'));
  expect(screen.getByLabelText('合同金额')).toBeDisabled();
  expect(screen.getByTestId('lines-sum')).toHaveTextContent('¥5,000.30');
  fireEvent.click(screen.getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  const body = sent[0].body!;
  expect(sent[0]).toMatchObject({ method: 'POST', url: '/api/v1/contracts' });
  expect(body).toMatchObject({ name: '星河 ERP 实施合同', customerId: 'c1' });
  expect('number' in body).toBe(false);
  expect('amount' in body).toBe(false);
  const lines = body.lines as Record<string, unknown>[];
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatchObject({ productId: products[0].id, productName: '标准版', quantity: '3', unitPrice: '0.10' });
  expect(lines[1]).toMatchObject({ productId: products[1].id, productName: '实施服务', quantity: '1.5', unitPrice: '3333.33', discount: '0' });
  for (const l of lines) for (const k of ['quantity', 'unitPrice']) expect(typeof l[k]).toBe('string');
  await waitFor(() => expect(saved).toEqual(['k9']));
}, 120000);

test('without lines the typed amount is sent as it is; server field errors land on their fields; a duplicate number on the number', async () => {
  let answer = 0;
  const { sent } = serve({
    onWrite: () =>
      answer++ === 0
        ? json(422, { type: 't', title: 'Unprocessable', status: 422, code: 'validation_failed', errors: [{ field: 'endsOn', code: 'ends_before_start', message: 'endsOn: before startsOn' }] })
        : json(409, { type: 't', title: 'Conflict', status: 409, code: 'duplicate_number', detail: 'the number HT-7 is taken' }),
  });
  renderWith(<ContractForm open customer={{ id: 'c1', name: '北京星河科技有限公司' }} onClose={() => {}} />, { s: session(['contracts.create']) });
  await screen.findByTestId('contract-form');
  type('合同名称', '年度服务');
  type('合同金额', '1.005');
  fireEvent.click(screen.getByRole('button', { name: /保\s*存/ }));
  expect(await screen.findByText('金额最多 2 位小数')).toBeInTheDocument();
  expect(sent).toHaveLength(0);
  type('合同金额', '1200.50');
  fireEvent.click(screen.getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0].body).toEqual({ name: '年度服务', customerId: 'c1', amount: '1200.50' });
  const ends = screen.getByLabelText('结束日期').closest('.ant-form-item') as HTMLElement;
  expect(await within(ends).findByText('结束日期不能早于开始日期')).toBeInTheDocument();
  type('合同编号', ' HT-7 ');
  fireEvent.click(screen.getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(2));
  expect(sent[1].body).toMatchObject({ number: 'HT-7', amount: '1200.50' });
  const num = screen.getByLabelText('合同编号').closest('.ant-form-item') as HTMLElement;
  expect(await within(num).findByText('编号已被其他合同使用')).toBeInTheDocument();
}, 120000);

test('/contracts/new?opportunityId= starts from the won opportunity: its customer, name and lines; saved, it opens the contract', async () => {
  const { sent } = serve();
  renderWith(<Contracts />, { path: '/contracts/new', route: '/contracts/new?opportunityId=o1', s: session(['contracts.read', 'contracts.create']) });
  const dialog = await dialogTitled('新建合同');
  await waitFor(() => expect(within(dialog).getByLabelText('合同名称')).toHaveValue('ERP 升级'));
  // the line's product shows by its name once the picker has its options (an asynchronous read)
  expect(await within(within(dialog).getByTestId('line-editor')).findByText(/^标准版/, {}, { timeout: 30000 })).toBeInTheDocument();
  await waitFor(() => expect(within(dialog).getByLabelText('合同金额')).toHaveValue('20000.00'));
  expect(within(dialog).getAllByText('北京星河科技有限公司').length).toBeGreaterThan(0);
  expect(within(dialog).getByText('取自商机')).toBeInTheDocument();
  fireEvent.click(within(dialog).getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0].body).toMatchObject({
    name: 'ERP 升级',
    customerId: 'c1',
    opportunityId: 'o1',
    lines: [{ productId: '0190a5c7-2c3d-7e4f-9a51-6b7c8d9e0f1a', productName: '标准版', quantity: '2', unitPrice: '10000.00' }],
  });
  expect('amount' in sent[0].body!).toBe(false);
  expect(await screen.findByTestId('elsewhere')).toBeInTheDocument(); // /contracts/k9
}, 120000);

test('a won opportunity offers "Create contract" to those who may create contracts', async () => {
  vi.stubGlobal('fetch', async (url: string) => {
    if (url.startsWith('/api/v1/opportunities/o1')) return json(200, wonOpportunity);
    return json(200, { items: [], total: 0, totalExact: true });
  });
  const { unmount } = renderWith(<OpportunityDetail />, { path: '/opportunities/:id', route: '/opportunities/o1', s: session(['opportunities.read']) });
  expect(await screen.findByText('ERP 升级')).toBeInTheDocument();
  expect(screen.queryByTestId('create-contract')).toBeNull();
  unmount();
  renderWith(<OpportunityDetail />, { path: '/opportunities/:id', route: '/opportunities/o1', s: session(['opportunities.read', 'contracts.create']) });
  fireEvent.click(await screen.findByTestId('create-contract'));
  expect(await screen.findByTestId('elsewhere')).toBeInTheDocument();
}, 120000);

const waiting: Approval = {
  purpose: 'contract', submitterId: 'u2', submittedAt: '2026-12-02T01:00:00Z', status: 'pending', current: 1,
  steps: [
    { name: '上级审批', kind: 'superior', approverIds: ['u3'], decision: 'approved', by: 'u3', at: '2026-12-02T02:00:00Z', comment: '价格合理' },
    { name: '', kind: 'role', approverIds: ['u1', 'u4'], decision: '', comment: '' },
  ],
};
const asUser = (id: string, perms: string[] = ['contracts.read', 'contracts.update']) => session(perms, false, { id });

test('approve and reject show only for an approver of the waiting step; the submitter may withdraw; the steps show who decided what', async () => {
  serve({ contract: contract({ status: 'pending', approval: waiting }) });
  const { unmount } = renderWith(<ContractDetail />, { path: '/contracts/:id', route: '/contracts/k1', s: asUser('u1') });
  expect(await screen.findByTestId('contract-approve')).toBeInTheDocument();
  expect(screen.getByTestId('contract-reject')).toBeInTheDocument();
  expect(screen.queryByTestId('contract-withdraw')).toBeNull();
  expect(screen.queryByTestId('contract-submit')).toBeNull();
  expect(screen.queryByTestId('contract-edit')).toBeNull();
  expect(screen.getByTestId('contract-header-amount')).toHaveTextContent('¥1,234,567.50');
  const panel = screen.getByTestId('approval-panel');
  await waitFor(() => expect(within(panel).getByTestId('approval-step-0')).toHaveTextContent('王芳'));
  expect(within(panel).getByTestId('approval-step-0')).toHaveTextContent('价格合理');
  expect(within(panel).getByTestId('approval-step-1')).toHaveTextContent('张伟、赵敏');
  unmount();

  // an approver of the step already decided, and the submitter, do not decide now
  for (const id of ['u3', 'u2']) {
    queryClient.clear();
    const r = renderWith(<ContractDetail />, { path: '/contracts/:id', route: '/contracts/k1', s: asUser(id) });
    expect(await screen.findByTestId('approval-panel')).toBeInTheDocument();
    expect(screen.queryByTestId('contract-approve')).toBeNull();
    expect(screen.queryByTestId('contract-reject')).toBeNull();
    if (id === 'u2') expect(screen.getByTestId('contract-withdraw')).toBeInTheDocument();
    else expect(screen.queryByTestId('contract-withdraw')).toBeNull();
    r.unmount();
  }
}, 120000);

test('a rejection requires a comment and is sent at the version shown', async () => {
  const { sent } = serve({
    contract: contract({ status: 'pending', approval: waiting }),
    onWrite: () => json(200, contract({ status: 'draft', version: 4 }), { ETag: '"4"', 'X-Chronicle-Position': '21' }),
  });
  renderWith(<ContractDetail />, { path: '/contracts/:id', route: '/contracts/k1', s: asUser('u4') });
  fireEvent.click(await screen.findByTestId('contract-reject'));
  const dialog = await dialogTitled('驳回合同 HT-202612-0001');
  fireEvent.click(within(dialog).getByRole('button', { name: /驳\s*回/ }));
  expect(await within(dialog).findByText('驳回时必须填写意见')).toBeInTheDocument();
  expect(sent).toHaveLength(0);
  type('驳回意见', '  付款条件需要修改 ', dialog);
  fireEvent.click(within(dialog).getByRole('button', { name: /驳\s*回/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'POST', url: '/api/v1/contracts/k1/reject', body: { comment: '付款条件需要修改' }, ifMatch: '"3"' });
}, 120000);

test('a draft is submitted for approval at its version; approving needs no comment', async () => {
  const { sent } = serve({ contract: contract(), onWrite: () => json(200, contract({ status: 'pending', version: 4 }), { ETag: '"4"' }) });
  renderWith(<ContractDetail />, { path: '/contracts/:id', route: '/contracts/k1', s: asUser('u2', ['contracts.read', 'contracts.update', 'contracts.delete']) });
  expect(await screen.findByTestId('contract-edit')).toBeInTheDocument();
  expect(screen.getByTestId('contract-delete')).toBeInTheDocument();
  expect(screen.queryByTestId('contract-terminate')).toBeNull();
  expect(screen.queryByTestId('contract-approve')).toBeNull();
  fireEvent.click(screen.getByTestId('contract-submit'));
  const dialog = await dialogTitled('提交审批');
  fireEvent.click(within(dialog).getByRole('button', { name: /提\s*交/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'POST', url: '/api/v1/contracts/k1/submit', body: {}, ifMatch: '"3"' });
}, 120000);

test('an approved contract offers amend, start and terminate; the amendment sends only the changed fields with a reason', async () => {
  const approved = contract({ status: 'approved', approval: { ...waiting, status: 'approved', current: -1, steps: waiting.steps.map((s) => ({ ...s, decision: 'approved' as const, by: s.approverIds[0] })) } });
  const { sent } = serve({ contract: approved, onWrite: () => json(200, approved, { ETag: '"4"' }) });
  renderWith(<ContractDetail />, { path: '/contracts/:id', route: '/contracts/k1', s: asUser('u1', ['contracts.read', 'contracts.update', 'contracts.terminate']) });
  expect(await screen.findByTestId('contract-start')).toBeInTheDocument();
  expect(screen.getByTestId('contract-terminate')).toBeInTheDocument();
  expect(screen.queryByTestId('contract-submit')).toBeNull();
  expect(screen.queryByTestId('contract-complete')).toBeNull();
  fireEvent.click(screen.getByTestId('contract-amend'));
  const dialog = await dialogTitled('变更合同 HT-202612-0001');
  await waitFor(() => expect(within(dialog).getByLabelText('合同金额')).toHaveValue('1234567.50'));
  type('合同金额', '1300000.00', dialog);
  fireEvent.click(within(dialog).getByRole('button', { name: /提交变更审批/ }));
  expect(await within(dialog).findByText('请填写变更原因')).toBeInTheDocument();
  expect(sent).toHaveLength(0);
  type('变更原因', '增加二期范围', dialog);
  fireEvent.click(within(dialog).getByRole('button', { name: /提交变更审批/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'POST', url: '/api/v1/contracts/k1/amend', body: { changes: { amount: '1300000.00' }, reason: '增加二期范围' }, ifMatch: '"3"' });
}, 120000);
