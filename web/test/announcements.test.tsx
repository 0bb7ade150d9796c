import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { Providers, queryClient } from '../src/Root';
import type { Announcement } from '../src/api/announcements';
import { Markdown, safeHref } from '../src/components/Markdown';
import Announcements from '../src/pages/Announcements';
import { notificationText, subjectPath } from '../src/pages/notifyCommon';
import { SessionContext, type SessionInfo } from '../src/session';
import { setUserZone } from '../src/util';
import { json, session } from './helpers';

beforeEach(() => setUserZone('Asia/Shanghai'));
afterEach(() => {
  vi.unstubAllGlobals();
  queryClient.clear();
  setUserZone(null);
});

const ann = (over: Partial<Announcement> = {}): Announcement => ({
  id: 'a1', title: '春节放假通知', body: '**放假**九天', audience: { everyone: true, departments: [] }, pinned: false, expiresAt: null, expired: false,
  publisherId: 'u2', publisherName: '李经理', publishedAt: '2027-01-20T02:00:00Z', updatedAt: '2027-01-20T02:00:00Z', version: 1,
  read: false, readAt: null, ...over,
});

type Sent = { method: string; url: string; body: Record<string, unknown> | undefined; ifMatch: string | null };

function serve(o: { list?: Announcement[]; one?: Announcement; unread?: number } = {}) {
  const sent: Sent[] = [];
  const gets: string[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const path = url.split('?')[0];
    if (method === 'GET') {
      gets.push(url);
      if (path === '/api/v1/announcements') return json(200, { items: (o.list ?? []).map(({ body: _b, ...s }) => s), nextCursor: '', total: (o.list ?? []).length, totalExact: true });
      if (path === '/api/v1/announcements/unread-count') return json(200, { count: o.unread ?? 0, exact: true });
      if (path === '/api/v1/departments') return json(200, { items: [{ id: 'd1', name: '华北销售部', disabled: false }, { id: 'd2', name: '财务部', disabled: false }], total: 2, totalExact: true });
      if (path.endsWith('/receipts')) return json(200, { items: [{ userId: 'u3', userName: '王芳', at: '2027-01-20T03:00:00Z' }], nextCursor: '', audience: 5, read: 1, unread: 4 });
      if (path.startsWith('/api/v1/announcements/') && o.one) return json(200, o.one, { ETag: `"${o.one.version}"` });
      return json(404, { code: 'not_found', title: 'not found', status: 404 });
    }
    const s = { method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined, ifMatch: new Headers(init?.headers).get('If-Match') };
    sent.push(s);
    if (url.endsWith('/read')) return json(200, { ...(o.one ?? ann()), read: true, readAt: '2027-01-21T00:00:00Z' }, { ETag: '"1"', 'X-Chronicle-Position': '9' });
    return json(url === '/api/v1/announcements' ? 201 : 200, ann({ id: 'a9' }), { ETag: '"1"', 'X-Chronicle-Position': '9' });
  });
  return { sent, gets };
}

function mount(route: string, s: SessionInfo) {
  return render(
    <Providers lang="zh-CN">
      <MemoryRouter initialEntries={[route]}>
        <SessionContext.Provider value={s}>
          <Routes>
            <Route path="/announcements" element={<Announcements />} />
            <Route path="/announcements/:id" element={<Announcements />} />
          </Routes>
        </SessionContext.Provider>
      </MemoryRouter>
    </Providers>,
  );
}

test('the list: pinned tag, unread in bold with a badge, the expiry, the unread count; search and unread only are sent', async () => {
  const { gets } = serve({
    list: [ann({ id: 'a2', title: '季度会议', pinned: true, read: true, readAt: '2027-01-20T03:00:00Z', expiresAt: '2027-02-01T10:00:00Z' }), ann()],
    unread: 1,
  });
  mount('/announcements', session());
  const rows = await screen.findAllByTestId('announcement-row');
  expect(rows).toHaveLength(2);
  expect(within(rows[0]).getByText('置顶')).toBeInTheDocument();
  expect(within(rows[0]).getByText('季度会议')).toHaveStyle({ fontWeight: 'normal' });
  expect(within(rows[0]).getByText(/有效期至/)).toHaveTextContent('2027-02-01 18:00');
  expect(within(rows[1]).getByText('春节放假通知')).toHaveStyle({ fontWeight: 'bold' });
  expect(within(rows[1]).getByLabelText('未读')).toBeInTheDocument();
  expect(within(rows[1]).queryByText('置顶')).toBeNull();
  expect(await screen.findByTestId('announcements-unread')).toHaveTextContent('1 条未读');
  // a reader (no announcements.publish) neither publishes nor chooses the view
  expect(screen.queryByRole('button', { name: /发布公告/ })).toBeNull();
  fireEvent.change(screen.getByRole('searchbox', { name: '搜索标题' }), { target: { value: '放假' } });
  fireEvent.keyDown(screen.getByRole('searchbox', { name: '搜索标题' }), { key: 'Enter', code: 'Enter' });
  await waitFor(() => expect(gets.some((u) => u.startsWith('/api/v1/announcements?') && u.includes('q=%E6%94%BE%E5%81%87'))).toBe(true));
  fireEvent.click(screen.getByRole('switch', { name: '只看未读' }));
  await waitFor(() => expect(gets.some((u) => u.includes('unread=true'))).toBe(true));
});

