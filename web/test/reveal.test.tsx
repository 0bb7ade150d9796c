import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, test, vi } from 'vitest';
import { ContactValue } from '../src/components/reveal';
import { json, renderWith, session } from './helpers';

afterEach(() => vi.unstubAllGlobals());

test('a masked value the reader may reveal has a Reveal button that asks for that field and shows it in full', async () => {
  const calls: { url: string; init: RequestInit }[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return json(200, { id: 'l1', fields: { mobile: '13800138000' } });
  });
  renderWith(<ContactValue path="/leads/l1" record={{ maskedFields: ['phone', 'mobile'], revealable: true }} field="mobile" value="138****8000" />, {
    s: session(['leads.read', 'leads.update']),
  });
  expect(screen.getByText('138****8000')).toBeInTheDocument();
  await userEvent.setup().click(screen.getByRole('button', { name: /显示完整/ }));
  expect(await screen.findByTestId('revealed-mobile')).toHaveTextContent('13800138000');
  expect(screen.queryByText('138****8000')).toBeNull();
  expect(calls).toHaveLength(1);
  expect(calls[0].url).toBe('/api/v1/leads/l1/reveal');
  expect(calls[0].init.method).toBe('POST');
  expect(JSON.parse(String(calls[0].init.body))).toEqual({ fields: ['mobile'] });
});

test('no button for a value shown in full, or one the reader may not reveal', async () => {
  vi.stubGlobal('fetch', async () => json(200, { items: [] }));
  renderWith(
    <div>
      <span>
        <ContactValue path="/leads/l1" record={{}} field="mobile" value="13800138000" />
      </span>
      <span>
        <ContactValue path="/customers/c1" record={{ maskedFields: ['email'] }} field="email" value="z***@example.com" />
      </span>
    </div>,
    { s: session(['customers.read']) },
  );
  expect(await screen.findByText('13800138000')).toBeInTheDocument();
  expect(screen.getByText('z***@example.com')).toBeInTheDocument();
  expect(screen.queryByRole('button')).toBeNull();
});

test('too many reveals (429) are told and the value stays masked', async () => {
  vi.stubGlobal('fetch', async () =>
    json(429, { type: 't', title: 'Too Many Requests', status: 429, code: 'rate_limited', detail: 'too many requests; try again in 36 s' }),
  );
  renderWith(<ContactValue path="/contacts/k1" record={{ maskedFields: ['email'], revealable: true }} field="email" value="c***@example.com" />, {
    s: session(['customers.read', 'customers.update']),
  });
  await userEvent.setup().click(screen.getByTestId('reveal-email'));
  expect(await screen.findByText('查看次数过多，请稍后再试')).toBeInTheDocument();
  await waitFor(() => expect(screen.getByText('c***@example.com')).toBeInTheDocument());
});
