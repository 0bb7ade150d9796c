import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, test, vi } from 'vitest';
import Leads from '../src/pages/Leads';
import { LeadForm } from '../src/pages/LeadForm';
import { dictionariesFixture, json, renderWith, session } from './helpers';

afterEach(() => vi.unstubAllGlobals());

const base = {
  company: '', phone: '', mobile: '', email: '', industry: '', level: '', address: '', remark: '', nextFollowUpAt: null, status: 'new' as const,
  ownerId: 'u1', ownerName: '张伟', inPool: false, createdBy: 'u1', createdAt: '2026-11-01T00:00:00Z', updatedAt: '2026-11-01T00:00:00Z', version: 1,
};
const coded = { ...base, id: 'l1', name: '编码线索', source: 'web', industry: 'manufacturing.machinery', level: 'A' };
const legacy = { ...base, id: 'l2', name: '旧线索', source: '网站', industry: '机械制造', level: '重要' };

function stub(calls: { url: string; init?: RequestInit }[] = []) {
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    if (url.startsWith('/api/v1/dictionaries')) return json(200, dictionariesFixture());
    if (url.startsWith('/api/v1/users')) return json(200, { items: [] });
    if (url.startsWith('/api/v1/settings')) return json(200, { leadClaimCap: 100, customerPool: {}, customerFields: [] });
    if (init?.method === 'PATCH') return json(200, { id: 'l2', version: 2 });
    if (url.startsWith('/api/v1/leads')) return json(200, { items: [coded, legacy], total: 2, totalExact: true });
    return json(200, { items: [], total: 0, totalExact: true });
  });
}

test('the lead list shows a code as its label and a legacy free-text value as stored', async () => {
  stub();
  renderWith(<Leads pool={false} />, { path: '/leads', route: '/leads', s: session(['leads.read']) });
  expect(await screen.findByText('官网咨询')).toBeInTheDocument(); // source "web"
  expect(screen.queryByText('web')).toBeNull();
  expect(screen.getByText('网站')).toBeInTheDocument(); // stored before the dictionary: as it is
});

test('the lead form picks coded fields from the dictionary; a legacy value shows as stored and an edit of another field leaves it', async () => {
  const calls: { url: string; init?: RequestInit }[] = [];
  stub(calls);
  const { unmount } = renderWith(<LeadForm open lead={coded} onClose={() => {}} />, { s: session(['leads.update']) });
  // a code shows its label in the page's language
  expect(await screen.findByText('官网咨询')).toBeInTheDocument();
  expect(screen.getByText('机械设备')).toBeInTheDocument();
  expect(screen.getByText('A（重点客户）')).toBeInTheDocument();
  unmount();

  renderWith(<LeadForm open lead={legacy} onClose={() => {}} />, { s: session(['leads.update']) });
  expect(await screen.findByText(/^网站/)).toBeInTheDocument();
  expect(screen.getByText(/^机械制造/)).toBeInTheDocument();
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('备注'), '回访');
  await user.click(screen.getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(calls.some((c) => c.init?.method === 'PATCH')).toBe(true));
  const patch = calls.find((c) => c.init?.method === 'PATCH')!;
  expect(JSON.parse(String(patch.init!.body))).toEqual({ remark: '回访' });
});

test('a new lead is offered the enabled items only; the chosen label is sent as its code', async () => {
  const calls: { url: string; init?: RequestInit }[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    if (url.startsWith('/api/v1/dictionaries')) return json(200, dictionariesFixture());
    if (url.startsWith('/api/v1/users')) return json(200, { items: [] });
    return json(201, { id: 'l9', version: 1 });
  });
  renderWith(<LeadForm open onClose={() => {}} />, { s: session(['leads.create']) });
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('姓名'), '新线索');
  await user.click(screen.getByLabelText('来源'));
  expect(await screen.findByTitle('客户转介绍')).toBeInTheDocument();
  expect(screen.queryByTitle('展会')).toBeNull(); // disabled: not offered
  await user.click(screen.getByTitle('客户转介绍'));
  await user.click(screen.getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(calls.some((c) => c.init?.method === 'POST')).toBe(true));
  const post = calls.find((c) => c.init?.method === 'POST')!;
  expect(JSON.parse(String(post.init!.body))).toMatchObject({ name: '新线索', source: 'referral' });
});
