/**
 * Mints the bearer token the EKS apiserver accepts from an IAM identity, byte for
 * byte the token `aws eks get-token` prints for the same credentials, region,
 * cluster and clock (the unit tests compare the two).
 *
 * The token is `k8s-aws-v1.` + unpadded base64url of a pre-signed STS
 * GetCallerIdentity URL whose signature covers the header `x-k8s-aws-id: <cluster>`,
 * so the token cannot be replayed against another cluster. The apiserver's
 * authenticator calls that URL and maps the caller to a Kubernetes identity.
 *
 * Imported by a Lambda whose cold start matters: only the SigV4 signer and the
 * Node hash, no SDK client, no Kubernetes client.
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { InvalidInputError } from '../domain/errors.ts';
import { REGION_PATTERN, regionalHost } from '../domain/partitions.ts';
import type { Clock, TokenSigner } from '../domain/ports.ts';

/** Every token starts with this; the authenticator rejects anything else. */
export const TOKEN_PREFIX = 'k8s-aws-v1.';

/** The authenticator rejects longer tokens (aws-iam-authenticator pkg/token). */
export const MAX_TOKEN_LENGTH = 4096;

/**
 * X-Amz-Expires of the pre-signed URL, as the AWS CLI and the Go generator use.
 * The verifier only accepts 0..900; the smithy default (3600) is rejected.
 */
export const PRESIGN_EXPIRES_SECONDS = 60;

/**
 * STS honours the URL for 15 minutes from X-Amz-Date whatever X-Amz-Expires says;
 * clients (client-go, the AWS CLI) refresh one minute early.
 */
export const TOKEN_LIFETIME_MINUTES = 14;

/** The header that binds the token to one cluster. It must be signed. */
export const CLUSTER_ID_HEADER = 'x-k8s-aws-id';

/** AWS credentials, as the SDK's credential providers resolve them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Present for temporary credentials (roles, SSO, Lambda's execution role). */
  readonly sessionToken?: string;
}

/** Input of {@link mintEksToken}. */
export interface MintEksTokenInput {
  /** EKS cluster name (or, for local clusters on Outposts, the cluster id). */
  readonly clusterName: string;
  /** Region of the cluster; the token is signed for that region's STS endpoint. */
  readonly region: string;
  readonly credentials: AwsCredentials;
  /** Signing time. @default the current time */
  readonly now?: Date;
}

/** A minted token. Treat `token` as a credential: never log it, never put it in state. */
export interface EksToken {
  readonly token: string;
  /** When clients should stop using the token, formatted like `aws eks get-token` (`2026-11-23T14:14:00Z`). */
  readonly expiresAt: string;
}

// EKS: 1-100 chars, alphanumerics, hyphens, underscores, starting alphanumeric.
// An Outposts cluster id (a UUID) matches too.
const CLUSTER_NAME = /^[0-9A-Za-z][0-9A-Za-z_-]{0,99}$/;

/**
 * Mints an EKS bearer token for `clusterName`, signed with `credentials`.
 *
 * @returns the token and the time clients should refresh it.
 * @throws InvalidInputError when the cluster name, region, credentials or clock are
 *   malformed. Messages never contain credentials or a token.
 */
export async function mintEksToken(input: MintEksTokenInput): Promise<EksToken> {
  const { clusterName, region, credentials } = input;
  validateClusterName(clusterName);
  const host = stsHost(region);
  validateCredentials(credentials);
  const now = input.now ?? new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw new InvalidInputError('now must be a valid Date');
  }

  const signer = new SignatureV4({
    service: 'sts',
    region,
    credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname: host,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      // Both headers are signed; not being x-amz-*, the signer keeps them as headers.
      headers: { host, [CLUSTER_ID_HEADER]: clusterName },
    },
    { signingDate: now, expiresIn: PRESIGN_EXPIRES_SECONDS },
  );

  const url = `https://${host}/?${serializeQuery(presigned.query)}`;
  const token = TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
  return { token, expiresAt: expiryOf(now) };
}

/** Settings of {@link eksTokenSigner}. */
export interface EksTokenSignerSettings {
  readonly clusterName: string;
  readonly region: string;
  /** Resolved on each mint: a Lambda's role credentials rotate. */
  readonly credentials: () => Promise<AwsCredentials>;
  /** @default the system clock */
  readonly clock?: Clock;
}

