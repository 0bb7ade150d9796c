import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, expect, test, vi } from 'vitest';
import { Providers, queryClient } from '../src/Root';
import Shell from '../src/Shell';
import type { Payable, PaymentVoucher, PaymentVoucherRow } from '../src/api/finance';
import Approvals from '../src/pages/Approvals';
import PayableDetail from '../src/pages/PayableDetail';
import Payables from '../src/pages/Payables';
import Suppliers from '../src/pages/Suppliers';
import type { ApprovalItem } from '../src/pages/contractTypes';
import { today } from '../src/pages/contractCommon';
import { dictionariesFixture, json, meFixture, renderWith, session } from './helpers';

afterEach(() => {
  vi.unstubAllGlobals();
  queryClient.clear();
  localStorage.clear();
});

const users = [
  { id: 'u1', username: 'zhang', displayName: '张伟', disabled: false },
  { id: 'u2', username: 'lina', displayName: '李娜', disabled: false },
  { id: 'u3', username: 'wangfang', displayName: '王芳', disabled: false },
];

const waitingFor = (approverIds: string[], submitterId = 'u1'): PaymentVoucher['approval'] => ({
  purpose: 'payment', submitterId, submittedAt: '2026-11-02T01:00:00Z', status: 'pending', current: 0,
  steps: [{ name: '财务', kind: 'role', approverIds, decision: '' }],
});

const voucher = (over: Partial<PaymentVoucher> = {}): PaymentVoucher => ({
  id: 'v1', payableId: 'p1', number: 'FK-01', amount: '10000.00', date: '2026-11-01', method: 'bank_transfer', payeeAccount: '', remarks: '',
  status: 'confirmed', approval: null, reversal: null, createdBy: 'u1', createdAt: '2026-11-01T02:00:00Z', confirmedAt: '2026-11-02T02:00:00Z', ...over,
});

// 0.1 + 0.2 is not 0.3 in floats: the sums here are only right when they are kept exact
const payable = (over: Partial<Payable> = {}): Payable => ({
  id: 'p1', number: 'YF-202611-0001', supplierId: 's1', supplierName: '深圳机柜有限公司', contractId: null, opportunityId: null,
  amount: '9007199254740993.30', dueDate: '2026-12-31', purpose: '机柜采购', ownerId: 'u1', remarks: '', status: 'open',
  paid: '0.10', pending: '0.20', outstanding: '9007199254740993.20', lastPaidDate: '2026-11-01',
  vouchers: [
    voucher({ id: 'v1', number: 'FK-01', status: 'draft', confirmedAt: null }),
    voucher({ id: 'v2', number: 'FK-02', status: 'pending', approval: waitingFor(['u3']), confirmedAt: null }),
    voucher({ id: 'v3', number: 'FK-03', status: 'confirmed' }),
    voucher({ id: 'v4', number: 'FK-04', status: 'reversed', reversal: { reason: '退款', date: '2026-11-05', by: 'u3', at: '2026-11-05T01:00:00Z' } }),
  ],
  closedMonths: ['2026-09'],
  version: 5,
  ...over,
});

const dictionaries = () => {
  const d = dictionariesFixture();
  d.items.push({ kind: 'payment_method', levels: 1, version: 0, items: [{ code: 'bank_transfer', labels: { 'zh-CN': '银行转账', en: 'Bank transfer' }, enabled: true }] });
  return d;
};

type Sent = { method: string; url: string; body: Record<string, unknown> | undefined; ifMatch: string | null };

function serve(o: { reads?: Record<string, unknown>; onWrite?: (s: Sent) => Response | undefined } = {}) {
  const sent: Sent[] = [];
  const gets: string[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    if (method === 'GET') {
      gets.push(url);
      const path = url.split('?')[0];
      if (path === '/api/v1/users') return json(200, { items: users, total: users.length, totalExact: true });
      if (path === '/api/v1/dictionaries') return json(200, dictionaries());
      const key = path.slice('/api/v1'.length);
      if (o.reads && key in o.reads) {
        const v = o.reads[key] as { version?: number };
        return json(200, v, v.version ? { ETag: `"${v.version}"` } : {});
      }
      return json(200, { items: [], total: 0, totalExact: true, nextCursor: null });
    }
    const s = { method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined, ifMatch: new Headers(init?.headers).get('If-Match') };
    sent.push(s);
    return o.onWrite?.(s) ?? json(200, {}, { ETag: '"6"', 'X-Chronicle-Position': '40' });
  });
  return { sent, gets };
}