test('the publish form: title, body and departments are required (nothing is sent); a valid one is posted with its audience', async () => {
  const { sent } = serve();
  mount('/announcements', session(['announcements.publish']));
  fireEvent.click(await screen.findByRole('button', { name: /发布公告/ }));
  const dialog = await screen.findByRole('dialog');
  fireEvent.click(within(dialog).getByRole('button', { name: /发\s*布/ }));
  expect(await within(dialog).findByText('请填写标题')).toBeInTheDocument();
  expect(within(dialog).getByText('请填写正文')).toBeInTheDocument();
  fireEvent.change(within(dialog).getByLabelText('标题'), { target: { value: '销售中心季度会议' } });
  fireEvent.change(within(dialog).getByLabelText('正文（支持 Markdown）'), { target: { value: '**周五** 下午三点' } });
  fireEvent.click(within(dialog).getByRole('radio', { name: '指定部门（含下级部门）' }));
  const picker = await within(dialog).findByRole('combobox', { name: '部门' });
  fireEvent.click(within(dialog).getByRole('button', { name: /发\s*布/ }));
  expect(await within(dialog).findByText('请选择至少一个部门')).toBeInTheDocument();
  await waitFor(() => expect(within(dialog).queryByText('请填写标题')).toBeNull());
  expect(sent).toHaveLength(0);
  // choose 华北销售部
  fireEvent.mouseDown(picker);
  fireEvent.click(await screen.findByTitle('华北销售部'));
  fireEvent.click(within(dialog).getByRole('button', { name: /发\s*布/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toMatchObject({ method: 'POST', url: '/api/v1/announcements',
    body: { title: '销售中心季度会议', body: '**周五** 下午三点', pinned: false, audience: { everyone: false, departments: ['d1'] } } });
});

test('opening an unread announcement renders its Markdown and marks it read once; a read one is not marked again; publishers see the receipts', async () => {
  const { sent } = serve({ one: ann({ body: '# 安排\n\n**2月14日**起放假\n\n- 值班见[排班表](https://intranet.example.com/duty)' }) });
  const view = mount('/announcements/a1', session());
  const md = await screen.findByTestId('markdown');
  expect(within(md).getByRole('heading', { name: '安排' })).toBeInTheDocument();
  expect(within(md).getByText('2月14日').tagName).toBe('STRONG');
  expect(within(md).getByRole('link', { name: '排班表' })).toHaveAttribute('href', 'https://intranet.example.com/duty');
  await waitFor(() => expect(sent.filter((s) => s.url === '/api/v1/announcements/a1/read')).toHaveLength(1));
  await new Promise((r) => setTimeout(r, 50));
  expect(sent.filter((s) => s.url.endsWith('/read'))).toHaveLength(1);
  view.unmount();
  queryClient.clear();

  const again = serve({ one: ann({ read: true, readAt: '2027-01-20T03:00:00Z' }) });
  mount('/announcements/a1', session(['announcements.publish']));
  await screen.findByTestId('markdown');
  fireEvent.click(screen.getByRole('tab', { name: '阅读情况' }));
  expect(await screen.findByTestId('receipt-counts')).toHaveTextContent('发送对象 5 人已读 1 人未读 4 人');
  expect(screen.getByText('王芳')).toBeInTheDocument();
  expect(again.sent.filter((s) => s.url.endsWith('/read'))).toHaveLength(0);
});

test('Markdown renders inert: no script, no img with onerror, no javascript: link; raw HTML is text', () => {
  const evil = [
    '<script>window.pwned = true</script>',
    '<img src=x onerror="window.pwned = true">',
    '[点我](javascript:alert(1)) and [data](data:text/html,<b>x</b>) and [ok](mailto:hr@example.com)',
    '**<b onclick="x()">粗</b>**',
    '```\n<script>alert(1)</script>\n```',
  ].join('\n\n');
  const { container } = render(<Markdown source={evil} />);
  expect(container.querySelector('script')).toBeNull();
  expect(container.querySelector('img')).toBeNull();
  expect(container.querySelector('b')).toBeNull();
  expect(container.querySelector('[onerror], [onclick]')).toBeNull();
  expect(container.textContent).toContain('<script>window.pwned = true</script>');
  expect(container.textContent).toContain('<img src=x onerror="window.pwned = true">');
  const links = [...container.querySelectorAll('a')];
  expect(links.map((a) => a.getAttribute('href'))).toEqual(['mailto:hr@example.com']);
  expect(screen.getByText('点我').closest('a')).toBeNull();
  expect(container.querySelector('pre code')?.textContent).toBe('<script>alert(1)</script>');
  expect((window as unknown as { pwned?: boolean }).pwned).toBeUndefined();
  for (const bad of ['javascript:alert(1)', ' JaVaScRiPt:alert(1)', 'vbscript:x', 'data:text/html,x', '/relative', 'https://a b']) expect(safeHref(bad)).toBeNull();
  expect(safeHref('https://example.com/a?b=1')).toBe('https://example.com/a?b=1');
});

test('the bell words a new announcement in both languages and leads to it', () => {
  const n = { id: 'n1', kind: 'announcement_published', subjectKind: 'announcement', subjectId: 'a1', title: '春节放假通知', detail: '', actorId: 'u2',
    actorName: '李经理', at: '2027-01-20T02:00:00Z', read: false, position: '9' } as const;
  expect(notificationText(n, 'zh-CN')).toBe('李经理 发布了公告「春节放假通知」');
  expect(notificationText(n, 'en')).toBe('李经理 published the announcement "春节放假通知"');
  expect(subjectPath(n)).toBe('/announcements/a1');
});
