import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mkdirSync, readFileSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Static credentials (an access key, or a role session's temporary credentials). */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** One IAM identity of the test bed and what its EKS access entry gives it. */
export interface Identity {
  readonly roleArn: string;
  readonly credentials: Credentials;
  /** Kubernetes groups from the access entry; undefined when the role has no access entry. */
  readonly groups?: readonly string[];
  /** The Kubernetes username EKS gives this role session (undefined without access entry). */
  readonly username?: string;
}

/** What each identity is for; tests refer to them by these names. */
export const IDENTITY_SPECS = {
  /** The sync pipeline's Kubernetes identity (the token Lambda's role). */
  sync: { role: 'eks-secret-sync-testbed-sync', groups: ['eks-secret-sync:testbed'] },
  /** Another team's role, mapped into the cluster with its own group. */
  other: { role: 'testbed-other-team', groups: ['testbed:other-team'] },
  /** A role with no access entry: EKS refuses its tokens. */
  unmapped: { role: 'testbed-unmapped', groups: undefined },
} as const;

/** Names of the test bed's identities. */
export type IdentityName = keyof typeof IDENTITY_SPECS;

const SESSION = 'testbed';

/**
 * Creates the test bed's roles in moto and assumes each, so that every
 * identity signs with real (moto-issued) role-session credentials.
 */
export async function provisionIdentities(
  motoUrl: string,
  region: string,
  admin: Credentials,
): Promise<Record<IdentityName, Identity>> {
  const cfg = { region, endpoint: motoUrl, credentials: admin };
  const iam = new IAMClient(cfg);
  const sts = new STSClient(cfg);
  const trust = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  });
  const out = {} as Record<IdentityName, Identity>;
  for (const [name, spec] of Object.entries(IDENTITY_SPECS) as [
    IdentityName,
    (typeof IDENTITY_SPECS)[IdentityName],
  ][]) {
    const role = await iam.send(new CreateRoleCommand({ RoleName: spec.role, AssumeRolePolicyDocument: trust }));
    const roleArn = role.Role!.Arn!;
    const session = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: SESSION }));
    const c = session.Credentials!;
    const account = roleArn.split(':')[4];
    out[name] = {
      roleArn,
      credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! },
      groups: spec.groups,
      username: spec.groups ? `arn:aws:sts::${account}:assumed-role/${spec.role}/${SESSION}` : undefined,
    };
  }
  iam.destroy();
  sts.destroy();
  return out;
}

/** The access-entries file the webhook reads: one entry per identity that has groups. */
export function accessEntries(ids: Record<IdentityName, Identity>): {
  entries: { principalArn: string; kubernetesGroups: string[] }[];
} {
  return {
    entries: Object.values(ids)
      .filter((i) => i.groups)
      .map((i) => ({ principalArn: i.roleArn, kubernetesGroups: [...(i.groups ?? [])] })),
  };
}

/**
 * Gives the role's access entry one more Kubernetes group, as creating an EKS
 * access entry would. Safe across the suite's parallel workers: the
 * read-modify-write holds a lock directory, and the new file is renamed into
 * place so the webhook (which re-reads it on every review) never sees half a file.
 *
 * Resolves only once a newly minted token cannot meet a stale answer: the
 * apiserver caches a successful TokenReview per token for about 10 s, and two
 * tokens of one identity minted in the same second are identical, so a token of
 * this second may already be cached without the group. Waiting into the next
 * second makes every later token new to the cache.
 */
export async function addAccessEntryGroup(file: string, roleArn: string, group: string): Promise<void> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (Date.now() > deadline)
        throw new Error(`access entries: ${lock} held for 10 s; remove it if no test run is active`);
      await sleep(10);
    }
  }
  let changed = false;
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as ReturnType<typeof accessEntries>;
    const entry = data.entries.find((e) => e.principalArn === roleArn);
    if (!entry) throw new Error(`access entries: no entry for ${roleArn}`);
    if (!entry.kubernetesGroups.includes(group)) {
      entry.kubernetesGroups.push(group);
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(data, null, 2));
      renameSync(tmp, file);
      changed = true;
    }
  } finally {
    rmdirSync(lock);
  }
  if (changed) await sleep(1_050 - (Date.now() % 1_000));
}
