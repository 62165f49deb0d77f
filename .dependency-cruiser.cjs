// The layers of this repository, checked by dependency-cruiser (`npm run lint:deps`, and inside `npm test` through
// test/unit/layers.test.ts). Imports go down only:
//
//   functions/domain    pure logic, the ASL contract, errors, port types: imports nothing outside itself
//   functions/steps     one module per sync step: domain only (its ports arrive as arguments)
//   functions/adapters  AWS, KMS, Kubernetes, the HTTPS primitive: domain only
//   functions/sources   the secret source providers, one folder each (the port is functions/domain/source.ts):
//                       domain, adapters and sources only
//   functions/runtime   env contract, logger, wiring: anything in functions/ but the handlers
//   functions/<kind>/   the Lambda handlers: the top of functions/
//   bin/lib             the CLI's library: never the commands that use it
//   infra/model         the CDK-free model (config schema, placement, names, RBAC and admission manifests, ASL
//                       budget): never aws-cdk-lib, constructs or infra/constructs
//   infra/constructs    the CDK constructs (mapping, core, stack, app parts): may use the model
//   bin/, testbed/      the CLI and the test bed: of infra/, the model only; the CLI reads secrets through the
//                       source port (functions/sources), never with a provider's SDK of its own
//
// and nothing in functions/ imports the CLI, the CDK app, the test bed, the benchmarks or the tests.
// Type-only imports count (tsPreCompilationDeps): a type cycle is still a cycle.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle means two modules are one: merge them, or move the shared part down.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'functions/domain is plain data in, plain data out: no SDK, no Kubernetes client, no other layer.',
      from: { path: '^functions/domain/' },
      to: { pathNot: '^functions/domain/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'domain-uses-pure-builtins-only',
      severity: 'error',
      comment:
        'Of the Node built-ins, functions/domain may use hashing (node:crypto) and in-memory compression (node:zlib, ' +
        'its synchronous calls) only: no I/O, no network.',
      from: { path: '^functions/domain/' },
      to: { dependencyTypes: ['core'], pathNot: '^(node:)?(crypto|zlib)$' },
    },
    {
      name: 'steps-see-domain-only',
      severity: 'error',
      comment: 'A step gets its ports as arguments and returns the contract type: it imports the domain only.',
      from: { path: '^functions/steps/' },
      to: { pathNot: ['^functions/(domain|steps)/'] },
    },
    {
      name: 'adapters-below-steps-and-runtime',
      severity: 'error',
      comment: 'Adapters implement ports; they never reach up into steps, runtime wiring or handlers.',
      from: { path: '^functions/adapters/' },
      to: { path: '^functions/', pathNot: '^functions/(domain|adapters)/' },
    },
    {
      name: 'sources-below-steps-and-runtime',
      severity: 'error',
      comment: 'A source provider implements the source port: it never reaches up into steps, runtime or handlers.',
      from: { path: '^functions/sources/' },
      to: { path: '^functions/', pathNot: '^functions/(domain|adapters|sources)/' },
    },
    {
      name: 'runtime-below-handlers',
      severity: 'error',
      comment: 'Runtime wiring is shared by the handlers: it never imports one.',
      from: { path: '^functions/runtime/' },
      to: { path: '^functions/', pathNot: '^functions/(domain|adapters|sources|steps|runtime)/' },
    },
    {
      name: 'functions-stand-alone',
      severity: 'error',
      comment: 'The Lambdas are bundled from functions/ alone: nothing from CLI, CDK app, test bed, bench or tests.',
      from: { path: '^functions/' },
      to: { path: '^(bin|infra|testbed|bench|test|scripts)/' },
    },
    {
      name: 'cli-lib-below-commands',
      severity: 'error',
      comment: 'bin/lib is what the commands share; the command framework lives in bin/lib, not in bin/commands.',
      from: { path: '^bin/lib/' },
      to: { path: '^bin/commands/' },
    },
    {
      name: 'model-is-cdk-free',
      severity: 'error',
      comment: 'infra/model is read by the CLI and the test bed: no aws-cdk-lib, no constructs, no CDK module of ours.',
      from: { path: '^infra/model/' },
      to: { path: ['^node_modules/(aws-cdk-lib|constructs|@aws-cdk)/', '^infra/(?!model/)'] },
    },
    {
      name: 'cli-and-testbed-use-the-model-only',
      severity: 'error',
      comment: 'The CLI and the test bed read the mappings through infra/model; the constructs belong to cdk synth.',
      from: { path: '^(bin|testbed)/' },
      to: { path: ['^infra/(?!model/)', '^node_modules/(aws-cdk-lib|constructs|@aws-cdk)/'] },
    },
    {
      name: 'cli-reads-secrets-through-the-source-port',
      severity: 'error',
      comment:
        'The CLI reaches a secret only through the source port (functions/sources/open.ts, doctors.ts): no provider ' +
        'SDK of its own, so a second provider needs no edit in bin/.',
      from: { path: '^bin/' },
      to: { path: '^node_modules/@aws-sdk/client-(secrets-manager|ssm)/' },
    },
    {
      name: 'resolvable',
      severity: 'error',
      comment: 'An import the tool cannot resolve is an import it cannot check.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Packages are not followed but stay in the graph: excluding node_modules made every rule about a package
    // (aws-cdk-lib in the model, a provider SDK in the CLI) silently pass (test/unit/layers.test.ts plants them).
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^cdk\\.out', '^testbed/server'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
