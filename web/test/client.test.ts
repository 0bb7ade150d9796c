import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { ApiError, call, get, onUnauthorized, position } from '../src/api/client';

type Seen = { url: string; method: string; headers: Record<string, string>; body?: unknown };
let seen: Seen[] = [];
function respond(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers },
  });
}
let next: () => Response;
beforeEach(() => {
  seen = [];
  document.cookie = 'chronicle_csrf=csrf-123';
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    seen.push({ url, method: init.method ?? 'GET', headers: init.headers as Record<string, string>, body: init.body });
    return next();
  });
});
afterEach(() => vi.unstubAllGlobals());

test('writes carry the CSRF token from the cookie and If-Match as a quoted entity tag; reads do not', async () => {
  next = () => respond(200, { id: 'x', version: 3 }, { 'X-Chronicle-Position': '41' });
  await call('PATCH', '/leads/x', { body: { remark: 'a' }, ifMatch: 2 });
  expect(seen[0].headers['X-CSRF-Token']).toBe('csrf-123');
  expect(seen[0].headers['If-Match']).toBe('"2"');
  expect(seen[0].url).toBe('/api/v1/leads/x');
  next = () => respond(200, { items: [] });
  await get('/leads', { q: '星河', status: ['new', 'following'], empty: '' });
  expect(seen[1].headers['X-CSRF-Token']).toBeUndefined();
  expect(seen[1].url).toBe('/api/v1/leads?q=%E6%98%9F%E6%B2%B3&status=new&status=following');
});

test('after a command, reads wait for its position (read-your-writes)', async () => {
  next = () => respond(201, { id: 'y', version: 1 }, { 'X-Chronicle-Position': '977' });
  await call('POST', '/leads', { body: { name: 'a' } });
  expect(position()).toBe(977);
  next = () => respond(200, { items: [] });
  await get('/leads');
  expect(seen[1].headers['X-Chronicle-Min-Position']).toBe('977');
});

test('problem+json becomes an ApiError with its code and field errors', async () => {
  next = () => respond(422, { type: 't', title: 'Unprocessable', status: 422, code: 'validation_failed', errors: [{ field: 'email', message: 'is not an e-mail address' }] });
  const e = await call('POST', '/leads', { body: {} }).catch((x) => x);
  expect(e).toBeInstanceOf(ApiError);
  expect(e.code).toBe('validation_failed');
  expect(e.fieldErrors()).toEqual({ email: 'is not an e-mail address' });
});

test('a 401 sends the user to sign-in, except from the sign-in form itself', async () => {
  const fn = vi.fn();
  onUnauthorized(fn);
  next = () => respond(401, { type: 't', title: 'Unauthorized', status: 401, code: 'unauthenticated' });
  await get('/auth/me').catch(() => undefined);
  expect(fn).toHaveBeenCalledTimes(1);
  await call('POST', '/auth/login', { body: {}, quiet401: true }).catch(() => undefined);
  expect(fn).toHaveBeenCalledTimes(1);
  onUnauthorized(null);
});

test('a 503 while projections catch up is retried after Retry-After', async () => {
  let n = 0;
  next = () => (n++ === 0 ? respond(503, { type: 't', title: 'x', status: 503, code: 'projection_behind' }, { 'Retry-After': '0' }) : respond(200, { items: [1] }));
  const r = await get<{ items: number[] }>('/leads');
  expect(r.items).toEqual([1]);
  expect(seen.length).toBe(2);
});
