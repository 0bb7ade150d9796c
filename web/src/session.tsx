import { createContext, useContext, useMemo } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError, call, get, type Schemas } from './api/client';
import { setUserZone } from './util';

export type User = Schemas['User'];
export type Me = Schemas['Me'];
export type RoleRef = Me['roleDetails'][number];

export interface SessionInfo {
  /** The signed-in user as GET /auth/me tells: record, permissions, scope, two-factor state, preferences. */
  user: Me;
  /** Their roles with display names. */
  roles: RoleRef[];
  /** The union of their roles' permissions: exactly what the server allows them. */
  permissions: Set<string>;
  can: (p: string) => boolean;
  isAdmin: boolean;
  /** The zone times show in: their choice, else the organisation's default. */
  timeZone: string;
}

export const SessionContext = createContext<SessionInfo | null>(null);
export function useSession(): SessionInfo {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

/** The session of a GET /auth/me answer. */
export function sessionOf(me: Me): SessionInfo {
  const permissions = new Set<string>(me.permissions);
  return {
    user: me,
    roles: me.roleDetails,
    permissions,
    can: (p: string) => permissions.has(p),
    isAdmin: me.roles.includes('admin'),
    timeZone: me.preferences.timeZone,
  };
}

/** The signed-in user (GET /auth/me: a user held to two-factor enrolment may read it too). */
export function useMe() {
  const me = useQuery({
    queryKey: ['me'],
    queryFn: () => get<Me>('/auth/me'),
    retry: (n, e) => !(e instanceof ApiError && e.status < 500) && n < 2,
    staleTime: 60_000,
  });
  const info = useMemo<SessionInfo | null>(() => {
    if (!me.data) return null;
    const s = sessionOf(me.data);
    // set while rendering, so that every time the pages below render shows in the zone
    setUserZone(s.timeZone);
    return s;
  }, [me.data]);
  return { info, error: me.error, loading: me.isLoading };
}

/** Saves the signed-in user's own preferences (PATCH /auth/me/preferences) and shows the answer at once. */
export function useSavePreferences() {
  const qc = useQueryClient();
  return async (p: Schemas['PreferencesPatch']): Promise<Me | null> => {
    const r = await call<Me>('PATCH', '/auth/me/preferences', { body: p });
    if (r.status === 200 && r.data) {
      qc.setQueryData(['me'], r.data);
      return r.data;
    }
    await qc.invalidateQueries({ queryKey: ['me'] }); // 202: read it again once the read model has it
    return null;
  };
}