const dialogTitled = (title: string) =>
  waitFor(() => {
    const d = screen.getAllByRole('dialog').find((x) => x.querySelector('.ant-modal-title')?.textContent === title);
    if (!d) throw new Error(`no dialog “${title}”`);
    return d;
  });
const type = (label: string, value: string, where: HTMLElement = document.body) => fireEvent.change(within(where).getByLabelText(label), { target: { value } });
const formItem = (label: string, where: HTMLElement = document.body) => within(where).getByLabelText(label).closest('.ant-form-item') as HTMLElement;

test('a new supplier is sent as typed (trimmed); a 409 duplicate name is told on the name', async () => {
  const { sent } = serve({
    onWrite: () => json(409, { type: 't', title: 'Conflict', status: 409, code: 'duplicate_supplier', detail: 'a supplier named 深圳机柜有限公司 exists' }),
  });
  renderWith(<Suppliers />, { path: '/suppliers', route: '/suppliers', s: session(['finance.read', 'finance.record']) });
  fireEvent.click(await screen.findByTestId('supplier-new'));
  const dialog = await dialogTitled('新建供应商');
  type('名称', ' 深圳机柜有限公司 ', dialog);
  type('联系人', '刘工', dialog);
  type('银行账号', '6225 8888 0000', dialog);
  fireEvent.click(within(dialog).getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'POST', url: '/api/v1/suppliers', ifMatch: null, body: { name: '深圳机柜有限公司', contact: '刘工', account: '6225 8888 0000' } });
  await waitFor(() => expect(formItem('名称', dialog)).toHaveTextContent('已有同名的供应商'));
  // the dialog stays open with what was typed
  expect(within(dialog).getByLabelText('联系人')).toHaveValue('刘工');
}, 120000);

test('deleting a supplier with open payables tells supplier_in_use', async () => {
  const { sent } = serve({
    reads: {
      '/suppliers': { items: [{ id: 's1', name: '深圳机柜有限公司', contact: '', phone: '', bank: '', account: '', remarks: '', createdAt: '2026-11-01T00:00:00Z', updatedAt: '2026-11-01T00:00:00Z' }], total: 1, totalExact: true, nextCursor: '' },
      '/suppliers/s1': { id: 's1', name: '深圳机柜有限公司', contact: '', phone: '', bank: '', account: '', remarks: '', createdAt: '2026-11-01T00:00:00Z', updatedAt: '2026-11-01T00:00:00Z', version: 3 },
    },
    onWrite: () => json(409, { type: 't', title: 'Conflict', status: 409, code: 'supplier_in_use', detail: 'the supplier has open payables' }),
  });
  renderWith(<Suppliers />, { path: '/suppliers', route: '/suppliers', s: session(['finance.read', 'finance.record']) });
  fireEvent.click((await screen.findAllByTestId('supplier-delete-深圳机柜有限公司'))[0]);
  fireEvent.click(await screen.findByTestId('supplier-delete-ok'));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toMatchObject({ method: 'DELETE', url: '/api/v1/suppliers/s1', ifMatch: '"3"' });
  expect(await screen.findByTestId('finance-problem')).toHaveTextContent('该供应商还有未付清的应付款，不能删除');
}, 120000);

