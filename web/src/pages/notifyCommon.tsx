// The in-app notifications (通知): their wording in the page language, where each one leads, the
// live stream of the signed-in shell (one EventSource; polling the count when it cannot stay open),
// the header's bell with its panel, and the row the bell and the /notifications page both show.
import { useEffect, useRef, useState } from 'react';
import { App, Badge, Button, Empty, Popover, Spin, Typography } from 'antd';
import { BellOutlined } from '@ant-design/icons';
import dayjs from 'dayjs';
import { Link, useNavigate } from 'react-router';
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import {
  countKey,
  fetchCount,
  fetchNotifications,
  listKey,
  markRead,
  streamUrl,
  type Notification,
  type NotificationCount,
} from '../api/notifications';
import { useLang, useT, type Lang } from '../i18n';
import { fmtTime, userZone } from '../util';

const subjectNames: Record<string, [string, string]> = {
  task: ['任务', 'task'],
  lead: ['线索', 'lead'],
  customer: ['客户', 'customer'],
  opportunity: ['商机', 'opportunity'],
  contract: ['合同', 'contract'],
  receipt: ['回款单', 'receipt'],
  payment: ['付款单', 'payment voucher'],
  announcement: ['公告', 'announcement'],
  worklog: ['日志', 'work log'],
  schedule: ['日程', 'calendar entry'],
};

const workLogKinds: Record<string, [string, string]> = { daily: ['日报', 'daily report'], weekly: ['周报', 'weekly report'], monthly: ['月报', 'monthly report'] };
/** A work log's notification title is its kind and period ("daily 2026-12-01"): "2026-12-01 日报" / "the daily report for 2026-12-01". */
function workLogTitle(title: string, en: boolean): string {
  const [kind, period] = title.split(' ');
  const [zh, e] = workLogKinds[kind] ?? ['日志', 'work log'];
  return en ? `the ${e} for ${period ?? ''}` : `${period ?? ''} ${zh}`;
}

/** Text only screen readers get (the bell's name). */
const srOnly: React.CSSProperties = { position: 'absolute', width: 1, height: 1, padding: 0, margin: -1, overflow: 'hidden', clip: 'rect(0, 0, 0, 0)', whiteSpace: 'nowrap', border: 0 };

/** A due time as 12-02 18:00 in the user's zone (the text as it is when it is not a time). */
function shortTime(v: string): string {
  const d = dayjs(v);
  return v && d.isValid() ? d.tz(userZone()).format('MM-DD HH:mm') : v;
}

/** A schedule's start as 12-07 09:00 in the user's zone, or the date 12-07 of an all-day entry (then true). */
function shortStart(v: string): [string, boolean] {
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return [v.slice(5), true];
  return [shortTime(v), false];
}

/** A notification worded in the language: who did what to which record. */
export function notificationText(n: Notification, lang: Lang): string {
  const en = lang === 'en';
  const actor = n.actorName || (en ? 'Someone' : '有人');
  const task = en ? `the task "${n.title}"` : `任务「${n.title}」`;
  switch (n.kind) {
    case 'task_assigned':
      return en ? `${actor} assigned you ${task}` : `${actor} 给你分配了${task}`;
    case 'task_reminder':
      return en ? `The task "${n.title}" is due at ${shortTime(n.detail)}` : `${task}将于 ${shortTime(n.detail)} 到期`;
    case 'task_overdue':
      return en ? `The task "${n.title}" is overdue` : `${task}已逾期`;
    case 'task_done': {
      const s = en ? `${actor} completed ${task}` : `${actor} 完成了${task}`;
      return n.detail ? s + (en ? `: ${n.detail}` : `：${n.detail}`) : s;
    }
    case 'task_commented':
      return en ? `${actor} commented on ${task}: ${n.detail}` : `${actor} 评论了${task}：${n.detail}`;
    case 'record_assigned': {
      const [zh, e] = subjectNames[n.subjectKind] ?? ['记录', 'record'];
      if (en) return n.title ? `${actor} assigned you the ${e} "${n.title}"` : `${actor} assigned you ${/^[aeiou]/.test(e) ? 'an' : 'a'} ${e}`;
      return n.title ? `${actor} 把${zh}「${n.title}」分配给了你` : `${actor} 把一个${zh}分配给了你`;
    }
    case 'approval_requested': {
      const [zh, e] = subjectNames[n.subjectKind] ?? ['单据', 'submission'];
      return en ? `${actor} asks you to approve the ${e} "${n.title}"` : `${actor} 提交的${zh}「${n.title}」等待你审批`;
    }
    case 'approval_decided': {
      const [zh, e] = subjectNames[n.subjectKind] ?? ['单据', 'submission'];
      const ok = n.detail === 'approved';
      if (en) return `Your ${e} "${n.title}" was ${ok ? 'approved' : 'rejected'}${ok ? '' : ` by ${actor}`}`;
      return ok ? `你提交的${zh}「${n.title}」已审批通过` : `你提交的${zh}「${n.title}」被 ${actor} 驳回`;
    }
    case 'announcement_published':
      return en ? `${actor} published the announcement "${n.title}"` : `${actor} 发布了公告「${n.title}」`;
    case 'worklog_submitted':
      return en ? `${actor} submitted ${workLogTitle(n.title, en)} to you` : `${actor} 向你提交了${workLogTitle(n.title, en)}`;
    case 'worklog_commented':
      return en ? `${actor} commented on your ${workLogTitle(n.title, en).replace(/^the /, '')}: ${n.detail}` : `${actor} 评论了你的${workLogTitle(n.title, en)}：${n.detail}`;
    case 'schedule_assigned': {
      // put in your calendar, an invitation, or moved to your calendar; detail is its start when known
      const [when, allDay] = n.detail ? shortStart(n.detail) : ['', false];
      if (en) return `${actor} added "${n.title}" to your calendar` + (when ? ` (${when}${allDay ? ', all day' : ''})` : '');
      return `${actor} 把日程「${n.title}」加入了你的日历` + (when ? `（${when}${allDay ? ' 全天' : ''}）` : '');
    }
    case 'schedule_reminder': {
      const [when, allDay] = shortStart(n.detail);
      if (en) return allDay ? `"${n.title}" is on ${when} (all day)` : `"${n.title}" starts at ${when}`;
      return `日程「${n.title}」将于 ${when} 开始` + (allDay ? '（全天）' : '');
    }
    default:
      return n.title || n.detail || n.kind;
  }
}

