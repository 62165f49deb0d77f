import { describe, expect, it } from 'vitest';
import {
  clusterKey,
  lookupNumberProblems,
  lookupNumbers,
  providerLogs,
  type ClusterBlock,
} from '../../infra/model/cluster-lookups.ts';
import { parseMappings } from '../../infra/model/config.ts';
import { placeFleet } from '../../infra/model/placement.ts';

const CA = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
const GIVEN: ClusterBlock = { name: 'edge', endpoint: 'https://edge.example', certificateAuthority: CA };
/** Mappings of one target each, on these clusters in this order. */
const on = (...clusters: (string | ClusterBlock)[]) =>
  clusters.map((c) => ({ targets: [{ cluster: typeof c === 'string' ? { name: c } : c }] })) as never[];

describe('clusterKey', () => {
  it.each([
    [{ name: 'prod' }, 'prod'],
    [{ name: 'prod', region: 'us-east-1' }, 'prod@us-east-1'],
    [{ name: 'prod', endpoint: 'https://p.example' }, 'prod endpoint=https://p.example'],
  ])('names %j as %s', (block, key) => {
    expect(clusterKey(block)).toBe(key);
  });

  it('tells blocks apart that differ only in the CA, without writing the CA into the record', () => {
    const other = { ...GIVEN, certificateAuthority: Buffer.from('other').toString('base64') };
    expect(clusterKey(GIVEN)).not.toBe(clusterKey(other));
    expect(clusterKey(GIVEN)).toMatch(/^edge endpoint=https:\/\/edge\.example ca=sha256:[0-9a-f]{12}$/);
  });
});

describe('lookupNumbers', () => {
  it('without a record is release 0.1.0: every distinct block counted by first use, the given ones too', () => {
    expect(lookupNumbers(on(GIVEN, 'prod', 'staging', 'prod'))).toStrictEqual({ prod: 2, staging: 3 });
  });

  it('with a record keeps every number, whatever is removed or reordered before a cluster', () => {
    const recorded = lookupNumbers(on('prod', 'staging'));
    expect(lookupNumbers(on('staging'), recorded)).toStrictEqual({ prod: 1, staging: 2 });
    expect(lookupNumbers(on(GIVEN, 'staging', 'prod'), recorded)).toStrictEqual({ prod: 1, staging: 2 });
  });

  it('gives a new cluster the next number after every recorded one, never one a removed cluster had', () => {
    const afterRemoval = lookupNumbers(on('staging'), { prod: 1, staging: 2, qa: 3 });
    expect(lookupNumbers(on('dev', 'staging'), afterRemoval)).toStrictEqual({ prod: 1, staging: 2, qa: 3, dev: 4 });
    // A cluster put back gets its own number again: a revert before the deploy changes nothing.
    expect(lookupNumbers(on('prod'), afterRemoval).prod).toBe(1);
  });
});

describe('providerLogs', () => {
  it('is release 0.1.0 without a record: the lookups group when the first mapping reaches a looked-up cluster', () => {
    expect(providerLogs(on('prod', GIVEN))).toBe('ClusterLookupLogs');
    expect(providerLogs(on(GIVEN, 'prod'))).toBe('CustomResourceLogs');
    expect(providerLogs([{ targets: [{ cluster: GIVEN }, { cluster: { name: 'prod' } }] }] as never[])).toBe(
      'ClusterLookupLogs',
    );
  });

  it('stays as recorded whatever mapping comes first', () => {
    expect(providerLogs(on('prod'), 'CustomResourceLogs')).toBe('CustomResourceLogs');
  });
});

describe('lookupNumberProblems', () => {
  it('finds a number given twice, a zero and a fraction (positive controls) and passes distinct ones', () => {
    expect(lookupNumberProblems({ prod: 1, staging: 2 })).toStrictEqual([]);
    expect(lookupNumberProblems({ prod: 1, staging: 1, qa: 0, dev: 1.5 })).toStrictEqual([
      '"staging": 1 is also the number of "prod"',
      '"qa": 0 is not a whole number from 1',
      '"dev": 1.5 is not a whole number from 1',
    ]);
  });
});

describe('the placement record of lookup numbers', () => {
  const file = (ids: [string, string][]) =>
    parseMappings(
      `stack: { name: Fleet, mappingsPerStack: 2 }\nmappings:\n${ids
        .map(
          ([id, c]) =>
            `  - { id: ${id}, secretArn: "arn:aws:secretsmanager:us-east-1:111122223333:secret:${id}-AbCdEf", ` +
            `cluster: { name: ${c} }, namespace: ns, secretName: ${id} }\n`,
        )
        .join('')}`,
      'fleet.yaml',
    );
  const first = placeFleet(
    file([
      ['a', 'prod'],
      ['b', 'staging'],
      ['c', 'staging'],
    ]),
  );

  it('keeps per stack the numbers of its clusters, also of one its mappings no longer use', () => {
    expect(first.record.clusterLookups).toStrictEqual({ Fleet: { prod: 1, staging: 2 }, 'Fleet-2': { staging: 1 } });
    const next = placeFleet(
      file([
        ['b', 'staging'],
        ['c', 'staging'],
      ]),
      first.record,
    );
    expect(next.stacks[0]!.clusterLookups).toStrictEqual({ prod: 1, staging: 2 });
    expect(next.record.clusterLookups).toStrictEqual(first.record.clusterLookups);
  });

  it("drops a stack's numbers with the stack", () => {
    const { 'Fleet-2': _, ...stacks } = first.record.stacks;
    const record = { ...first.record, stacks: { ...stacks, Fleet: ['a', 'b'] } };
    expect(
      placeFleet(
        file([
          ['a', 'prod'],
          ['b', 'staging'],
        ]),
        record,
      ).record.clusterLookups,
    ).toStrictEqual({ Fleet: { prod: 1, staging: 2 } });
  });
});
