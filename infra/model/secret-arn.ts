/**
 * Secret ARNs for the infrastructure code: the parts of a full secret ARN and
 * the spellings by which callers name the secret. Defined once, in the pure
 * domain module the functions use too.
 */
export {
  SECRET_ARN_PATTERN,
  SECRET_ARN_SHAPE,
  parseSecretArn,
  secretIdSpellings,
  suffixLooksLikeName,
  fullArnCommand,
  type SecretArnParts,
} from '../../functions/domain/secret-arn.ts';
