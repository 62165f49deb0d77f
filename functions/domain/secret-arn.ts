/**
 * The parts of a Secrets Manager secret ARN, and the other spellings by which
 * API callers may name the same secret (CloudTrail records whatever the caller
 * passed as `secretId`).
 */

/** `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 chars>`. */
export const SECRET_ARN_PATTERN = new RegExp(
  /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-[a-z]|aws-eusc):secretsmanager:/.source +
    /([a-z]{2}(?:-[a-z]+)+-\d+):(\d{12}):secret:([A-Za-z0-9/_+=.@-]+)-([A-Za-z0-9]{6})$/.source,
);

/** How a full secret ARN looks, for error messages. */
export const SECRET_ARN_SHAPE = 'arn:aws:secretsmanager:<region>:<12-digit account>:secret:<name>-<6 chars>';

/** A full secret ARN taken apart. */
export interface SecretArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** The secret's name, as given to CreateSecret. */
  readonly name: string;
  /** The 6 random characters Secrets Manager appended to the name. */
  readonly suffix: string;
  /** The ARN without `-<suffix>`: what a caller passes when it only knows the name. */
  readonly partialArn: string;
}

/**
 * Takes a full secret ARN apart.
 *
 * @returns `undefined` when `arn` is not a full secret ARN (for example a
 *   partial ARN, which lacks the 6-character suffix).
 */
export function parseSecretArn(arn: string): SecretArnParts | undefined {
  const m = SECRET_ARN_PATTERN.exec(arn);
  if (!m) return undefined;
  const [, partition, region, account, name, suffix] = m as unknown as [string, string, string, string, string, string];
  return { partition, region, account, name, suffix, partialArn: arn.slice(0, -(suffix.length + 1)) };
}

/**
 * Whether the 6 characters after the last hyphen read like a word of the name rather than Secrets Manager's random
 * suffix: all lower-case letters (`prod/app-config`, `db/master-secret`). A partial ARN of such a name has the form of
 * a full ARN, so the form alone cannot tell them apart; a random suffix is all lower-case letters about once in 180
 * secrets (6 of 62 characters each), so this is a reason to look, not a refusal. `doctor` decides with the ARN
 * `DescribeSecret` returns.
 */
export function suffixLooksLikeName(arn: string): boolean {
  const parts = parseSecretArn(arn);
  return parts !== undefined && /^[a-z]{6}$/.test(parts.suffix);
}

/** The command that prints a secret's full ARN, for the fix of an error about a partial one. */
export function fullArnCommand(secretId: string, region?: string): string {
  return (
    `aws secretsmanager describe-secret --secret-id ${secretId}${region ? ` --region ${region}` : ''} ` +
    '--query ARN --output text'
  );
}

/**
 * Every exact `secretId` value that names this secret: the full ARN, the
 * partial ARN and the name. Exact strings only: a prefix match on the name
 * would also match every secret whose name merely starts the same.
 *
 * @throws Error when `arn` is not a full secret ARN (the config rejects those first).
 */
export function secretIdSpellings(arn: string): string[] {
  const parts = parseSecretArn(arn);
  if (!parts) throw new Error(`not a full secret ARN: ${arn}`);
  return [arn, parts.partialArn, parts.name];
}
