import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { useLocation } from 'react-router';
import { afterEach, expect, test, vi } from 'vitest';
import { queryClient } from '../src/Root';
import type { Schemas } from '../src/api/client';
import Opportunities from '../src/pages/Opportunities';
import type { Pipeline } from '../src/pages/opportunityCommon';
import { json, renderWith, session } from './helpers';

// ECharts needs a real layout engine; the page's use of it is its option and its label.
const charts: { option: { series: { type: string; data: { name: string; value: number }[] }[] }; ariaLabel: string }[] = [];
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
});

const main: Pipeline = {
  id: '5f0c2f7e-8a41-4b6e-9d3c-0a7e1b2c3d40', name: '默认流程', default: true, disabled: false, version: 1,
  stages: [
    { key: 'qualify', name: '验证客户', nameEn: 'Qualification', probability: 10 },
    { key: 'proposal', name: '方案报价', nameEn: 'Proposal', probability: 60 },
    { key: 'negotiation', name: '谈判审核', nameEn: 'Negotiation', probability: 80 },
  ],
};
const projects: Pipeline = {
  id: '0b9d3a52-7c1e-4f8a-b6d2-9e4c1a7f5b30', name: '项目流程', default: false, disabled: false, version: 2,
  stages: [{ key: 'survey', name: '现场勘查', nameEn: 'Survey', probability: 20 }],
};

const funnel: Schemas['OpportunityFunnel'] = {
  pipelineId: main.id, from: '2025-03', to: '2025-08', total: 12, won: 3, lost: 2,
  wonAmount: '1234567.89', winRate: '60.00', avgDealSize: '411522.63', avgCycleDays: '',
  stages: [
    { stage: 'qualify', reached: 12, conversion: '66.67', open: 2, amount: '98765432.10', weightedAmount: '9876543.21', avgDays: '4.5' },
    { stage: 'proposal', reached: 8, conversion: '62.50', open: 1, amount: '0.01', weightedAmount: '0.01', avgDays: '' },
    { stage: 'negotiation', reached: 5, conversion: '', open: 0, amount: '0.00', weightedAmount: '0.00', avgDays: '' },
  ],
};

function serve() {
  const funnelReads: URL[] = [];
  vi.stubGlobal('fetch', async (url: string) => {
    const u = new URL(url, 'http://localhost');
    if (u.pathname === '/api/v1/opportunity-funnel') {
      funnelReads.push(u);
      if (u.searchParams.get('pipelineId') === projects.id) return json(200, { ...funnel, pipelineId: projects.id, stages: [{ ...funnel.stages[0], stage: 'survey' }] });
      return json(200, funnel);
    }
    if (u.pathname === '/api/v1/pipelines') return json(200, { items: [projects, main], total: 2, totalExact: true, nextCursor: '' });
    if (u.pathname === '/api/v1/users') return json(200, { items: [{ id: 'u2', username: 'li', displayName: '李娜', roles: ['sales'], disabled: false, version: 1 }], total: 1, totalExact: true, nextCursor: '' });
    if (u.pathname === '/api/v1/departments') return json(200, { items: [{ id: 'd1', name: '华北销售部', depth: 0, disabled: false, version: 1 }], total: 1, totalExact: true, nextCursor: '' });
    return json(200, { items: [], total: 0, totalExact: true, nextCursor: '' });
  });
  return { funnelReads };
}

function Where() {
  const loc = useLocation();
  return <output data-testid="where">{loc.search}</output>;
}
const page = (
  <>
    <Opportunities />
    <Where />
  </>
);

