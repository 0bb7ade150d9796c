import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, test, vi } from 'vitest';
import { ProductForm } from '../src/pages/ProductForm';
import Products from '../src/pages/Products';
import { queryClient } from '../src/Root';
import { json, renderWith, session } from './helpers';

afterEach(() => {
  vi.unstubAllGlobals();
  queryClient.clear();
}, 60_000);

const tree = {
  version: 4,
  categories: [
    { id: 'c-hw', name: '硬件', parentId: '', path: '硬件', productCount: 1, totalCount: 3, children: [
      { id: 'c-srv', name: '服务器', parentId: 'c-hw', path: '硬件/服务器', productCount: 2, totalCount: 2, children: [] },
    ] },
    { id: 'c-sw', name: '软件', parentId: '', path: '软件', productCount: 0, totalCount: 0, children: [] },
  ],
};
const units = {
  kind: 'product_unit', levels: 1, version: 0, items: [
    { code: 'piece', labels: { 'zh-CN': '个', en: 'piece' }, enabled: true },
    { code: 'unit', labels: { 'zh-CN': '台', en: 'unit' }, enabled: true },
  ],
};
const server = {
  id: 'p1', name: '机架式服务器', code: 'SRV-2U', categoryId: 'c-srv', categoryPath: '硬件/服务器', unit: 'unit', productionDate: '2025-01-15',
  cost: '0.10', price: '23999.50', description: '', status: 'on_sale' as const, createdBy: 'u1', createdAt: '2026-11-01T00:00:00Z',
  updatedAt: '2026-11-01T00:00:00Z', version: 3,
};

type Sent = { method: string; url: string; body: Record<string, unknown> | undefined; ifMatch: string | null };

function serve(onWrite: (s: Sent) => Response) {
  const sent: Sent[] = [];
  const gets: string[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    if (method === 'GET') {
      gets.push(url);
      if (url.startsWith('/api/v1/product-categories')) return json(200, tree);
      if (url.startsWith('/api/v1/dictionaries/product_unit')) return json(200, units);
      if (url.startsWith('/api/v1/products')) return json(200, { items: [server], total: 1, totalExact: true, nextCursor: '' });
      return json(200, { items: [] });
    }
    const s = { method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined, ifMatch: new Headers(init?.headers).get('If-Match') };
    sent.push(s);
    return onWrite(s);
  });
  return { sent, gets };
}

test('a new product sends its amounts as strings; a 422 on price shows on the price field', async () => {
  const { sent } = serve(() =>
    json(422, { type: 't', title: 'Unprocessable', status: 422, code: 'validation_failed', errors: [{ field: 'price', code: 'decimal_out_of_range', message: 'price: out of range' }] }),
  );
  renderWith(<ProductForm open categoryId="c-srv" onClose={() => {}} />, { s: session(['products.manage']) });
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('产品名称'), '塔式服务器');
  await user.type(screen.getByLabelText('产品编码'), 'SRV-T1');
  await user.type(screen.getByLabelText('生产成本'), '0.10');
  await user.type(screen.getByLabelText('建议零售价'), '1200.50');
  await user.click(screen.getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0].url).toBe('/api/v1/products');
  expect(sent[0].body).toEqual({ name: '塔式服务器', code: 'SRV-T1', categoryId: 'c-srv', cost: '0.10', price: '1200.50', status: 'on_sale' });
  expect(typeof sent[0].body!.price).toBe('string');
  // The server's error is on the price field, in the page's language.
  const price = screen.getByLabelText('建议零售价');
  const item = price.closest('.ant-form-item') as HTMLElement;
  await waitFor(() => expect(within(item).getByText('金额超出范围')).toBeInTheDocument());
  expect(within(screen.getByLabelText('产品名称').closest('.ant-form-item') as HTMLElement).queryByRole('alert')).toBeNull();
}, 60_000);

test('more than two decimals is refused in the form before anything is sent', async () => {
  const { sent } = serve(() => json(201, server));
  renderWith(<ProductForm open categoryId="c-srv" onClose={() => {}} />, { s: session(['products.manage']) });
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('产品名称'), '塔式服务器');
  await user.type(screen.getByLabelText('产品编码'), 'SRV-T1');
  await user.type(screen.getByLabelText('建议零售价'), '1.005');
  await user.click(screen.getByRole('button', { name: /保\s*存/ }));
  expect(await screen.findByText('请输入金额，最多两位小数，如 1200.50')).toBeInTheDocument();
  expect(sent).toHaveLength(0);
}, 60_000);

test('an edit shows the unit in the page language and sends only the changed price, as a string, with If-Match', async () => {
  const { sent } = serve(() => json(200, { ...server, price: '25999.00', version: 4 }, { ETag: '"4"', 'X-Chronicle-Position': '12' }));
  renderWith(<ProductForm open product={server} onClose={() => {}} />, { s: session(['products.manage']) });
  const user = userEvent.setup();
  const form = await screen.findByTestId('product-form');
  await waitFor(() => expect(within(form).getByText('台')).toBeInTheDocument());
  const price = screen.getByLabelText('建议零售价');
  expect(price).toHaveValue('23999.50');
  await user.clear(price);
  await user.type(price, '25999.00');
  await user.click(screen.getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toMatchObject({ method: 'PATCH', url: '/api/v1/products/p1', body: { price: '25999.00' }, ifMatch: '"3"' });
}, 60_000);

test('the catalogue shows the tree with counts and exact prices; a category narrows the list to its subtree', async () => {
  const { gets } = serve(() => json(200, tree));
  renderWith(<Products />, { path: '/products', route: '/products', s: session(['products.manage']) });
  const user = userEvent.setup();
  const panel = await screen.findByTestId('category-panel');
  await waitFor(() => expect(within(panel).getByTestId('category-硬件').textContent).toContain('(3)'));
  expect(await screen.findByText('¥23999.50')).toBeInTheDocument();
  expect(screen.getByText('硬件/服务器')).toBeInTheDocument();
  await user.click(within(panel).getByText('服务器'));
  await waitFor(() => expect(gets.some((u) => u.startsWith('/api/v1/products?') && u.includes('categoryId=c-srv'))).toBe(true));
  expect(screen.getByRole('button', { name: /添加子分类/ })).toBeInTheDocument();
  await user.type(screen.getByLabelText('搜索产品'), '服务{Enter}');
  await waitFor(() => expect(gets.some((u) => u.includes('q=%E6%9C%8D%E5%8A%A1') && u.includes('categoryId=c-srv'))).toBe(true));
}, 60_000);

test('a user without products.manage reads the catalogue but gets no write buttons', async () => {
  serve(() => json(403, {}));
  renderWith(<Products />, { path: '/products', route: '/products', s: session([]) });
  expect(await screen.findByText('¥23999.50')).toBeInTheDocument();
  expect(screen.queryByRole('button', { name: /新建产品/ })).toBeNull();
  expect(screen.queryByRole('button', { name: /导\s*出/ })).toBeNull();
  expect(screen.queryByTestId('category-add')).toBeNull();
}, 60_000);
