import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, test, vi } from 'vitest';
import Login from '../src/pages/Login';
import { MailPreferencesCard, ResetPassword, SmtpCard } from '../src/pages/mailCommon';
import { json, renderWith } from './helpers';

afterEach(() => vi.unstubAllGlobals());

type Call = { method: string; url: string; body?: Record<string, unknown> };

function record(answer: (c: Call) => Response) {
  const calls: Call[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    const c: Call = { method: init.method ?? 'GET', url, body: init.body ? JSON.parse(String(init.body)) : undefined };
    calls.push(c);
    return answer(c);
  });
  return calls;
}

test('forgot password: a username is sent and the same answer shows whatever the account', async () => {
  const calls = record(() => json(202, { status: 'accepted', message: 'If the account exists…' }));
  renderWith(<Login />, { path: '/login', route: '/login', s: null });
  const user = userEvent.setup({ delay: null });
  await user.click(screen.getByRole('button', { name: '忘记密码？' }));
  await user.type(await screen.findByLabelText('用户名'), ' zhangsan {Enter}'); // the form loads lazily
  expect(await screen.findByText(/重置链接已发送到邮箱/)).toBeInTheDocument();
  expect(calls).toEqual([{ method: 'POST', url: '/api/v1/auth/password-reset', body: { login: 'zhangsan' } }]);
  await user.click(screen.getByRole('button', { name: '返回登录' }));
  expect(screen.getByLabelText('密码')).toBeInTheDocument();
});

test('the reset page sets the new password with the token of the link', async () => {
  const calls = record(() => new Response(null, { status: 204 }));
  renderWith(<ResetPassword />, { path: '/reset-password', route: '/reset-password?token=tok-123', s: null });
  const user = userEvent.setup({ delay: null });
  await user.type(screen.getByLabelText('新密码'), 'A-new-long-passphrase-2026');
  await user.type(screen.getByLabelText('确认新密码'), 'A-new-long-passphrase-2026{Enter}');
  expect(await screen.findByText(/密码已重置/)).toBeInTheDocument();
  expect(calls[0]).toEqual({ method: 'POST', url: '/api/v1/auth/password-reset/confirm', body: { token: 'tok-123', password: 'A-new-long-passphrase-2026' } });
});

test('a used or expired link says so', async () => {
  record(() => json(400, { type: 't', title: 'Bad Request', status: 400, code: 'invalid_reset_token', detail: 'not valid' }));
  renderWith(<ResetPassword />, { path: '/reset-password', route: '/reset-password?token=used', s: null });
  const user = userEvent.setup({ delay: null });
  await user.type(screen.getByLabelText('新密码'), 'A-new-long-passphrase-2026');
  await user.type(screen.getByLabelText('确认新密码'), 'A-new-long-passphrase-2026{Enter}');
  expect(await screen.findByText(/链接无效/)).toBeInTheDocument();
});

test('e-mail notification preferences: the address and the kinds chosen are saved', async () => {
  const prefs = { email: '', kinds: ['task_assigned', 'task_reminder'], kindsChosen: false, available: ['task_assigned', 'task_reminder', 'task_done'], defaults: ['task_assigned', 'task_reminder'] };
  const calls = record((c) => (c.method === 'PUT' ? json(200, { ...prefs, ...c.body, kindsChosen: true }) : json(200, prefs)));
  renderWith(<MailPreferencesCard />);
  const user = userEvent.setup({ delay: null });
  await user.type(await screen.findByLabelText('邮箱'), 'zhang@example.com');
  expect(screen.getByRole('checkbox', { name: '任务分配给我' })).toBeChecked();
  await user.click(screen.getByRole('checkbox', { name: '任务即将到期' }));
  await user.click(screen.getByRole('checkbox', { name: '任务完成' }));
  await user.click(screen.getByRole('button', { name: '保存邮件通知' }));
  await waitFor(() => expect(calls.some((c) => c.method === 'PUT')).toBe(true));
  const put = calls.find((c) => c.method === 'PUT')!;
  expect(put.url).toBe('/api/v1/me/notification-preferences');
  expect(put.body).toEqual({ email: 'zhang@example.com', kinds: ['task_assigned', 'task_done'] });
});

test('the SMTP card never shows the password and keeps it when left empty; the outbox lists failures', async () => {
  const smtp = { host: 'smtp.example.com', port: 587, tls: 'starttls', username: 'crm', passwordSet: true, from: 'crm@example.com' };
  const calls = record((c) => {
    if (c.url.startsWith('/api/v1/mail/outbox'))
      return json(200, { items: [{ id: 'm1', kind: 'task_assigned', recipientId: 'u1', address: 'zhang@example.com', subject: '[Chronicle] 有任务分配给你', status: 'failed', attempts: 6, lastError: '451 try again later', nextAttempt: null, createdAt: '2026-11-30T08:00:00Z', sentAt: null }], nextCursor: '' });
    if (c.method === 'PUT') return json(200, smtp);
    return json(200, smtp);
  });
  renderWith(<SmtpCard />);
  const user = userEvent.setup({ delay: null });
  expect(await screen.findByText('已设置；留空则保持不变')).toBeInTheDocument();
  expect(await screen.findByText('451 try again later')).toBeInTheDocument();
  await user.click(screen.getByRole('button', { name: '保存邮件服务器' }));
  await waitFor(() => expect(calls.some((c) => c.method === 'PUT')).toBe(true));
  const put = calls.find((c) => c.method === 'PUT')!;
  expect(put.url).toBe('/api/v1/settings/smtp');
  expect(put.body).toEqual({ host: 'smtp.example.com', port: 587, tls: 'starttls', username: 'crm', from: 'crm@example.com' });
});
