import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, test, vi } from 'vitest';
import { LeadForm } from '../src/pages/LeadForm';
import { json, renderWith, session } from './helpers';

afterEach(() => vi.unstubAllGlobals());

const lead = {
  id: 'l1', name: '王小明', company: '北京星河科技有限公司', phone: '', mobile: '', email: '', source: '展会', industry: '', level: '', address: '', remark: '',
  nextFollowUpAt: null, status: 'new' as const, ownerId: 'u1', inPool: false, createdBy: 'u1', createdAt: '2026-11-01T00:00:00Z', updatedAt: '2026-11-01T00:00:00Z', version: 1,
};

test('problem+json field errors are shown on their fields', async () => {
  vi.stubGlobal('fetch', async (url: string) => {
    if (url.startsWith('/api/v1/users')) return json(200, { items: [] });
    return json(422, { type: 't', title: 'Unprocessable', status: 422, code: 'validation_failed', errors: [{ field: 'email', message: '不是有效的邮箱地址' }] });
  });
  renderWith(<LeadForm open onClose={() => {}} />, { s: session(['leads.create']) });
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('姓名'), '王小明');
  await user.type(screen.getByLabelText('邮箱'), 'x@{Enter}');
  expect(await screen.findByText('不是有效的邮箱地址')).toBeInTheDocument();
});

test('an edit sends only the changed fields with If-Match; a 412 opens the conflict dialog naming who changed it', async () => {
  const calls: { url: string; init: RequestInit }[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    if (url.startsWith('/api/v1/users')) return json(200, { items: [] });
    if (url.includes('/history'))
      return json(200, { items: [{ position: 9, version: 2, type: 'lead.updated.v1', occurredAt: '2026-11-02T03:04:00Z', actor: { id: 'u2', name: '王芳' }, changes: [], data: {}, metadata: {} }] });
    return json(412, { type: 't', title: 'Precondition Failed', status: 412, code: 'version_conflict', currentVersion: 2 });
  });
  renderWith(<LeadForm open lead={lead} onClose={() => {}} />, { s: session(['leads.update']) });
  const user = userEvent.setup();
  const remark = screen.getByLabelText('备注');
  await user.type(remark, '下周回访');
  await user.click(screen.getByRole('button', { name: /保\s*存/ }));
  const dlg = await screen.findByTestId('conflict-dialog');
  expect(dlg.textContent).toContain('王芳');
  expect(dlg.textContent).toContain('版本 2');
  const patch = calls.find((c) => c.init.method === 'PATCH')!;
  expect(JSON.parse(String(patch.init.body))).toEqual({ remark: '下周回访' });
  expect((patch.init.headers as Record<string, string>)['If-Match']).toBe('"1"');
  await waitFor(() => expect(screen.getByRole('button', { name: /重新加载/ })).toBeInTheDocument());
});

test('a 412 that names its author is told without reading the history', async () => {
  const urls: string[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    urls.push(`${init.method ?? 'GET'} ${url}`);
    if (url.startsWith('/api/v1/users')) return json(200, { items: [] });
    return json(412, { type: 't', title: 'Precondition Failed', status: 412, code: 'version_conflict', currentVersion: 5,
      changedBy: { id: 'u3', name: '李娜' }, changedAt: '2026-11-02T03:04:00Z' });
  });
  renderWith(<LeadForm open lead={lead} onClose={() => {}} />, { s: session(['leads.update']) });
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('备注'), '改');
  await user.click(screen.getByRole('button', { name: /保\s*存/ }));
  const dlg = await screen.findByTestId('conflict-dialog');
  expect(dlg.textContent).toContain('李娜');
  expect(dlg.textContent).toContain('版本 5');
  expect(urls.some((u) => u.includes('/history'))).toBe(false);
});
