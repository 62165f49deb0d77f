import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DOC_BLOCKS, staleBlocks, withBlock } from '../../scripts/docs.ts';

const ROOT = join(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

describe('the generated parts of the docs', () => {
  it('equal what scripts/docs.ts generates from the code (run node scripts/docs.ts after a change)', () => {
    expect(staleBlocks()).toEqual([]);
  });

  it.each(DOC_BLOCKS.map((b) => [b.name, b] as const))('finds %s stale when its text was edited by hand', (_, b) => {
    // Control: the block's last row changed in the committed text.
    const lastRow = b.render().split('\n').at(-1)!;
    const edited = (file: string) => (file === b.file ? read(file).replace(lastRow, '| edited |') : read(file));
    expect(staleBlocks([b], edited)).toEqual([`${b.file}: ${b.name}`]);
  });

  it('names the missing markers', () => {
    expect(() => withBlock('no markers', 'mapping-options', '')).toThrow(/markers of mapping-options are missing/);
  });
});
