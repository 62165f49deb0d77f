import { describe, expect, it } from 'vitest';
import { extendNameList, nameList, sortedUnique } from '../../../functions/domain/names.ts';

describe('nameList', () => {
  it.each([
    ['no names', [], 10, { count: 0, names: [], truncated: false }],
    ['names that fit', ['b', 'a'], 10, { count: 2, names: ['a', 'b'], truncated: false }],
    ['names that fill the budget exactly', ['bb', 'aa'], 4, { count: 2, names: ['aa', 'bb'], truncated: false }],
    ['names over the budget', ['cc', 'aa', 'bb'], 5, { count: 3, names: ['aa', 'bb'], truncated: true }],
    ['a first name over the budget', ['aaaaaa', 'b'], 5, { count: 2, names: [], truncated: true }],
    ['a zero budget', ['a'], 0, { count: 1, names: [], truncated: true }],
    ['multi-byte names', ['é', 'e'], 2, { count: 2, names: ['e'], truncated: true }],
  ])('lists the sorted prefix that fits when given %s', (_what, names, budget, expected) => {
    expect(nameList(names, budget)).toStrictEqual(expected);
  });

  it('stops at the first name that does not fit when a later one would', () => {
    expect(nameList(['a', 'bbbb', 'c'], 3)).toStrictEqual({ count: 3, names: ['a'], truncated: true });
  });

  it('uses a 4096-byte budget when none is given', () => {
    const names = Array.from({ length: 100 }, (_, i) => `${String(i).padStart(3, '0')}${'x'.repeat(47)}`);
    const list = nameList(names);
    expect(list.count).toBe(100);
    expect(list.names).toHaveLength(81);
    expect(list.truncated).toBe(true);
  });

  it("does not reorder the caller's array when it sorts", () => {
    const names = ['b', 'a'];
    nameList(names);
    expect(names).toStrictEqual(['b', 'a']);
  });
});

describe('extendNameList', () => {
  it('keeps the count exact and merges sorted when names are added', () => {
    const list = extendNameList(nameList(['d', 'b'], 10), ['a', 'c'], 3);
    expect(list).toStrictEqual({ count: 4, names: ['a', 'b', 'c'], truncated: true });
  });

  it('stays truncated when the base list was truncated', () => {
    const list = extendNameList(nameList(['a', 'b', 'c'], 1), [], 10);
    expect(list).toStrictEqual({ count: 3, names: ['a'], truncated: true });
  });
});

describe('sortedUnique', () => {
  it('sorts by code unit and drops duplicates when given any names', () => {
    expect(sortedUnique(['b', 'B', 'a', 'b', '_'])).toStrictEqual(['B', '_', 'a', 'b']);
  });
});
