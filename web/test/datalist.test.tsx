import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, test, vi } from 'vitest';
import { DataList } from '../src/components/DataList';
import { json, renderWith } from './helpers';

afterEach(() => vi.unstubAllGlobals());

type Row = { id: string; name: string; company: string };

test('a list shows its rows and the total; the column chooser hides a column; an empty list says so', async () => {
  const urls: string[] = [];
  vi.stubGlobal('fetch', async (url: string) => {
    urls.push(url);
    if (url.includes('q=none')) return json(200, { items: [], total: 0, totalExact: true });
    return json(200, { items: [{ id: '1', name: '王小明', company: '北京星河科技有限公司' }, { id: '2', name: '李雷', company: '杭州云栖科技有限公司' }], total: 2, totalExact: true });
  });
  const cols = [
    { key: 'name', title: '姓名', sort: 'name' },
    { key: 'company', title: '公司' },
  ];
  const { rerender } = renderWith(<DataList<Row> id="t1" path="/leads" query={{ q: '' }} columns={cols} title={(r) => r.name} />);
  expect(await screen.findByText('北京星河科技有限公司')).toBeInTheDocument();
  expect(screen.getByTestId('list-total').textContent).toBe('共 2 条');
  expect(urls[0]).toBe('/api/v1/leads?limit=50');
  const user = userEvent.setup();
  await user.click(screen.getByRole('button', { name: /列/ }));
  await user.click(within(document.body).getByRole('checkbox', { name: '公司' }));
  expect(screen.queryByText('北京星河科技有限公司')).toBeNull();
  rerender(<></>);
});

test('an empty result shows the empty state', async () => {
  vi.stubGlobal('fetch', async () => json(200, { items: [], total: 0, totalExact: true }));
  renderWith(<DataList<Row> id="t2" path="/leads" query={{ q: 'none' }} columns={[{ key: 'name', title: '姓名' }]} title={(r) => r.name} />);
  expect(await screen.findByText('没有记录')).toBeInTheDocument();
});
