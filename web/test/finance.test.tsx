import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import dayjs from 'dayjs';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { Providers, queryClient } from '../src/Root';
import Shell from '../src/Shell';
import type { Ageing, CustomerStats, DepartmentStats, Ledger, MonthlyStats, OwnerStats, Receipt, ReceiptRow } from '../src/api/finance';
import { cmpMoney, subMoney, sumMoney } from '../src/money';
import Approvals from '../src/pages/Approvals';
import ContractDetail from '../src/pages/ContractDetail';
import FinanceDashboard, { bucketRange, dashboardQuery } from '../src/pages/FinanceDashboard';
import Installments from '../src/pages/Installments';
import MonthClose, { monthsShown } from '../src/pages/MonthClose';
import Receipts from '../src/pages/Receipts';
import { Receivables, planTotals } from '../src/pages/Receivables';
import type { ApprovalItem, Contract } from '../src/pages/contractTypes';
import { today } from '../src/pages/contractCommon';
import { dictionariesFixture, json, meFixture, renderWith, session } from './helpers';

// ECharts needs a real layout engine; the page's use of it is its option and its label.
const charts: { option: unknown; ariaLabel: string }[] = [];
vi.mock('../src/components/Chart', () => ({
  default: (p: { option: never; ariaLabel: string }) => {
    charts.push(p);
    return <div role="img" aria-label={p.ariaLabel} />;
  },
}));

afterEach(() => {
  vi.unstubAllGlobals();
  queryClient.clear();
  charts.length = 0;
  localStorage.clear();
});

const users = [
  { id: 'u1', username: 'zhang', displayName: '张伟', disabled: false },
  { id: 'u2', username: 'lina', displayName: '李娜', disabled: false },
  { id: 'u3', username: 'wangfang', displayName: '王芳', disabled: false },
];

const receipt = (over: Partial<Receipt> = {}): Receipt => ({
  id: 'r1', contractId: 'k1', number: 'HT-202611-0001-R01', amount: '10000.00', date: '2026-11-01', method: 'bank_transfer', payerAccount: '', remarks: '',
  ownerId: 'u1', installments: [1], status: 'confirmed', allocation: [{ seq: 1, amount: '10000.00' }], approval: null, reversal: null,
  createdBy: 'u1', createdAt: '2026-11-01T02:00:00Z', confirmedAt: '2026-11-02T02:00:00Z', ...over,
});

const ledger = (over: Partial<Ledger> = {}): Ledger => ({
  contractId: 'k1', contractNumber: 'HT-202611-0001', contractName: '星河 ERP 实施合同', contractAmount: '100000.00', contractStatus: 'approved',
  installments: [
    { seq: 1, dueDate: '2026-10-31', amount: '30000.00', note: '首付款', received: '10000.00', outstanding: '20000.00', status: 'overdue', overdueSince: '2026-11-01' },
    { seq: 2, dueDate: '2027-03-31', amount: '70000.00', note: '验收款', received: '0.00', outstanding: '70000.00', status: 'planned', overdueSince: null },
  ],
  receipts: [receipt()],
  totals: { planned: '100000.00', unplanned: '0.00', received: '10000.00', pending: '0.00', outstanding: '90000.00', overdue: '20000.00', lastReceiptDate: '2026-11-01' },
  closedMonths: ['2026-09'],
  version: 7,
  ...over,
});

const dictionaries = () => {
  const d = dictionariesFixture();
  d.items.push({
    kind: 'payment_method', levels: 1, version: 0,
    items: [
      { code: 'bank_transfer', labels: { 'zh-CN': '银行转账', en: 'Bank transfer' }, enabled: true },
      { code: 'acceptance_bill', labels: { 'zh-CN': '承兑汇票', en: 'Acceptance bill' }, enabled: true },
    ],
  });
  return d;
};

type Sent = { method: string; url: string; body: Record<string, unknown> | undefined; ifMatch: string | null };

