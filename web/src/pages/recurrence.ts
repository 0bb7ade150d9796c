// A schedule's recurrence (重复) as the form edits it, and the RRULE subset the server takes:
// FREQ=DAILY|WEEKLY|MONTHLY|YEARLY, INTERVAL, BYDAY (weekly: days; monthly: one day with its place
// in the month, 2TU or -1FR), BYMONTHDAY (1 to 31, or -1 for the last day), COUNT or UNTIL (a date).
// The string is written as the server writes it (FREQ first, defaults left out, days in week
// order), so a rule read back and written again is the same string.
import dayjs from 'dayjs';
import type { Lang } from '../i18n';

export const weekdayCodes = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
export type Weekday = (typeof weekdayCodes)[number];
export type Freq = '' | 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';

/** The form's recurrence. freq '' is a single entry. */
export interface Recurrence {
  freq: Freq;
  /** every N days / weeks / months / years */
  interval: number;
  /** weekly: the days, Monday first */
  days: Weekday[];
  /** monthly: on a day of the month, or on the Nth weekday */
  monthly: 'day' | 'nth';
  /** 1 to 31, -1 the last day */
  monthDay: number;
  /** 1 to 4, -1 the last */
  nth: number;
  nthDay: Weekday;
  end: 'never' | 'count' | 'until';
  count: number;
  /** YYYY-MM-DD, inclusive */
  until: string;
}

export const maxInterval = 1000;
export const maxCount = 1000;

const zhDay: Record<Weekday, string> = { MO: '一', TU: '二', WE: '三', TH: '四', FR: '五', SA: '六', SU: '日' };
const enDay: Record<Weekday, string> = { MO: 'Mon', TU: 'Tue', WE: 'Wed', TH: 'Thu', FR: 'Fri', SA: 'Sat', SU: 'Sun' };
const enDayLong: Record<Weekday, string> = { MO: 'Monday', TU: 'Tuesday', WE: 'Wednesday', TH: 'Thursday', FR: 'Friday', SA: 'Saturday', SU: 'Sunday' };
const enNth: Record<string, string> = { '1': 'first', '2': 'second', '3': 'third', '4': 'fourth', '-1': 'last' };
const enMonth = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A day's name for a checkbox: 一 / Mon. */
export const weekdayLabel = (d: Weekday, lang: Lang) => (lang === 'en' ? enDay[d] : zhDay[d]);
/** The weekday of a date (YYYY-MM-DD). */
export const weekdayOf = (date: string): Weekday => weekdayCodes[(dayjs(date).day() + 6) % 7];
/** A date's place among the month's days of its weekday: 1 to 4, or -1 when it is the fifth. */
export const nthOf = (date: string): number => {
  const n = Math.ceil(dayjs(date).date() / 7);
  return n > 4 ? -1 : n;
};

/** A single entry's recurrence, with the choices a frequency starts from taken from the start date. */
export function defaultRecurrence(start?: string): Recurrence {
  const d = start && dayjs(start).isValid() ? start : undefined;
  return {
    freq: '',
    interval: 1,
    days: d ? [weekdayOf(d)] : [],
    monthly: 'day',
    monthDay: d ? dayjs(d).date() : 1,
    nth: d ? nthOf(d) : 1,
    nthDay: d ? weekdayOf(d) : 'MO',
    end: 'never',
    count: 10,
    until: '',
  };
}

/** The RRULE of a recurrence; "" for a single entry. */
export function toRRule(r: Recurrence): string {
  if (!r.freq) return '';
  const parts = ['FREQ=' + r.freq];
  if (r.interval > 1) parts.push('INTERVAL=' + r.interval);
  if (r.freq === 'WEEKLY' && r.days.length) parts.push('BYDAY=' + weekdayCodes.filter((d) => r.days.includes(d)).join(','));
  if (r.freq === 'MONTHLY') {
    if (r.monthly === 'nth') parts.push(`BYDAY=${r.nth}${r.nthDay}`);
    else parts.push('BYMONTHDAY=' + r.monthDay);
  }
  if (r.end === 'count') parts.push('COUNT=' + r.count);
  if (r.end === 'until' && r.until) parts.push('UNTIL=' + r.until.replace(/-/g, ''));
  return parts.join(';');
}

/**
 * The form's recurrence of an RRULE (start: the series' first date, for what the rule leaves to
 * it: a weekly rule's day, a monthly rule's day of the month). null when the rule uses what the
 * form cannot show.
 */
