#!/usr/bin/env node
// The `eks-secret-sync` command of package.json `bin`. In a clone it runs the sources (Node 24 runs TypeScript
// outside node_modules), so a stale build is never what runs; in the installed package, which carries no sources
// of bin/, the compiled CLI (dist/, built by `npm pack`), on Node 22 or later.
import { existsSync } from 'node:fs';

const source = new URL('./eks-secret-sync.ts', import.meta.url);
const entry = existsSync(source) ? source : new URL('../dist/bin/eks-secret-sync.js', import.meta.url);
const { runProcess } = await import(entry.href);
await runProcess();
