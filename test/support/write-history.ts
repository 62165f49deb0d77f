/**
 * The write history of one Kubernetes Secret, from the kube-apiserver's own
 * audit log (testbed/testbed.ts turns it on), and the race checker over it:
 * the source version a write records never goes backwards, and the last
 * accepted write holds the newest version.
 * test/unit/write-history.test.ts plants each violation and expects it found.
 */
import { readFileSync } from 'node:fs';

/** Annotation key of the source version id (functions/domain/metadata.ts writes it). */
const SOURCE_VERSION = 'eks-secret-sync.io/source-version-id';

/** One accepted write to the Secret, as the apiserver answered it. */
export interface AcceptedWrite {
  /** The Secret's resourceVersion after the write: the order etcd committed writes in. */
  readonly resourceVersion: number;
  readonly verb: string;
  readonly user: string;
  /** The source version id the Secret records after the write (undefined: none recorded). */
  readonly sourceVersion: string | undefined;
}

/**
 * Every accepted (2xx) create, update and patch of Secret `namespace/name`
 * in the audit log, in commit order (resourceVersion). The namespace must be
 * one the policy records bodies for (AUDITED_NAMESPACES).
 */
export function acceptedWrites(auditLogFile: string, namespace: string, name: string): AcceptedWrite[] {
  const writes: AcceptedWrite[] = [];
  // Whole lines only: the apiserver may be writing the last one as it is read.
  const lines = readFileSync(auditLogFile, 'utf8').split('\n').slice(0, -1);
  for (const line of lines) {
    if (!line.includes('"secrets"') || !line.includes(`"${name}"`)) continue;
    const e = JSON.parse(line);
    const ref = e.objectRef ?? {};
    if (ref.resource !== 'secrets' || ref.namespace !== namespace || ref.name !== name) continue;
    if (e.stage !== 'ResponseComplete' || !['create', 'update', 'patch'].includes(e.verb)) continue;
    const code = e.responseStatus?.code ?? 0;
    if (code < 200 || code > 299) continue;
    const obj = e.responseObject;
    if (!obj?.metadata?.resourceVersion) {
      throw new Error(`audit event ${e.auditID} has no response body: is ${namespace} in the policy's namespaces?`);
    }
    writes.push({
      resourceVersion: Number(obj.metadata.resourceVersion),
      verb: e.verb,
      user: e.user?.username ?? '?',
      sourceVersion: obj.metadata.annotations?.[SOURCE_VERSION],
    });
  }
  return writes.sort((a, b) => a.resourceVersion - b.resourceVersion);
}

/** A write that broke the order: what it wrote, after what. */
export interface OrderViolation {
  readonly resourceVersion: number;
  readonly wrote: string;
  readonly after: string;
  readonly reason: string;
}

/**
 * Checks a write history against the order of the versions (oldest first):
 * no write records a version older than one already written, every write
 * records a known version, and the last write records the newest.
 *
 * @param writes - The writes to check, in commit order (only the trial's).
 * @param versions - The trial's version ids, oldest first.
 */
export function orderViolations(writes: readonly AcceptedWrite[], versions: readonly string[]): OrderViolation[] {
  const rank = new Map(versions.map((v, i) => [v, i]));
  const violations: OrderViolation[] = [];
  let highest = -1;
  let highestVersion = '(none)';
  for (const w of writes) {
    const r = w.sourceVersion === undefined ? undefined : rank.get(w.sourceVersion);
    if (r === undefined) {
      violations.push({
        resourceVersion: w.resourceVersion,
        wrote: `${w.sourceVersion}`,
        after: highestVersion,
        reason: 'unknown version',
      });
      continue;
    }
    if (r < highest) {
      violations.push({
        resourceVersion: w.resourceVersion,
        wrote: w.sourceVersion!,
        after: highestVersion,
        reason: 'went backwards',
      });
    } else {
      highest = r;
      highestVersion = w.sourceVersion!;
    }
  }
  const last = writes.at(-1);
  if (last && last.sourceVersion !== versions.at(-1)) {
    violations.push({
      resourceVersion: last.resourceVersion,
      wrote: `${last.sourceVersion}`,
      after: highestVersion,
      reason: 'last write is not the newest',
    });
  }
  return violations;
}

/**
 * How many accepted (2xx) create, update and patch requests of Secret `namespace/name` the audit log records, in
 * any namespace: the policy's Metadata level is enough (no bodies), so it counts writes where
 * {@link acceptedWrites} cannot read the version.
 */
export function acceptedWriteCount(auditLogFile: string, namespace: string, name: string): number {
  let n = 0;
  for (const line of readFileSync(auditLogFile, 'utf8').split('\n').slice(0, -1)) {
    if (!line.includes('"secrets"') || !line.includes(`"${name}"`)) continue;
    const e = JSON.parse(line);
    const ref = e.objectRef ?? {};
    if (ref.resource !== 'secrets' || ref.namespace !== namespace || ref.name !== name) continue;
    if (e.stage !== 'ResponseComplete' || !['create', 'update', 'patch'].includes(e.verb)) continue;
    const code = e.responseStatus?.code ?? 0;
    if (code >= 200 && code <= 299) n++;
  }
  return n;
}
