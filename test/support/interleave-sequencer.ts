import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files handed out first in their group. authentication.test.ts checks the tokens the test bed minted at its start
 * (`details.tokens`), which live 15 minutes: late in a long run on a loaded machine they have expired (seen at 24
 * minutes, load 14).
 */
const FIRST = ['test/testbed/authentication.test.ts'];

/**
 * vitest's own order (longest or largest file first within each project), with the projects that run together
 * (one `sequence.groupOrder`: `unit` and `testbed-parallel`) interleaved in proportion to their file counts. vitest
 * would otherwise hand out every file of one project before the other's, so on 2 workers two CPU-bound unit files
 * (synths, esbuild, checkov) would share the cores while no test-bed file, which mostly waits on the servers, runs
 * beside them. Which files run at all, and which run alone, is unchanged.
 */
export default class InterleaveSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const first = (f: TestSpecification) => FIRST.some((p) => f.moduleId.endsWith(`/${p}`));
    const sorted = (await super.sort(files)).sort((a, b) => Number(first(b)) - Number(first(a)));
    const out: TestSpecification[] = [];
    for (const order of [...new Set(sorted.map((f) => f.project.config.sequence.groupOrder))]) {
      const byProject = new Map<string, TestSpecification[]>();
      for (const f of sorted.filter((s) => s.project.config.sequence.groupOrder === order)) {
        byProject.set(f.project.name, [...(byProject.get(f.project.name) ?? []), f]);
      }
      const queues = [...byProject.values()].map((list) => ({ list, taken: 0 }));
      // Next from the project that has handed out the smallest share of its files so far.
      while (queues.some((q) => q.taken < q.list.length)) {
        const next = queues
          .filter((q) => q.taken < q.list.length)
          .reduce((a, b) => (b.taken / b.list.length < a.taken / a.list.length ? b : a));
        out.push(next.list[next.taken++]!);
      }
    }
    return out;
  }
}
