// Adoption in the domain: who else owns a Secret (ownerReferences, field managers of the desired keys), the
// refusal without `adopt`, the adopting plan and its two request bodies, and managedFields released by key.
import { describe, expect, it } from 'vitest';
import { ForeignOwnerError } from '../../../functions/domain/errors.ts';
import { existingSecret, observe, releaseKeys } from '../../../functions/domain/observe.ts';
import { buildTakeover, buildWrite, planMerge } from '../../../functions/domain/plan.ts';
import type { KubeSecret } from '../../../functions/domain/ports.ts';
import type { MergeOptions } from '../../../functions/domain/types.ts';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const v1 = {
  arn: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf',
  versionId: 'v1',
  createdDate: '2026-11-01T10:00:00.000Z',
  current: true,
  currentAt: '2026-11-05T11:00:00.000Z',
};
const NOW = '2026-11-05T12:00:00.000Z';
const target = { namespace: 'apps', name: 'db', type: 'Opaque' as const };
const opts: MergeOptions = { mappingId: 'db', prune: false, type: 'Opaque', labels: {}, annotations: {} };
const OWNER = {
  apiVersion: 'external-secrets.io/v1',
  kind: 'ExternalSecret',
  name: 'db',
  uid: 'u-1',
  controller: true,
};
const ESO_FIELDS = { 'f:data': { '.': {}, 'f:PASSWORD': {}, 'f:OTHER': {} }, 'f:type': {} };
const esoSecret: KubeSecret = {
  metadata: {
    resourceVersion: '7',
    ownerReferences: [OWNER],
    managedFields: [
      { manager: 'external-secrets', fieldsV1: ESO_FIELDS },
      { manager: 'eks-secret-sync', fieldsV1: { 'f:data': { 'f:MINE': {} } } },
    ],
  },
  type: 'Opaque',
  data: { PASSWORD: b64('old'), OTHER: b64('theirs') },
};
const desired = { PASSWORD: b64('new') };

describe('adoption', () => {
  it('observes the owners and the other managers of the desired keys only', () => {
    const o = observe(desired, existingSecret(esoSecret));
    expect(o.owners).toStrictEqual([OWNER]);
    expect(o.otherManagers).toStrictEqual([{ manager: 'external-secrets', keys: ['PASSWORD'] }]);
  });

  it('refuses a Secret another controller owns without adopt, naming the owner', () => {
    const observed = observe(desired, existingSecret(esoSecret));
    expect(() => planMerge(v1, observed, opts, NOW)).toThrow(ForeignOwnerError);
    expect(() => planMerge(v1, observed, opts, NOW)).toThrow('owned by another controller, ExternalSecret "db"');
  });

  it('does not refuse an owner that is not a controller (positive control of the refusal)', () => {
    const loose = {
      ...esoSecret,
      metadata: { ...esoSecret.metadata, ownerReferences: [{ ...OWNER, controller: undefined }] },
    };
    expect(planMerge(v1, observe(desired, existingSecret(loose)), opts, NOW).action).toBe('update');
  });

  it('plans an adopting update: every owner removed, the keys taken, the other key kept', () => {
    const plan = planMerge(v1, observe(desired, existingSecret(esoSecret)), { ...opts, adopt: true }, NOW);
    expect(plan.action).toBe('update');
    expect(plan.adopt).toStrictEqual({ removedOwners: [OWNER], takeKeys: ['PASSWORD'] });
    expect(plan.kept.names).toStrictEqual(['OTHER']);
    const patch = buildWrite(plan, desired, target);
    expect(patch).toMatchObject({ metadata: { resourceVersion: '7', ownerReferences: null }, data: desired });
    expect(buildTakeover(plan, desired, target)).toMatchObject({ metadata: { name: 'db' }, data: desired });
  });

  it('adopts even when no value changes, and not at all once nothing is left to take', () => {
    const same = { PASSWORD: b64('old') };
    const plan = planMerge(v1, observe(same, existingSecret(esoSecret)), { ...opts, adopt: true }, NOW);
    expect(plan.action).toBe('update');
    expect(plan.adopt?.takeKeys).toStrictEqual(['PASSWORD']);
    const adopted: KubeSecret = { metadata: { resourceVersion: '9' }, type: 'Opaque', data: same };
    const again = planMerge(v1, observe(same, existingSecret(adopted)), { ...opts, adopt: true }, NOW);
    expect(again.adopt).toBeUndefined();
  });

  it("releases the other managers' claim on the adopted keys only, and keeps this tool's entries", () => {
    const released = releaseKeys(esoSecret.metadata!.managedFields!, ['PASSWORD']);
    expect(released).toStrictEqual([
      { manager: 'external-secrets', fieldsV1: { 'f:data': { '.': {}, 'f:OTHER': {} }, 'f:type': {} } },
      { manager: 'eks-secret-sync', fieldsV1: { 'f:data': { 'f:MINE': {} } } },
    ]);
    const alone = releaseKeys([{ manager: 'kubectl', fieldsV1: { 'f:data': { 'f:PASSWORD': {} } } }], ['PASSWORD']);
    expect(alone).toStrictEqual([]);
  });
});
