import { writeFileSync } from 'node:fs';
import type { MailStack } from '../test/mailstack/mailstack';

/**
 * Benchmarks compare our figure with a baseline measured in the same run on the same machine, and
 * report the ratio: absolute timings on a shared 2-core machine mean little, ratios travel.
 */

export interface BenchContext {
  quick: boolean;
  stack: MailStack;
  /** A fresh temporary folder for this benchmark's data. */
  tempDir(): string;
}

export interface Figure {
  /** What was measured, e.g. "p95 delivery to visible". */
  metric: string;
  unit: 'ms' | 'MB' | 's';
  ours: number;
  baseline: number;
  /** The goal in words, and whether our figure meets it; none for a figure shown to explain the others. */
  goal?: string;
  met?: boolean;
}

export interface Benchmark {
  name: string;
  run(ctx: BenchContext): Promise<Figure[]>;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export interface Row extends Figure {
  benchmark: string;
  ratio: number;
}

export function report(rows: readonly Row[], outFile: string): void {
  const header = ['benchmark', 'metric', 'ours', 'baseline', 'ratio', 'goal', 'met'];
  const lines = rows.map((r) => [
    r.benchmark,
    r.metric,
    `${r.ours.toFixed(1)} ${r.unit}`,
    `${r.baseline.toFixed(1)} ${r.unit}`,
    `${r.ratio.toFixed(2)}x`,
    r.goal ?? '(informative)',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const line of lines) console.log(format(line));
  writeFileSync(outFile, `${JSON.stringify({ generatedAt: new Date().toISOString(), results: rows }, null, 2)}\n`);
  console.log(`\nFigures written to ${outFile}`);
}
