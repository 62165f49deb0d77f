/**
 * The Kubernetes client-authentication `ExecCredential` object, as `aws eks get-token`
 * prints it, so that `eks-secret-sync token` can stand in for it as a kubectl exec
 * credential plugin and its output can be compared with the AWS CLI's byte for byte.
 */

/** The API version the AWS CLI answers with unless the client asks for another. */
export const EXEC_CREDENTIAL_V1BETA1 = 'client.authentication.k8s.io/v1beta1';

/** The GA API version; kubeconfigs that name it get it back (client-go insists on a match). */
export const EXEC_CREDENTIAL_V1 = 'client.authentication.k8s.io/v1';

/** Removed in Kubernetes 1.24; still answered, with a warning, as the AWS CLI does. */
export const EXEC_CREDENTIAL_V1ALPHA1 = 'client.authentication.k8s.io/v1alpha1';

/** The API versions {@link execCredential} produces. */
export type ExecCredentialApiVersion =
  | typeof EXEC_CREDENTIAL_V1BETA1
  | typeof EXEC_CREDENTIAL_V1
  | typeof EXEC_CREDENTIAL_V1ALPHA1;

/** An ExecCredential with a bearer token. The key order is the AWS CLI's. */
export interface ExecCredential {
  readonly kind: 'ExecCredential';
  readonly apiVersion: ExecCredentialApiVersion;
  readonly spec: Record<string, never>;
  readonly status: {
    readonly expirationTimestamp: string;
    readonly token: string;
  };
}

/**
 * Builds the ExecCredential `aws eks get-token` prints for `token`.
 *
 * @param token - the bearer token (`k8s-aws-v1.…`).
 * @param expiresAt - when the client should mint a new token, e.g. `2026-11-23T14:14:00Z`.
 * @param apiVersion - what the client asked for; see {@link apiVersionFromExecInfo}.
 */
export function execCredential(
  token: string,
  expiresAt: string,
  apiVersion: ExecCredentialApiVersion = EXEC_CREDENTIAL_V1BETA1,
): ExecCredential {
  return {
    kind: 'ExecCredential',
    apiVersion,
    spec: {},
    status: { expirationTimestamp: expiresAt, token },
  };
}

/**
 * Serializes like the AWS CLI (Python `json.dumps` defaults: `", "` and `": "`
 * separators, one line) plus its trailing newline, so the two outputs are identical.
 */
export function formatExecCredential(credential: ExecCredential): string {
  return `${pythonJson(credential)}\n`;
}

/** The API version to answer with, and a warning for stderr when the request was unusable. */
export interface ExecInfoApiVersion {
  readonly apiVersion: ExecCredentialApiVersion;
  readonly warning?: string;
}

/**
 * Reads the API version the client asks for from `KUBERNETES_EXEC_INFO`, as the AWS
 * CLI does: absent or empty means v1beta1 (old kubectl sets nothing); malformed or
 * unknown also falls back to v1beta1, with a warning; v1alpha1 is answered with a
 * deprecation warning. The answer must match the request: client-go rejects a mismatch.
 */
export function apiVersionFromExecInfo(raw: string | undefined): ExecInfoApiVersion {
  if (raw === undefined || raw === '') return { apiVersion: EXEC_CREDENTIAL_V1BETA1 };
  let requested: unknown;
  try {
    requested = (JSON.parse(raw) as { apiVersion?: unknown } | null)?.apiVersion;
  } catch {
    return {
      apiVersion: EXEC_CREDENTIAL_V1BETA1,
      warning:
        `KUBERNETES_EXEC_INFO is not valid JSON; answering with ${EXEC_CREDENTIAL_V1BETA1}. Update your ` +
        `Kubernetes client.`,
    };
  }
  if (requested === EXEC_CREDENTIAL_V1 || requested === EXEC_CREDENTIAL_V1BETA1) {
    return { apiVersion: requested };
  }
  if (requested === EXEC_CREDENTIAL_V1ALPHA1) {
    return {
      apiVersion: requested,
      warning:
        `The kubeconfig user entry uses deprecated apiVersion ${EXEC_CREDENTIAL_V1ALPHA1}; set it to ` +
        `${EXEC_CREDENTIAL_V1BETA1} or ${EXEC_CREDENTIAL_V1}.`,
    };
  }
  return {
    apiVersion: EXEC_CREDENTIAL_V1BETA1,
    warning:
      `KUBERNETES_EXEC_INFO asks for unsupported apiVersion ${JSON.stringify(String(requested))}; answering ` +
      `with ${EXEC_CREDENTIAL_V1BETA1}. ` +
      `Set the kubeconfig user's exec apiVersion to ${EXEC_CREDENTIAL_V1} or ${EXEC_CREDENTIAL_V1BETA1}.`,
  };
}

// Python's json.dumps escapes non-ASCII as \uXXXX (ensure_ascii); JSON.stringify does
// not. Every string here is ASCII (base64url, a timestamp, constants), but escape anyway
// so the formats cannot drift apart.
function pythonJson(value: unknown): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value).map(([k, v]) => `${pythonString(k)}: ${pythonJson(v)}`);
    return `{${entries.join(', ')}}`;
  }
  if (typeof value === 'string') return pythonString(value);
  throw new TypeError(`formatExecCredential: unexpected ${typeof value} value`);
}

function pythonString(text: string): string {
  return JSON.stringify(text).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