/** The {@link TokenSigner} port: {@link mintEksToken} with the given identity, at the clock's time. */
export function eksTokenSigner(settings: EksTokenSignerSettings): TokenSigner {
  const { clusterName, region, credentials, clock } = settings;
  return {
    mint: async () =>
      mintEksToken({ clusterName, region, credentials: await credentials(), ...(clock && { now: clock.now() }) }),
  };
}

/**
 * Checks an EKS cluster name (or Outposts cluster id), so that callers can reject a
 * bad command line before resolving credentials (which may be slow).
 *
 * @throws InvalidInputError naming the malformed value and the expected form.
 */
export function validateClusterName(clusterName: string): void {
  if (typeof clusterName !== 'string' || !CLUSTER_NAME.test(clusterName)) {
    throw new InvalidInputError(
      `Invalid cluster name ${quote(clusterName)}: expected 1-100 letters, digits, hyphens or underscores, starting ` +
        `with a letter or digit`,
    );
  }
}

/**
 * The regional STS host for `region`, as botocore resolves it (the AWS CLI v2 signs
 * against the regional host, never the global sts.amazonaws.com).
 *
 * @throws InvalidInputError when `region` is not a region name, or lies in an
 *   isolated partition whose STS host this module does not know.
 */
export function stsHost(region: string): string {
  if (typeof region !== 'string' || !REGION_PATTERN.test(region)) {
    throw new InvalidInputError(
      `Invalid region ${quote(region)}: expected a lowercase AWS region name such as eu-west-1`,
    );
  }
  // An unknown isolated partition would get a host that does not exist, so refuse rather than mint a dead token.
  const host = regionalHost('sts', region);
  if (host === undefined) {
    throw new InvalidInputError(
      `Unsupported region ${region}: its isolated partition's STS host is not known to this tool`,
    );
  }
  return host;
}

/**
 * `now` plus {@link TOKEN_LIFETIME_MINUTES}, to the second, in the CLI's format
 * (`%Y-%m-%dT%H:%M:%SZ`: no fraction, which some clients fail to parse).
 */
function expiryOf(now: Date): string {
  const signedAt = Math.floor(now.getTime() / 1000) * 1000; // X-Amz-Date has whole seconds
  const expires = new Date(signedAt + TOKEN_LIFETIME_MINUTES * 60_000);
  return expires.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The order botocore writes the pre-signed URL in: the operation's parameters, the
 * SigV4 parameters, the session token AFTER X-Amz-SignedHeaders (so not sorted) and
 * the signature last. The signature covers the sorted canonical query whatever the
 * order here; the order only matters for byte-identity with the AWS CLI.
 */
const QUERY_ORDER = [
  'Action',
  'Version',
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Security-Token',
  'X-Amz-Signature',
] as const;

function serializeQuery(query: Record<string, string | string[] | null> | undefined): string {
  const q = query ?? {};
  const unexpected = Object.keys(q).filter((k) => !(QUERY_ORDER as readonly string[]).includes(k));
  if (unexpected.length > 0) {
    // The authenticator rejects unknown keys; a signer upgrade that adds one must fail loudly here.
    throw new Error(`Signer produced unexpected query parameters: ${unexpected.join(', ')}`);
  }
  const pairs: string[] = [];
  for (const key of QUERY_ORDER) {
    const value = q[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw new Error(`Signer produced a repeated query parameter: ${key}`);
    pairs.push(`${key}=${rfc3986(value)}`);
  }
  return pairs.join('&');
}

/** Percent-encodes all but the RFC 3986 unreserved set, like botocore's `quote(safe='-_.~')`. */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function validateCredentials(credentials: AwsCredentials): void {
  // Name the missing field only: the values are secrets.
  const c = credentials as Partial<AwsCredentials> | undefined;
  for (const field of ['accessKeyId', 'secretAccessKey'] as const) {
    if (typeof c?.[field] !== 'string' || c[field] === '') {
      throw new InvalidInputError(`AWS credentials are incomplete: ${field} is missing or empty`);
    }
  }
  if (c?.sessionToken !== undefined && typeof c.sessionToken !== 'string') {
    throw new InvalidInputError('AWS credentials are malformed: sessionToken must be a string');
  }
}

/** Quotes user input for an error message, bounded so a pasted blob cannot flood logs. */
function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}...` : text);
}
