import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { Form } from 'antd';
import { afterEach, expect, test, vi } from 'vitest';
import { queryClient } from '../src/Root';
import { fieldPath } from '../src/components/commands';
import { OpportunityBoard } from '../src/pages/OpportunityBoard';
import { LineEditor, linesBody } from '../src/pages/OpportunityLines';
import type { Pipeline } from '../src/pages/opportunityCommon';
import { json, renderWith, session } from './helpers';

afterEach(() => {
  vi.unstubAllGlobals();
  queryClient.clear();
});

const pipeline: Pipeline = {
  id: '5f0c2f7e-8a41-4b6e-9d3c-0a7e1b2c3d40', name: '默认流程', default: true, disabled: false, version: 1,
  stages: [
    { key: 'qualify', name: '验证客户', nameEn: 'Qualification', probability: 10 },
    { key: 'needs', name: '需求分析', nameEn: 'Needs analysis', probability: 30 },
    { key: 'proposal', name: '方案报价', nameEn: 'Proposal', probability: 60 },
    { key: 'old', name: '旧阶段', nameEn: 'Old', probability: 50, disabled: true },
    { key: 'negotiation', name: '谈判审核', nameEn: 'Negotiation', probability: 80 },
  ],
};
const card = (id: string, name: string, stage: string, amount: string, version = 3) => ({
  id, name, stage, version, customerId: 'c1', customerName: '北京星河科技有限公司', pipelineId: pipeline.id, status: 'open', probability: 10,
  amount, weightedAmount: '0.00', expectedCloseDate: '2026-12-20', ownerId: 'u1',
});
const board = {
  pipelineId: pipeline.id, count: 3, amount: '40000.00', weightedAmount: '9000.00',
  columns: [
    { stage: 'qualify', count: 2, amount: '30000.00', weightedAmount: '3000.00', cards: [card('o1', 'ERP 升级', 'qualify', '10000.00'), card('o2', 'CRM 实施', 'qualify', '20000.00')] },
    { stage: 'needs', count: 0, amount: '0.00', weightedAmount: '0.00', cards: [] },
    { stage: 'proposal', count: 1, amount: '10000.00', weightedAmount: '6000.00', cards: [card('o3', '云服务续约', 'proposal', '10000.00', 7)] },
    { stage: 'negotiation', count: 0, amount: '0.00', weightedAmount: '0.00', cards: [] },
  ],
};

type Sent = { method: string; url: string; body: unknown; ifMatch: string | null };
function serve(answer?: (s: Sent) => Response | undefined) {
  const sent: Sent[] = [];
  let boardReads = 0;
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    if (method === 'GET') {
      if (url.startsWith('/api/v1/opportunity-board')) {
        boardReads++;
        return json(200, board);
      }
      return json(200, { items: [], total: 0, totalExact: true, nextCursor: '' });
    }
    const s = { method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined, ifMatch: new Headers(init?.headers).get('If-Match') };
    sent.push(s);
    return answer?.(s) ?? json(200, { ...card('o1', 'ERP 升级', 'proposal', '10000.00', 4) }, { ETag: '"4"', 'X-Chronicle-Position': '12' });
  });
  return { sent, boardReads: () => boardReads };
}

test('the board shows a column per enabled stage with its count and sums', async () => {
  serve();
  renderWith(<OpportunityBoard pipeline={pipeline} />, { s: session(['opportunities.read', 'opportunities.update']) });
  const qualify = await screen.findByTestId('board-column-qualify');
  expect(within(qualify).getByRole('heading', { name: /验证客户/ })).toBeInTheDocument();
  expect(within(qualify).getByTestId('column-summary')).toHaveTextContent('2 个 · 30,000.00 · 加权 3,000.00');
  expect(within(qualify).getAllByTestId('board-card')).toHaveLength(2);
  expect(within(qualify).getByText('¥20,000.00')).toBeInTheDocument();
  expect(within(screen.getByTestId('board-column-needs')).getByText('暂无商机')).toBeInTheDocument();
  expect(screen.getByTestId('board-column-proposal')).toHaveTextContent('云服务续约');
  expect(screen.getByTestId('board-totals')).toHaveTextContent('共 3 个进行中的商机，金额 40,000.00，加权 9,000.00');
  expect(screen.queryByTestId('board-column-old')).toBeNull();
}, 120000);

