import { expect, test } from 'vitest';
import { fmtMoney, formatUnits, isMoney, lineTotal, linesSum, parseUnits } from '../src/money';

test('line totals are exact and rounded half-up to 0.01', () => {
  expect(lineTotal({ quantity: '2', unitPrice: '19999.99', discount: '12.5' })).toBe('34999.98');
  expect(lineTotal({ quantity: '1.5', unitPrice: '3333.33' })).toBe('5000.00');
  expect(lineTotal({ quantity: '1', unitPrice: '0.01', discount: '50' })).toBe('0.01');
  expect(lineTotal({ quantity: '3', unitPrice: '0.10', discount: '' })).toBe('0.30'); // 0.1 × 3 is not 0.30000000000000004 here
  expect(lineTotal({ quantity: '0.0001', unitPrice: '49.99' })).toBe('0.00'); // 0.004999 rounds down
  expect(lineTotal({ quantity: '0.0001', unitPrice: '50.00' })).toBe('0.01'); // 0.005 rounds up
  expect(lineTotal({ quantity: '1', unitPrice: '100', discount: '100' })).toBe('0.00');
  expect(lineTotal({ quantity: '99999999', unitPrice: '99999999999.99' })).toBe('9999999899999000000.01');
});

test('a malformed or missing part gives no total', () => {
  expect(lineTotal({ quantity: '', unitPrice: '1' })).toBe('');
  expect(lineTotal({ quantity: '1', unitPrice: '1.001' })).toBe('');
  expect(lineTotal({ quantity: '1.00001', unitPrice: '1' })).toBe('');
  expect(lineTotal({ quantity: '1', unitPrice: '1', discount: '100.01' })).toBe('');
  expect(lineTotal({ quantity: '-1', unitPrice: '1' })).toBe('');
  expect(lineTotal({ quantity: '1e3', unitPrice: '1' })).toBe('');
});

test('sums, parsing and formatting', () => {
  expect(linesSum([{ quantity: '2', unitPrice: '19999.99', discount: '12.5' }, { quantity: '1.5', unitPrice: '3333.33' }, { quantity: 'x', unitPrice: '1' }])).toBe('39999.98');
  expect(linesSum([])).toBe('0.00');
  expect(parseUnits('12.5', 2)).toBe(1250n);
  expect(formatUnits(5n, 2)).toBe('0.05');
  expect(formatUnits(-123456n, 2)).toBe('-1234.56');
  expect(isMoney('1200.50')).toBe(true);
  expect(isMoney('1200.505')).toBe(false);
  expect(fmtMoney('1234567.5')).toBe('1,234,567.50');
  expect(fmtMoney('-1000.00')).toBe('-1,000.00');
  expect(fmtMoney('0.01')).toBe('0.01');
});