test('the payable page shows its sums exactly as the server states them', async () => {
  serve({ reads: { '/payables/p1': payable() } });
  renderWith(<PayableDetail />, { path: '/payables/:id', route: '/payables/p1', s: session(['finance.read']) });
  expect(await screen.findByTestId('payable-supplier')).toHaveTextContent('深圳机柜有限公司');
  const totals = screen.getByTestId('payable-totals');
  expect(totals).toHaveTextContent('¥9,007,199,254,740,993.30');
  expect(totals).toHaveTextContent('¥0.10');
  expect(totals).toHaveTextContent('¥0.20');
  expect(totals).toHaveTextContent('¥9,007,199,254,740,993.20');
  expect(screen.getByTestId('payable-status')).toHaveTextContent('未付清');
  // a reader neither edits nor records
  expect(screen.queryByTestId('payable-edit')).toBeNull();
  expect(screen.queryByTestId('voucher-new')).toBeNull();
}, 120000);

const has = (action: string, number: string) => screen.queryByTestId(`voucher-${action}-${number}`) !== null;

test('voucher actions follow the state, the current approver, the submitter and the permissions', async () => {
  serve({ reads: { '/payables/p1': payable() } });
  // the recorder (u1, finance.record) who submitted FK-02
  let r = renderWith(<PayableDetail />, { path: '/payables/:id', route: '/payables/p1', s: session(['finance.read', 'finance.record'], false, { id: 'u1' }) });
  await screen.findByTestId('voucher-submit-FK-01');
  expect(['submit', 'edit', 'delete'].map((a) => has(a, 'FK-01'))).toEqual([true, true, true]);
  expect(has('withdraw', 'FK-02')).toBe(true);
  expect(has('approve', 'FK-02') || has('reject', 'FK-02')).toBe(false);
  expect(has('reverse', 'FK-03')).toBe(false);
  expect(['edit', 'reverse', 'submit'].some((a) => has(a, 'FK-04'))).toBe(false);
  expect(screen.getByTestId('voucher-new')).toBeInTheDocument();
  expect(screen.getByTestId('payable-edit')).toBeInTheDocument();
  // money was paid on it: it is not deleted
  expect(screen.queryByTestId('payable-delete')).toBeNull();
  r.unmount();

  // the finance approver (u3): decides FK-02, may reverse FK-03; no draft action without finance.record
  queryClient.clear();
  r = renderWith(<PayableDetail />, { path: '/payables/:id', route: '/payables/p1', s: session(['finance.read', 'finance.reverse'], false, { id: 'u3' }) });
  await screen.findByTestId('voucher-approve-FK-02');
  expect(has('reject', 'FK-02')).toBe(true);
  expect(has('withdraw', 'FK-02')).toBe(false);
  expect(has('reverse', 'FK-03')).toBe(true);
  expect(['submit', 'edit', 'delete'].some((a) => has(a, 'FK-01'))).toBe(false);
  expect(screen.queryByTestId('voucher-new')).toBeNull();
  r.unmount();

  // a reader only
  queryClient.clear();
  renderWith(<PayableDetail />, { path: '/payables/:id', route: '/payables/p1', s: session(['finance.read'], false, { id: 'u2' }) });
  await screen.findByTestId('vouchers');
  expect(screen.queryAllByRole('button', { name: /提\s*交|编\s*辑|删\s*除|同\s*意|驳\s*回|撤\s*回|冲\s*销/ })).toHaveLength(0);
}, 120000);