test('"move to…" asks for a note and posts the stage at the card\'s version; the board reloads', async () => {
  const api = serve();
  renderWith(<OpportunityBoard pipeline={pipeline} />, { s: session(['opportunities.read', 'opportunities.update']) });
  fireEvent.click(await screen.findByRole('button', { name: '移动“ERP 升级”到…' }));
  const menu = await screen.findByRole('menu');
  // the card's own stage and the disabled one are not offered
  expect(within(menu).queryByText('验证客户')).toBeNull();
  expect(within(menu).queryByText('旧阶段')).toBeNull();
  fireEvent.click(within(menu).getByText('方案报价'));
  const dialog = await screen.findByRole('dialog', { name: '移动到“方案报价”' });
  fireEvent.change(within(dialog).getByLabelText('备注'), { target: { value: '客户确认需求' } });
  const before = api.boardReads();
  fireEvent.click(within(dialog).getByRole('button', { name: /移\s*动/ }));
  await waitFor(() => expect(api.sent).toHaveLength(1));
  expect(api.sent[0]).toMatchObject({ method: 'POST', url: '/api/v1/opportunities/o1/stage', body: { stage: 'proposal', note: '客户确认需求' }, ifMatch: '"3"' });
  await waitFor(() => expect(api.boardReads()).toBeGreaterThan(before));
  await waitFor(() => expect(screen.queryByRole('dialog', { name: '移动到“方案报价”' })).toBeNull());
}, 120000);

test('a drop on another column opens the same dialog; a refusal is shown and nothing moves', async () => {
  const api = serve(() => json(409, { type: 'about:blank', title: 'Conflict', status: 409, code: 'opportunity_closed', detail: 'the opportunity is won or lost' }));
  renderWith(<OpportunityBoard pipeline={pipeline} />, { s: session(['opportunities.read', 'opportunities.update']) });
  const cardEl = (await screen.findAllByTestId('board-card')).find((c) => c.textContent?.includes('云服务续约'))!;
  const data = new Map<string, string>();
  const dataTransfer = { setData: (k: string, v: string) => data.set(k, v), getData: (k: string) => data.get(k) ?? '', get types() { return [...data.keys()]; }, effectAllowed: '', dropEffect: '' };
  fireEvent.dragStart(cardEl, { dataTransfer });
  const target = screen.getByTestId('board-column-negotiation');
  fireEvent.dragOver(target, { dataTransfer });
  fireEvent.drop(target, { dataTransfer });
  const dialog = await screen.findByRole('dialog', { name: '移动到“谈判审核”' });
  fireEvent.click(within(dialog).getByRole('button', { name: /移\s*动/ }));
  await waitFor(() => expect(api.sent).toHaveLength(1));
  expect(api.sent[0]).toMatchObject({ url: '/api/v1/opportunities/o3/stage', body: { stage: 'negotiation', note: '' }, ifMatch: '"7"' });
  expect(await screen.findByText('the opportunity is won or lost')).toBeInTheDocument();
  expect(screen.getByRole('dialog', { name: '移动到“谈判审核”' })).toBeInTheDocument();
}, 120000);

test('without opportunities.update cards neither drag nor offer "move to…"', async () => {
  serve();
  renderWith(<OpportunityBoard pipeline={pipeline} />, { s: session(['opportunities.read']) });
  await screen.findByTestId('board-column-qualify');
  expect(screen.queryByRole('button', { name: /移动“/ })).toBeNull();
  expect(screen.getAllByTestId('board-card')[0]).toHaveAttribute('draggable', 'false');
}, 120000);

function LinesHarness() {
  const [form] = Form.useForm();
  return (
    <Form form={form}>
      <LineEditor form={form} />
    </Form>
  );
}

test('the line editor shows exact totals as the user types', async () => {
  renderWith(<LinesHarness />);
  fireEvent.click(screen.getByTestId('add-line'));
  fireEvent.click(screen.getByTestId('add-line'));
  const type = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });
  type('第 1 行数量', '2');
  type('第 1 行单价', '19999.99');
  type('第 1 行折扣', '12.5');
  await waitFor(() => expect(screen.getByTestId('line-total-0')).toHaveTextContent('34,999.98'));
  type('第 2 行数量', '1.5');
  type('第 2 行单价', '3333.33');
  await waitFor(() => expect(screen.getByTestId('line-total-1')).toHaveTextContent('5,000.00'));
  expect(screen.getByTestId('lines-sum')).toHaveTextContent('¥39,999.98');
  type('第 1 行单价', '0.01');
  type('第 1 行数量', '1');
  type('第 1 行折扣', '50');
  await waitFor(() => expect(screen.getByTestId('line-total-0')).toHaveTextContent('0.01'));
  fireEvent.click(screen.getByRole('button', { name: '删除第 1 行' }));
  await waitFor(() => expect(screen.getByTestId('lines-sum')).toHaveTextContent('¥5,000.00'));
}, 120000);

test('lines are sent as decimal texts; problem field paths reach list fields', () => {
  const [l] = linesBody([{ productId: '0190a5c7-2c3d-7e4f-9a51-6b7c8d9e0f1a', productName: ' 标准版 ', quantity: '2', unitPrice: '19999.99', discount: '' }]);
  expect(l).toMatchObject({ productId: '0190a5c7-2c3d-7e4f-9a51-6b7c8d9e0f1a', productName: '标准版', quantity: '2', unitPrice: '19999.99' });
  expect('discount' in l).toBe(false);
  expect(fieldPath('lines[0].quantity')).toEqual(['lines', 0, 'quantity']);
  expect(fieldPath('stages')).toEqual(['stages']);
  expect(fieldPath('custom.region')).toEqual(['custom', 'region']);
});
