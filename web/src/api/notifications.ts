import { get, post, type Schemas } from './client';

// The in-app notifications (通知) API under /api/v1/notifications: the list (newest first, paged by
// nextCursor), the unread count, marking read, and the live stream (Server-Sent Events).

/** One notification, the OpenAPI document's Notification: detail is a due time (RFC 3339) for
 * reminders and overdue notices, the completion note of task_done, the (clipped) comment of
 * task_commented, approved or rejected for approval_decided; position is the log position. */
export type Notification = Schemas['Notification'];
export type NotificationKind = Notification['kind'];
export type NotificationSubject = Notification['subjectKind'];
/** GET /notifications/count, and the answer of POST /notifications/read. */
export type NotificationCount = Schemas['NotificationCount'];
export type NotificationPage = Schemas['NotificationPage'];

/** The react-query key of the unread count (the bell's badge; the stream writes it). */
export const countKey = ['/notifications/count'] as const;
/** The prefix of every list's key (the bell's panel, the page's tabs). */
export const listKey = ['/notifications'] as const;

export const streamUrl = '/api/v1/notifications/stream';

export const fetchCount = () => get<NotificationCount>('/notifications/count');

export const fetchNotifications = (o: { unread?: boolean; limit?: number; cursor?: string }) =>
  get<NotificationPage>('/notifications', { unread: o.unread ? 'true' : undefined, limit: o.limit ?? 20, cursor: o.cursor });

/** Marks these notifications read (at most 500 at once), or all of them; answers the new count. */
export const markRead = async (what: { ids: string[] } | { all: true }) => (await post<NotificationCount>('/notifications/read', what)).data;
