import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, test, vi } from 'vitest';
import { EraseDialog, Erasable, ERASED } from '../src/components/privacy';
import { ContactValue } from '../src/components/reveal';
import { json, renderWith, session } from './helpers';

afterEach(() => vi.unstubAllGlobals());

test('the confirmation names the fields that will be lost, asks for a reason, then erases', async () => {
  const calls: { url: string; init: RequestInit }[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return json(201, {
      subject: { kind: 'lead', id: 'l1' }, reason: '本人申请删除', by: { id: 'u1', name: 'admin' }, at: '2026-12-01T08:00:00Z', position: 9,
      fields: ['name', 'mobile', 'email'], keyDestroyed: true,
    });
  });
  const closed = vi.fn();
  renderWith(
    <EraseDialog open kind="lead" id="l1" name="王小明" record={{ name: '王小明', phone: '', mobile: '13800138000', email: 'w@example.com', address: ERASED }} onClose={closed} />,
    { s: session(['privacy.erase'], true) },
  );
  expect(await screen.findByText(/将永久删除“王小明”的以下个人信息/)).toBeInTheDocument();
  // the fields the record holds: not the empty phone, not the address erased already
  const list = screen.getByTestId('erase-fields');
  expect([...list.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['姓名', '手机', '邮箱']);

  const user = userEvent.setup();
  await user.click(screen.getByTestId('erase-confirm'));
  expect(await screen.findByText('请填写原因')).toBeInTheDocument();
  expect(calls).toHaveLength(0); // nothing is sent without a reason

  await user.type(screen.getByTestId('erase-reason'), '本人申请删除');
  await user.click(screen.getByTestId('erase-confirm'));
  await waitFor(() => expect(closed).toHaveBeenCalled());
  const post = calls.find((c) => c.init?.method === 'POST');
  expect(post?.url).toBe('/api/v1/privacy/erasures');
  expect(JSON.parse(String(post?.init.body))).toEqual({ subject: { kind: 'lead', id: 'l1' }, reason: '本人申请删除' });
});

test('a contact lists its own personal fields', async () => {
  vi.stubGlobal('fetch', async () => json(200, { items: [] }));
  renderWith(<EraseDialog open kind="contact" id="c1" name="李雷" onClose={() => undefined} />, { s: session(['privacy.erase'], true) });
  const list = await screen.findByTestId('erase-fields');
  expect([...list.querySelectorAll('li')].map((li) => li.textContent)).toEqual(['姓名', '办公电话', '手机', '邮箱', '传真', '生日']);
});

test('an erased value shows as the erased tag, with no reveal button', async () => {
  vi.stubGlobal('fetch', async () => json(200, { items: [] }));
  renderWith(
    <div>
      <Erasable value={ERASED} />
      <ContactValue path="/leads/l1" record={{ maskedFields: ['mobile'], revealable: true }} field="mobile" value={ERASED} />
      <Erasable value="杭州" />
    </div>,
    { s: session(['leads.read']) },
  );
  expect(await screen.findAllByTestId('erased')).toHaveLength(2);
  expect(screen.getByText('杭州')).toBeInTheDocument();
  expect(screen.queryByRole('button')).toBeNull();
});

test('the Compliance page lists the erasures, and a key not destroyed says how to finish it', async () => {
  const { default: Compliance } = await import('../src/pages/Compliance');
  vi.stubGlobal('fetch', async (url: string) => {
    if (String(url).startsWith('/api/v1/privacy/erasures')) {
      return json(200, {
        items: [
          { subject: { kind: 'contact', id: 'c1234567-0000-7000-8000-000000000000' }, reason: '客户来函要求删除', by: { id: 'u1', name: '管理员' },
            at: '2026-12-01T08:00:00Z', position: 12, fields: ['name'], keyDestroyed: false },
          { subject: { kind: 'lead', id: 'l7654321-0000-7000-8000-000000000000' }, reason: '本人申请删除', by: { id: 'u1', name: '管理员' },
            at: '2026-11-30T08:00:00Z', position: 9, fields: ['name'], keyDestroyed: true },
        ],
        nextCursor: '', total: 2, totalExact: true,
      });
    }
    return json(200, { items: [] });
  });
  renderWith(<Compliance />, { s: session(['privacy.erase'], true) });
  const card = await screen.findByTestId('erasures-card');
  expect(await screen.findByText('客户来函要求删除')).toBeInTheDocument();
  expect(card).toHaveTextContent('联系人 c1234567');
  expect(card).toHaveTextContent('线索 l7654321');
  expect(card).toHaveTextContent('未销毁：请再次删除以完成');
  expect(card).toHaveTextContent('已销毁');
});
