import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, test, vi } from 'vitest';
import Org from '../src/pages/Org';
import { queryClient } from '../src/Root';
import { json, renderWith, session } from './helpers';

afterEach(() => {
  vi.unstubAllGlobals();
  queryClient.clear();
});

const li = {
  id: '0190a5b0-7a8b-7c9d-8e0f-1a2b3c4d5e6f', username: 'li.sales', displayName: '李销售', roles: ['sales'], departmentId: null, superiorId: null,
  disabled: false, lockedUntil: null, createdAt: '2026-11-01T00:00:00Z', version: 4,
};

test('an administrator enters the e-mail address of a user who has none, at the user version', async () => {
  const sent: { method: string; url: string; body: Record<string, unknown>; ifMatch: string | null }[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    if (method === 'GET') {
      if (url.includes('/users')) return json(200, { items: [li], total: 1, totalExact: true, nextCursor: '' });
      if (url.includes('/roles')) return json(200, { items: [{ name: 'sales', displayName: '销售', builtIn: true, permissions: [], dataScope: 'self' }] });
      return json(200, { items: [], total: 0, totalExact: true, nextCursor: '' });
    }
    const body = JSON.parse(String(init?.body ?? '{}')) as Record<string, unknown>;
    sent.push({ method, url, body, ifMatch: new Headers(init?.headers).get('If-Match') });
    return json(200, { ...li, email: body.email, version: 4 }, { ETag: '"4"', 'X-Chronicle-Position': '9' });
  });
  const user = userEvent.setup();
  renderWith(<Org />, { path: '/org/*', route: '/org/users', s: session(['users.manage'], true) });
  const row = (await screen.findByText('李销售')).closest('tr')!;
  await user.click(within(row).getByRole('button', { name: /编\s*辑/ }));
  const email = await screen.findByLabelText('电子邮箱');
  fireEvent.change(email, { target: { value: 'not an address' } });
  await user.click(screen.getByRole('button', { name: /保\s*存/ }));
  expect(await screen.findByText('请输入有效的邮箱地址')).toBeInTheDocument();
  expect(sent).toHaveLength(0);
  fireEvent.change(email, { target: { value: ' li@example.com ' } });
  await user.click(screen.getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toMatchObject({ method: 'PATCH', url: `/api/v1/users/${li.id}`, ifMatch: '"4"' });
  expect(sent[0].body.email).toBe('li@example.com');
});
