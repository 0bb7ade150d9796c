import dayjs, { type Dayjs } from 'dayjs';
import utc from 'dayjs/plugin/utc';
import timezone from 'dayjs/plugin/timezone';

dayjs.extend(utc);
dayjs.extend(timezone);

/** The browser's own time zone (the zone before anyone signs in). */
export const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** Whether the browser knows the IANA zone name. */
export function knownZone(z: string | null | undefined): z is string {
  if (!z) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: z });
    return true;
  } catch {
    return false;
  }
}

let zone = browserZone();
/** Times show in the signed-in user's time zone (their preference, else the organisation's default); the session sets it. */
export function setUserZone(z: string | null | undefined) {
  zone = knownZone(z) ? z : browserZone();
}
export const userZone = () => zone;

/** Every IANA zone the browser knows, for choosing one. */
export function timeZones(): string[] {
  const list = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  const out = new Set(list);
  out.add('UTC');
  out.add(zone);
  return [...out].sort();
}

/** The UTC offset of a zone now, as "+08:00". */
export function zoneOffset(z: string, at: Dayjs = dayjs()): string {
  return at.tz(z).format('Z');
}

const dateOnly = /^\d{4}-\d{2}-\d{2}$/;

export function fmtTime(v?: string | null): string {
  if (!v) return '';
  const d = dayjs(v);
  return d.isValid() ? d.tz(zone).format('YYYY-MM-DD HH:mm') : v;
}
/** A date: a plain date (YYYY-MM-DD) as it is; a time as its day in the user's zone. */
export function fmtDate(v?: string | null): string {
  if (!v) return '';
  if (dateOnly.test(v)) return v;
  const d = dayjs(v);
  return d.isValid() ? d.tz(zone).format('YYYY-MM-DD') : v;
}

const wall = 'YYYY-MM-DDTHH:mm:ss.SSS';
/** A time for a date picker: the picker shows the browser's clock, so give it the user's zone's wall clock. */
export function toPicker(v?: string | null): Dayjs | null {
  if (!v) return null;
  const d = dayjs(v);
  return d.isValid() ? dayjs(d.tz(zone).format(wall)) : null;
}
/** A date picker's value (the user's zone's wall clock) as an RFC 3339 instant. */
export function fromPicker(d?: Dayjs | null): string | null {
  if (!d || !d.isValid()) return null;
  return dayjs.tz(d.format(wall), zone).toISOString();
}
/** Now, as a date picker shows it (the user's zone's wall clock). */
export function pickerNow(): Dayjs {
  return dayjs(dayjs().tz(zone).format(wall));
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