/** The page of a notification's subject. */
export function subjectPath(n: Pick<Notification, 'subjectKind' | 'subjectId'>): string {
  const base: Record<string, string> = { task: '/tasks', lead: '/leads', customer: '/customers', opportunity: '/opportunities', contract: '/contracts',
    receipt: '/contracts', payment: '/payables', announcement: '/announcements', worklog: '/worklogs', schedule: '/schedules' };
  const b = base[n.subjectKind];
  if (!b || !n.subjectId) return '/notifications';
  // a receipt is found on its contract's receivables
  return `${b}/${encodeURIComponent(n.subjectId)}` + (n.subjectKind === 'receipt' ? '?tab=receivables' : '');
}

/** Keeps a newer count: a count whose latest position is older than the one held does not replace it. */
function newer(a: string, b: string): boolean {
  if (a.length !== b.length && /^\d+$/.test(a) && /^\d+$/.test(b)) return a.length > b.length;
  return a >= b;
}
function setCount(qc: QueryClient, c: NotificationCount | undefined | null, refreshLists = false) {
  if (!c || typeof c.unread !== 'number') return;
  const held = qc.getQueryData<NotificationCount>(countKey);
  if (held && held.latest && c.latest && !newer(c.latest, held.latest)) return;
  qc.setQueryData<NotificationCount>(countKey, c);
  // some arrived that no notifications event brought (while reconnecting, or polling): read the lists again
  if (refreshLists && held && c.latest !== held.latest) void qc.invalidateQueries({ queryKey: listKey });
}

/** The unread count (the badge). Polled every 30 s unless the stream keeps it. */
export function useNotificationCount(live: boolean) {
  const qc = useQueryClient();
  return useQuery({
    queryKey: countKey,
    queryFn: async () => {
      const c = await fetchCount();
      setCount(qc, c, true);
      return qc.getQueryData<NotificationCount>(countKey) ?? c;
    },
    enabled: !live,
    refetchInterval: live ? false : 30_000,
    retry: false,
    select: (c) => (typeof c?.unread === 'number' ? c : { unread: 0, latest: '' }),
  });
}

/** Marks one notification (or all) read; the answer is the new count. */
export function useMarkRead() {
  const qc = useQueryClient();
  const t = useT();
  const { message } = App.useApp();
  return useMutation({
    mutationFn: markRead,
    onError: (e) => message.error(t('未能标为已读：', 'Could not mark as read: ') + (e instanceof Error ? e.message : String(e))),
    onSuccess: (c, what) => {
      setCount(qc, c);
      // the lists show them read at once, and are read again
      qc.setQueriesData<unknown>({ queryKey: listKey }, (old: unknown) => markReadIn(old, 'all' in what ? null : new Set(what.ids)));
      void qc.invalidateQueries({ queryKey: listKey });
    },
  });
}
/** A list answer (a page, or the infinite query's pages) with these notifications (all: null) read. */
function markReadIn(old: unknown, ids: Set<string> | null): unknown {
  const page = (p: { items?: Notification[] }) =>
    p && Array.isArray(p.items) ? { ...p, items: p.items.map((n) => (!ids || ids.has(n.id) ? { ...n, read: true } : n)) } : p;
  if (old && typeof old === 'object' && Array.isArray((old as { pages?: unknown[] }).pages)) {
    const o = old as { pages: { items?: Notification[] }[] };
    return { ...o, pages: o.pages.map(page) };
  }
  return old ? page(old as { items?: Notification[] }) : old;
}

