import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, test, vi } from 'vitest';
import Login from '../src/pages/Login';
import { json, renderWith } from './helpers';

afterEach(() => vi.unstubAllGlobals());

test('sign-in asks for the one-time code when the account has two-factor sign-in, then goes to the page asked for', async () => {
  const bodies: Record<string, string>[] = [];
  const headers: Record<string, string>[] = [];
  vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
    const b = JSON.parse(String(init.body));
    bodies.push(b);
    headers.push(init.headers as Record<string, string>);
    if (!b.totp) return json(401, { type: 't', title: 'Unauthorized', status: 401, code: 'totp_required', detail: 'a one-time code is required' });
    return json(200, { expiresAt: '2026-12-01T00:00:00Z', user: { id: 'u1', username: 'zhang' }, twoFactorRequired: false });
  });
  renderWith(<Login />, { path: '/login', route: '/login?next=%2Fleads', s: null });
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('用户名'), 'zhang');
  await user.type(screen.getByLabelText('密码'), 'Beijing-north-office-26{Enter}');
  const code = await screen.findByLabelText('验证码');
  await user.type(code, '123456{Enter}');
  await waitFor(() => expect(screen.getByTestId('elsewhere')).toBeInTheDocument());
  expect(bodies[1]).toEqual({ username: 'zhang', password: 'Beijing-north-office-26', totp: '123456' });
  expect(headers[0]['X-Chronicle-Session']).toBe('cookie');
  expect(JSON.stringify(localStorage)).not.toMatch(/token/i);
});

test('a wrong password is reported without a second step', async () => {
  vi.stubGlobal('fetch', async () => json(401, { type: 't', title: 'Unauthorized', status: 401, code: 'invalid_credentials' }));
  renderWith(<Login />, { path: '/login', route: '/login', s: null });
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('用户名'), 'zhang');
  await user.type(screen.getByLabelText('密码'), 'nope{Enter}');
  expect(await screen.findByText('用户名或密码不正确')).toBeInTheDocument();
  expect(screen.queryByLabelText('验证码')).toBeNull();
});
