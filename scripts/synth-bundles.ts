// The demo and the bench run the bundles `cdk synth` produces, found the way the tests find them.
export { synthBundles } from '../test/support/bundles.ts';