test('the funnel reads its filters from the URL and shows stages, exact amounts and the summary', async () => {
  const api = serve();
  renderWith(page, { path: '/opportunities', route: `/opportunities?view=funnel&pipelineId=${main.id}&from=2025-03&to=2025-08&ownerId=u2&departmentId=d1`, s: session(['opportunities.read']) });
  const table = await screen.findByTestId('funnel-table');
  expect(api.funnelReads).toHaveLength(1);
  const sent = api.funnelReads[0].searchParams;
  expect(Object.fromEntries(sent)).toEqual({ pipelineId: main.id, from: '2025-03', to: '2025-08', ownerId: 'u2', departmentId: 'd1' });

  // the stage names from the pipeline, in the table and as the chart's layers (won last)
  await waitFor(() => expect(within(table).getByText('验证客户')).toBeInTheDocument());
  expect(within(table).getByText('方案报价')).toBeInTheDocument();
  expect(within(table).getByText('谈判审核')).toBeInTheDocument();
  expect(within(table).getByRole('columnheader', { name: '转化到下一阶段' })).toBeInTheDocument();
  expect(within(table).getByRole('columnheader', { name: '加权金额' })).toBeInTheDocument();
  await waitFor(() => expect(charts.at(-1)!.option.series[0].data.map((d) => `${d.name}:${d.value}`)).toEqual(['验证客户:12', '方案报价:8', '谈判审核:5', '赢单:3']));
  expect(charts.at(-1)!.option.series[0].type).toBe('funnel');
  expect(screen.getByRole('img', { name: /销售漏斗/ })).toBeInTheDocument();

  // exact amounts, with separators; conversion and days as sent; "—" for empty texts
  const row = (name: string) => within(table).getByText(name).closest('tr')!;
  expect(row('验证客户')).toHaveTextContent('¥98,765,432.10');
  expect(row('验证客户')).toHaveTextContent('¥9,876,543.21');
  expect(row('验证客户')).toHaveTextContent('66.67%');
  expect(row('验证客户')).toHaveTextContent('4.5');
  expect(row('方案报价')).toHaveTextContent('¥0.01');
  expect(within(row('方案报价')).getAllByText('—')).toHaveLength(1);
  expect(within(row('谈判审核')).getAllByText('—')).toHaveLength(2);

  const summary = screen.getByTestId('funnel-summary');
  expect(within(summary).getByTestId('funnel-total')).toHaveTextContent('12');
  expect(within(summary).getByTestId('funnel-winRate')).toHaveTextContent('60.00%');
  expect(within(summary).getByTestId('funnel-wonAmount')).toHaveTextContent('¥1,234,567.89');
  expect(within(summary).getByTestId('funnel-avgDealSize')).toHaveTextContent('¥411,522.63');
  expect(within(summary).getByTestId('funnel-avgCycleDays')).toHaveTextContent('—');
}, 120000);

test('without period filters the funnel asks for January of this year to this month', async () => {
  const api = serve();
  renderWith(page, { path: '/opportunities', route: '/opportunities?view=funnel', s: session(['opportunities.read']) });
  await screen.findByTestId('funnel-table');
  const now = new Date();
  const month = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}`;
  expect(Object.fromEntries(api.funnelReads[0].searchParams)).toEqual({ from: `${now.getFullYear()}-01`, to: month });
}, 120000);

test('choosing another pipeline puts it in the URL and asks for its funnel', async () => {
  const api = serve();
  renderWith(page, { path: '/opportunities', route: '/opportunities?view=funnel&from=2025-03&to=2025-08', s: session(['opportunities.read']) });
  await screen.findByTestId('funnel-table');
  const box = screen.getByLabelText('按销售流程筛选');
  fireEvent.mouseDown(box);
  const option = await waitFor(() => {
    const open = [...document.querySelectorAll('.ant-select-dropdown:not(.ant-select-dropdown-hidden)')].pop() as HTMLElement | undefined;
    if (!open) throw new Error('no open pipeline list');
    return within(open).getByText('项目流程');
  });
  fireEvent.click(option);
  await waitFor(() => expect(screen.getByTestId('where').textContent).toContain(`pipelineId=${projects.id}`));
  expect(screen.getByTestId('where').textContent).toContain('view=funnel');
  expect(screen.getByTestId('where').textContent).toContain('from=2025-03');
  await waitFor(() => expect(api.funnelReads.at(-1)!.searchParams.get('pipelineId')).toBe(projects.id));
  await waitFor(() => expect(within(screen.getByTestId('funnel-table')).getByText('现场勘查')).toBeInTheDocument());
}, 120000);