test('approving and reversing a voucher send the voucher endpoints at the payable version', async () => {
  const { sent } = serve({ reads: { '/payables/p1': payable() } });
  renderWith(<PayableDetail />, { path: '/payables/:id', route: '/payables/p1', s: session(['finance.read', 'finance.reverse'], false, { id: 'u3' }) });
  fireEvent.click(await screen.findByTestId('voucher-approve-FK-02'));
  const approve = await dialogTitled('同意付款单 FK-02');
  fireEvent.click(within(approve).getByRole('button', { name: /同\s*意/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'POST', url: '/api/v1/payables/p1/vouchers/v2/approve', body: {}, ifMatch: '"5"' });

  fireEvent.click(await screen.findByTestId('voucher-reverse-FK-03'));
  const rev = await dialogTitled('冲销付款单 FK-03');
  type('冲销原因', ' 供应商退款 ', rev);
  fireEvent.click(within(rev).getByRole('button', { name: /冲\s*销/ }));
  await waitFor(() => expect(sent).toHaveLength(2));
  expect(sent[1]).toEqual({ method: 'POST', url: '/api/v1/payables/p1/vouchers/v3/reverse', body: { reason: '供应商退款', date: today().format('YYYY-MM-DD') }, ifMatch: '"5"' });
}, 120000);

test('the voucher dialog sends the typed amount exactly; over_payment is told in the dialog', async () => {
  const { sent } = serve({
    reads: { '/payables/p1': payable({ amount: '100.00', paid: '30.00', pending: '20.00', outstanding: '70.00' }) },
    onWrite: () =>
      json(422, { type: 't', title: 'Unprocessable', status: 422, code: 'validation_failed', detail: 'amount: is more than the payable has left to pay (50.00, pending vouchers counted)', errors: [{ field: 'amount', message: 'is more than the payable has left to pay (50.00, pending vouchers counted)', code: 'over_payment' }] }),
  });
  renderWith(<PayableDetail />, { path: '/payables/:id', route: '/payables/p1', s: session(['finance.read', 'finance.record']) });
  fireEvent.click(await screen.findByTestId('voucher-new'));
  const dialog = await dialogTitled('登记付款：YF-202611-0001');
  type('付款金额', ' 50.01 ', dialog);
  type('收款账户', ' 招行 6225 ', dialog);
  // more than is left (outstanding 70.00 less 20.00 waiting)
  expect(await within(dialog).findByTestId('voucher-over')).toHaveTextContent('金额超过可付金额 ¥50.00');
  fireEvent.click(within(dialog).getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toEqual({ method: 'POST', url: '/api/v1/payables/p1/vouchers', ifMatch: '"5"', body: { amount: '50.01', date: today().format('YYYY-MM-DD'), payeeAccount: '招行 6225' } });
  expect(await within(dialog).findByTestId('finance-problem')).toHaveTextContent('付款金额超过应付款的未付金额（含审批中的付款单）');
  await waitFor(() => expect(formItem('付款金额', dialog)).toHaveTextContent('超过未付金额'));
}, 120000);

function Where() {
  const loc = useLocation();
  return <output data-testid="where">{loc.pathname + loc.search}</output>;
}

test('a payment voucher in the approval inbox shows as 付款单, links to its payable and is decided through the voucher endpoints', async () => {
  const item: ApprovalItem = {
    kind: 'payment', subjectId: 'v2', seq: 2, purpose: 'payment' as unknown as ApprovalItem['purpose'], number: 'FK-02', title: '深圳机柜有限公司', amount: '20.00', submitterId: 'u2',
    submittedAt: '2026-11-02T01:00:00Z', status: 'pending', step: 0, steps: [{ name: '财务', kind: 'role', approverIds: ['u1'], decision: '' }], stepName: '财务', approverIds: ['u1'], updatedAt: '2026-11-02T01:00:00Z',
  };
  const row = { ...voucher({ id: 'v2', number: 'FK-02', status: 'pending' }), payableId: 'p1', payableNumber: 'YF-202611-0001', purpose: '机柜采购', supplierId: 's1', supplierName: '深圳机柜有限公司', ownerId: 'u1', ownerName: '张伟', updatedAt: '2026-11-02T01:00:00Z' } as PaymentVoucherRow;
  const { sent, gets } = serve({ reads: { '/approvals': { items: [item], total: 1, totalExact: true, nextCursor: '' }, '/payment-vouchers/v2': row } });
  renderWith(<><Approvals /><Where /></>, { path: '/*', route: '/approvals', s: session([]) });
  const card = (await screen.findAllByTestId('list-card'))[0];
  expect(within(card).getByTestId('inbox-kind')).toHaveTextContent('付款单');
  fireEvent.click(within(card).getByTestId('inbox-reject'));
  const dialog = await dialogTitled('驳回付款单 FK-02');
  type('驳回意见', '金额不符', dialog);
  fireEvent.click(within(dialog).getByRole('button', { name: /驳\s*回/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(gets).toContain('/api/v1/payment-vouchers/v2');
  expect(sent[0]).toEqual({ method: 'POST', url: '/api/v1/payables/p1/vouchers/v2/reject', body: { comment: '金额不符' }, ifMatch: null });
  await waitFor(() => expect(screen.queryAllByRole('dialog')).toHaveLength(0));
  fireEvent.click(within(card).getByText('FK-02 深圳机柜有限公司'));
  await waitFor(() => expect(screen.getByTestId('where')).toHaveTextContent('/payables/p1'));
}, 120000);

test('on a wide screen the inbox row\'s number links to the voucher\'s payable', async () => {
  const original = window.matchMedia;
  window.matchMedia = (query: string) =>
    ({ matches: /min-width/.test(query), media: query, onchange: null, addListener: () => {}, removeListener: () => {}, addEventListener: () => {}, removeEventListener: () => {}, dispatchEvent: () => false }) as MediaQueryList;
  try {
    const item = {
      kind: 'payment', subjectId: 'v2', seq: 2, purpose: 'payment', number: 'FK-02', title: '深圳机柜有限公司', amount: '20.00', submitterId: 'u2',
      submittedAt: '2026-11-02T01:00:00Z', status: 'pending', step: 0, steps: [{ name: '财务', kind: 'role', approverIds: ['u1'], decision: '' }], stepName: '财务', approverIds: ['u1'], updatedAt: '2026-11-02T01:00:00Z',
    };
    serve({ reads: { '/approvals': { items: [item], total: 1, totalExact: true, nextCursor: '' }, '/payment-vouchers/v2': { ...voucher({ id: 'v2', number: 'FK-02', status: 'pending' }), payableId: 'p1' } } });
    renderWith(<Approvals />, { path: '/approvals', route: '/approvals', s: session([]) });
    expect(await screen.findByTestId('inbox-payment-link')).toHaveAttribute('href', '/payables/p1');
  } finally {
    window.matchMedia = original;
  }
}, 120000);

test('the payables list sends the filters of the URL', async () => {
  const { gets } = serve({ reads: { '/suppliers/s1': { id: 's1', name: '深圳机柜有限公司', contact: '', phone: '', bank: '', account: '', remarks: '', createdAt: '', updatedAt: '', version: 1 } } });
  renderWith(<Payables />, { path: '/payables', route: '/payables?q=机柜&supplierId=s1&status=open&dueFrom=2026-12-01&dueTo=2026-12-31', s: session(['finance.read']) });
  await waitFor(() => expect(gets.some((u) => u.startsWith('/api/v1/payables?'))).toBe(true));
  const u = new URL(gets.find((x) => x.startsWith('/api/v1/payables?'))!, 'http://x');
  expect(Object.fromEntries([...u.searchParams].filter(([k]) => ['q', 'supplierId', 'status', 'dueFrom', 'dueTo'].includes(k)))).toEqual({
    q: '机柜', supplierId: 's1', status: 'open', dueFrom: '2026-12-01', dueTo: '2026-12-31',
  });
  // the chosen supplier is shown by its name
  expect(await screen.findByText('深圳机柜有限公司')).toBeInTheDocument();
}, 120000);

test('the 财务 menu lists payables, payment vouchers and suppliers to holders of finance.read', async () => {
  const original = window.matchMedia;
  window.matchMedia = (query: string) =>
    ({ matches: /min-width/.test(query), media: query, onchange: null, addListener: () => {}, removeListener: () => {}, addEventListener: () => {}, removeEventListener: () => {}, dispatchEvent: () => false }) as MediaQueryList;
  try {
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
    const r = mount(['finance.read']);
    const nav = await screen.findByRole('navigation', { name: '主菜单' });
    for (const x of ['应付款', '付款单', '供应商']) expect(within(nav).getByText(x)).toBeInTheDocument();
    r.unmount();
    queryClient.clear();
    mount(['customers.read']);
    const other = await screen.findByRole('navigation', { name: '主菜单' });
    for (const x of ['应付款', '付款单', '供应商']) expect(within(other).queryByText(x)).toBeNull();
  } finally {
    window.matchMedia = original;
  }
}, 120000);
