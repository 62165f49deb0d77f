// How `plan` shows who else has a hand in a Secret: owners, other field managers of the keys it writes, other
// labels and annotation keys; annotation values never (one may hold a whole Secret).
import { describe, expect, it } from 'vitest';
import { othersOf, planText } from '../../bin/lib/plan-view.ts';
import type { PipelineRun } from '../../bin/lib/pipeline.ts';
import { Style } from '../../bin/lib/ui.ts';
import { existingSecret, observe } from '../../functions/domain/observe.ts';
import { parseMappings } from '../../infra/model/config.ts';
import { targetViews } from '../../infra/model/targets.ts';

const ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:shop/db-AbCdEf';
const CANARY = 'CANARY-77d1-plan-view';
const m = targetViews(
  parseMappings(
    JSON.stringify({
      mappings: [
        {
          id: 'db',
          secretArn: ARN,
          cluster: { name: 'prod' },
          namespace: 'shop',
          secretName: 'db',
          labels: { team: 'a' },
        },
      ],
    }),
    'mappings.yaml',
  ).mappings[0]!,
)[0]!;
const existing = existingSecret({
  metadata: {
    resourceVersion: '5',
    labels: { team: 'a', 'reconcile.external-secrets.io/managed': 'true', 'app.kubernetes.io/managed-by': 'x' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': `{"data":{"p":"${CANARY}"}}` },
    ownerReferences: [
      { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'db', uid: 'u', controller: true },
    ],
    managedFields: [{ manager: 'external-secrets', fieldsV1: { 'f:data': { 'f:password': {} } } }],
  },
  data: { password: 'eA==' },
});
const run: PipelineRun = { trace: [], existing, observed: observe({ password: 'eQ==' }, existing) };

describe('plan view of other owners', () => {
  it('lists owners, managers, other labels and annotation keys only', () => {
    expect(othersOf(m, run)).toStrictEqual({
      owners: [
        { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'db', uid: 'u', controller: true },
      ],
      otherManagers: [{ manager: 'external-secrets', keys: ['password'] }],
      labels: ['app.kubernetes.io/managed-by=x', 'reconcile.external-secrets.io/managed=true'],
      annotations: ['kubectl.kubernetes.io/last-applied-configuration'],
    });
    const text = planText(
      m,
      run,
      { lengths: false, hashes: false },
      new Style({ stdout: () => {}, stderr: () => {}, env: {} }, { noColor: true }),
    );
    expect(text).toContain('owned by ExternalSecret "db" (external-secrets.io/v1, controller)');
    expect(text).toContain('field manager external-secrets owns password');
    expect(text).not.toContain(CANARY);
  });
});
