import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import ImportHistory, { percent } from '../src/pages/ImportHistory';
import { queryClient } from '../src/Root';
import { json, renderWith, session } from './helpers';

const original = window.matchMedia;
beforeEach(() => {
  // desktop width: the list is a table
  window.matchMedia = (query: string) =>
    ({ matches: /min-width/.test(query), media: query, onchange: null, addListener: () => {}, removeListener: () => {}, addEventListener: () => {}, removeEventListener: () => {}, dispatchEvent: () => false }) as MediaQueryList;
});
afterEach(() => {
  window.matchMedia = original;
  vi.unstubAllGlobals();
  queryClient.clear();
});

const base = { dryRun: false, skipped: 0, position: 0, updatedAt: '2026-11-22T08:30:01Z', by: { id: 'u1', name: '张伟' } };
const done = { ...base, id: '0192f3a4-0000-7000-8000-000000000001', type: 'leads', state: 'done', fileName: '线索.xlsx', total: 3, imported: 2, failed: 1, createdAt: '2026-11-22T08:30:00Z', finishedAt: '2026-11-22T08:30:01Z' };
const clean = { ...base, id: '0192f3a4-0000-7000-8000-000000000002', type: 'customers', dryRun: true, state: 'done', fileName: '客户.csv', total: 5, imported: 5, failed: 0, createdAt: '2026-11-22T08:20:00Z', finishedAt: '2026-11-22T08:20:01Z' };
const running = (handled: number) => ({ ...base, id: '0192f3a4-0000-7000-8000-000000000003', type: 'contacts', state: 'running', fileName: '联系人.csv', total: 1000, imported: handled, failed: 0, createdAt: '2026-11-22T08:40:00Z', finishedAt: null });

test('the history lists imports with status, counts, a progress bar for a running one, report links; it refreshes while imports run', async () => {
  const urls: string[] = [];
  let polls = 0;
  let finished = false;
  vi.stubGlobal('fetch', async (url: string) => {
    urls.push(url);
    if (url.includes('status=queued%2Crunning')) {
      finished = ++polls >= 2; // the second poll (2 s later) finds it ended
      return json(200, { items: finished ? [] : [running(400)], total: finished ? 0 : 1, totalExact: true, nextCursor: '' });
    }
    const r = finished ? { ...running(1000), state: 'done', finishedAt: '2026-11-22T08:41:00Z' } : running(400);
    return json(200, { items: [r, done, clean], total: 3, totalExact: true, nextCursor: '' });
  });
  renderWith(<ImportHistory />, { path: '/imports', route: '/imports', s: session(['leads.import']) });
  expect(await screen.findByText('线索.xlsx')).toBeInTheDocument();
  const row = (name: string) => screen.getByText(name).closest('tr') as HTMLElement;
  expect(within(row('线索.xlsx')).getByText('已完成')).toBeInTheDocument();
  expect(within(row('线索.xlsx')).getByTestId('import-counts').textContent).toBe('3 / 2 / 0 / 1');
  expect(within(row('线索.xlsx')).getByTestId('report-csv')).toHaveAttribute('href', `/api/v1/imports/${done.id}/errors?format=csv`);
  expect(within(row('线索.xlsx')).getByTestId('report-xlsx')).toHaveAttribute('href', `/api/v1/imports/${done.id}/errors?format=xlsx`);
  expect(within(row('客户.csv')).getByText('试运行')).toBeInTheDocument();
  expect(within(row('客户.csv')).getByText('无错误')).toBeInTheDocument();
  expect(within(row('客户.csv')).queryByTestId('report-csv')).toBeNull();
  expect(within(row('联系人.csv')).getByText('进行中')).toBeInTheDocument();
  expect(within(row('联系人.csv')).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '40');
  expect(screen.getByText(/有导入正在进行/)).toBeInTheDocument();
  expect(screen.getByTestId('list-total').textContent).toBe('共 3 条');
  // the running import ends: the list is read again and shows it done, without a progress bar
  await waitFor(() => expect(within(row('联系人.csv')).getByText('已完成')).toBeInTheDocument(), { timeout: 5000 });
  expect(within(row('联系人.csv')).queryByRole('progressbar')).toBeNull();
  expect(urls[0].startsWith('/api/v1/imports')).toBe(true);
  // a user without audit.read has no "only mine" filter (they see only their own anyway)
  expect(screen.queryByText('只看我发起的')).toBeNull();
}, 30000);

test('an auditor may narrow the list to their own imports', async () => {
  const urls: string[] = [];
  vi.stubGlobal('fetch', async (url: string) => {
    urls.push(url);
    return json(200, { items: [done], total: 1, totalExact: true, nextCursor: '' });
  });
  renderWith(<ImportHistory />, { path: '/imports', route: '/imports', s: session(['leads.import', 'audit.read']) });
  await screen.findByText('线索.xlsx');
  const user = userEvent.setup();
  await user.click(screen.getByText('只看我发起的'));
  await waitFor(() => expect(urls.some((u) => u.startsWith('/api/v1/imports?by=u1&limit=50'))).toBe(true));
}, 30000);

test('an empty history says so; a failed load shows the error with a retry', async () => {
  vi.stubGlobal('fetch', async () => json(200, { items: [], total: 0, totalExact: true, nextCursor: '' }));
  const { unmount } = renderWith(<ImportHistory />, { path: '/imports', route: '/imports', s: session(['leads.import']) });
  expect(await screen.findByText('没有记录')).toBeInTheDocument();
  unmount();
  queryClient.clear();
  vi.stubGlobal('fetch', async () => json(500, { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: '数据库不可用', code: 'internal' }));
  renderWith(<ImportHistory />, { path: '/imports', route: '/imports', s: session(['leads.import']) });
  expect(await screen.findByText('加载失败', {}, { timeout: 5000 })).toBeInTheDocument();
  expect(screen.getByRole('button', { name: /重\s*试/ })).toBeInTheDocument();
}, 30000);

test('progress counts the rows handled', () => {
  expect(percent(running(250) as never)).toBe(25);
  expect(percent({ ...running(0), total: 0 } as never)).toBe(0);
  expect(percent(done as never)).toBe(100);
});
