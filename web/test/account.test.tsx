import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, test, vi } from 'vitest';
import Account from '../src/pages/Account';
import { json, renderWith } from './helpers';

afterEach(() => vi.unstubAllGlobals());

test('a refused new password says why, in the page language, from the reason code', async () => {
  const calls: string[] = [];
  vi.stubGlobal('fetch', async (url: string) => {
    calls.push(url);
    if (url.startsWith('/api/v1/auth/sessions')) return json(200, { items: [] });
    if (url.startsWith('/api/v1/auth/change-password'))
      return json(422, {
        type: 't', title: 'Unprocessable Entity', status: 422, code: 'validation_failed', detail: 'newPassword: must not contain your username',
        errors: [{ field: 'newPassword', message: 'must not contain your username', code: 'password_contains_username' }],
      });
    return json(200, {});
  });
  renderWith(<Account />);
  const user = userEvent.setup({ delay: null });
  await user.type(screen.getByLabelText('当前密码'), 'Old-pass-26');
  await user.type(screen.getByLabelText(/^新密码/), 'Zhang-2026x');
  await user.type(screen.getByLabelText('确认新密码'), 'Zhang-2026x{Enter}');
  expect(await screen.findByText('密码不能包含用户名')).toBeInTheDocument();
  expect(calls.some((u) => u.startsWith('/api/v1/auth/change-password'))).toBe(true);
}, 120_000); // the account page is large: slow to type into on a busy machine
