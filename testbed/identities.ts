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

/** The trust policy of the test bed's roles (as the functions' roles: assumed by Lambda). */
const LAMBDA_TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

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
  const trust = LAMBDA_TRUST;
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
  const changed = await editJson<ReturnType<typeof accessEntries>>(file, (data) => {
    const entry = data.entries.find((e) => e.principalArn === roleArn);
    if (!entry) throw new Error(`access entries: no entry for ${roleArn}`);
    if (entry.kubernetesGroups.includes(group)) return false;
    entry.kubernetesGroups.push(group);
    return true;
  });
  if (changed) await sleep(1_050 - (Date.now() % 1_000));
}

/**
 * Replaces one Kubernetes group of the role's access entry by another, as CloudFormation's in-place update of an
 * `AWS::EKS::AccessEntry`'s `KubernetesGroups` does (UpdateAccessEntry). Resolves, as
 * {@link addAccessEntryGroup} does, once a newly minted token cannot meet a review cached with the old groups.
 *
 * @throws Error when the role has no access entry, or its entry does not hold `from`.
 */
export async function replaceAccessEntryGroup(file: string, roleArn: string, from: string, to: string): Promise<void> {
  await editJson<ReturnType<typeof accessEntries>>(file, (data) => {
    const entry = data.entries.find((e) => e.principalArn === roleArn);
    if (!entry) throw new Error(`access entries: no entry for ${roleArn}`);
    const i = entry.kubernetesGroups.indexOf(from);
    if (i < 0) throw new Error(`access entries: ${roleArn} is not in group ${from}`);
    entry.kubernetesGroups.splice(i, 1, to);
    return true;
  });
  await sleep(1_050 - (Date.now() % 1_000));
}

/**
 * Adds an access entry for `principalArn` (of any account: a STANDARD entry may name another account's role) with
 * `groups`, as `AWS::EKS::AccessEntry` or `aws eks create-access-entry` would. Safe across parallel workers.
 *
 * @throws Error when the file already has an entry for that principal (EKS: ResourceInUseException).
 */
export async function addAccessEntry(file: string, principalArn: string, groups: readonly string[]): Promise<void> {
  await editJson<ReturnType<typeof accessEntries>>(file, (data) => {
    if (data.entries.some((e) => e.principalArn === principalArn))
      throw new Error(`access entries: ${principalArn} already has an entry`);
    data.entries.push({ principalArn, kubernetesGroups: [...groups] });
    return true;
  });
}

/**
 * Credentials of another moto account: a session of a role in that account (moto needs no such role to exist, and
 * serves every request made with the session in that account: docs/docs/multi_account.rst of getmoto/moto).
 */
export async function accountCredentials(moto: MotoEndpoint, account: string): Promise<Credentials> {
  const sts = new STSClient({ region: moto.region, endpoint: moto.url, credentials: moto.credentials });
  try {
    const out = await sts.send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${account}:role/testbed-admin`, RoleSessionName: SESSION }),
    );
    const c = out.Credentials!;
    return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
  } finally {
    sts.destroy();
  }
}

/** Where the test bed keeps what the token webhook and its emulated STS read on every review. */
export interface IdentityFiles {
  /** The access entries (testbed/server/webhook.go). */
  readonly accessEntriesFile: string;
  /** The credentials the emulated STS accepts (testbed/server/sts.go). */
  readonly stsCredentialsFile: string;
}

/** Where moto is, and the credentials setup code uses with it. */
export interface MotoEndpoint {
  readonly url: string;
  readonly region: string;
  readonly credentials: Credentials;
}

/** The longest IAM role name. */
const MAX_ROLE_NAME = 64;

/**
 * A new IAM identity with an EKS access entry of its own, as a deployed mapping has: a moto role named
 * `roleName` (cut to IAM's 64 characters), a role session of it, the credentials the emulated STS accepts and an
 * access entry giving it `groups` (and the default username, the assumed-role ARN with the session name).
 * Nothing is shared with another identity, so a test that uses two of them exercises isolation between them.
 *
 * No wait is needed (unlike {@link addAccessEntryGroup}): no token of a new role can be in the apiserver's
 * TokenReview cache yet. Safe across parallel workers (the files are edited under a lock, renamed into place).
 */
export async function provisionIdentity(
  moto: MotoEndpoint,
  files: IdentityFiles,
  roleName: string,
  groups: readonly string[],
): Promise<Identity & { readonly groups: readonly string[]; readonly username: string }> {
  const cfg = { region: moto.region, endpoint: moto.url, credentials: moto.credentials };
  const iam = new IAMClient(cfg);
  const sts = new STSClient(cfg);
  try {
    const name = roleName.slice(0, MAX_ROLE_NAME).replace(/-+$/, '');
    const role = await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: LAMBDA_TRUST }));
    const roleArn = role.Role!.Arn!;
    const session = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: SESSION }));
    const c = session.Credentials!;
    const credentials = {
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    };
    await editJson<Credentials[]>(files.stsCredentialsFile, (all) => {
      all.push(credentials);
      return true;
    });
    await editJson<ReturnType<typeof accessEntries>>(files.accessEntriesFile, (data) => {
      data.entries.push({ principalArn: roleArn, kubernetesGroups: [...groups] });
      return true;
    });
    const account = roleArn.split(':')[4];
    return { roleArn, credentials, groups, username: `arn:aws:sts::${account}:assumed-role/${name}/${SESSION}` };
  } finally {
    iam.destroy();
    sts.destroy();
  }
}

/**
 * Read-modify-write of a JSON file under a lock directory; the new text is renamed into place, so a reader
 * never sees half a file. `edit` changes the data in place and says whether it changed anything.
 */
async function editJson<T>(file: string, edit: (data: T) => boolean): Promise<boolean> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (Date.now() > deadline) throw new Error(`test bed: ${lock} held for 10 s; remove it if no test run is active`);
      await sleep(10);
    }
  }
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as T;
    if (!edit(data)) return false;
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(data, null, 2), { mode: 0o600 });
    renameSync(tmp, file);
    return true;
  } finally {
    rmdirSync(lock);
  }
}
