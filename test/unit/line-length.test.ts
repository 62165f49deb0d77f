import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { longLines, longLinesIn, MAX_LINE } from '../support/line-length.ts';

describe('line length', () => {
  it(`keeps every line of every tracked source file within ${MAX_LINE} characters`, () => {
    const long = longLinesIn(join(import.meta.dirname, '../..'));
    expect(long.map((l) => `${l.file}:${l.line} (${l.length})`)).toEqual([]);
  });

  it('reports a planted long comment, string and code line (the control)', () => {
    const text = [
      `// ${'c'.repeat(MAX_LINE)}`,
      `const s = '${'s'.repeat(MAX_LINE)}';`,
      'x'.repeat(MAX_LINE),
      'y'.repeat(MAX_LINE + 1),
    ].join('\n');
    expect(longLines('planted.ts', text).map((l) => l.line)).toEqual([1, 2, 4]);
  });

  it('exempts only the title line of a test call, which the formatter keeps whole', () => {
    const title = `  it('${'t'.repeat(MAX_LINE)}', async () => {`;
    const call = `  expect(x).toBe('${'t'.repeat(MAX_LINE)}');`;
    expect(longLines('t.test.ts', [title, call].join('\n')).map((l) => l.line)).toEqual([2]);
  });
});
