// Exact money on decimal strings. Money is never a JS number here: amounts are parsed into BigInt
// units (fen for prices, 1/10000 for quantities), multiplied exactly and rounded half-up once, as
// the server does (domain/opportunity: quantity × unitPrice × (100 − discount)/100 → 0.01).

/** A non-negative decimal written with digits and at most `places` decimals, as BigInt units of 10^-places; null when it is not one. */
export function parseUnits(s: string | null | undefined, places: number): bigint | null {
  const v = (s ?? '').trim();
  const m = /^(\d+)(?:\.(\d*))?$/.exec(v);
  if (!m) return null;
  const frac = m[2] ?? '';
  if (frac.length > places) return null;
  return BigInt(m[1] + frac.padEnd(places, '0'));
}

/** BigInt units of 10^-places as decimal text with exactly `places` decimals. */
export function formatUnits(n: bigint, places: number): string {
  const neg = n < 0n;
  const a = (neg ? -n : n).toString().padStart(places + 1, '0');
  const int = a.slice(0, a.length - places);
  const frac = a.slice(a.length - places);
  return (neg ? '-' : '') + int + (places ? '.' + frac : '');
}

/** n / d rounded half-up (away from zero at the half) for non-negative d. */
function divHalfUp(n: bigint, d: bigint): bigint {
  if (n < 0n) return -divHalfUp(-n, d);
  return (n + d / 2n) / d;
}

export const QUANTITY_PLACES = 4;
export const PRICE_PLACES = 2;
export const DISCOUNT_PLACES = 2;

export interface LineInput {
  quantity?: string | null;
  unitPrice?: string | null;
  /** percent, 0–100; empty is 0 */
  discount?: string | null;
}

/** A line's total in fen, or null when a part is missing or malformed (a discount over 100 too). */
export function lineTotalFen(l: LineInput): bigint | null {
  const q = parseUnits(l.quantity, QUANTITY_PLACES);
  const p = parseUnits(l.unitPrice, PRICE_PLACES);
  const d = (l.discount ?? '').trim() === '' ? 0n : parseUnits(l.discount, DISCOUNT_PLACES);
  if (q === null || p === null || d === null || d > 10000n) return null;
  // q/10^4 × p/10^2 × (10000 − d)/10^4 (in yuan) = q × p × (10000 − d) / 10^8 fen
  return divHalfUp(q * p * (10000n - d), 100_000_000n);
}

/** A line's total as decimal text ("34999.98"), or '' when it cannot be computed. */
export function lineTotal(l: LineInput): string {
  const f = lineTotalFen(l);
  return f === null ? '' : formatUnits(f, PRICE_PLACES);
}

/** The sum of lines' totals (the lines that cannot be computed count nothing). */
export function linesSum(lines: LineInput[]): string {
  let s = 0n;
  for (const l of lines) s += lineTotalFen(l) ?? 0n;
  return formatUnits(s, PRICE_PLACES);
}

/** Whether a text is money (digits, at most two decimals). */
export const isMoney = (s: string | null | undefined) => parseUnits(s, PRICE_PLACES) !== null;

/** Decimal money text with thousands separators ("1234567.5" → "1,234,567.50"); other text as it is. */
export function fmtMoney(s: string | null | undefined): string {
  if (s === null || s === undefined || s === '') return '';
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(s.trim());
  if (!m) return s;
  const frac = (m[3] ?? '').padEnd(2, '0');
  return m[1] + m[2].replace(/\B(?=(\d{3})+(?!\d))/g, ',') + '.' + frac;
}

/** Money text as signed BigInt fen ("-12.5" → -1250n); null when it is not money. */
export function toFen(s: string | null | undefined): bigint | null {
  const v = (s ?? '').trim();
  const neg = v.startsWith('-');
  const n = parseUnits(neg ? v.slice(1) : v, PRICE_PLACES);
  return n === null ? null : neg ? -n : n;
}

/** BigInt fen as money text with two decimals (-1250n → "-12.50"). */
export const fromFen = (n: bigint) => formatUnits(n, PRICE_PLACES);

/** The exact sum of money texts (a text that is not money counts nothing). */
export function sumMoney(values: (string | null | undefined)[]): string {
  let s = 0n;
  for (const v of values) s += toFen(v) ?? 0n;
  return fromFen(s);
}

/** a − b, exactly (a text that is not money counts as zero). */
export const subMoney = (a: string | null | undefined, b: string | null | undefined) => fromFen((toFen(a) ?? 0n) - (toFen(b) ?? 0n));

/** Compares two money texts exactly: negative, zero or positive (a text that is not money counts as zero). */
export function cmpMoney(a: string | null | undefined, b: string | null | undefined): number {
  const d = (toFen(a) ?? 0n) - (toFen(b) ?? 0n);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}
