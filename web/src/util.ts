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

/** One CSV cell: quoted when it must be, and with an apostrophe before text that starts with =, +, -, @, a tab or a
 * carriage return, so that a spreadsheet never runs it as a formula (OWASP's rule, as the server's exports do). */
export function csvCell(s: string): string {
  const v = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
