import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, test, vi } from 'vitest';
import Dictionaries, { itemLabel } from '../src/pages/Dictionaries';
import { queryClient } from '../src/Root';
import { json, renderWith, session } from './helpers';

afterEach(() => {
  vi.unstubAllGlobals();
  queryClient.clear();
});

const sources = {
  kind: 'lead_source', levels: 1, version: 3, items: [
    { code: 'web', labels: { 'zh-CN': '官网咨询', en: 'Website' }, enabled: true },
    { code: 'exhibition', labels: { 'zh-CN': '展会', en: '' }, enabled: false },
    { code: 'referral', labels: { 'zh-CN': '客户转介绍', en: 'Referral' }, enabled: true },
  ],
};
const industries = {
  kind: 'industry', levels: 2, version: 0, items: [
    { code: 'internet', labels: { 'zh-CN': '互联网', en: 'Internet' }, enabled: true },
    { code: 'internet.software', parent: 'internet', labels: { 'zh-CN': '软件', en: 'Software' }, enabled: true },
  ],
};

type Sent = { method: string; url: string; body: unknown; ifMatch: string | null };

function serveLists() {
  const sent: Sent[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    if (method === 'GET') return json(200, { items: [sources, industries], total: 2, totalExact: true, nextCursor: '' });
    const headers = new Headers(init?.headers);
    sent.push({ method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined, ifMatch: headers.get('If-Match') });
    if (url.endsWith('/items') && (JSON.parse(String(init?.body)) as { code: string }).code === 'web') {
      return json(409, { type: 'about:blank', title: 'Conflict', status: 409, code: 'duplicate_code', detail: 'an item with this code exists in the list' });
    }
    return json(200, sources, { ETag: '"4"', 'X-Chronicle-Position': '9' });
  });
  return sent;
}

test('labels fall back to Chinese when the English one is empty', () => {
  expect(itemLabel(sources.items[1], 'en')).toBe('展会');
  expect(itemLabel(sources.items[0], 'en')).toBe('Website');
  expect(itemLabel(sources.items[0], 'zh-CN')).toBe('官网咨询');
});

test('an administrator disables, reorders, renames and adds items, each at the list version', async () => {
  const sent = serveLists();
  const user = userEvent.setup();
  renderWith(<Dictionaries />, { path: '/org/dictionaries', route: '/org/dictionaries', s: session(['settings.manage']) });
  const table = await screen.findByTestId('dict-items');
  expect(within(table).getByText('官网咨询', { selector: 'span' })).toBeInTheDocument();
  expect(within(table).getByText('已停用')).toBeInTheDocument();

  await user.click(screen.getByRole('switch', { name: '启用 官网咨询' }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toMatchObject({ method: 'POST', url: '/api/v1/dictionaries/lead_source/items/web/disable', ifMatch: '"3"' });

  await user.click(screen.getByRole('button', { name: '下移 官网咨询' }));
  await waitFor(() => expect(sent).toHaveLength(2));
  expect(sent[1]).toMatchObject({ method: 'PUT', url: '/api/v1/dictionaries/lead_source/order', body: { parent: '', codes: ['exhibition', 'web', 'referral'] } });
  expect(screen.getByRole('button', { name: '上移 官网咨询' })).toBeDisabled();

  await user.click(within(table).getAllByRole('button', { name: /改\s*名/ })[2]);
  const dialog = await screen.findByRole('dialog');
  const zh = within(dialog).getByLabelText('中文名称');
  await user.clear(zh);
  await user.type(zh, '转介绍');
  await user.click(within(dialog).getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(3));
  expect(sent[2]).toMatchObject({ method: 'PATCH', url: '/api/v1/dictionaries/lead_source/items/referral', body: { labels: { 'zh-CN': '转介绍', en: 'Referral' } }, ifMatch: '"3"' });

  // A code already in the list: the server's 409 is shown, the dialog stays open.
  await user.click(screen.getByTestId('dict-add'));
  const add = await screen.findByRole('dialog', { name: '添加选项' });
  await user.type(within(add).getByLabelText('编码'), 'web');
  await user.type(within(add).getByLabelText('中文名称'), '官网');
  await user.click(within(add).getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(4));
  expect(sent[3]).toMatchObject({ method: 'POST', url: '/api/v1/dictionaries/lead_source/items', body: { code: 'web', parent: '', labels: { 'zh-CN': '官网', en: '' } } });
  expect(await screen.findByText(/exists in the list/)).toBeInTheDocument();
  expect(screen.getByRole('dialog', { name: '添加选项' })).toBeInTheDocument();
}, 120000);

test('industries: branches are indented under their sector and a new item may name its sector', async () => {
  const sent = serveLists();
  const user = userEvent.setup();
  renderWith(<Dictionaries />, { path: '/org/dictionaries', route: '/org/dictionaries', s: session(['settings.manage']) });
  await user.click(await screen.findByRole('tab', { name: '行业' }));
  const branch = await screen.findByText('软件', { selector: 'span' });
  expect(branch).toHaveStyle({ paddingLeft: '24px' });
  await user.click(screen.getByTestId('dict-add'));
  expect(await screen.findByLabelText('上级')).toBeInTheDocument();
  const add = screen.getByRole('dialog', { name: '添加选项' });
  await user.type(within(add).getByLabelText('编码'), 'agriculture');
  await user.type(within(add).getByLabelText('中文名称'), '农业');
  await user.click(within(add).getByRole('button', { name: /保\s*存/ }));
  // The list is still at its built-in items (version 0): no version to match is sent.
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toMatchObject({ method: 'POST', url: '/api/v1/dictionaries/industry/items', ifMatch: null });
});

test('without settings.manage the lists are read-only', async () => {
  serveLists();
  renderWith(<Dictionaries />, { path: '/org/dictionaries', route: '/org/dictionaries', s: session([]) });
  await screen.findByTestId('dict-items');
  expect(screen.queryByTestId('dict-add')).toBeNull();
  expect(screen.getByRole('switch', { name: '启用 官网咨询' })).toBeDisabled();
  expect(screen.queryByRole('button', { name: /改\s*名/ })).toBeNull();
});
