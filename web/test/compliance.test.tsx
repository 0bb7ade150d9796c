import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, test, vi } from 'vitest';
import Compliance, { fmtBytes } from '../src/pages/Compliance';
import { queryClient } from '../src/Root';
import { json, renderWith, session } from './helpers';

afterEach(() => {
  vi.unstubAllGlobals();
  queryClient.clear();
});

const hash = 'ab'.repeat(32);
const anchor = (position: number, time: string) => ({ position, events: position - 2, hash, time, fingerprint: 'SHA256:0123456789abcdef0123456789abcdef', signed: true });
const chainBefore = {
  head: 120, sealedPosition: 118, sealedEvents: 116, sealedHash: hash, pendingEvents: 18, anchorPosition: 100, anchoredAt: '2026-11-30T02:00:00Z',
  anchorRequested: false, keyFingerprint: 'SHA256:0123456789abcdef0123456789abcdef', anchorFiles: 2, badAnchorFiles: 0,
  anchors: [anchor(100, '2026-11-30T02:00:00Z'), anchor(42, '2026-11-29T02:00:00Z')],
};
const chainAfter = { ...chainBefore, head: 121, sealedPosition: 120, sealedEvents: 118, pendingEvents: 0, anchorPosition: 120, anchoredAt: '2026-11-30T09:00:00Z', anchorFiles: 3, anchors: [anchor(120, '2026-11-30T09:00:00Z'), ...chainBefore.anchors] };
const badReport = {
  ok: false, from: 1, events: 121, sealed: 120, unsealed: 1, head: 121, sealedHead: 120, chainHead: hash, anchors: 3, skipped: 0,
  divergences: [
    { kind: 'changed', position: 37, detail: 'the event at position 37 does not hash to its recorded chain value' },
    { kind: 'anchor-mismatch', position: 42, detail: 'the anchor of position 42 does not match the recomputed chain' },
  ],
  more: 0, startedAt: '2026-11-30T09:01:00Z', tookMs: 12,
};
const backups = {
  managed: true, eventStore: 'sqlite', readModels: 'sqlite', settings: { schedule: '02:00', dir: '/var/lib/chronicle/backups', keep: 7 },
  items: [
    { name: 'chronicle-backup-20261130T020000Z', createdAt: '2026-11-30T02:00:00Z', version: '1.4.0', head: 118, events: 116, bytes: 3 * 1024 * 1024, slot: '2026-11-30T02:00:00+08:00', ok: true },
    { name: 'chronicle-backup-20261129T020000Z', createdAt: '2026-11-29T02:00:00Z', version: '1.4.0', head: 90, events: 88, bytes: 2048, ok: false, problem: 'backup chronicle-backup-20261129T020000Z: events.db has 10 bytes; the manifest says 2048' },
  ],
};

type Sent = { method: string; url: string; body: unknown };

function serve({ report = badReport }: { report?: unknown } = {}) {
  const sent: Sent[] = [];
  let anchored = false;
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    if (method !== 'GET') sent.push({ method, url, body: init?.body ? JSON.parse(String(init.body)) : undefined });
    if (url === '/api/v1/audit/chain') return json(200, anchored ? chainAfter : chainBefore);
    if (url === '/api/v1/audit/anchors') {
      anchored = true;
      return json(200, chainAfter);
    }
    if (url === '/api/v1/audit/verify') return json(200, report);
    if (url === '/api/v1/backups') return json(200, backups);
    if (url.startsWith('/api/v1/backups/') && url.endsWith('/check')) {
      return json(200, { ...backups.items[0], ok: false, problem: 'readmodels.db does not match its manifest', checkedAt: '2026-11-30T09:02:00Z', tookMs: 30 });
    }
    return json(404, { type: 'about:blank', title: 'Not Found', status: 404, code: 'not_found' });
  });
  return sent;
}

const admin = () => session(['audit.read', 'settings.manage'], true);

