import { get, patch, post, type Page, type Schemas } from './client';

// The announcements (公告) API under /api/v1/announcements: the list addressed to the caller (or
// all, for publishers), the unread count, one announcement, publishing, editing, pinning,
// withdrawing, marking read and the receipts. A time is RFC 3339.

/** An announcement with its body (GET /announcements/{id}). */
export type Announcement = Schemas['Announcement'];
/** A list item (no body). */
export type AnnouncementSummary = Schemas['AnnouncementSummary'];
export type AnnouncementReceipts = Schemas['AnnouncementReceipts'];
export type AnnouncementUnread = Schemas['AnnouncementUnreadCount'];
export type AnnouncementView = 'mine' | 'all';

/** POST /announcements. */
export interface AnnouncementInput {
  title: string;
  body: string;
  audience: { everyone: boolean; departments?: string[] };
  pinned?: boolean;
  expiresAt?: string;
}

/** The react-query key prefix of every announcement read. */
export const announcementsKey = ['/announcements'] as const;

export const fetchAnnouncements = (q: { view?: AnnouncementView; q?: string; unread?: boolean; cursor?: string; limit?: number }) =>
  get<Page<AnnouncementSummary>>('/announcements', { view: q.view, q: q.q || undefined, unread: q.unread ? 'true' : undefined, cursor: q.cursor, limit: q.limit });
export const fetchAnnouncement = (id: string) => get<Announcement>(`/announcements/${encodeURIComponent(id)}`);
export const fetchUnread = () => get<AnnouncementUnread>('/announcements/unread-count');
export const fetchReceipts = (id: string, cursor?: string) => get<AnnouncementReceipts>(`/announcements/${encodeURIComponent(id)}/receipts`, { cursor });
export const publishAnnouncement = async (a: AnnouncementInput) => (await post<Announcement>('/announcements', a)).data;
export const editAnnouncement = async (id: string, p: { title?: string; body?: string; expiresAt?: string | null }, version: number) =>
  (await patch<Announcement>(`/announcements/${encodeURIComponent(id)}`, p, version)).data;
export const setPinned = async (id: string, pinned: boolean) => (await post<Announcement>(`/announcements/${encodeURIComponent(id)}/${pinned ? 'pin' : 'unpin'}`)).data;
export const withdrawAnnouncement = (id: string) => post<void>(`/announcements/${encodeURIComponent(id)}/withdraw`);
export const markAnnouncementRead = async (id: string) => (await post<Announcement>(`/announcements/${encodeURIComponent(id)}/read`)).data;
