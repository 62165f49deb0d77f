/**
 * Mappings files of any size for the scale tests and bench/synth.ts: `plain` mappings (the defaults, cluster given
 * in full) and `largest` ones (every option that adds resources, policy or template text, a VPC of its own with a
 * KMS endpoint, and a 40-character id).
 */

/** A base64 PEM CA (the example file's), so that no mapping needs a deploy-time cluster lookup. */
const CA = [
  'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJmekNDQVNXZ0F3SUJBZ0lVZmR1NjlQK3lLV2huQ1ZsQk0yRG5rRXdScUI0',
  'd0NnWUlLb1pJemowRUF3SXcKRlRFVE1CRUdBMVVFQXd3S2EzVmlaWEp1WlhSbGN6QWVGdzB5TmpFeE1qTXhORFUwTURaYUZ3MHpO',
  'akV4TWpBeApORFUwTURaYU1CVXhFekFSQmdOVkJBTU1DbXQxWW1WeWJtVjBaWE13V1RBVEJnY3Foa2pPUFFJQkJnZ3Foa2pPClBR',
  'TUJCd05DQUFROERDWW04MWlEdDBBY0NuQ2M5eWRGbE1UMFlQa2xnS054ZG9hbmE4bE5PejFmZkQ3dTVyVHAKeFhGWDRFQ1Y2cndp',
  'N1FicU1VTUN2V0VDMnN3YXNrM3RvMU13VVRBZEJnTlZIUTRFRmdRVWRMc09hakFFaEtlNApCbDJZQk9VcFpPWWlxWjh3SHdZRFZS',
  'MGpCQmd3Rm9BVWRMc09hakFFaEtlNEJsMllCT1VwWk9ZaXFaOHdEd1lEClZSMFRBUUgvQkFVd0F3RUIvekFLQmdncWhrak9QUVFE',
  'QWdOSUFEQkZBaUFjd2cxbkxNcTRJeGZzZDdObVlPSWsKeHM5dnkrSUVGRnFibG4yOTBoWjNQd0loQUtJV0hmNVM3aUVwQ2c4eG5V',
  'bmJPUUhwNzdka2xkemVHeXk0ckhQcgpoRUNTCi0tLS0tRU5EIENFUlRJRklDQVRFLS0tLS0K',
].join('');

/** Which mappings a fleet holds. */
export type FleetKind = 'plain' | 'largest';

/** The id of the i-th mapping of a fleet: `largest` ids are 40 characters, the schema's maximum. */
export function fleetMappingId(kind: FleetKind, i: number): string {
  return kind === 'plain' ? `app-${i}` : `app-${String(i).padStart(5, '0')}-${'x'.repeat(30)}`;
}

function mappingYaml(kind: FleetKind, i: number): string {
  const id = fleetMappingId(kind, i);
  const head = `  - id: ${id}\n    secretArn: arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/${id}-AbCdEf\n`;
  const tail = `    namespace: app\n    secretName: ${id}\n`;
  if (kind === 'plain')
    return `${head}    cluster: { name: prod, endpoint: https://a.example, certificateAuthority: ${CA} }\n${tail}`;
  // Its own VPC with the KMS endpoint the stack then creates for it: the most shared resources a mapping can add.
  const hex = (i + 1).toString(16).padStart(17, '0');
  const vpc = `{ subnetIds: [subnet-${hex}], securityGroupIds: [sg-${hex}], endpoints: { vpcId: vpc-${hex} } }`;
  return (
    head +
    `    cluster: { name: prod, endpoint: https://a.example, certificateAuthority: ${CA}, vpc: ${vpc} }\n` +
    tail +
    '    secretKmsKeyArn: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\n' +
    '    restart: [deployment/api, statefulset/db, daemonset/agent]\n' +
    '    resyncSchedule: rate(1 day)\n    cloudTrailRules: true\n    prune: true\n' +
    '    labels: { team: checkout }\n    annotations: { example.com/owner: checkout-team }\n'
  );
}

/** A mappings file of `n` mappings of one kind, in stack `stackName`. */
export function fleetYaml(n: number, kind: FleetKind = 'plain', stackName = 'Fleet'): string {
  const mappings = Array.from({ length: n }, (_, i) => mappingYaml(kind, i)).join('');
  return `stack:\n  name: ${stackName}\nmappings:\n${mappings}`;
}