/** Answers the finance reads; writes are collected and answered by onWrite; gets collects every read. */
function serve(o: { ledger?: Ledger; reads?: Record<string, unknown>; onWrite?: (s: Sent) => Response | undefined } = {}) {
  const sent: Sent[] = [];
  const gets: string[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    if (method === 'GET') {
      gets.push(url);
      const path = url.split('?')[0];
      if (path === '/api/v1/users') return json(200, { items: users, total: users.length, totalExact: true });
      if (path === '/api/v1/dictionaries') return json(200, dictionaries());
      if (o.reads && path.slice('/api/v1'.length) in o.reads) return json(200, o.reads[path.slice('/api/v1'.length)]);
      if (path === '/api/v1/contracts/k1/receivables' && o.ledger) return json(200, o.ledger, { ETag: `"${o.ledger.version}"` });
      return json(200, { items: [], total: 0, totalExact: true, nextCursor: null });
    }
    const s = { method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined, ifMatch: new Headers(init?.headers).get('If-Match') };
    sent.push(s);
    return o.onWrite?.(s) ?? json(200, receipt(), { ETag: '"8"', 'X-Chronicle-Position': '40' });
  });
  return { sent, gets };
}

/** The open dialog with this title (every antd dialog in tests is labelled by the same id). */
const dialogTitled = (title: string) =>
  waitFor(() => {
    const d = screen.getAllByRole('dialog').find((x) => x.querySelector('.ant-modal-title')?.textContent === title);
    if (!d) throw new Error(`no dialog “${title}”`);
    return d;
  });
const type = (label: string, value: string, where: HTMLElement = document.body) => fireEvent.change(within(where).getByLabelText(label), { target: { value } });
const formItem = (label: string, where: HTMLElement = document.body) => within(where).getByLabelText(label).closest('.ant-form-item') as HTMLElement;

test('exact money: plan totals, sums and differences are BigInt fen, never floats', () => {
  // 0.1 + 0.2 is 0.30000000000000004 in floats: the plan would seem to exceed 0.30
  expect(planTotals([{ amount: '0.10' }, { amount: '0.20' }], '0.30')).toEqual({ planned: '0.30', unplanned: '0.00', over: false });
  expect(planTotals([{ amount: '0.10' }, { amount: '0.21' }, { amount: 'x' }], '0.30')).toEqual({ planned: '0.31', unplanned: '-0.01', over: true });
  expect(sumMoney(['9007199254740993.01', '0.99'])).toBe('9007199254740994.00');
  expect(subMoney('100000.00', '100000.01')).toBe('-0.01');
  expect(cmpMoney('0.3', '0.30')).toBe(0);
});

test('the plan editor sums the rows exactly as they are typed and warns once the plan exceeds the contract amount', async () => {
  serve({ ledger: ledger({ contractAmount: '0.30', installments: [], totals: { ...ledger().totals, planned: '0.00', unplanned: '0.30' } }) });
  renderWith(<Receivables contractId="k1" />, { s: session(['finance.read', 'finance.record']) });
  fireEvent.click(await screen.findByTestId('plan-edit'));
  const dialog = await dialogTitled('编辑回款计划：HT-202611-0001');
  // a new row is offered what is left of the contract
  fireEvent.click(within(dialog).getByTestId('plan-add'));
  await waitFor(() => expect(within(dialog).getByLabelText('第 1 期金额')).toHaveValue('0.30'));
  type('第 1 期金额', '0.10', dialog);
  fireEvent.click(within(dialog).getByTestId('plan-add'));
  await waitFor(() => expect(within(dialog).getByLabelText('第 2 期金额')).toHaveValue('0.20'));
  expect(within(dialog).getByTestId('plan-sum')).toHaveTextContent('计划合计 ¥0.30，合同金额 ¥0.30，未计划 ¥0.00');
  expect(within(dialog).queryByTestId('plan-over')).toBeNull();
  type('第 2 期金额', '0.21', dialog);
  await waitFor(() => expect(within(dialog).getByTestId('plan-sum')).toHaveTextContent('计划合计 ¥0.31，合同金额 ¥0.30，未计划 -¥0.01'));
  expect(within(dialog).getByTestId('plan-over')).toHaveTextContent('计划合计超过合同金额 ¥0.01');
  // a malformed amount counts nothing and is refused on its row
  type('第 2 期金额', '0.215', dialog);
  await waitFor(() => expect(within(dialog).getByTestId('plan-sum')).toHaveTextContent('计划合计 ¥0.10'));
}, 120000);

