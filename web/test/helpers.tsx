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
