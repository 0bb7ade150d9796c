import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { cleanup, render } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import Shell from '../src/Shell';
import { Providers, queryClient } from '../src/Root';
import { json, meFixture } from './helpers';
import type { Me } from '../src/session';

// a desktop-wide window: every min-width media query matches (the menu is a side menu, not a drawer)
const original = window.matchMedia;
beforeEach(() => {
  window.matchMedia = (query: string) =>
    ({ matches: /min-width/.test(query), media: query, onchange: null, addListener: () => {}, removeListener: () => {}, addEventListener: () => {}, removeEventListener: () => {}, dispatchEvent: () => false }) as MediaQueryList;
});
afterEach(() => {
  window.matchMedia = original;
  vi.unstubAllGlobals();
  queryClient.clear();
  localStorage.clear();
});

const perms: Record<string, string[]> = {
  sales: ['leads.create', 'leads.read', 'leads.pool', 'customers.read', 'users.read'],
  contracts: ['contracts.read', 'contracts.create'],
  admin: ['audit.read', 'customers.read', 'departments.manage', 'leads.read', 'projections.manage', 'roles.manage', 'settings.manage', 'users.manage'],
};

/** Mounts the shell at route for a user of role; calls collects every request. */
function mount(role: string, overrides: Partial<Me> = {}, route = '/account', lang?: 'zh-CN' | 'en') {
  const calls: { url: string; method: string; body?: string }[] = [];
  let me = meFixture(perms[role], role === 'admin', { departmentId: 'd1', departmentName: '华北区', ...overrides });
  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    calls.push({ url, method: init.method ?? 'GET', body: init.body as string | undefined });
    if (url.startsWith('/api/v1/auth/me/preferences')) {
      const p = JSON.parse(String(init.body));
      me = { ...me, preferences: { ...me.preferences, ...(p.language ? { language: p.language, languageChosen: true } : {}) } };
      return json(200, me);
    }
    if (url.startsWith('/api/v1/auth/me')) return json(200, me);
    return json(200, { items: [], total: 0, totalExact: true });
  });
  render(
    <Providers lang={lang}>
      <MemoryRouter initialEntries={[route]}>
        <Routes>
          <Route path="/*" element={<Shell />} />
        </Routes>
      </MemoryRouter>
    </Providers>,
  );
  return calls;
}

test('the menu shows only the modules the role allows; the header shows user, role, department and module', async () => {
  mount('sales');
  const nav = await screen.findByRole('navigation', { name: '主菜单' });
  expect(within(nav).getByText('线索池')).toBeInTheDocument();
  expect(within(nav).queryByText('组织')).toBeNull();
  expect(within(nav).queryByText('审计')).toBeNull();
  expect(within(nav).queryByText('运维')).toBeNull();
  expect(await screen.findByText('华北区')).toBeInTheDocument();
  expect(screen.getByText('销售代表 Sales representative')).toBeInTheDocument();
  expect(screen.getByTestId('current-module').textContent).toBe('我的账户');
});

test('permissions, role names and department come from /auth/me alone (no /roles or /departments reads)', async () => {
  const calls = mount('sales');
  await screen.findByRole('navigation', { name: '主菜单' });
  expect(screen.getByTestId('user-department').textContent).toBe('华北区');
  expect(calls.some((c) => c.url.startsWith('/api/v1/roles') || c.url.startsWith('/api/v1/departments'))).toBe(false);
});

test("signed in, the language is the user's own preference, and the sign-in page remembers it", async () => {
  localStorage.setItem('chronicle.lang', 'zh-CN');
  mount('sales', { preferences: { language: 'en', timeZone: 'Asia/Shanghai', languageChosen: true, timeZoneChosen: false } });
  const nav = await screen.findByRole('navigation', { name: 'Main menu' });
  expect(within(nav).getByText('Lead pool')).toBeInTheDocument();
  expect(localStorage.getItem('chronicle.lang')).toBe('en');
});

test('a user who never chose a language keeps the one chosen on the sign-in page', async () => {
  localStorage.setItem('chronicle.lang', 'en');
  mount('sales');
  const nav = await screen.findByRole('navigation', { name: 'Main menu' });
  expect(within(nav).getByText('Lead pool')).toBeInTheDocument();
  localStorage.removeItem('chronicle.lang');
});

