export { synthBundles } from '../test/support/dev-shim.ts';
