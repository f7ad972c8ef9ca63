import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startMailStack } from '../test/mailstack/mailstack';
import { report, type Benchmark, type Row } from './harness';
import { deliveryBenchmark } from './delivery';
import { initialImportBenchmark } from './initial-import';
import { replySendBenchmark } from './reply-send';
import { searchBenchmark } from './search';
import { teamSyncBenchmark } from './team-sync';

/**
 * `npm run bench [-- --quick] [--out FILE] [--only NAME]`: starts the test mail servers, runs each
 * benchmark beside its baseline, prints a table and writes the figures as JSON.
 */

const BENCHMARKS: Benchmark[] = [deliveryBenchmark, initialImportBenchmark, searchBenchmark, replySendBenchmark, teamSyncBenchmark];

function option(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index === -1 ? undefined : process.argv[index + 1];
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const outFile = option('--out') ?? 'bench-results.json';
  const only = option('--only');
  const stack = await startMailStack();
  const temps: string[] = [];
  const rows: Row[] = [];
  try {
    for (const benchmark of BENCHMARKS.filter((b) => !only || b.name === only)) {
      console.error(`running ${benchmark.name}${quick ? ' (quick)' : ''}…`);
      const figures = await benchmark.run({
        quick,
        stack,
        tempDir: () => {
          const dir = mkdtempSync(join(tmpdir(), 'auxilium-bench-'));
          temps.push(dir);
          return dir;
        },
      });
      rows.push(...figures.map((f) => ({ ...f, benchmark: benchmark.name, ratio: f.ours / f.baseline })));
    }
  } finally {
    await stack.stop();
    rmSync(stack.dir, { recursive: true, force: true });
    for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  }
  report(rows, outFile);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
