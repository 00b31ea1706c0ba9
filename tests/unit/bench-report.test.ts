/**
 * A benchmark run of some cases updates only those rows of bench/RESULTS.md and of the README's
 * budget table (bench/trajectory/merge-report.ts): here a run of one case (onnxruntime-node, T = 64,
 * tuned lens) merged into the committed results.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../bench/trajectory/core.ts';
import { mergeReport } from '../../bench/trajectory/merge-report.ts';
import { budgetTable, generate } from '../../bench/trajectory/report.ts';

const between = (text: string, begin: string, end: string) => text.slice(text.indexOf(begin) + begin.length, text.indexOf(end)).trim();
const committed = between(
  readFileSync('bench/RESULTS.md', 'utf8'),
  '<!-- generated:begin (bench/trajectory/report.ts rewrites this part) -->',
  '<!-- generated:end -->',
);
const readmeTable = between(
  readFileSync('README.md', 'utf8'),
  '<!-- bench:begin (bench/trajectory/report.ts rewrites this part from bench/out) -->',
  '<!-- bench:end -->',
);
const summary = (median: number) => ({ median, min: median - 5, max: median + 5, all: [median] });

const out = mkdtempSync(join(tmpdir(), 'bench-out-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));
const run: BenchResult = {
  runtime: 'onnxruntime-node',
  threads: null,
  ortVersion: '1.30.0',
  date: '2026-11-29T12:00:00.000Z',
  config: { dModel: 768, numLayers: 12, numHeads: 12, vocabSize: 50257, nPositions: 1024 },
  topk: 10,
  create: {
    weightsMs: 1000,
    totalMs: 5000,
    modelGraphBuildMs: 1000,
    modelSessionMs: 1000,
    headGraphBuildMs: 1000,
    headSessionMs: 1000,
    modelGraphBytes: 4e8,
    headGraphBytes: 2e8,
  },
  cases: [
    {
      lens: 'tuned',
      T: 64,
      runs: 5,
      totalMs: summary(701),
      modelMs: summary(400),
      headMs: summary(300),
      otherMs: summary(1),
      flops: { model: 1, head: 1, total: 1 },
      gflops: { model: 1, head: 1, total: 1 },
    },
  ],
  notes: ['a note from this run'],
};
writeFileSync(join(out, 'node.json'), JSON.stringify(run));

const tableRows = (text: string) =>
  text.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| runtime') && !l.startsWith('| threads') && !l.startsWith('| graph'));

describe('a benchmark run of one case', () => {
  const merged = mergeReport(committed, generate(out));
  const newRow = `| onnxruntime-node | default (${cpus().length}) | 64 | tuned | **701** (696–706)`;

  it('writes its own row', () => {
    expect(merged).toContain(newRow);
  });

  it('keeps every other result row as it was', () => {
    // Rows with this run's keys: its budget row (one cell changes), its case (runtime, threads, T, lens) in
    // the full-run table (the quiet-window table is another table) and its session-creation row.
    const threads = `default (${cpus().length})`;
    const own = (row: string, i: number, rows: string[]) => {
      const c = row
        .split('|')
        .slice(1, -1)
        .map((x) => x.trim());
      const firstCase = rows.findIndex((r) => r.startsWith(`| onnxruntime-node | ${threads} | 64 | tuned |`));
      return (c[0] === 'onnxruntime-node' && c[1] === 'tuned') || (c[0] === 'onnxruntime-node' && c[1] === threads && (i === firstCase || c.length === 10));
    };
    const mergedRows = new Set(tableRows(merged));
    const gone = tableRows(committed).filter((row) => !mergedRows.has(row));
    expect(gone).toEqual(tableRows(committed).filter(own));
    expect(tableRows(committed).length - gone.length).toBeGreaterThan(40);
  });

  it("keeps the sections this run did not touch, and the other runtimes' dates and notes", () => {
    for (const heading of ["### Where the head's time goes", '### Browser memory at the end', 'T = 64 again, in a quiet window']) {
      expect(committed).toContain(heading);
      expect(merged).toContain(heading);
    }
    const dates = (text: string) => text.split('\n').find((l) => l.startsWith('Dates: '))!;
    for (const entry of dates(committed)
      .slice(7, -1)
      .split('; ')
      .filter((e) => !e.startsWith('onnxruntime-node 2')))
      expect(dates(merged)).toContain(entry);
    expect(dates(merged)).toContain('onnxruntime-node 2026-11-29 12:00 UTC');
    const notes = (text: string) => text.split('\n').filter((l) => l.startsWith('- '));
    expect(notes(merged)).toContain('- onnxruntime-node: a note from this run');
    expect(notes(merged).filter((n) => !n.startsWith('- onnxruntime-node:'))).toEqual(notes(committed).filter((n) => !n.startsWith('- onnxruntime-node:')));
  });

  it("changes one cell of the README's budget table", () => {
    const before = readmeTable.split('\n');
    const after = mergeReport(readmeTable, budgetTable(out).join('\n')).split('\n');
    expect(after.length).toBe(before.length);
    const changed = after.flatMap((line, i) => (line === before[i] ? [] : [[before[i], line]]));
    expect(changed).toHaveLength(1);
    const [old, now] = changed[0].map((l) => l.split(' | '));
    expect(now[0]).toBe('| onnxruntime-node');
    expect(now[1]).toBe('tuned');
    expect(now[3]).toBe('701 — within');
    expect(now.filter((_, i) => i !== 3)).toEqual(old.filter((_, i) => i !== 3));
  });

  it('changes nothing when nothing was measured', () => {
    const empty = mkdtempSync(join(tmpdir(), 'bench-out-empty-'));
    try {
      const machine = (text: string) => text.split('\n').filter((l) => !l.startsWith('Machine: '));
      expect(machine(mergeReport(committed, generate(empty)))).toEqual(machine(committed));
      expect(mergeReport(readmeTable, budgetTable(empty).join('\n'))).toBe(readmeTable);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
