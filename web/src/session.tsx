import { createContext, useContext, useMemo } from 'react';
import { useQuery } from '@tanstack/react-query';
import { ApiError, get, type Schemas } from './api/client';

export type User = Schemas['User'];
export type Role = Schemas['Role'];

export interface SessionInfo {
  user: User;
  roles: Role[];
  permissions: Set<string>;
  can: (p: string) => boolean;
  isAdmin: boolean;
}

export const SessionContext = createContext<SessionInfo | null>(null);
export function useSession(): SessionInfo {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

interface RolePage {
  items: Role[];
  permissions?: string[];
}

/** The signed-in user, their roles and the union of their roles' permissions. */
export function useMe() {
  const me = useQuery({
    queryKey: ['me'],
    queryFn: () => get<User>('/auth/me'),
    retry: (n, e) => !(e instanceof ApiError && e.status < 500) && n < 2,
    staleTime: 60_000,
  });
  const roles = useQuery({
    queryKey: ['roles'],
    // a user who must enrol in two-factor sign-in first may not read roles yet: no permissions then
    queryFn: () => get<RolePage>('/roles').catch((e) => {
      if (e instanceof ApiError && e.status === 403) return { items: [] } as RolePage;
      throw e;
    }),
    enabled: !!me.data,
    staleTime: 60_000,
  });
  const info = useMemo<SessionInfo | null>(() => {
    if (!me.data || !roles.data) return null;
    const mine = roles.data.items.filter((r) => me.data!.roles.includes(r.name));
    const permissions = new Set<string>(mine.flatMap((r) => r.permissions as string[]));
    const isAdmin = me.data.roles.includes('admin');
    // customers.* and projections are not in every role's list; the admin role holds everything
    const can = (p: string) => isAdmin || permissions.has(p);
    return { user: me.data, roles: mine, permissions, can, isAdmin };
  }, [me.data, roles.data]);
  return { info, error: me.error ?? roles.error, loading: me.isLoading || roles.isLoading };
}
