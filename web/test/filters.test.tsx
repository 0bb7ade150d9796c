import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, test, vi } from 'vitest';
import { buildQuery, exportUrl } from '../src/api/client';
import { activeFilterCount, customFilterPatch, customFilterValue, patchParams, queryOf, type CustomField } from '../src/components/filters';
import Customers from '../src/pages/Customers';
import Leads from '../src/pages/Leads';
import { dictionariesFixture, json, renderWith, session } from './helpers';

afterEach(() => vi.unstubAllGlobals());

const defs: CustomField[] = [
  { key: 'region', label: '大区', type: 'option', options: ['华北', '华南'] },
  { key: 'tags', label: '标签', type: 'multi_option', options: ['外贸', '制造', 'a,b'] },
  { key: 'employees', label: '员工数', type: 'number' },
  { key: 'founded', label: '成立日期', type: 'date' },
  { key: 'note', label: '说明', type: 'text' },
];

test('each custom field type becomes its own parameters, and reads back from the URL', () => {
  const sp = (p: Record<string, string | string[] | undefined>) => patchParams(new URLSearchParams(), p);
  expect(customFilterPatch(defs[0], ['华南'])).toEqual({ 'custom.region': ['华南'] });
  expect(customFilterPatch(defs[1], ['外贸', 'a,b'])).toEqual({ 'custom.tags': ['外贸', 'a,b'] });
  expect(customFilterPatch(defs[2], { min: 100, max: null })).toEqual({ 'custom.employees': undefined, 'custom.employees.min': '100', 'custom.employees.max': undefined });
  expect(customFilterPatch(defs[3], { min: '2015-01-01', max: '2020-12-31' })).toMatchObject({ 'custom.founded.min': '2015-01-01', 'custom.founded.max': '2020-12-31' });
  expect(customFilterPatch(defs[4], '  出口 ')).toEqual({ 'custom.note': '出口' });

  const url = sp({ ...customFilterPatch(defs[1], ['外贸', 'a,b']), ...customFilterPatch(defs[2], { min: '100' }), industry: '制造业', q: '' });
  // a multi-option value holding a comma stays one value: the parameter is repeated
  expect(url.toString()).toBe('custom.tags=%E5%A4%96%E8%B4%B8&custom.tags=a%2Cb&custom.employees.min=100&industry=%E5%88%B6%E9%80%A0%E4%B8%9A');
  expect(customFilterValue(url, defs[1])).toEqual(['外贸', 'a,b']);
  expect(customFilterValue(url, defs[2])).toEqual({ min: '100', max: undefined });
  expect(customFilterValue(url, defs[4])).toBeUndefined();
  expect(queryOf(url)).toEqual({ 'custom.tags': ['外贸', 'a,b'], 'custom.employees.min': '100', industry: '制造业' });
  expect(activeFilterCount(patchParams(url, { sort: 'name', q: '星河', 'custom.employees.max': '500' }))).toBe(3);

  // clearing a filter removes its parameters; the others stay
  const cleared = patchParams(url, customFilterPatch(defs[2], undefined));
  expect(cleared.has('custom.employees.min')).toBe(false);
  expect(cleared.getAll('custom.tags')).toEqual(['外贸', 'a,b']);

  // the API query and the export keep the same filters
  expect(buildQuery(queryOf(url))).toBe('?' + url.toString());
  expect(exportUrl('customers', 'csv', { ...queryOf(url), cursor: 'c1' })).toBe('/api/v1/customers/export?' + url.toString() + '&format=csv');
});

function stubApi(urls: string[]) {
  vi.stubGlobal('fetch', async (url: string) => {
    urls.push(decodeURIComponent(url));
    if (url.startsWith('/api/v1/settings')) return json(200, { leadClaimCap: 100, customerPool: {}, customerFields: defs });
    if (url.startsWith('/api/v1/users')) return json(200, { items: [] });
    if (url.startsWith('/api/v1/dictionaries')) return json(200, dictionariesFixture());
    if (url.startsWith('/api/v1/leads'))
      return json(200, { items: [{ id: 'l1', name: '王小明', company: '星河', status: 'new', ownerId: 'u9', ownerName: '李销售', inPool: false, createdAt: '2026-11-01T00:00:00Z' }], total: 1, totalExact: true });
    return json(200, { items: [], total: 0, totalExact: true });
  });
}

test('customer filters from the URL reach the list query; a custom field filter set in the bar is added to the URL and the query', async () => {
  const urls: string[] = [];
  stubApi(urls);
  renderWith(<Customers pool={false} />, { path: '/customers', route: '/customers?industry=manufacturing&custom.region=华南&classification=target', s: session(['customers.read']) });
  await waitFor(() => expect(urls.some((u) => u.startsWith('/api/v1/customers?'))).toBe(true));
  const list = () => urls.filter((u) => u.startsWith('/api/v1/customers?')).at(-1)!;
  expect(list()).toContain('industry=manufacturing');
  expect(list()).toContain('custom.region=华南');
  expect(list()).toContain('classification=target');
  // the advanced row is open because filters of it are set, with one control per custom field
  expect(await screen.findByTestId('filter-custom-employees')).toBeInTheDocument();
  expect(screen.getByTestId('filter-custom-founded')).toBeInTheDocument();
  expect(screen.getByTestId('clear-filters').textContent).toContain('3');

  const min = screen.getByLabelText('员工数最小值');
  fireEvent.change(min, { target: { value: '100' } });
  fireEvent.blur(min);
  await waitFor(() => expect(list()).toContain('custom.employees.min=100'));
  expect(list()).toContain('custom.region=华南');

  const user = userEvent.setup();
  // the coded filters pick from the dictionary: the label is chosen, the code is sent
  await user.click(screen.getByLabelText('按来源筛选'));
  await user.click(await screen.findByTitle('客户转介绍'));
  await waitFor(() => expect(list()).toContain('source=referral'));

  await user.click(screen.getByTestId('clear-filters'));
  await waitFor(() => expect(list()).toBe('/api/v1/customers?limit=50'));
});

test('the lead list shows owner names and filters by industry', async () => {
  const urls: string[] = [];
  stubApi(urls);
  renderWith(<Leads pool={false} />, { path: '/leads', route: '/leads?status=new&status=following', s: session(['leads.read']) });
  expect(await screen.findByText('李销售')).toBeInTheDocument();
  const list = () => urls.filter((u) => u.startsWith('/api/v1/leads?')).at(-1)!;
  expect(list()).toContain('status=new&status=following');
  const user = userEvent.setup();
  await user.click(screen.getByLabelText('按行业筛选'));
  await user.click(await screen.findByTitle('制造业'));
  await waitFor(() => expect(list()).toContain('industry=manufacturing'));
  expect(list()).toContain('status=new&status=following');
});
