// The seal grants resource's KMS calls (functions/adapters/kms.ts kmsGrantService, functions/seal-grants reconcile)
// against moto's KMS: the grants it creates are listed with their grantee, operations and exact encryption context,
// a second run creates none (moto, unlike KMS, makes a second grant for a repeated name: the resource never asks),
// and delete revokes them. moto enforces neither grants nor key policies: who may use the key is judged by the IAM
// evaluator (test/infra/iam-evaluator.test.ts).
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { kmsGrantService } from '../../functions/adapters/kms.ts';
import { reconcile, type CustomResourceEvent } from '../../functions/seal-grants/handler.ts';

/** The mapping's Kubernetes identity (the role read-secret, apply-secret and restart-workloads share). */
const ROLE = 'arn:aws:iam::123456789012:role/eks-secret-sync/0123456789ab/Stack-MappingaMintTokenRole-X';
/** fetch-secret's role. */
const FETCH_ROLE = 'arn:aws:iam::123456789012:role/eks-secret-sync/0123456789ab/Stack-MappingaFetchSecretRole-X';
const GRANTS = [
  {
    Name: 'eks-secret-sync/a/ReadSecret/secret-data',
    GranteePrincipal: ROLE,
    Operations: ['Decrypt'],
    EncryptionContext: { mappingId: 'a', purpose: 'secret-data' },
  },
  {
    Name: 'eks-secret-sync/a/FetchSecret/secret-data',
    GranteePrincipal: FETCH_ROLE,
    Operations: ['GenerateDataKey'],
    EncryptionContext: { mappingId: 'a', purpose: 'secret-data' },
  },
];

const event = (type: CustomResourceEvent['RequestType'], keyArn: string): CustomResourceEvent => ({
  RequestType: type,
  ResponseURL: 'http://127.0.0.1:9/unused',
  StackId: 'stack',
  RequestId: 'r',
  LogicalResourceId: 'SealGrants',
  ResourceProperties: { KeyArn: keyArn, Grants: GRANTS },
  OldResourceProperties: type === 'Update' ? { KeyArn: keyArn, Grants: GRANTS } : undefined,
});

describe('the seal grants on moto', () => {
  let keyArn: string;
  const service = () => {
    const tb = inject('testbed');
    return kmsGrantService(keyArn, {
      region: tb.moto.region,
      endpoint: tb.moto.url,
      credentials: async () => tb.moto.credentials,
    });
  };

  beforeAll(async () => {
    const tb = inject('testbed');
    const kms = new KMSClient({ region: tb.moto.region, endpoint: tb.moto.url, credentials: tb.moto.credentials });
    keyArn = (await kms.send(new CreateKeyCommand({ Description: 'seal grants test' }))).KeyMetadata!.Arn!;
    kms.destroy();
  });

  it('creates each grant with its grantee, operations and exact context, once', async () => {
    expect(await reconcile(service(), event('Create', keyArn))).toBe(2);
    expect(await reconcile(service(), event('Update', keyArn))).toBe(0);
    const listed = await service().list();
    expect(listed.map(({ grantId, ...g }) => g).sort((a, b) => a.name!.localeCompare(b.name!))).toStrictEqual([
      {
        name: 'eks-secret-sync/a/FetchSecret/secret-data',
        granteePrincipal: FETCH_ROLE,
        operations: ['GenerateDataKey'],
        encryptionContextEquals: { mappingId: 'a', purpose: 'secret-data' },
      },
      {
        name: 'eks-secret-sync/a/ReadSecret/secret-data',
        granteePrincipal: ROLE,
        operations: ['Decrypt'],
        encryptionContextEquals: { mappingId: 'a', purpose: 'secret-data' },
      },
    ]);
  });

  it('revokes them on delete', async () => {
    await reconcile(service(), event('Delete', keyArn));
    expect(await service().list()).toStrictEqual([]);
  });
});
