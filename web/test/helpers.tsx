import { render } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { Providers } from '../src/Root';
import { SessionContext, sessionOf, type Me, type SessionInfo } from '../src/session';

/** A GET /auth/me answer: a sales user unless admin; overrides replace fields. */
export function meFixture(perms: string[] = [], admin = false, overrides: Partial<Me> = {}): Me {
  return {
    id: 'u1', username: 'zhang', displayName: '张伟', roles: [admin ? 'admin' : 'sales'], departmentId: null, superiorId: null, disabled: false,
    lockedUntil: null, createdAt: '2026-11-01T00:00:00Z', version: 1, departmentName: null,
    roleDetails: [{ name: admin ? 'admin' : 'sales', displayName: admin ? '系统管理员 Administrator' : '销售代表 Sales representative' }],
    permissions: perms, dataScope: admin ? 'all' : 'self', twoFactor: { enabled: false, required: false },
    preferences: { language: 'zh-CN', timeZone: 'Asia/Shanghai', languageChosen: false, timeZoneChosen: false },
    ...overrides,
  };
}

export function session(perms: string[] = [], admin = false, overrides: Partial<Me> = {}): SessionInfo {
  return sessionOf(meFixture(perms, admin, overrides));
}

export function renderWith(ui: React.ReactElement, { path = '/', route = '/', s = session() }: { path?: string; route?: string; s?: SessionInfo | null } = {}) {
  return render(
    <Providers lang="zh-CN">
      <MemoryRouter initialEntries={[route]}>
        {s ? (
          <SessionContext.Provider value={s}>
            <Routes>
              <Route path={path} element={ui} />
              <Route path="*" element={<div data-testid="elsewhere" />} />
            </Routes>
          </SessionContext.Provider>
        ) : (
          <Routes>
            <Route path={path} element={ui} />
            <Route path="*" element={<div data-testid="elsewhere" />} />
          </Routes>
        )}
      </MemoryRouter>
    </Providers>,
  );
}

export type Handler = (url: string, init: RequestInit) => Response | undefined;
export function json(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers } });
}

/** A GET /dictionaries answer with the lists the lead and customer forms use (a few items each;
 * the trade show source is disabled). */
export function dictionariesFixture() {
  const item = (code: string, zh: string, en: string, enabled = true, parent?: string) => ({ code, labels: { 'zh-CN': zh, en }, enabled, ...(parent ? { parent } : {}) });
  const list = (kind: string, items: ReturnType<typeof item>[], levels = 1) => ({ kind, levels, version: 0, items });
  return {
    items: [
      list('lead_source', [item('web', '官网咨询', 'Website'), item('exhibition', '展会', 'Trade show', false), item('referral', '客户转介绍', 'Referral')]),
      list('industry', [
        item('manufacturing', '制造业', 'Manufacturing'), item('manufacturing.machinery', '机械设备', 'Machinery', true, 'manufacturing'),
        item('internet', '互联网', 'Internet'), item('internet.software', '软件', 'Software', true, 'internet'),
      ], 2),
      list('customer_level', [item('A', 'A（重点客户）', 'A (key)'), item('B', 'B（普通客户）', 'B (regular)')]),
      list('customer_class', [item('target', '目标客户', 'Target'), item('partner', '合作伙伴', 'Partner')]),
      list('business_nature', [item('private', '民营企业', 'Private'), item('other', '其他', 'Other')]),
    ],
    total: 5,
    totalExact: true,
  };
}
