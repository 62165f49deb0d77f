/**
 * The fix line of a failed pipeline step run from the CLI (`plan`, `sync`): what a person does next, by the step
 * and the error's name (the error contract of functions/domain/errors.ts). Pure: no I/O.
 */

/** The step that failed, the error's name, and the mapping it ran for. */
export interface StepFailure {
  readonly step: string;
  readonly errorName: string;
  readonly mappingId: string;
  readonly secretArn: string;
}

/** One line saying what to do about a failed step; `doctor` when no more precise fix is known. */
export function failureFix({ step, errorName, mappingId, secretArn }: StepFailure): string {
  const doctor = `eks-secret-sync doctor --mapping ${mappingId}`;
  if (errorName === 'PermissionDeniedError') {
    if (step === 'FetchSecret') {
      return `give your AWS identity secretsmanager:GetSecretValue on ${secretArn} (and kms:Decrypt on its key)`;
    }
    return (
      `eks-secret-sync rbac --mapping ${mappingId} | kubectl apply -f -   (as a cluster admin; your identity needs ` +
      `the same rights: its group, or --context of a kubeconfig that has them); ${doctor} shows which are missing`
    );
  }
  if (errorName === 'UnauthorizedError') {
    return `check that cluster.name is the cluster's name and that your identity has an access entry: ${doctor}`;
  }
  return doctor;
}
