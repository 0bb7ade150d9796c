import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { render } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import Shell from '../src/Shell';
import { Providers, queryClient } from '../src/Root';
import { json } from './helpers';

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
});

const roles = {
  items: [
    { id: 'r1', name: 'sales', displayName: '销售代表 Sales representative', permissions: ['leads.create', 'leads.read', 'leads.pool', 'customers.read', 'users.read'], dataScope: 'self', builtIn: true, require2fa: false, version: 1 },
    { id: 'r2', name: 'admin', displayName: '系统管理员 Administrator', permissions: ['users.manage', 'audit.read'], dataScope: 'all', builtIn: true, require2fa: false, version: 1 },
  ],
};

function mount(role: string) {
  vi.stubGlobal('fetch', async (url: string) => {
    if (url.startsWith('/api/v1/auth/me'))
      return json(200, { id: 'u1', username: 'zhang', displayName: '张伟', roles: [role], departmentId: 'd1', superiorId: null, disabled: false, lockedUntil: null, createdAt: '2026-11-01T00:00:00Z', version: 1 });
    if (url.startsWith('/api/v1/roles')) return json(200, roles);
    if (url.startsWith('/api/v1/departments')) return json(200, { items: [{ id: 'd1', name: '华北区', parentId: null, depth: 0, disabled: false, createdAt: '2026-11-01T00:00:00Z', version: 1 }] });
    return json(200, { items: [], total: 0, totalExact: true });
  });
  render(
    <Providers lang="zh-CN">
      <MemoryRouter initialEntries={['/account']}>
        <Routes>
          <Route path="/*" element={<Shell />} />
        </Routes>
      </MemoryRouter>
    </Providers>,
  );
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

test('an administrator sees organisation, audit and operations', async () => {
  mount('admin');
  const nav = await screen.findByRole('navigation', { name: '主菜单' });
  expect(within(nav).getByText('组织')).toBeInTheDocument();
  expect(within(nav).getByText('审计')).toBeInTheDocument();
  expect(within(nav).getByText('运维')).toBeInTheDocument();
});

test('keyboard shortcuts: ? lists them, g l goes to leads', async () => {
  mount('sales');
  await screen.findByRole('navigation', { name: '主菜单' });
  fireEvent.keyDown(window, { key: '?' });
  expect(await screen.findByText('显示快捷键')).toBeInTheDocument();
  fireEvent.keyDown(window, { key: 'Escape' });
  fireEvent.keyDown(document.body, { key: 'g' });
  fireEvent.keyDown(document.body, { key: 'l' });
  await waitFor(() => expect(screen.getByTestId('current-module').textContent).toBe('我的线索'));
});
