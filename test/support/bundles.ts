/**
 * The Lambda bundles exactly as they ship: the cloud assembly of the example
 * mappings, synthesized once per process, and for each step the `index.mjs`
 * its function's Code points at (template S3Key -> asset manifest -> staged
 * asset folder). The end-to-end tests execute these files.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  BUNDLED_FUNCTION_NAMES,
  FUNCTION_METADATA_KEY,
  type BundledFunctionName,
} from '../../infra/constructs/lambda-defaults.ts';
import { assetPath, ofType, synth } from './infra.ts';

/** Path of each step's (and stack function's) bundled entry file. */
export type Bundles = Record<BundledFunctionName, string>;

let cached: Promise<Bundles> | undefined;

/**
 * Synthesizes the app with the example mappings (once per process; later
 * calls reuse it) and returns the path of each step's bundled `index.mjs`.
 *
 * @throws Error when a step has no function, its functions do not share one
 *   bundle, or the bundle has no `index.mjs`.
 */
export function synthBundles(): Promise<Bundles> {
  cached ??= Promise.resolve().then(findBundles);
  return cached;
}

function findBundles(): Bundles {
  const s = synth();
  const found = {} as Bundles;
  for (const name of BUNDLED_FUNCTION_NAMES) {
    const keys = new Set(
      ofType(s, 'AWS::Lambda::Function')
        .filter(([, r]) => r.Metadata?.[FUNCTION_METADATA_KEY] === name)
        .map(([, r]) => r.Properties!.Code.S3Key as string),
    );
    if (keys.size !== 1) throw new Error(`expected every ${name} function to ship one bundle, found ${keys.size}`);
    const entry = join(assetPath(s, [...keys][0]!), 'index.mjs');
    if (!existsSync(entry)) throw new Error(`the ${name} asset has no index.mjs: ${entry}`);
    found[name] = entry;
  }
  return found;
}