test('the plan is sent at the ledger version with each kept seq; a 422 field error lands on its row', async () => {
  const { sent } = serve({
    ledger: ledger(),
    onWrite: () =>
      json(422, {
        type: 't', title: 'Unprocessable', status: 422, code: 'validation_failed',
        errors: [{ field: 'installments[0].amount', code: 'below_received', message: 'installments[0].amount: below what it received' }],
      }),
  });
  renderWith(<Receivables contractId="k1" />, { s: session(['finance.read', 'finance.record']) });
  fireEvent.click(await screen.findByTestId('plan-edit'));
  const dialog = await dialogTitled('编辑回款计划：HT-202611-0001');
  await waitFor(() => expect(within(dialog).getByLabelText('第 2 期金额')).toHaveValue('70000.00'));
  // the installment that has received money cannot be removed
  expect(within(dialog).getByRole('button', { name: '删除第 1 期' })).toBeDisabled();
  expect(within(dialog).getByRole('button', { name: '删除第 2 期' })).toBeEnabled();
  type('第 1 期金额', '5000.00', dialog);
  type('第 2 期说明', ' 验收后 30 天 ', dialog);
  fireEvent.click(within(dialog).getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({
    method: 'PUT',
    url: '/api/v1/contracts/k1/receivables/plan',
    ifMatch: '"7"',
    body: {
      installments: [
        { seq: 1, dueDate: '2026-10-31', amount: '5000.00', note: '首付款' },
        { seq: 2, dueDate: '2027-03-31', amount: '70000.00', note: '验收后 30 天' },
      ],
    },
  });
  expect(await within(formItem('第 1 期金额', dialog)).findByText('不能低于该期已回款金额')).toBeInTheDocument();
  expect(within(formItem('第 2 期金额', dialog)).queryByText('不能低于该期已回款金额')).toBeNull();
}, 120000);

test('the receipt dialog sends the typed strings exactly; over_receipt and month_closed are told in the dialog', async () => {
  const todayText = today().format('YYYY-MM-DD');
  let answer = 0;
  const { sent } = serve({
    ledger: ledger({ closedMonths: [todayText.slice(0, 7)] }),
    onWrite: () =>
      answer++ === 0
        ? json(422, { type: 't', title: 'Unprocessable', status: 422, code: 'over_receipt', detail: 'the amount 70000.10 is more than 70000.00 left' })
        : json(409, { type: 't', title: 'Conflict', status: 409, code: 'month_closed', detail: `${todayText.slice(0, 7)} is closed` }),
  });
  renderWith(<Receivables contractId="k1" />, { s: session(['finance.read', 'finance.record']) });
  fireEvent.click(await screen.findByTestId('receipt-new'));
  const dialog = await dialogTitled('登记回款：HT-202611-0001');
  // the date is today, in a closed month: a warning before anything is sent
  expect(await within(dialog).findByTestId('receipt-closed-month')).toBeInTheDocument();
  type('回款金额', ' 70000.10 ', dialog);
  type('付款账户', ' 6222 0210 0001 ', dialog);
  type('备注', '二期款', dialog);
  const user = userEvent.setup();
  await user.click(within(dialog).getByLabelText('付款方式'));
  await user.click(await screen.findByTitle('承兑汇票'));
  await user.click(within(dialog).getByLabelText('对应期次（可空，按计划顺序分配）'));
  await user.click(await screen.findByTitle('第 2 期 · 2027-03-31 · 未回款 ¥70,000.00'));
  // more than the chosen installment has left
  expect(await within(dialog).findByTestId('receipt-over')).toHaveTextContent('金额超过未回款金额 ¥70,000.00');
  fireEvent.click(within(dialog).getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({
    method: 'POST',
    url: '/api/v1/contracts/k1/receipts',
    ifMatch: '"7"',
    body: { amount: '70000.10', date: todayText, method: 'acceptance_bill', payerAccount: '6222 0210 0001', remarks: '二期款', installments: [2] },
  });
  const problem = await within(dialog).findByTestId('finance-problem');
  expect(problem).toHaveTextContent('回款金额超过所选期次（或合同）的未回款金额');
  expect(problem).toHaveTextContent('the amount 70000.10 is more than 70000.00 left');
  type('回款金额', '70000.00', dialog);
  fireEvent.click(within(dialog).getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(2));
  expect(sent[1].body).toMatchObject({ amount: '70000.00' });
  await waitFor(() => expect(within(dialog).getByTestId('finance-problem')).toHaveTextContent('该月份已结账，不能在此日期登记、修改或冲销回款'));
}, 120000);

const waitingFor = (approverIds: string[], submitterId = 'u1'): Receipt['approval'] => ({
  purpose: 'receipt', submitterId, status: 'pending', current: 0,
  steps: [{ name: '财务', kind: 'role', approverIds, decision: '', by: '', at: null, comment: '' }],
});
const mixed = () =>
  ledger({
    receipts: [
      receipt({ id: 'r1', number: 'R01', status: 'draft', confirmedAt: null }),
      receipt({ id: 'r2', number: 'R02', status: 'pending', approval: waitingFor(['u3']), confirmedAt: null }),
      receipt({ id: 'r3', number: 'R03', status: 'confirmed' }),
      receipt({ id: 'r4', number: 'R04', status: 'reversed', reversal: { reason: '退款', date: '2026-11-05', by: 'u3', at: '2026-11-05T01:00:00Z' } }),
    ],
  });
const has = (action: string, number: string) => screen.queryByTestId(`receipt-${action}-${number}`) !== null;

test('receipt actions follow the state, the current approver, the submitter and the permissions', async () => {
  serve({ ledger: mixed() });
  // the recorder (u1, finance.record) who submitted R02
  let r = renderWith(<Receivables contractId="k1" />, { s: session(['finance.read', 'finance.record'], false, { id: 'u1' }) });
  await screen.findByTestId('receipt-submit-R01');
  expect(['submit', 'edit', 'delete'].map((a) => has(a, 'R01'))).toEqual([true, true, true]);
  expect(has('withdraw', 'R02')).toBe(true);
  expect(has('approve', 'R02') || has('reject', 'R02')).toBe(false);
  expect(has('reverse', 'R03')).toBe(false);
  expect(['edit', 'reverse', 'submit'].some((a) => has(a, 'R04'))).toBe(false);
  expect(screen.getByTestId('plan-edit')).toBeInTheDocument();
  r.unmount();

  // the finance approver (u3): decides R02, may reverse R03; without finance.record no draft action, no plan
  queryClient.clear();
  r = renderWith(<Receivables contractId="k1" />, { s: session(['finance.read', 'finance.reverse'], false, { id: 'u3' }) });
  await screen.findByTestId('receipt-approve-R02');
  expect(has('reject', 'R02')).toBe(true);
  expect(has('withdraw', 'R02')).toBe(false);
  expect(has('reverse', 'R03')).toBe(true);
  expect(['submit', 'edit', 'delete'].some((a) => has(a, 'R01'))).toBe(false);
  expect(screen.queryByTestId('plan-edit')).toBeNull();
  expect(screen.queryByTestId('receipt-new')).toBeNull();
  r.unmount();

  // a reader only
  queryClient.clear();
  renderWith(<Receivables contractId="k1" />, { s: session(['finance.read'], false, { id: 'u2' }) });
  await screen.findByTestId('receipts');
  expect(screen.queryAllByRole('button', { name: /提\s*交|编\s*辑|删\s*除|同\s*意|驳\s*回|撤\s*回|冲\s*销/ })).toHaveLength(0);
}, 120000);

test('approving and reversing send the receipt endpoints at the ledger version; a reversal needs a reason', async () => {
  const { sent } = serve({ ledger: mixed() });
  renderWith(<Receivables contractId="k1" />, { s: session(['finance.read', 'finance.reverse'], false, { id: 'u3' }) });
  fireEvent.click(await screen.findByTestId('receipt-approve-R02'));
  const approve = await dialogTitled('同意回款单 R02');
  fireEvent.click(within(approve).getByRole('button', { name: /同\s*意/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'POST', url: '/api/v1/contracts/k1/receipts/r2/approve', body: {}, ifMatch: '"7"' });

  fireEvent.click(await screen.findByTestId('receipt-reverse-R03'));
  const rev = await dialogTitled('冲销回款单 R03');
  fireEvent.click(within(rev).getByRole('button', { name: /冲\s*销/ }));
  expect(await within(rev).findByText('请填写冲销原因')).toBeInTheDocument();
  expect(sent).toHaveLength(1);
  type('冲销原因', ' 客户退款 ', rev);
  fireEvent.click(within(rev).getByRole('button', { name: /冲\s*销/ }));
  await waitFor(() => expect(sent).toHaveLength(2));
  expect(sent[1]).toEqual({
    method: 'POST',
    url: '/api/v1/contracts/k1/receipts/r3/reverse',
    body: { reason: '客户退款', date: today().format('YYYY-MM-DD') },
    ifMatch: '"7"',
  });
}, 120000);

const contract = (over: Partial<Contract> = {}): Contract => ({
  id: 'k1', number: 'HT-202611-0001', name: '星河 ERP 实施合同', customerId: 'c1', customerName: '北京星河科技有限公司', opportunityId: null, opportunityName: '',
  type: 'sales', signedOn: '2026-11-01', startsOn: '2026-11-01', endsOn: '2027-10-31', amount: '100000.00', lines: [], customerSignatoryId: null,
  ourSignatoryId: null, paymentTerms: '', remarks: '', ownerId: 'u1', ownerName: '张伟', inPool: false, createdBy: 'u1', status: 'approved', terminationReason: '', approval: null, amendment: null,
  createdAt: '2026-11-01T02:00:00Z', updatedAt: '2026-11-02T02:00:00Z', version: 3, ...over,
});

test('the contract page shows the 回款 tab to holders of finance.read only, and ?tab=receivables opens it', async () => {
  serve({ ledger: ledger(), reads: { '/contracts/k1': contract() } });
  const r = renderWith(<ContractDetail />, { path: '/contracts/:id', route: '/contracts/k1?tab=receivables', s: session(['contracts.read']) });
  expect(await screen.findByTestId('contract-fields')).toBeInTheDocument();
  expect(screen.queryByRole('tab', { name: '回款' })).toBeNull();
  expect(screen.getByTestId('contract-lines')).toBeInTheDocument();
  r.unmount();
  queryClient.clear();
  renderWith(<ContractDetail />, { path: '/contracts/:id', route: '/contracts/k1?tab=receivables', s: session(['contracts.read', 'finance.read']) });
  const totals = await screen.findByTestId('receivable-totals');
  expect(screen.getByRole('tab', { name: '回款' })).toHaveAttribute('aria-selected', 'true');
  expect(within(totals).getByTestId('total-outstanding')).toHaveTextContent('¥90,000.00');
  expect(within(totals).getByTestId('total-overdue')).toHaveTextContent('¥20,000.00');
  const inst = screen.getByTestId('installments');
  expect(within(inst).getAllByTestId('installment-status')[0]).toHaveTextContent('逾期');
  expect(within(inst).getByTestId('installments-sum-amount')).toHaveTextContent('100,000.00');
  expect(within(inst).getByTestId('installments-sum-received')).toHaveTextContent('10,000.00');
  expect(within(inst).getByTestId('installments-sum-outstanding')).toHaveTextContent('90,000.00');
}, 120000);

const row = (over: Partial<ReceiptRow> = {}): ReceiptRow => ({
  ...receipt(), contractNumber: 'HT-202611-0001', contractName: '星河 ERP 实施合同', customerId: 'c1', customerName: '北京星河科技有限公司',
  contractOwnerId: 'u1', contractOwnerName: '张伟', updatedAt: '2026-11-02T02:00:00Z', ...over,
});

test('the receipts list sends the filters of the URL and exports with the same filters', async () => {
  const { gets } = serve({ reads: { '/receipts': { items: [row()], nextCursor: null }, '/customers/c1': { id: 'c1', name: '北京星河科技有限公司' } } });
  const route = '/receipts?q=星河&status=confirmed&dateFrom=2026-11-01&dateTo=2026-11-30&customerId=c1&ownerId=u2&sort=-amount';
  renderWith(<Receipts />, { path: '/receipts', route, s: session(['finance.read', 'finance.export']) });
  const card = (await screen.findAllByTestId('list-card'))[0];
  expect(card).toHaveTextContent('HT-202611-0001-R01 北京星河科技有限公司');
  expect(card).toHaveTextContent('10,000.00');
  expect(card).toHaveTextContent('已确认');
  expect(within(card).getByRole('link', { name: 'HT-202611-0001 星河 ERP 实施合同' })).toHaveAttribute('href', '/contracts/k1?tab=receivables');
  const read = new URL(gets.find((u) => u.startsWith('/api/v1/receipts?'))!, 'http://x');
  expect(Object.fromEntries(read.searchParams)).toEqual({
    q: '星河', status: 'confirmed', dateFrom: '2026-11-01', dateTo: '2026-11-30', customerId: 'c1', ownerId: 'u2', sort: '-amount', limit: '50',
  });
  fireEvent.mouseEnter(screen.getByTestId('receipt-export'));
  const csv = await screen.findByTestId('receipt-export-csv');
  const u = new URL(csv.getAttribute('href')!, 'http://x');
  expect(u.pathname).toBe('/api/v1/receipts/export');
  expect(Object.fromEntries(u.searchParams)).toEqual({
    q: '星河', status: 'confirmed', dateFrom: '2026-11-01', dateTo: '2026-11-30', customerId: 'c1', ownerId: 'u2', sort: '-amount', format: 'csv',
  });
  expect(screen.getByTestId('receipt-export-xlsx').getAttribute('href')).toContain('format=xlsx');
}, 120000);

test('the overdue list asks for status=overdue unless told otherwise; without finance.export there is no export', async () => {
  const { gets } = serve({
    reads: {
      '/installments': {
        items: [{ contractId: 'k1', contractNumber: 'HT-202611-0001', contractName: '星河', customerId: 'c1', customerName: '北京星河科技有限公司', ownerId: 'u1', ownerName: '张伟', seq: 1, dueDate: '2026-10-31', amount: '30000.00', received: '10000.00', outstanding: '20000.00', status: 'overdue', overdueSince: '2026-11-01' }],
        nextCursor: null,
      },
    },
  });
  const r = renderWith(<Installments />, { path: '/installments', route: '/installments?ownerId=u1', s: session(['finance.read']) });
  expect((await screen.findAllByTestId('list-card'))[0]).toHaveTextContent('20,000.00');
  expect(gets.find((u) => u.startsWith('/api/v1/installments?'))).toBe('/api/v1/installments?ownerId=u1&status=overdue&limit=50');
  expect(screen.queryByTestId('installment-export')).toBeNull();
  r.unmount();
  gets.length = 0;
  renderWith(<Installments />, { path: '/installments', route: '/installments?status=all&dueFrom=2026-10-01', s: session(['finance.read', 'finance.export']) });
  await screen.findAllByTestId('list-card');
  expect(gets.find((u) => u.startsWith('/api/v1/installments?'))).toBe('/api/v1/installments?dueFrom=2026-10-01&limit=50');
  fireEvent.mouseEnter(screen.getByTestId('installment-export'));
  expect((await screen.findByTestId('installment-export-xlsx')).getAttribute('href')).toBe('/api/v1/installments/export?dueFrom=2026-10-01&format=xlsx');
}, 120000);

const monthly: MonthlyStats = {
  months: [
    { month: '2026-02', planned: '0.10', received: '0.20', outstanding: '0.00', overdue: '0.00', payablesDue: '0.00', paid: '0.00', netCash: '0.20' },
    { month: '2026-03', planned: '1234567.89', received: '1000000.00', outstanding: '234567.89', overdue: '234567.89', payablesDue: '0.00', paid: '0.00', netCash: '1000000.00' },
  ],
  totals: { planned: '1234567.99', received: '1000000.20', outstanding: '234567.89', overdue: '234567.89', payablesDue: '0.00', paid: '0.00', netCash: '1000000.20' },
};
const ageing: Ageing = {
  asOf: '2026-11-30', total: '1000070.30',
  buckets: [
    { bucket: 'not_due', amount: '70.00' }, { bucket: '1_30', amount: '0.10' }, { bucket: '31_60', amount: '0.20' }, { bucket: '61_90', amount: '0.00' }, { bucket: 'over_90', amount: '1000000.00' },
  ],
};
const sums = { contracts: 2, amount: '200000.00', planned: '200000.00', received: '50000.00', outstanding: '150000.00', overdue: '20000.00', lastReceiptDate: '2026-11-01' };
const customers: CustomerStats = { rows: [{ customerId: 'c1', customerName: '北京星河科技有限公司', ...sums }] };
const owners: OwnerStats = { rows: [{ ownerId: 'u2', ownerName: '李娜', departmentId: 'd1', departmentName: '华北区', ...sums }], totals: sums };
const departments: DepartmentStats = { rows: [{ departmentId: 'd1', departmentName: '华北区', ...sums }], totals: sums };

test('the dashboard shows the sums of the answers and every figure leads to its list with the filter', async () => {
  const { gets } = serve({
    reads: { '/finance/stats/monthly': monthly, '/finance/stats/ageing': ageing, '/finance/stats/customers': customers, '/finance/stats/owners': owners, '/finance/stats/departments': departments },
  });
  renderWith(<FinanceDashboard />, { path: '/finance', route: '/finance?asOf=2026-11-30', s: session(['finance.read']) });
  await waitFor(() => expect(screen.getByTestId('stat-received')).toHaveTextContent('¥1,000,000.20'));
  expect(screen.getByTestId('stat-planned')).toHaveTextContent('¥1,234,567.99');
  expect(screen.getByTestId('stat-ageingTotal')).toHaveTextContent('¥1,000,070.30');
  // overdue on the date: the buckets past due, summed exactly (0.10 + 0.20 + 0.00 + 1000000.00)
  expect(screen.getByTestId('stat-ageingOverdue')).toHaveTextContent('¥1,000,000.30');
  expect(screen.getByTestId('monthly-totals')).toHaveTextContent('1,234,567.99');
  await waitFor(() => expect(screen.getByTestId('ageing-total')).toHaveTextContent('1,000,070.30'));
  // the default range: the last 12 months; the ageing as of the URL's date
  const d = dashboardQuery(new URLSearchParams());
  const m = new URL(gets.find((u) => u.startsWith('/api/v1/finance/stats/monthly'))!, 'http://x');
  expect(m.searchParams.get('from')).toBe(d.from);
  expect(m.searchParams.get('to')).toBe(d.to);
  expect(dayjs(d.to + '-01').diff(dayjs(d.from + '-01'), 'month')).toBe(11);
  expect(gets).toContain('/api/v1/finance/stats/ageing?asOf=2026-11-30');
  expect(gets).toContain('/api/v1/finance/stats/customers?limit=10');
  expect(charts.at(-1)?.ariaLabel).toContain(`${d.from} 至 ${d.to}`);

  const href = (id: string) => screen.getByTestId(id).getAttribute('href');
  expect(href('month-2026-02')).toBe('/receipts?dateFrom=2026-02-01&dateTo=2026-02-28');
  expect(href('ageing-1_30')).toBe('/installments?status=open&dueFrom=2026-10-31&dueTo=2026-11-29');
  expect(href('ageing-over_90')).toBe('/installments?status=open&dueTo=2026-08-31');
  await waitFor(() => expect(href('customer-c1')).toBe('/receipts?customerId=c1'));
  await waitFor(() => expect(href('owner-u2')).toBe('/installments?ownerId=u2&status=open'));
  expect(within(screen.getByTestId('owners-table')).getByRole('link', { name: '20,000.00' })).toHaveAttribute('href', '/installments?ownerId=u2&status=overdue');
  await waitFor(() => expect(href('department-d1')).toBe('/finance?asOf=2026-11-30&departmentId=d1'));
  expect(screen.getByTestId('owners-totals')).toHaveTextContent('150,000.00');
  expect(bucketRange('not_due', '2026-03-01')).toEqual({ dueFrom: '2026-03-01' });
  expect(bucketRange('31_60', '2026-03-01')).toEqual({ dueFrom: '2025-12-31', dueTo: '2026-01-29' });
}, 120000);

test('the month close lists the last 24 months, closes an ended month and reopens a closed one with a reason', async () => {
  const last = today().subtract(1, 'month').format('YYYY-MM');
  const now = today().format('YYYY-MM');
  expect(monthsShown(['2020-01'], '2026-11')).toHaveLength(25);
  expect(monthsShown(['2020-01'], '2026-11')[0]).toBe('2026-11');
  const { sent } = serve({ reads: { '/finance/months': { closed: ['2020-01'], version: 3 } }, onWrite: () => json(200, { closed: ['2020-01', last], version: 4 }) });
  const r = renderWith(<MonthClose />, { path: '/finance/months', route: '/finance/months', s: session(['finance.read', 'finance.close']) });
  fireEvent.click(await screen.findByTestId(`month-close-${last}`));
  expect(screen.queryByTestId(`month-close-${now}`)).toBeNull();
  expect(screen.queryByTestId('month-reopen-2020-01')).toBeNull();
  fireEvent.click(await screen.findByTestId('month-close-ok'));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'POST', url: `/api/v1/finance/months/${last}/close`, body: undefined, ifMatch: '"3"' });
  r.unmount();

  queryClient.clear();
  renderWith(<MonthClose />, { path: '/finance/months', route: '/finance/months', s: session(['settings.manage']) });
  fireEvent.click(await screen.findByTestId('month-reopen-2020-01'));
  expect(screen.queryByTestId(`month-close-${last}`)).toBeNull();
  const dialog = await dialogTitled('反结账 2020-01');
  type('反结账原因', '补录 1 月回款', dialog);
  fireEvent.click(within(dialog).getByRole('button', { name: /反结账/ }));
  await waitFor(() => expect(sent).toHaveLength(2));
  expect(sent[1]).toEqual({ method: 'POST', url: '/api/v1/finance/months/2020-01/reopen', body: { reason: '补录 1 月回款' }, ifMatch: '"3"' });
}, 120000);

test('a receipt in the approval inbox shows as 回款单, leads to its contract\'s receivables and is decided through the receipt endpoints', async () => {
  const item: ApprovalItem = {
    kind: 'receipt', subjectId: 'r2', seq: 2, purpose: 'receipt' as unknown as ApprovalItem['purpose'], number: 'HT-202611-0001-R02', title: '北京星河科技有限公司', amount: '45000.00', submitterId: 'u2',
    submittedAt: '2026-11-02T01:00:00Z', status: 'pending', step: 0, steps: [{ name: '财务', kind: 'role', approverIds: ['u1'], decision: '' }], stepName: '财务', approverIds: ['u1'], updatedAt: '2026-11-02T01:00:00Z',
  };
  const { sent, gets } = serve({ reads: { '/approvals': { items: [item], total: 1, totalExact: true, nextCursor: '' }, '/receipts/r2': row({ id: 'r2', number: 'HT-202611-0001-R02', status: 'pending' }) } });
  renderWith(<><Approvals /><Where /></>, { path: '/*', route: '/approvals', s: session([]) });
  const card = (await screen.findAllByTestId('list-card'))[0];
  expect(within(card).getByTestId('inbox-kind')).toHaveTextContent('回款单');
  fireEvent.click(within(card).getByTestId('inbox-reject'));
  const dialog = await dialogTitled('驳回回款单 HT-202611-0001-R02');
  fireEvent.click(within(dialog).getByRole('button', { name: /驳\s*回/ }));
  expect(await within(dialog).findByText('驳回时必须填写意见')).toBeInTheDocument();
  type('驳回意见', '账户不符', dialog);
  fireEvent.click(within(dialog).getByRole('button', { name: /驳\s*回/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(gets).toContain('/api/v1/receipts/r2');
  expect(sent[0]).toEqual({ method: 'POST', url: '/api/v1/contracts/k1/receipts/r2/reject', body: { comment: '账户不符' }, ifMatch: null });
  await waitFor(() => expect(screen.queryAllByRole('dialog')).toHaveLength(0));
  // the row opens the contract's receivables tab
  fireEvent.click(within(card).getByText('HT-202611-0001-R02 北京星河科技有限公司'));
  await waitFor(() => expect(screen.getByTestId('where')).toHaveTextContent('/contracts/k1?tab=receivables'));
}, 120000);

function Where() {
  const loc = useLocation();
  return <output data-testid="where">{loc.pathname + loc.search}</output>;
}

// a desktop-wide window: the menu is a side menu
const original = window.matchMedia;
beforeEach(() => {
  window.matchMedia = original;
});

test('the 财务 menu group shows by permission', async () => {
  window.matchMedia = (query: string) =>
    ({ matches: /min-width/.test(query), media: query, onchange: null, addListener: () => {}, removeListener: () => {}, addEventListener: () => {}, removeEventListener: () => {}, dispatchEvent: () => false }) as MediaQueryList;
  const mount = (perms: string[]) => {
    const me = meFixture(perms);
    vi.stubGlobal('fetch', async (url: string) => (url.startsWith('/api/v1/auth/me') ? json(200, me) : json(200, { items: [], total: 0, totalExact: true })));
    return render(
      <Providers lang="zh-CN">
        <MemoryRouter initialEntries={['/account']}>
          <Routes>
            <Route path="/*" element={<Shell />} />
          </Routes>
        </MemoryRouter>
      </Providers>,
    );
  };
  let r = mount(['finance.read', 'finance.record']);
  let nav = await screen.findByRole('navigation', { name: '主菜单' });
  expect(within(nav).getByText('财务')).toBeInTheDocument();
  for (const x of ['回款看板', '回款单', '逾期回款']) expect(within(nav).getByText(x)).toBeInTheDocument();
  expect(within(nav).queryByText('月结')).toBeNull();
  r.unmount();
  queryClient.clear();
  r = mount(['finance.read', 'finance.close']);
  nav = await screen.findByRole('navigation', { name: '主菜单' });
  expect(within(nav).getByText('月结')).toBeInTheDocument();
  r.unmount();
  queryClient.clear();
  mount(['customers.read']);
  nav = await screen.findByRole('navigation', { name: '主菜单' });
  expect(within(nav).queryByText('财务')).toBeNull();
}, 120000);
