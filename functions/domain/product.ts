/**
 * The product's name, written once: the CLI's program name, the service name
 * in every log line, the `managed-by` label value, and the `source` of the
 * events this tool makes up itself (functions/domain/events.ts).
 */

/** The product's name. */
export const PRODUCT_NAME = 'eks-secret-sync';
