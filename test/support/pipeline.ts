import { inject } from 'vitest';
import { LocalMapping, type Bundles, type LocalMappingOptions } from '../../testbed/local-pipeline.ts';

export type { ExecutionRecord, LocalMapping } from '../../testbed/local-pipeline.ts';
export { stepResults } from '../../testbed/local-pipeline.ts';

/** Test mappings: a {@link LocalMapping} on the running test bed with the synthesized bundles. */
export const TestMapping = {
  create: async (opts: LocalMappingOptions = {}): Promise<LocalMapping> =>
    LocalMapping.create(inject('testbed'), inject('bundles') as Bundles, opts),
};