/** How many stream errors in a row before the shell gives up on it and polls the count. */
const maxErrors = 3;
/** How long the shell polls after giving up on the stream before it opens it again. */
const retryStreamAfter = 5 * 60_000;

/**
 * The live notifications of the signed-in shell: one EventSource on /notifications/stream (closed when
 * the shell goes: sign-out, unmount). A count event sets the badge; a notifications event shows a toast
 * for each new one and reads the lists again. Answers whether the stream is live: when the browser has
 * no EventSource, or the stream fails again and again (or is refused), the badge polls instead.
 */
export function useNotificationStream(): boolean {
  const qc = useQueryClient();
  const nav = useNavigate();
  const { notification } = App.useApp();
  const { lang } = useLang();
  // the handlers read the newest of these without reopening the stream
  const latest = useRef({ nav, notification, lang });
  latest.current = { nav, notification, lang };
  const [live, setLive] = useState(() => typeof globalThis.EventSource === 'function');
  const read = useMarkRead();
  const readRef = useRef(read.mutate);
  readRef.current = read.mutate;

  useEffect(() => {
    if (!live) return;
    let es: EventSource;
    try {
      es = new EventSource(streamUrl);
    } catch {
      setLive(false);
      return;
    }
    let errors = 0;
    const onCount = (e: Event) => {
      errors = 0;
      try {
        setCount(qc, JSON.parse((e as MessageEvent).data) as NotificationCount, true);
      } catch {
        /* a malformed event: the next one corrects it */
      }
    };
    const onItems = (e: Event) => {
      errors = 0;
      let items: Notification[] = [];
      try {
        items = (JSON.parse((e as MessageEvent).data) as { items?: Notification[] }).items ?? [];
      } catch {
        return;
      }
      const { nav: go, notification: toast, lang: l } = latest.current;
      const en = l === 'en';
      // what the notifications are about changed: a page showing it reads it again
      for (const n of items) {
        const [base] = subjectPath(n).split('?');
        const [, kind, id] = base.split('/');
        if (id && kind !== 'notifications') void qc.invalidateQueries({ queryKey: ['/' + kind, decodeURIComponent(id)] });
      }
      const shown = items.slice(0, 5);
      for (const n of shown) {
        const text = notificationText(n, l);
        toast.info({
          key: 'notification-' + n.id,
          title: en ? 'New notification' : '新通知',
          description: <span data-testid="notification-toast">{text}</span>,
          icon: <BellOutlined />,
          placement: 'topRight',
          duration: 6,
          style: { cursor: 'pointer' },
          onClick: () => {
            toast.destroy('notification-' + n.id);
            if (!n.read) readRef.current({ ids: [n.id] });
            go(subjectPath(n));
          },
        });
      }
      if (items.length > shown.length)
        toast.info({
          key: 'notification-more',
          title: en ? `${items.length - shown.length} more new notifications` : `还有 ${items.length - shown.length} 条新通知`,
          placement: 'topRight',
          duration: 6,
          style: { cursor: 'pointer' },
          onClick: () => {
            toast.destroy('notification-more');
            go('/notifications');
          },
        });
      void qc.invalidateQueries({ queryKey: listKey });
    };
    const onError = () => {
      errors++;
      // refused (429 too_many_streams, 401) the browser stops trying: poll; a stream that keeps failing too
      if (es.readyState === 2 || errors >= maxErrors) {
        es.close();
        setLive(false);
      }
    };
    const onOpen = () => {
      errors = 0;
    };
    es.addEventListener('count', onCount);
    es.addEventListener('notifications', onItems);
    es.addEventListener('error', onError);
    es.addEventListener('open', onOpen);
    return () => {
      es.removeEventListener('count', onCount);
      es.removeEventListener('notifications', onItems);
      es.removeEventListener('error', onError);
      es.removeEventListener('open', onOpen);
      es.close();
    };
  }, [live, qc]);
  // polling because the stream failed (or was refused: too many streams): try it again now and then
  useEffect(() => {
    if (live || typeof globalThis.EventSource !== 'function') return;
    const id = setTimeout(() => setLive(true), retryStreamAfter);
    return () => clearTimeout(id);
  }, [live]);
  return live;
}