test('sizes read as people read them', () => {
  expect(fmtBytes(512)).toBe('512 B');
  expect(fmtBytes(2048)).toBe('2.0 KiB');
  expect(fmtBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
});

test('the chain state and the anchors are shown', async () => {
  serve();
  renderWith(<Compliance />, { path: '/compliance', route: '/compliance', s: admin() });
  expect(await screen.findByTestId('sealed-head')).toHaveTextContent('位置 118（共 116 个事件；日志末尾 120）');
  expect(screen.getByTestId('last-anchor')).toHaveTextContent('位置 100');
  expect(screen.getByTestId('key-fingerprint')).toHaveTextContent('SHA256:0123456789abcdef0123456789abcdef');
  const table = screen.getByTestId('anchors');
  expect(within(table).getByText('100')).toBeInTheDocument();
  expect(within(table).getByText('42')).toBeInTheDocument();
  expect(within(table).getAllByText('有效')).toHaveLength(2);
});

test('verify shows the divergences of the report in red', async () => {
  const sent = serve();
  const user = userEvent.setup();
  renderWith(<Compliance />, { path: '/compliance', route: '/compliance', s: admin() });
  await user.click(await screen.findByTestId('verify-log'));
  const failed = await screen.findByTestId('verify-failed');
  expect(sent).toEqual([{ method: 'POST', url: '/api/v1/audit/verify', body: undefined }]);
  expect(within(failed).getByText('校验失败：发现 2 处不一致')).toBeInTheDocument();
  const rows = within(screen.getByTestId('divergences'));
  expect(rows.getByText('事件被修改')).toBeInTheDocument();
  expect(rows.getByText('与锚点不符')).toBeInTheDocument();
  expect(rows.getByText('37')).toBeInTheDocument();
  expect(rows.getByText(/does not hash to its recorded chain value/)).toBeInTheDocument();
  expect(screen.queryByTestId('verify-ok')).toBeNull();
});

test('verify of an untouched log says so in green', async () => {
  serve({ report: { ...badReport, ok: true, divergences: [] } });
  const user = userEvent.setup();
  renderWith(<Compliance />, { path: '/compliance', route: '/compliance', s: admin() });
  await user.click(await screen.findByTestId('verify-log'));
  expect(await screen.findByTestId('verify-ok')).toHaveTextContent('校验通过');
  expect(screen.queryByTestId('divergences')).toBeNull();
});

test('anchor now posts and the page shows the new anchor', async () => {
  const sent = serve();
  const user = userEvent.setup();
  renderWith(<Compliance />, { path: '/compliance', route: '/compliance', s: admin() });
  expect(await screen.findByTestId('last-anchor')).toHaveTextContent('位置 100');
  await user.click(screen.getByTestId('anchor-now'));
  await waitFor(() => expect(screen.getByTestId('last-anchor')).toHaveTextContent('位置 120'));
  expect(sent).toEqual([{ method: 'POST', url: '/api/v1/audit/anchors', body: undefined }]);
  expect(within(screen.getByTestId('anchors')).getByText('120')).toBeInTheDocument();
});

test('the backups are listed with the settings, and Check calls the endpoint', async () => {
  const sent = serve();
  const user = userEvent.setup();
  renderWith(<Compliance />, { path: '/compliance', route: '/compliance', s: admin() });
  const table = await screen.findByTestId('backups');
  expect(within(table).getByText('chronicle-backup-20261130T020000Z')).toBeInTheDocument();
  expect(within(table).getByText('3.0 MiB')).toBeInTheDocument();
  expect(within(table).getByText('文件齐全')).toBeInTheDocument();
  expect(within(table).getByText(/the manifest says 2048/)).toBeInTheDocument();
  const settings = screen.getByTestId('backup-settings');
  expect(settings).toHaveTextContent('每天 02:00');
  expect(settings).toHaveTextContent('/var/lib/chronicle/backups');
  expect(screen.getByText(/CHRONICLE_BACKUP_SCHEDULE/)).toBeInTheDocument();

  await user.click(screen.getByTestId('check-chronicle-backup-20261130T020000Z'));
  const checked = await screen.findByTestId('checked-chronicle-backup-20261130T020000Z');
  expect(sent).toEqual([{ method: 'POST', url: '/api/v1/backups/chronicle-backup-20261130T020000Z/check', body: undefined }]);
  expect(checked).toHaveTextContent('哈希不符');
  expect(checked).toHaveTextContent('readmodels.db does not match its manifest');
});

test('on PostgreSQL the page says Chronicle takes no backups', async () => {
  serve();
  vi.stubGlobal('fetch', async (url: string) =>
    url === '/api/v1/backups'
      ? json(200, { ...backups, managed: false, eventStore: 'postgres', readModels: 'postgres', items: [] })
      : json(200, chainBefore),
  );
  renderWith(<Compliance />, { path: '/compliance', route: '/compliance', s: admin() });
  expect(await screen.findByTestId('backups-unmanaged')).toHaveTextContent('Chronicle 不负责其备份');
});

test('a reader with audit.read only sees the chain, without the actions or the backups', async () => {
  serve();
  renderWith(<Compliance />, { path: '/compliance', route: '/compliance', s: session(['audit.read']) });
  await screen.findByTestId('sealed-head');
  expect(screen.queryByTestId('anchor-now')).toBeNull();
  expect(screen.queryByTestId('verify-log')).toBeNull();
  expect(screen.queryByTestId('backups-card')).toBeNull();
});
