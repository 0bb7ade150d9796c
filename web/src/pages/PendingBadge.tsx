// The count of approvals waiting for the signed-in user, beside the menu's 审批 (one row read: the
// first page's total). Kept apart from the inbox page so that the menu loads no more than this.
import { Badge } from 'antd';
import { useQuery } from '@tanstack/react-query';
import { get, type Page } from '../api/client';
import { useT } from '../i18n';
import type { ApprovalItem } from './contractTypes';

/** How many approvals wait for the signed-in user (the first page's total of one row). */
export function usePendingApprovals(enabled = true) {
  return useQuery({
    queryKey: ['/approvals', 'pendingCount'],
    queryFn: () => get<Page<ApprovalItem>>('/approvals', { view: 'pending', limit: 1 }),
    enabled,
    staleTime: 30_000,
    refetchInterval: 120_000,
    retry: false,
    select: (p) => ({ count: p.total ?? p.items.length, exact: p.totalExact !== false }),
  });
}

/** The menu's count of waiting approvals (nothing while there are none or it cannot be read). */
export function PendingBadge() {
  const t = useT();
  const q = usePendingApprovals();
  const n = q.data?.count ?? 0;
  if (!n) return null;
  return (
    <Badge
      count={q.data?.exact ? n : `${n}+`}
      overflowCount={999}
      size="small"
      style={{ marginInlineStart: 6, boxShadow: 'none' }}
      title={t(`${n} 条待审批`, `${n} waiting`)}
      data-testid="pending-approvals"
    />
  );
}
