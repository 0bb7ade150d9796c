import { expect, test } from 'vitest';
import { csvCell } from '../src/util';

test('CSV cells of the import error report never start like a formula', () => {
  expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
  expect(csvCell('+1-2')).toBe("'+1-2");
  expect(csvCell('-2+3')).toBe("'-2+3");
  expect(csvCell('@SUM(1)')).toBe("'@SUM(1)");
  expect(csvCell('\tx')).toBe("'\tx");
  expect(csvCell('a,b')).toBe('"a,b"');
  expect(csvCell('备注')).toBe('备注');
  expect(csvCell('12')).toBe('12');
});