test('the language switch saves the preference on the server and for the sign-in page', async () => {
  const calls = mount('sales', {}, '/account', 'zh-CN');
  await screen.findByRole('navigation', { name: '主菜单' });
  fireEvent.click(screen.getByText('EN', { exact: true }));
  await screen.findByRole('navigation', { name: 'Main menu' });
  await waitFor(() => expect(calls.some((c) => c.url === '/api/v1/auth/me/preferences' && c.method === 'PATCH')).toBe(true));
  const saved = calls.find((c) => c.url === '/api/v1/auth/me/preferences')!;
  expect(JSON.parse(saved.body!)).toEqual({ language: 'en' });
  expect(localStorage.getItem('chronicle.lang')).toBe('en');
  localStorage.removeItem('chronicle.lang');
});

test('contracts show with contracts.read; approvals for everyone, with the count waiting', async () => {
  mount('sales');
  let nav = await screen.findByRole('navigation', { name: '主菜单' });
  expect(within(nav).queryByText('合同')).toBeNull();
  expect(within(nav).getByText('审批')).toBeInTheDocument();
  cleanup();
  vi.unstubAllGlobals();
  queryClient.clear();
  const calls = mount('contracts', {}, '/account');
  nav = await screen.findByRole('navigation', { name: '主菜单' });
  expect(within(nav).getByText('合同')).toBeInTheDocument();
  await waitFor(() => expect(calls.some((c) => c.url === '/api/v1/approvals?view=pending&limit=1')).toBe(true));
});

test('an administrator sees organisation, audit and operations', async () => {
  mount('admin');
  const nav = await screen.findByRole('navigation', { name: '主菜单' });
  expect(within(nav).getByText('组织')).toBeInTheDocument();
  expect(within(nav).getByText('审计')).toBeInTheDocument();
  expect(within(nav).getByText('运维')).toBeInTheDocument();
});

test('keyboard shortcuts: ? lists them, g l goes to leads', async () => {
  mount('sales', {}, '/contacts');
  await screen.findByRole('navigation', { name: '主菜单' });
  fireEvent.keyDown(window, { key: '?' });
  expect(await screen.findByText('显示快捷键')).toBeInTheDocument();
  fireEvent.keyDown(window, { key: 'Escape' });
  // shortcuts wait while a dialog is open: press on once it has closed
  await waitFor(() => expect(document.querySelector('.ant-modal-wrap:not([style*="display: none"]) .ant-modal')).toBeNull(), { timeout: 10_000 });
  // on a busy machine the first keys can land before the page has settled: press again until it goes
  await waitFor(
    () => {
      fireEvent.keyDown(document.body, { key: 'g' });
      fireEvent.keyDown(document.body, { key: 'l' });
      expect(screen.getByTestId('current-module').textContent).toBe('我的线索');
    },
    { timeout: 10_000, interval: 300 },
  );
});

test('tasks show for every signed-in user and open the task list', async () => {
  const calls = mount('sales', {}, '/tasks');
  const nav = await screen.findByRole('navigation', { name: '主菜单' });
  expect(within(nav).getByText('任务')).toBeInTheDocument();
  await waitFor(() => expect(screen.getByTestId('current-module').textContent).toBe('任务'));
  await waitFor(() => expect(calls.some((c) => c.url.startsWith('/api/v1/tasks?') && c.url.includes('view=mine'))).toBe(true));
});

test('schedules show for every signed-in user and open the calendar of my entries', async () => {
  const calls = mount('sales', {}, '/schedules');
  const nav = await screen.findByRole('navigation', { name: '主菜单' });
  expect(within(nav).getByText('日程')).toBeInTheDocument();
  await waitFor(() => expect(screen.getByTestId('current-module').textContent).toBe('日程'));
  // the page loads on first use
  await waitFor(() => expect(calls.some((c) => c.url.startsWith('/api/v1/calendar?') && c.url.includes('view=mine'))).toBe(true), { timeout: 20_000 });
});