export function parseRRule(rule: string | null | undefined, start?: string): Recurrence | null {
  const r = defaultRecurrence(start);
  const s = (rule ?? '').trim().toUpperCase().replace(/^RRULE:/, '');
  if (!s) return r;
  const seen = new Set<string>();
  for (const part of s.split(';')) {
    const [k, v] = part.split('=');
    if (!k || !v || seen.has(k)) return null;
    seen.add(k);
    switch (k) {
      case 'FREQ':
        if (!['DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'].includes(v)) return null;
        r.freq = v as Freq;
        break;
      case 'INTERVAL':
        r.interval = Number(v);
        if (!Number.isInteger(r.interval) || r.interval < 1) return null;
        break;
      case 'COUNT':
        r.end = 'count';
        r.count = Number(v);
        if (!Number.isInteger(r.count) || r.count < 1) return null;
        break;
      case 'UNTIL': {
        r.end = 'until';
        const date = /^(\d{4})(\d{2})(\d{2})$/.exec(v);
        const time = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
        if (date) r.until = `${date[1]}-${date[2]}-${date[3]}`;
        // a UTC time: its date in Asia/Shanghai (UTC+8, as the server reads it)
        else if (time) r.until = dayjs(Date.UTC(+time[1], +time[2] - 1, +time[3], +time[4] + 8, +time[5], +time[6])).toISOString().slice(0, 10);
        else return null;
        break;
      }
      case 'BYMONTHDAY':
        r.monthly = 'day';
        r.monthDay = Number(v);
        if (!Number.isInteger(r.monthDay) || r.monthDay === 0 || r.monthDay < -1 || r.monthDay > 31) return null;
        break;
      case 'BYDAY': {
        const days = v.split(',');
        const one = /^(-1|[1-4])(MO|TU|WE|TH|FR|SA|SU)$/.exec(days[0]);
        if (days.length === 1 && one) {
          r.monthly = 'nth';
          r.nth = Number(one[1]);
          r.nthDay = one[2] as Weekday;
        } else if (days.every((d) => (weekdayCodes as readonly string[]).includes(d))) r.days = weekdayCodes.filter((d) => days.includes(d));
        else return null;
        break;
      }
      case 'WKST':
        if (v !== 'MO') return null;
        break;
      default:
        return null;
    }
  }
  if (!r.freq) return null;
  if (seen.has('BYDAY')) {
    // a weekly rule lists days; a monthly one names one day with its place; no other takes it
    if (r.freq === 'WEEKLY' && r.monthly === 'nth') return null; // "BYDAY=1MO" is not a weekly rule's
    if (r.freq === 'MONTHLY' && r.monthly !== 'nth') return null;
    if (r.freq === 'DAILY' || r.freq === 'YEARLY') return null;
  }
  if (seen.has('BYMONTHDAY') && (r.freq !== 'MONTHLY' || seen.has('BYDAY'))) return null;
  if (seen.has('COUNT') && seen.has('UNTIL')) return null;
  return r;
}

/** What is wrong with a recurrence, in both languages; null when the server will take it. */
export function recurrenceProblem(r: Recurrence, start?: string): [string, string] | null {
  if (!r.freq) return null;
  if (!Number.isInteger(r.interval) || r.interval < 1 || r.interval > maxInterval) return [`间隔须为 1 到 ${maxInterval}`, `The interval must be 1 to ${maxInterval}`];
  if (r.freq === 'WEEKLY' && r.days.length === 0) return ['请至少选择一天', 'Choose at least one day'];
  if (r.end === 'count' && (!Number.isInteger(r.count) || r.count < 1 || r.count > maxCount)) return [`次数须为 1 到 ${maxCount}`, `The count must be 1 to ${maxCount}`];
  if (r.end === 'until' && !r.until) return ['请选择结束日期', 'Choose the last date'];
  if (r.end === 'until' && start && r.until < start) return ['结束日期不能早于开始日期', 'The last date may not precede the start'];
  return null;
}

/** Chinese text with a space before a number (每月 15 日), none before a character (每月最后一天). */
const spaced = (a: string, b: string) => (/^\d/.test(b) ? `${a} ${b}` : a + b);

/** A recurrence in words: 每周一、三，共 8 次 / Weekly on Mon, Wed, 8 times. "" for a single entry. */
export function describeRecurrence(r: Recurrence | null, lang: Lang, start?: string): string {
  if (!r || !r.freq) return '';
  const en = lang === 'en';
  const n = r.interval;
  let s = '';
  switch (r.freq) {
    case 'DAILY':
      s = en ? (n > 1 ? `Every ${n} days` : 'Daily') : n > 1 ? `每 ${n} 天` : '每天';
      break;
    case 'WEEKLY': {
      const days = weekdayCodes.filter((d) => r.days.includes(d));
      if (en) s = (n > 1 ? `Every ${n} weeks` : 'Weekly') + (days.length ? ` on ${days.map((d) => enDay[d]).join(', ')}` : '');
      else s = (n > 1 ? `每 ${n} 周的周` : '每周') + days.map((d) => zhDay[d]).join('、');
      break;
    }
    case 'MONTHLY': {
      let on: string;
      if (r.monthly === 'nth') {
        on = en
          ? `the ${enNth[String(r.nth)]} ${enDayLong[r.nthDay]}`
          : r.nth === -1 ? `最后一个周${zhDay[r.nthDay]}` : `第 ${r.nth} 个周${zhDay[r.nthDay]}`;
      } else {
        on = en ? (r.monthDay === -1 ? 'the last day' : `day ${r.monthDay}`) : r.monthDay === -1 ? '最后一天' : `${r.monthDay} 日`;
      }
      if (en) s = (n > 1 ? `Every ${n} months` : 'Monthly') + ` on ${on}`;
      else s = spaced(n > 1 ? `每 ${n} 个月的` : '每月', on);
      break;
    }
    case 'YEARLY': {
      const d = start && dayjs(start).isValid() ? dayjs(start) : null;
      if (en) s = (n > 1 ? `Every ${n} years` : 'Yearly') + (d ? ` on ${enMonth[d.month()]} ${d.date()}` : '');
      else s = spaced(n > 1 ? `每 ${n} 年的` : '每年', d ? `${d.month() + 1} 月 ${d.date()} 日` : '');
      break;
    }
  }
  if (r.end === 'count') s += en ? `, ${r.count} ${r.count === 1 ? 'time' : 'times'}` : `，共 ${r.count} 次`;
  if (r.end === 'until' && r.until) s += en ? `, until ${r.until}` : `，至 ${r.until}`;
  return s;
}

/** An RRULE in words; the rule itself when the form cannot read it, "" when there is none. */
export function describeRRule(rule: string | null | undefined, lang: Lang, start?: string): string {
  if (!rule) return '';
  const r = parseRRule(rule, start);
  return r ? describeRecurrence(r, lang, start) : rule;
}
