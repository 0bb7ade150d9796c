import dayjs from 'dayjs';

/** Times show in the browser's own time zone (the user's zone). */
export const userZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;
export function fmtTime(v?: string | null): string {
  if (!v) return '';
  const d = dayjs(v);
  return d.isValid() ? d.format('YYYY-MM-DD HH:mm') : v;
}
export function fmtDate(v?: string | null): string {
  if (!v) return '';
  const d = dayjs(v);
  return d.isValid() ? d.format('YYYY-MM-DD') : v;
}
export function short(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
