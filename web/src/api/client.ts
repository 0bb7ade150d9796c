// The one way the UI talks to the Chronicle API: cookie sessions (HttpOnly chronicle_session),
// the CSRF header on every write, If-Match on edits, and read-your-writes through the position of
// the last command. No token is ever kept where scripts can read it.
import type { components } from './schema';

export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];

export class ApiError extends Error {
  status: number;
  problem: Problem | null;
  constructor(status: number, problem: Problem | null, fallback: string) {
    super(problem?.detail || problem?.title || fallback);
    this.status = status;
    this.problem = problem;
  }
  get code(): string {
    return this.problem?.code ?? '';
  }
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.problem?.errors ?? []) out[e.field] = e.message;
    return out;
  }
}

let lastPosition = 0;
let unauthorized: (() => void) | null = null;

/** The highest X-Chronicle-Position a command answered with in this page. */
export function position(): number {
  return lastPosition;
}
export function notePosition(h: Headers | string | null | undefined): number {
  const v = typeof h === 'string' || h == null ? h : h.get('X-Chronicle-Position');
  const n = v ? Number(v) : 0;
  if (Number.isFinite(n) && n > lastPosition) lastPosition = n;
  return n;
}
export function onUnauthorized(fn: (() => void) | null) {
  unauthorized = fn;
}

export function csrfToken(): string {
  const m = document.cookie.match(/(?:^|;\s*)chronicle_csrf=([^;]*)/);
  return m ? decodeURIComponent(m[1]) : '';
}

export type Query = Record<string, string | number | boolean | undefined | null | string[]>;

/** A query string; a list is the parameter repeated (status=new&status=following), which every list
 * parameter accepts and which keeps values that hold a comma (custom.tags=a,b) whole. */
export function buildQuery(q?: Query): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) {
      for (const one of v) if (one !== '') p.append(k, one);
    } else p.set(k, String(v));
  }
  const s = p.toString();
  return s ? '?' + s : '';
}

export interface CallOptions {
  query?: Query;
  body?: unknown;
  rawBody?: BodyInit;
  contentType?: string;
  ifMatch?: number;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** do not redirect to sign-in on 401 (the sign-in form itself) */
  quiet401?: boolean;
}

export interface Answer<T> {
  data: T;
  status: number;
  headers: Headers;
  position: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function call<T = unknown>(method: string, path: string, o: CallOptions = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json', ...o.headers };
  let body: BodyInit | undefined;
  if (o.rawBody !== undefined) {
    body = o.rawBody;
    if (o.contentType) headers['Content-Type'] = o.contentType;
  } else if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers['Content-Type'] = 'application/json';
  }
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken();
  else if (lastPosition > 0) headers['X-Chronicle-Min-Position'] = String(lastPosition);
  if (o.ifMatch !== undefined) headers['If-Match'] = `"${o.ifMatch}"`;
  const url = '/api/v1' + path + buildQuery(o.query);
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, { method, headers, body, credentials: 'same-origin', signal: o.signal });
    if (res.status === 503 && method === 'GET' && attempt < 2) {
      const ra = Number(res.headers.get('Retry-After') || '1');
      await sleep(Math.min(Math.max(ra, 0.2), 3) * 1000);
      continue;
    }
    const pos = method === 'GET' ? 0 : notePosition(res.headers);
    const ct = res.headers.get('Content-Type') || '';
    let data: unknown = null;
    if (res.status !== 204) {
      if (ct.includes('json')) data = await res.json().catch(() => null);
      else data = await res.text();
    }
    if (!res.ok) {
      const problem = data && typeof data === 'object' ? (data as Problem) : null;
      if (res.status === 401 && !o.quiet401 && unauthorized) unauthorized();
      throw new ApiError(res.status, problem, `${res.status} ${res.statusText}`);
    }
    return { data: data as T, status: res.status, headers: res.headers, position: pos };
  }
}

export const get = async <T>(path: string, query?: Query, signal?: AbortSignal) =>
  (await call<T>('GET', path, { query, signal })).data;
export const post = <T>(path: string, body?: unknown, o: CallOptions = {}) => call<T>('POST', path, { ...o, body });
export const patch = <T>(path: string, body: unknown, ifMatch?: number) => call<T>('PATCH', path, { body, ifMatch });
export const del = (path: string, ifMatch?: number) => call<void>('DELETE', path, { ifMatch });

/** A page of a list endpoint. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
  total?: number;
  totalExact?: boolean;
}

/** The URL of an export that keeps the current filters; a plain link download uses the cookie. */
export function exportUrl(collection: string, format: 'csv' | 'xlsx', q: Query): string {
  return `/api/v1/${collection}/export` + buildQuery({ ...q, format, cursor: undefined, limit: undefined });
}
