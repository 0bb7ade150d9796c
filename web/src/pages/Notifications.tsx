// All of the signed-in user's notifications (通知): all or only the unread, newest first, paged by
// the server's cursor ("加载更多"); a click opens the subject and marks it read; mark one or all read.
import { Button, Empty, Spin, Tabs, Typography } from 'antd';
import { useInfiniteQuery } from '@tanstack/react-query';
import { useSearchParams } from 'react-router';
import { fetchNotifications, listKey } from '../api/notifications';
import { ErrorState } from '../components/States';
import { useT } from '../i18n';
import { NotificationRow, useMarkRead } from './notifyCommon';

export default function Notifications() {
  const t = useT();
  const [sp, setSp] = useSearchParams();
  const unread = sp.get('tab') === 'unread';
  const q = useInfiniteQuery({
    queryKey: [...listKey, 'page', unread ? 'unread' : 'all'],
    queryFn: ({ pageParam }) => fetchNotifications({ unread, limit: 20, cursor: pageParam || undefined }),
    initialPageParam: '',
    getNextPageParam: (last) => last.nextCursor || undefined,
    retry: false,
  });
  const read = useMarkRead();
  const items = q.data?.pages.flatMap((p) => p.items ?? []) ?? [];
  const unreadCount = q.data?.pages[q.data.pages.length - 1]?.count?.unread;

  return (
    <div>
      <div style={{ display: 'flex', flexWrap: 'wrap', gap: 8, alignItems: 'center', marginBottom: 4 }}>
        <Typography.Title level={1} style={{ fontSize: 20, margin: 0 }}>
          {t('通知', 'Notifications')}
        </Typography.Title>
        <div style={{ flex: 1 }} />
        <Button data-testid="notifications-read-all" loading={read.isPending && 'all' in (read.variables ?? {})} disabled={unreadCount === 0 && !items.some((n) => !n.read)} onClick={() => read.mutate({ all: true })}>
          {t('全部已读', 'Mark all read')}
        </Button>
      </div>
      <Tabs
        activeKey={unread ? 'unread' : 'all'}
        onChange={(k) => setSp(k === 'unread' ? { tab: 'unread' } : {}, { replace: true })}
        items={[
          { key: 'all', label: t('全部', 'All') },
          { key: 'unread', label: unreadCount ? t(`未读（${unreadCount}）`, `Unread (${unreadCount})`) : t('未读', 'Unread') },
        ]}
      />
      {q.isLoading ? (
        <Spin style={{ display: 'block', margin: 48 }} />
      ) : q.error && !items.length ? (
        <ErrorState error={q.error} retry={() => void q.refetch()} />
      ) : items.length === 0 ? (
        <Empty description={unread ? t('没有未读通知', 'No unread notifications') : t('没有通知', 'No notifications')} />
      ) : (
        <div data-testid="notifications-list" style={{ background: '#fff', borderRadius: 6 }}>
          {items.map((n) => (
            <div key={n.id} style={{ display: 'flex', alignItems: 'center' }}>
              <div style={{ flex: 1, minWidth: 0 }}>
                <NotificationRow n={n} />
              </div>
              {!n.read && (
                <Button
                  type="link"
                  size="small"
                  data-testid="notification-mark-read"
                  onClick={() => read.mutate({ ids: [n.id] })}
                  aria-label={t('标为已读', 'Mark read')}
                >
                  {t('标为已读', 'Mark read')}
                </Button>
              )}
            </div>
          ))}
        </div>
      )}
      {q.hasNextPage && (
        <div style={{ textAlign: 'center', marginTop: 12 }}>
          <Button data-testid="notifications-more" loading={q.isFetchingNextPage} onClick={() => void q.fetchNextPage()}>
            {t('加载更多', 'Load more')}
          </Button>
        </div>
      )}
    </div>
  );
}
