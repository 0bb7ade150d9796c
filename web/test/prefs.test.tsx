import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, expect, test, vi } from 'vitest';
import Account from '../src/pages/Account';
import { sessionOf } from '../src/session';
import { browserZone, fmtDate, fmtTime, fromPicker, setUserZone, toPicker, userZone } from '../src/util';
import { json, meFixture, renderWith, session } from './helpers';

afterEach(() => {
  vi.unstubAllGlobals();
  setUserZone(null);
});

test("times show in the user's zone; plain dates never shift", () => {
  setUserZone('America/New_York');
  expect(userZone()).toBe('America/New_York');
  expect(fmtTime('2026-07-01T12:00:00Z')).toBe('2026-07-01 08:00'); // EDT, UTC-4
  expect(fmtTime('2026-12-01T12:00:00Z')).toBe('2026-12-01 07:00'); // EST, UTC-5
  expect(fmtDate('2026-07-01T02:00:00Z')).toBe('2026-06-30');
  expect(fmtDate('2026-07-01')).toBe('2026-07-01');
  setUserZone('Asia/Shanghai');
  expect(fmtTime('2026-07-01T12:00:00Z')).toBe('2026-07-01 20:00');
  expect(fmtTime('2026-07-01T12:00:00+08:00')).toBe('2026-07-01 12:00');
  expect(fmtTime('not a time')).toBe('not a time');
  expect(fmtTime(null)).toBe('');
  // an unknown zone falls back to the browser's
  setUserZone('Mars/Olympus');
  expect(userZone()).toBe(browserZone());
});

test("a date picker works on the user's zone's wall clock", () => {
  setUserZone('America/New_York');
  const picked = toPicker('2026-07-01T12:00:00Z')!;
  expect(picked.format('YYYY-MM-DD HH:mm')).toBe('2026-07-01 08:00');
  expect(fromPicker(picked)).toBe('2026-07-01T12:00:00.000Z');
  expect(fromPicker(picked.hour(9))).toBe('2026-07-01T13:00:00.000Z');
  expect(fromPicker(null)).toBeNull();
  expect(toPicker(undefined)).toBeNull();
});

test('the session allows exactly the permissions /auth/me lists, admin included', () => {
  const s = sessionOf(meFixture(['leads.read'], true, { preferences: { language: 'en', timeZone: 'Europe/Berlin', languageChosen: true, timeZoneChosen: true } }));
  expect(s.can('leads.read')).toBe(true);
  expect(s.can('users.manage')).toBe(false); // the server would refuse it: the menu must not offer it
  expect(s.isAdmin).toBe(true);
  expect(s.timeZone).toBe('Europe/Berlin');
  expect(s.roles[0].displayName).toBe('系统管理员 Administrator');
});

function stub(me = meFixture()) {
  const calls: { url: string; method: string; body?: string }[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    calls.push({ url, method: init.method ?? 'GET', body: init.body as string | undefined });
    if (url.startsWith('/api/v1/auth/sessions')) return json(200, { items: [] });
    if (url.startsWith('/api/v1/auth/me/preferences')) return json(200, me);
    if (url.startsWith('/api/v1/auth/2fa/disable')) return json(204, null);
    return json(200, {});
  });
  return calls;
}

test('the preferences card saves language and time zone; the organisation default sends null', async () => {
  const calls = stub();
  renderWith(<Account />, { s: session() });
  const card = await screen.findByTestId('preferences');
  // the zone select offers the IANA zones, searchable
  const zone = within(card).getByLabelText('时区');
  fireEvent.mouseDown(zone);
  fireEvent.change(zone, { target: { value: 'New_York' } });
  fireEvent.click(await screen.findByText(/^America\/New_York \(UTC/));
  fireEvent.click(within(card).getByRole('button', { name: /保存偏好/ }));
  await waitFor(() => expect(calls.some((c) => c.url === '/api/v1/auth/me/preferences')).toBe(true));
  const body = JSON.parse(calls.find((c) => c.url === '/api/v1/auth/me/preferences')!.body!);
  expect(body).toEqual({ language: 'zh-CN', timeZone: 'America/New_York' });
}, 60_000);

test('two-factor: on, the code is required to switch it off and enrolling is not offered; off, only enrolling is', async () => {
  const calls = stub();
  const on = renderWith(<Account />, { s: session([], false, { twoFactor: { enabled: true, required: true } }) });
  expect(screen.queryByTestId('enroll-2fa')).toBeNull();
  expect(screen.getByTestId('two-factor-state').textContent).toContain('您的角色要求两步验证');
  fireEvent.change(screen.getByLabelText('用于关闭两步验证的密码'), { target: { value: 'Secret-2026-pass' } });
  fireEvent.click(screen.getByRole('button', { name: /关闭两步验证/ }));
  expect(await screen.findByText('请输入验证码或恢复码')).toBeInTheDocument();
  expect(calls.some((c) => c.url.startsWith('/api/v1/auth/2fa/disable'))).toBe(false);
  on.unmount();
  renderWith(<Account />, { s: session([], false, { twoFactor: { enabled: false, required: false } }) });
  expect(screen.getByTestId('enroll-2fa')).toBeInTheDocument();
  expect(screen.queryByLabelText('用于关闭两步验证的密码')).toBeNull();
}, 60_000);