/** One notification: unread ones bold with a dot; a click marks it read and opens its subject. */
export function NotificationRow({ n, onOpen, compact }: { n: Notification; onOpen?: () => void; compact?: boolean }) {
  const t = useT();
  const { lang } = useLang();
  const nav = useNavigate();
  const read = useMarkRead();
  const open = () => {
    if (!n.read) read.mutate({ ids: [n.id] });
    onOpen?.();
    nav(subjectPath(n));
  };
  return (
    <div
      role="button"
      tabIndex={0}
      data-testid="notification-item"
      data-id={n.id}
      data-read={n.read ? 'true' : 'false'}
      onClick={open}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          open();
        }
      }}
      style={{
        display: 'flex',
        gap: 8,
        alignItems: 'flex-start',
        padding: compact ? '8px 4px' : '10px 8px',
        borderBottom: '1px solid #f0f0f0',
        cursor: 'pointer',
        background: n.read ? undefined : '#f4f8fe',
      }}
    >
      <Badge status={n.read ? 'default' : 'processing'} style={{ visibility: n.read ? 'hidden' : 'visible', marginTop: 2 }} />
      <div style={{ flex: 1, minWidth: 0 }}>
        <div style={{ fontWeight: n.read ? 400 : 600, overflowWrap: 'anywhere' }} data-testid="notification-text">
          {!n.read && <span style={{ position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)', whiteSpace: 'nowrap' }}>{t('未读：', 'Unread: ')}</span>}
          {notificationText(n, lang)}
        </div>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {fmtTime(n.at)}
        </Typography.Text>
      </div>
    </div>
  );
}

/** The header's bell: the unread count, and a panel of the latest 10. */
export function Bell({ live }: { live: boolean }) {
  const t = useT();
  const [open, setOpen] = useState(false);
  const count = useNotificationCount(live);
  const qc = useQueryClient();
  const unread = count.data?.unread ?? 0;
  const list = useQuery({
    queryKey: [...listKey, 'panel'],
    queryFn: async () => {
      const p = await fetchNotifications({ limit: 10 });
      setCount(qc, p.count);
      return p;
    },
    enabled: open,
    retry: false,
  });
  const read = useMarkRead();
  const items = list.data?.items ?? [];
  const panel = (
    <div data-testid="bell-panel" style={{ width: 360, maxWidth: 'calc(100vw - 32px)' }}>
      <div style={{ display: 'flex', alignItems: 'center', gap: 8, paddingBottom: 8, borderBottom: '1px solid #f0f0f0' }}>
        <Typography.Text strong style={{ flex: 1 }}>
          {t('通知', 'Notifications')}
        </Typography.Text>
        <Button size="small" type="link" data-testid="bell-read-all" disabled={!unread && !items.some((n) => !n.read)} loading={read.isPending} onClick={() => read.mutate({ all: true })}>
          {t('全部已读', 'Mark all read')}
        </Button>
      </div>
      <div style={{ maxHeight: 420, overflow: 'auto' }}>
        {list.isLoading ? (
          <Spin style={{ display: 'block', margin: 24 }} />
        ) : list.error ? (
          <Typography.Text type="danger" style={{ display: 'block', padding: 16 }}>
            {t('未能读取通知', 'Could not load the notifications')}
          </Typography.Text>
        ) : items.length === 0 ? (
          <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('没有通知', 'No notifications')} />
        ) : (
          items.map((n) => <NotificationRow key={n.id} n={n} compact onOpen={() => setOpen(false)} />)
        )}
      </div>
      <div style={{ textAlign: 'center', paddingTop: 8 }}>
        <Link to="/notifications" onClick={() => setOpen(false)} data-testid="bell-see-all">
          {t('查看全部', 'See all')}
        </Link>
      </div>
    </div>
  );
  return (
    <Popover trigger="click" placement="bottomRight" open={open} onOpenChange={setOpen} content={panel} arrow={false}>
      <Button
        type="text"
        data-testid="bell"
        title={t('通知', 'Notifications')}
      >
        {/* the button's name is its text: the badge's digits and, for screen readers, what they count */}
        <Badge count={unread} overflowCount={99} size="small" offset={[4, -2]}>
          <BellOutlined style={{ fontSize: 18 }} aria-hidden="true" />
        </Badge>
        <span data-testid="bell-name" style={srOnly}>
          {unread ? t(' 条未读通知', ' unread notifications') : t('通知', 'Notifications')}
        </span>
        <span data-testid="bell-count" hidden>
          {unread}
        </span>
      </Button>
    </Popover>
  );
}
