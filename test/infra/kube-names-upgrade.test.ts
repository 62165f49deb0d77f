// The move to app-scoped Kubernetes names, judged by CDK's own diff engine (@aws-cdk/cloudformation-diff, which
// knows from the CloudFormation resource spec which property changes replace a resource): a deployed stack whose
// access entries still carry the old groups is updated in place, and nothing else of it changes.
import { fullDiff } from '@aws-cdk/cloudformation-diff';
import { beforeAll, describe, expect, it } from 'vitest';
import { kubeNames, legacyKubeNames } from '../../infra/model/kube-names.ts';
import { synth, type Synthesized } from '../support/infra.ts';

const EXAMPLE_APP = { appName: 'EksSecretSync', account: '111122223333', region: 'us-east-1' };

let s: Synthesized;
beforeAll(() => {
  s = synth();
}, 120_000);

/** Today's template with the access entries' groups as the release before the change wrote them. */
function withLegacyGroups(template: Record<string, any>): Record<string, any> {
  const old = structuredClone(template);
  for (const r of Object.values(old.Resources as Record<string, any>)) {
    if (r.Type !== 'AWS::EKS::AccessEntry') continue;
    const id = String(r.Properties.KubernetesGroups[0]).split(':').at(-1)!;
    expect(r.Properties.KubernetesGroups).toStrictEqual([kubeNames(EXAMPLE_APP, id).group]);
    r.Properties.KubernetesGroups = [legacyKubeNames(id).group];
  }
  return old;
}

/** Each resource difference of the diff from `from` to `to`: logical id, type and CDK's change impact. */
function changes(from: Record<string, any>, to: Record<string, any>): [string, string, string][] {
  const out: [string, string, string][] = [];
  fullDiff(from, to).resources.forEachDifference((id, d) => {
    out.push([id, String(d.newResourceType ?? d.oldResourceType), String(d.changeImpact)]);
  });
  return out;
}

describe('the access entries of a stack deployed with the old Kubernetes names', () => {
  it('are updated in place, and they alone change', () => {
    const entries = Object.keys(s.resources).filter((id) => s.resources[id]!.Type === 'AWS::EKS::AccessEntry');
    expect(entries.length).toBeGreaterThan(0);
    expect(changes(withLegacyGroups(s.json), s.json).sort()).toStrictEqual(
      entries.map((id) => [id, 'AWS::EKS::AccessEntry', 'WILL_UPDATE']).sort(),
    );
  });

  it('positive control: a change of the principal is seen as a replacement', () => {
    const moved = structuredClone(s.json);
    const [id, entry] = Object.entries(moved.Resources as Record<string, any>).find(
      ([, r]) => r.Type === 'AWS::EKS::AccessEntry',
    )!;
    entry.Properties.PrincipalArn = 'arn:aws:iam::111122223333:role/another';
    expect(changes(s.json, moved)).toStrictEqual([[id, 'AWS::EKS::AccessEntry', 'WILL_REPLACE']]);
  });
});
