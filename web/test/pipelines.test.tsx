import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, expect, test, vi } from 'vitest';
import { queryClient } from '../src/Root';
import Pipelines from '../src/pages/Pipelines';
import { json, renderWith, session } from './helpers';

afterEach(() => {
  vi.unstubAllGlobals();
  queryClient.clear();
});

const pipeline = {
  id: '5f0c2f7e-8a41-4b6e-9d3c-0a7e1b2c3d40', name: '默认流程', default: true, disabled: false, version: 4,
  stages: [
    { key: 'qualify', name: '验证客户', nameEn: 'Qualification', probability: 10 },
    { key: 'needs', name: '需求分析', nameEn: 'Needs analysis', probability: 30 },
  ],
};

test('an administrator reorders, disables and adds stages; the revision is sent at the version; stage_removed is explained', async () => {
  const sent: { method: string; url: string; body: unknown; ifMatch: string | null }[] = [];
  vi.stubGlobal('fetch', async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    if (method === 'GET') return json(200, { items: [pipeline], total: 1, totalExact: true, nextCursor: '' });
    sent.push({ method, url, body: JSON.parse(String(init?.body)), ifMatch: new Headers(init?.headers).get('If-Match') });
    return json(422, {
      type: 'about:blank', title: 'Unprocessable', status: 422, code: 'validation_failed', detail: 'invalid',
      errors: [{ field: 'stages', code: 'stage_removed', message: 'the stage "needs" may be disabled but not removed: opportunities may be in it' }],
    });
  });
  renderWith(<Pipelines />, { s: session(['settings.manage']) });
  fireEvent.click(await screen.findByRole('button', { name: '编辑 默认流程' }));
  const dialog = await screen.findByRole('dialog');
  fireEvent.click(within(dialog).getByRole('button', { name: '下移第 1 个阶段' }));
  fireEvent.click(await within(dialog).findByRole('switch', { name: '停用第 1 个阶段' })); // now 需求分析
  fireEvent.click(within(dialog).getByTestId('add-stage'));
  fireEvent.change(await within(dialog).findByLabelText('第 3 个阶段编码'), { target: { value: 'contract' } });
  fireEvent.change(within(dialog).getByLabelText('第 3 个阶段中文名称'), { target: { value: '签约' } });
  fireEvent.click(within(dialog).getByRole('button', { name: /保\s*存/ }));
  await waitFor(() => expect(sent).toHaveLength(1));
  expect(sent[0]).toMatchObject({
    method: 'PUT',
    url: `/api/v1/pipelines/${pipeline.id}`,
    ifMatch: '"4"',
    body: {
      name: '默认流程',
      disabled: false,
      stages: [
        { key: 'needs', name: '需求分析', probability: 30, disabled: true },
        { key: 'qualify', name: '验证客户', probability: 10, disabled: false },
        { key: 'contract', name: '签约', nameEn: '', probability: 50, disabled: false },
      ],
    },
  });
  expect(await within(dialog).findByTestId('stage-removed')).toHaveTextContent('阶段不能删除，只能停用');
  // saved stages have no remove button; the new one does
  expect(within(dialog).queryByRole('button', { name: '移除第 1 个阶段' })).toBeNull();
  expect(within(dialog).getByRole('button', { name: '移除第 3 个阶段' })).toBeInTheDocument();
}, 120000);

test('without settings.manage the pipelines are read-only', async () => {
  vi.stubGlobal('fetch', async () => json(200, { items: [pipeline], total: 1, totalExact: true, nextCursor: '' }));
  renderWith(<Pipelines />, { s: session([]) });
  expect(await screen.findByText(/1\. 验证客户 · 10%/)).toBeInTheDocument();
  expect(screen.queryByRole('button', { name: '编辑 默认流程' })).toBeNull();
  expect(screen.queryByTestId('new-pipeline')).toBeNull();
}, 120000);
