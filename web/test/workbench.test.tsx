import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, test, vi } from 'vitest';
import Workbench from '../src/pages/Workbench';
import type { Schemas } from '../src/api/client';
import { json, renderWith, session } from './helpers';

// ECharts needs a real layout engine; the page's use of it is its option and its label.
vi.mock('../src/components/Chart', () => ({
  default: ({ ariaLabel }: { ariaLabel: string }) => <div role="img" aria-label={ariaLabel} />,
}));

afterEach(() => vi.unstubAllGlobals());

const c = (count: number, exact = true) => ({ count, exact });
const weeks = Array.from({ length: 12 }, (_, i) => ({ week: `2026-W${String(38 + i).padStart(2, '0')}`, start: `2026-09-${String(1 + i).padStart(2, '0')}`, count: i === 11 ? 2 : i === 10 ? 1 : 0, exact: true }));

function answer(over: Partial<Schemas['Workbench']> = {}): Schemas['Workbench'] {
  return {
    scope: 'mine', timeZone: 'Asia/Shanghai', today: '2026-11-30', generatedAt: '2026-11-30T02:00:00Z',
    leads: { total: c(4), dueToday: c(1), overdue: c(1), byStatus: [{ status: 'new', ...c(2) }, { status: 'following', ...c(0) }, { status: 'converted', ...c(0) }, { status: 'invalid', ...c(2) }] },
    customers: {
      total: c(3), dueToday: c(1), overdue: c(2), newPerWeek: weeks,
      returningSoon: { days: 7, total: c(1), items: [{ id: 'c0', name: '北京老客户有限公司', level: 'A', rule: 'no_follow_up', returnAt: '2026-12-03T02:00:00Z', daysLeft: 2 }] },
    },
    recentActivity: [
      { position: 42, type: 'lead.updated.v1', occurredAt: '2026-11-30T01:59:00Z', actor: { id: 'admin', name: '系统管理员' }, byMe: false, record: { kind: 'lead', id: 'l1', name: '刘一' } },
      { position: 41, type: 'customer.created.v1', occurredAt: '2026-11-30T01:58:00Z', actor: { id: 'u1', name: '张伟' }, byMe: true, record: { kind: 'customer', id: null, name: '' } },
    ],
    ...over,
  };
}

function serve(body: unknown, status = 200) {
  const urls: string[] = [];
  vi.stubGlobal('fetch', async (url: string) => {
    urls.push(url);
    if (url.startsWith('/api/v1/workbench')) return json(status, body);
    return json(200, { items: [] });
  });
  return urls;
}

test('shows the figures of the endpoint: counts, charts, returning customers and activity with links', async () => {
  const urls = serve(answer());
  renderWith(<Workbench />);
  const leads = await screen.findByRole('link', { name: '我的线索: 4' });
  expect(leads).toHaveAttribute('href', '/leads');
  expect(screen.getByRole('link', { name: '我的客户: 3' })).toHaveAttribute('href', '/customers');
  expect(within(screen.getByTestId('stat-due-today')).getByText('2')).toBeInTheDocument();
  expect(within(screen.getByTestId('stat-due-today')).getByText('线索 1 · 客户 1')).toBeInTheDocument();
  expect(within(screen.getByTestId('stat-overdue')).getByText('3')).toBeInTheDocument();
  expect(await screen.findByRole('img', { name: /线索按状态：新线索 2, 跟进中 0, 已转化 0, 无效 2/ })).toBeInTheDocument();
  expect(screen.getByRole('img', { name: /每周新增客户：.*2026-09-11 1, 2026-09-12 2/ })).toBeInTheDocument();
  expect(screen.getByRole('link', { name: '北京老客户有限公司' })).toHaveAttribute('href', '/customers/c0');
  expect(screen.getByText('剩 2 天')).toBeInTheDocument();
  // another's change of my lead links to it and names who; my own event on a record I may not see has no link
  const act = screen.getByTestId('recent-activity');
  expect(within(act).getByRole('link', { name: '刘一' })).toHaveAttribute('href', '/leads/l1');
  expect(within(act).getByText('修改线索')).toBeInTheDocument();
  expect(within(act).getByText(/系统管理员/)).toBeInTheDocument();
  expect(within(act).getByText('客户')).toBeInTheDocument();
  expect(within(act).getAllByRole('link')).toHaveLength(1);
  const u = urls.find((x) => x.startsWith('/api/v1/workbench'))!;
  expect(u).toContain('scope=mine');
  expect(u).toMatch(/tz=[A-Za-z]/);
});

test('a count past the bound shows as 1,000+; empty sections say so', async () => {
  serve(answer({
    leads: { total: c(1000, false), dueToday: c(0), overdue: c(0), byStatus: [{ status: 'new', ...c(1000, false) }] },
    customers: { total: c(0), dueToday: c(0), overdue: c(0), newPerWeek: weeks.map((w) => ({ ...w, count: 0 })), returningSoon: { days: 7, total: c(0), items: [] } },
    recentActivity: [],
  }));
  renderWith(<Workbench />);
  expect(await screen.findByRole('link', { name: '我的线索: 1,000+' })).toBeInTheDocument();
  expect(screen.getByText('近 12 周没有新增客户')).toBeInTheDocument();
  expect(screen.getByText('7 天内没有将退回公海的客户')).toBeInTheDocument();
  expect(screen.getByText('暂无活动')).toBeInTheDocument();
});

test('without customer access the customer figures say so and link nowhere', async () => {
  serve(answer({ customers: null }));
  renderWith(<Workbench />);
  expect(await screen.findByText('无客户权限')).toBeInTheDocument();
  expect(screen.queryByRole('link', { name: /我的客户/ })).toBeNull();
  expect(screen.queryByTestId('returning-soon')).toBeNull();
});

test('an error shows the error state; retry loads the figures', async () => {
  let fail = true;
  vi.stubGlobal('fetch', async (url: string) => {
    if (!url.startsWith('/api/v1/workbench')) return json(200, { items: [] });
    return fail ? json(500, { type: 't', title: 'Internal Server Error', status: 500, code: 'internal', detail: 'boom' }) : json(200, answer());
  });
  renderWith(<Workbench />);
  expect(await screen.findByText('加载失败', undefined, { timeout: 8000 })).toBeInTheDocument(); // after one retry
  fail = false;
  await userEvent.setup({ delay: null }).click(screen.getByRole('button', { name: /重\s*试/ }));
  expect(await screen.findByRole('link', { name: '我的线索: 4' })).toBeInTheDocument();
}, 30_000);

test('a manager switches to the figures of their data scope', async () => {
  const urls = serve(answer());
  const s = session(['leads.read', 'customers.read'], false, { dataScope: 'department_tree' });
  renderWith(<Workbench />, { s });
  await screen.findByRole('link', { name: '我的线索: 4' });
  const user = userEvent.setup({ delay: null });
  await user.click(screen.getByText('团队（数据范围）'));
  await screen.findByRole('link', { name: '团队线索: 4' });
  expect(urls.some((u) => u.startsWith('/api/v1/workbench') && u.includes('scope=team'))).toBe(true);
});

test('a sales user (data scope self) has no team switch', async () => {
  serve(answer());
  const s = session(['leads.read'], false, { dataScope: 'self' });
  renderWith(<Workbench />, { s });
  await screen.findByRole('link', { name: '我的线索: 4' });
  expect(screen.queryByText('团队（数据范围）')).toBeNull();
});
