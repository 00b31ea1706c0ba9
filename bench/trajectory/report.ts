/**
 * Updates the generated part of bench/RESULTS.md (between the `generated` markers) and the README's
 * budget table from bench/out/*.json: the rows of the cases in bench/out are rewritten, every other
 * row is kept (merge-report.ts); text outside the markers (findings written by hand) is kept.
 *
 *   npx tsx bench/trajectory/report.ts     (npm run bench -- --report does the same)
 */
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult, CaseResult, Summary } from './core.ts';
import { mergeReport } from './merge-report.ts';

const OUT = 'bench/out';
const RESULTS = 'bench/RESULTS.md';
const BEGIN = '<!-- generated:begin (bench/trajectory/report.ts rewrites this part) -->';
const END = '<!-- generated:end -->';
const README = 'README.md';
/** Issue 12's goal for the renderer with GPT-2 small loaded: 1.25 GB. */
const MEMORY_BUDGET_BYTES = 1.25e9;
const README_BEGIN = '<!-- bench:begin (bench/trajectory/report.ts rewrites this part from bench/out) -->';
const README_END = '<!-- bench:end -->';
// The keystroke case has blocks of its own, so that `npm run bench -- --keystroke` rewrites only what it ran.
const KEYSTROKE_BEGIN = '<!-- keystroke:begin (bench/trajectory/report.ts rewrites this part from bench/out/*-keystroke.json) -->';
const KEYSTROKE_END = '<!-- keystroke:end -->';
const KEYSTROKE_FILES = ['node-keystroke.json', 'browser-wasm-t2-keystroke.json', 'torch-keystroke.json'];
/** The issue's goal for one keystroke on 2-thread WASM. */
const KEYSTROKE_BUDGET_MS = 100;

interface ProfileFile {
  date: string;
  runtime: string;
  threads: number | string;
  perT: {
    T: number;
    gemm: Record<string, { ms: { median: number }; cpuMs?: { median: number }; gflops: number; gflopsPerCpuSecond?: number }>;
    headVariants: Record<string, { description: string; ms: { median: number }; cpuMs?: { median: number } }>;
    alternatives?: Record<string, { ms: { median: number }; cpuMs?: { median: number }; check?: Record<string, number> }>;
    headProfile?: { byOp: Record<string, number> };
  }[];
  model?: { T: number; ms: { median: number }; cpuMs?: { median: number }; gflops: number; byOp: Record<string, number> }[];
}

/**
 * The budget from the issue: one lens's whole trajectory at T = 64, on all of this machine's cores
 * (ORT's default intra-op threads in Node; 2 WASM threads in the browser). The one-thread runs beside
 * them are not judged: their CPU time per run is the work itself, whatever else the machine ran.
 */
const BUDGETS: { label: string; ms: number; files: [full: string, quiet: string, oneThread: string, oneThreadQuiet: string] }[] = [
  { label: 'onnxruntime-node', ms: 1500, files: ['node.json', 'node-quiet.json', 'node-t1.json', 'node-t1-quiet.json'] },
  {
    label: 'onnxruntime-web, WASM in Chromium',
    ms: 4000,
    files: ['browser-wasm-t2.json', 'browser-wasm-t2-quiet.json', 'browser-wasm-t1.json', 'browser-wasm-t1-quiet.json'],
  },
];

/** The budget table (markdown lines), shared by bench/RESULTS.md and the README. */
export function budgetTable(out = OUT): string[] {
  const lines = [
    'Median total ms of `model.trajectory(ids, lens, {topk: 10})` for a GPT-2-shaped model (12 layers, d 768, V 50,257). ' +
      '"full run" = the T = 16/64/256 sweep; "quiet window" = T = 64 again, started when the machine looked idle ' +
      '(`npm run bench -- --quiet`); "1 thread" = intraOpNumThreads 1 / numThreads 1, with the CPU ms per run.',
    '',
    '| runtime | lens | budget ms | 2 threads, full run | 2 threads, quiet window | 1 thread, full run | 1 thread, quiet window |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const budget of BUDGETS) {
    for (const lens of ['tuned', 'logit'] as const) {
      const cells = budget.files.map((file, i) => {
        const c = read(file, out)?.cases.find((x) => x.T === 64 && x.lens === lens);
        const t = c?.totalMs?.median;
        if (t === undefined) return c?.error ? 'failed' : '–';
        if (i >= 2) return `${ms(t)}${c?.cpuMs ? ` (CPU ${ms(c.cpuMs.median)})` : ''}`;
        return `${ms(t)} — ${t <= budget.ms ? 'within' : `**missed** ×${(t / budget.ms).toFixed(1)}`}`;
      });
      lines.push(`| ${budget.label} | ${lens} | ${budget.ms} | ${cells.join(' | ')} |`);
    }
  }
  return lines;
}

function read(file: string, out = OUT): BenchResult | undefined {
  const path = `${out}/${file}`;
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as BenchResult) : undefined;
}

const mb = (bytes: number | undefined) => (bytes === undefined || !Number.isFinite(bytes) || bytes === 0 ? '–' : `${Math.round(bytes / 2 ** 20)}`);
const ms = (x: number | undefined) => (x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const s = (x: number | undefined) => (x === undefined ? '–' : (x / 1000).toFixed(1));

function machine(): string {
  let model = cpus()[0]?.model ?? '?';
  let flags = '';
  try {
    const lscpu = execSync('lscpu', { encoding: 'utf8' });
    model = /Model name:\s+(.*)/.exec(lscpu)?.[1]?.trim() ?? model;
    const f = /Flags:\s+(.*)/.exec(lscpu)?.[1] ?? '';
    flags = ['avx2', 'fma', 'avx512f'].map((x) => `${x} ${f.split(' ').includes(x) ? 'yes' : 'no'}`).join(', ');
  } catch {
    // no lscpu
  }
  return `${model}, ${cpus().length} cores (${flags})`;
}

function peak(result: BenchResult, c: CaseResult): string {
  const m = c.memory ?? {};
  if (result.runtime === 'onnxruntime-node') return `${mb(m.vmHWM)} (sampled ${mb(m.rssSampledPeak)})`;
  if (result.runtime.startsWith('pytorch')) return mb(m.vmHWM);
  return `${mb(m.rendererVmHWM)} renderer; WASM heap ${mb(m.wasmMemory)}`;
}

function caseRows(result: BenchResult): string[] {
  const threads = result.threads ?? `default (${cpus().length})`;
  return result.cases.map((c) => {
    const name = `${result.runtime}`;
    if (c.error || !c.totalMs) {
      return `| ${name} | ${threads} | ${c.T} | ${c.lens} | **failed**: ${(c.error ?? '?').replace(/\|/g, '/').slice(0, 160)} | | | | | | | ${peak(result, c)} |`;
    }
    const other = c.otherMs ? ms(c.otherMs.median) : '–';
    return (
      `| ${name} | ${threads} | ${c.T} | ${c.lens} | **${ms(c.totalMs.median)}** (${ms(c.totalMs.min)}–${ms(c.totalMs.max)}) | ${ms(c.modelMs?.median)} | ${ms(c.headMs?.median)} | ${other} ` +
      `| ${c.gflops?.model ?? '–'} / ${c.gflops?.head ?? '–'} / **${c.gflops?.total ?? '–'}** | ${ms(c.warmupMs)} | ${c.cpuMs ? `${ms(c.cpuMs.median)} / ${ms(c.waitMs?.median)}` : '–'} | ${peak(result, c)} |`
    );
  });
}

export function generate(out = OUT): string {
  const node = read('node.json', out);
  const nodeOneThread = read('node-t1.json', out);
  const browsers = [read('browser-wasm-t1.json', out), read('browser-wasm-t2.json', out)].filter((x): x is BenchResult => !!x);
  const quiet = ['node-quiet.json', 'node-nospin-quiet.json', 'node-t1-quiet.json', 'browser-wasm-t2-quiet.json', 'browser-wasm-t1-quiet.json']
    .map((f) => {
      const r = read(f, out);
      if (r && f.includes('nospin')) r.runtime = 'onnxruntime-node, allow_spinning 0';
      return r;
    })
    .filter((x): x is BenchResult => !!x);
  const torch = (existsSync(out) ? readdirSync(out) : [])
    .filter((f) => /^torch-.*\.json$/.test(f))
    .sort()
    .map((f) => read(f, out))
    .filter((x): x is BenchResult => !!x);
  const all = [node, nodeOneThread, ...browsers, ...torch].filter((x): x is BenchResult => !!x);
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);

  push(`Machine: ${machine()}; ${process.release.name} ${process.version}.`);
  const versions = new Set(all.filter((r) => r.ortVersion).map((r) => `${r.runtime} ${r.ortVersion}`));
  push(`Runtimes: ${[...versions].join(', ') || '–'}${torch.length ? `, ${[...new Set(torch.map((t) => t.runtime))].join(', ')}` : ''}.`);
  push(`Dates: ${all.map((r) => `${r.runtime}${r.threads ? ` t${r.threads}` : ''} ${r.date.slice(0, 16).replace('T', ' ')} UTC`).join('; ') || '–'}.`);
  push('');

  push('### Budget (issue): one lens, whole trajectory, T = 64', '', ...budgetTable(out), '');

  push('### Trajectory timings', '');
  push(
    "Median of the timed runs after one warm-up (min–max in brackets), ms. model = the model graph's session.run (residualStream); head = the head graph's session.run; other = the JS in `trajectory()` around them. " +
      'GFLOP/s = architecture.md §5 FLOPs / median time, as model / head / **total** (model 2·12·d²·L·T ≈ 2×85 M×T; head 13 × 2·d·V·T, + 12 × 2·d²·T for the tuned lens). ' +
      "CPU / wait: per run, CPU time of all the process's threads and their time runnable but waiting for a CPU (/proc schedstat; Node process, or the browser's renderer) — the machine is shared, so wait ≫ 0 means the run was slowed by other work. " +
      "Peak MiB: Node = VmHWM after a reset before the case (and process.memoryUsage().rss sampled every 5 ms); browser = the renderer process's VmHWM, and the WASM heap (which only grows); PyTorch = VmHWM.",
    '',
  );
  push(
    '| runtime | threads | T | lens | total ms | model ms | head ms | other ms | GFLOP/s model / head / total | warm-up ms | CPU / wait ms per run | peak MiB |',
  );
  push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of all) push(...caseRows(r));
  push('');
  if (quiet.length) {
    push('T = 64 again, in a quiet window (same columns):', '');
    push(
      '| runtime | threads | T | lens | total ms | model ms | head ms | other ms | GFLOP/s model / head / total | warm-up ms | CPU / wait ms per run | peak MiB |',
    );
    push('|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of quiet) push(...caseRows(r));
    push('');
  }

  push('### Graph build and session creation (once per model)', '');
  push(
    '| runtime | threads | random weights s | model graph build s | model session s | head graph build s | head session s | LensModel.create total s | graph bytes (model / head) MB | after create MiB |',
  );
  push('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of [node, nodeOneThread, ...browsers].filter((x): x is BenchResult => !!x && !!x.create)) {
    const c = r.create;
    const m = r.memoryAfterCreate ?? {};
    const memory =
      r.runtime === 'onnxruntime-node' ? `VmHWM ${mb(m.vmHWM)}, RSS ${mb(m.vmRSS)}` : `renderer VmHWM ${mb(m.rendererVmHWM)}, WASM heap ${mb(m.wasmMemory)}`;
    push(
      `| ${r.runtime} | ${r.threads ?? `default (${cpus().length})`} | ${s(c.weightsMs)} | ${s(c.modelGraphBuildMs)} | ${s(c.modelSessionMs)} | ${s(c.headGraphBuildMs)} | ${s(c.headSessionMs)} | **${s(c.totalMs)}** | ${(c.modelGraphBytes / 1e6).toFixed(0)} / ${(c.headGraphBytes / 1e6).toFixed(0)} | ${memory} |`,
    );
  }
  push('');

  const browserMemory = browsers.filter((b) => b.memoryEnd);
  if (browserMemory.length) {
    push('### Browser memory at the end (bytes → MiB)', '');
    push('| threads | renderer VmHWM | WASM heap | Worker JS heap used | page JS heap used | measureUserAgentSpecificMemory |', '|---|---|---|---|---|---|');
    for (const b of browserMemory) {
      const m = b.memoryEnd ?? {};
      push(
        `| ${b.threads} | ${mb(m.rendererVmHWM)} | ${mb(m.wasmMemory)} | ${mb(m.workerJsHeapUsed)} | ${mb(m.pageJsHeapUsed)} | ${m.uaSpecificMemoryTimedOut ? 'no answer in 10 s' : mb(m.uaSpecificMemory)} |`,
      );
    }
    push('');
  }

  const profiles = ['profile-node-t1.json', 'profile-node.json', 'profile-wasm-t1.json', 'profile-wasm-t2.json']
    .filter((f) => existsSync(`${out}/${f}`))
    .map((f) => ({ file: f, ...(JSON.parse(readFileSync(`${out}/${f}`, 'utf8')) as ProfileFile) }));
  if (profiles.length) {
    push("### Where the head's time goes (profile-head.ts / browser-profile-entry.ts)", '');
    push(
      "Random inputs of the head's shapes; one warm-up, median of the runs. CPU = CPU time per run of all the process's threads (renderer for WASM); " +
        'with one thread it is the work itself, little disturbed by other load. Cumulative variants are the real head graph pruned to fewer outputs (head-variants.ts); ' +
        'candidate rewrites are head-graph-alt.ts, each checked against the real graph (largest |difference| of any statistic shown).',
      '',
    );
    for (const profile of profiles) {
      for (const entry of profile.perT) {
        push(`**${profile.runtime}, threads ${profile.threads}, T = ${entry.T}** (${profile.file}, ${profile.date.slice(0, 16).replace('T', ' ')} UTC)`, '');
        push('| graph | median ms | CPU ms/run | |', '|---|---|---|---|');
        for (const [label, g] of Object.entries(entry.gemm)) {
          push(
            `| unembedding GEMM alone, ${label} | ${ms(g.ms.median)} | ${ms(g.cpuMs?.median)} | ${g.gflops} GFLOP/s${g.gflopsPerCpuSecond ? ` (${g.gflopsPerCpuSecond} per CPU-second)` : ''} |`,
          );
        }
        for (const [label, v] of Object.entries(entry.headVariants))
          push(`| head: ${label} | ${ms(v.ms.median)} | ${ms(v.cpuMs?.median)} | ${v.description} |`);
        for (const [label, v] of Object.entries(entry.alternatives ?? {})) {
          const worst = Math.max(
            ...Object.entries(v.check ?? {})
              .filter(([k]) => k.startsWith('maxAbsDiff'))
              .map(([, x]) => x),
          );
          push(
            `| rewrite: ${label} | ${ms(v.ms.median)} | ${ms(v.cpuMs?.median)} | max abs diff ${worst.toPrecision(2)}, top-k ids equal ${((v.check?.topkIdsEqual ?? 0) * 100).toFixed(1)} % |`,
          );
        }
        push('');
        if (entry.headProfile) {
          const ops = Object.entries(entry.headProfile.byOp).filter(([, v]) => v >= 0.5);
          push(`ORT profiler, real head graph, ms per run by op: ${ops.map(([k, v]) => `${k} ${v}`).join(', ')}.`, '');
        }
      }
      for (const m of profile.model ?? []) {
        const ops = Object.entries(m.byOp).filter(([, v]) => v >= 0.5);
        push(
          `Model graph (${profile.runtime}, threads ${profile.threads}) T = ${m.T}: ${ms(m.ms.median)} ms, CPU ${ms(m.cpuMs?.median)} ms (${m.gflops} GFLOP/s); ORT profiler by op, ms per run: ${ops.map(([k, v]) => `${k} ${v}`).join(', ')}.`,
          '',
        );
      }
    }
  }

  const notes = all.flatMap((r) => r.notes.map((n) => `- ${r.runtime}${r.threads ? ` t${r.threads}` : ''}: ${n}`));
  if (notes.length) push('### Run notes', '', ...notes, '');
  return lines.join('\n');
}

/** The load average a run noted ("load average before a b c, after a b c"), or '–'. */
function loadNote(result: BenchResult): string {
  const note = result.notes.find((n) => n.startsWith('load average'));
  return note ? note.replace('load average ', '') : '–';
}

/**
 * The keystroke case beside a full recompute and PyTorch, from one `npm run bench -- --keystroke`
 * run: GPT-2 shape, tuned lens, a 63-token prompt shown, then one more token, seed view (last 10).
 */
export function keystrokeTable(): string[] {
  const results = KEYSTROKE_FILES.map((file) => read(file)).filter((x): x is BenchResult => !!x);
  if (!results.length) return ['(no keystroke run yet: `npm run bench -- --keystroke`)'];
  const lines = [
    'GPT-2 shape (12 layers, d 768, V 50,257, random weights), tuned lens, top-10. **Keystroke** = the seed view (last 10 positions) of a ' +
      '64-token prompt right after its first 63 tokens were shown: the model runs on the new token with the cached keys and values, the head on ' +
      'the positions whose cells changed. **Full** = the whole T = 64 trajectory recomputed (`reuse: false`), as every update did before. ' +
      "PyTorch = the reference implementation's full T = 64 (bench/trajectory/torch_reference.py). All in one run, one after the other; " +
      'the machine is shared, so each row carries its load average and its CPU / wait time per run (wait = runnable but not running).',
    '',
    `| runtime | threads | keystroke ms (min–max) | model / head / other ms | computed (tokens / positions) | full recompute ms | speed-up | keystroke = full? | CPU / wait ms per keystroke | load average | date (UTC) |`,
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const key = r.cases.find((c) => c.kind === 'keystroke');
    const full = r.cases.find((c) => (c.kind ?? 'full') === 'full' && c.T === 64 && c.lens === 'tuned');
    const threads = r.threads ?? `default (${cpus().length})`;
    const date = r.date.slice(0, 16).replace('T', ' ');
    const fullMs = full?.totalMs?.median;
    if (!key) {
      lines.push(
        `| ${r.runtime} | ${threads} | – | – | – | ${fullMs === undefined ? (full?.error ? 'failed' : '–') : `**${ms(fullMs)}**`} | – | – | – | ${loadNote(r)} | ${date} |`,
      );
      continue;
    }
    if (!key.totalMs) {
      lines.push(
        `| ${r.runtime} | ${threads} | **failed**: ${(key.error ?? '?').replace(/\|/g, '/').slice(0, 120)} | | | ${ms(fullMs)} | | | | ${loadNote(r)} | ${date} |`,
      );
      continue;
    }
    const t = key.totalMs;
    const budget = r.runtime.includes('wasm') ? ` — ${t.median <= KEYSTROKE_BUDGET_MS ? 'within' : '**missed**'} ${KEYSTROKE_BUDGET_MS} ms` : '';
    const same = key.check?.replace(/^.*vs full recompute: /, '') ?? '–';
    lines.push(
      `| ${r.runtime} | ${threads} | **${ms(t.median)}** (${ms(t.min)}–${ms(t.max)})${budget} | ${ms(key.modelMs?.median)} / ${ms(key.headMs?.median)} / ${ms(key.otherMs?.median)} ` +
        `| ${key.work ? `${key.work.modelTokens} / ${key.work.headPositions}` : '–'} | ${ms(fullMs)} | ${fullMs ? `×${(fullMs / t.median).toFixed(0)}` : '–'} | ${same} ` +
        `| ${key.cpuMs ? `${ms(key.cpuMs.median)} / ${ms(key.waitMs?.median)}` : '–'} | ${loadNote(r)} | ${date} |`,
    );
  }
  const browser = results.find((r) => r.runtime.includes('wasm'));
  const m = browser?.memoryAfterCreate;
  if (m?.rendererVmHWM) {
    const before = browser?.memoryAtStart?.rendererVmHWM;
    const fromFile = browser?.notes?.some((note) => note.includes('model.safetensors'));
    const running = (browser?.cases ?? []).map((c) => c.memory ?? {}).filter((x) => x.rendererVmHWM);
    const peak = Math.max(m.rendererVmHWM, ...running.map((x) => x.rendererVmHWM));
    const runningPeak = running.reduce((top, x) => (x.rendererVmHWM > (top?.rendererVmHWM ?? 0) ? x : top), undefined as Record<string, number> | undefined);
    lines.push(
      '',
      `Renderer peak (VmHWM) on 2-thread WASM: ${mb(m.rendererVmHWM)} MiB while the GPT-2-shaped model loaded` +
        (fromFile ? ' from its downloaded model.safetensors' : '') +
        ` (WASM heap ${mb(m.wasmMemory)} MiB)` +
        (runningPeak ? `, ${mb(runningPeak.rendererVmHWM)} MiB at most while the cases ran (heap ${mb(runningPeak.wasmMemory)} MiB)` : '') +
        (before ? `; before the weights were read, ${mb(before)} MiB` : '') +
        `. The goal, ≤ 1.25 GB (${mb(MEMORY_BUDGET_BYTES)} MiB): ${peak <= MEMORY_BUDGET_BYTES ? 'met' : '**missed**'}.`,
    );
  }
  const c = browser?.comparison;
  if (c) {
    const cpu = (side: { cpuMs?: Summary }) => (side.cpuMs ? `, CPU ${ms(side.cpuMs.median)}` : '');
    lines.push(
      '',
      `Same page, the keystroke alternating with a second model made with the session options ${'`'}${JSON.stringify(c.sessionOptions)}${'`'} on top ` +
        `(${c.runs} each, median): ${ms(c.base.totalMs.median)} ms (model ${ms(c.base.modelMs.median)}, head ${ms(c.base.headMs.median)}${cpu(c.base)}) ` +
        `against ${ms(c.compared.totalMs.median)} ms (model ${ms(c.compared.modelMs.median)}, head ${ms(c.compared.headMs.median)}${cpu(c.compared)}); ${c.check}.`,
    );
  }
  return lines;
}

export function writeKeystrokeReport(): void {
  const body = keystrokeTable().join('\n');
  rewriteBlock(RESULTS, KEYSTROKE_BEGIN, KEYSTROKE_END, `### Keystroke: one more token, seed view\n\n${body}`, '');
  rewriteBlock(README, KEYSTROKE_BEGIN, KEYSTROKE_END, body, '');
}

/** Merges `body` into the text between `begin` and `end` in `file` (or appends the block when the markers are missing). */
function rewriteBlock(file: string, begin: string, end: string, body: string, fresh: string): void {
  let text: string;
  if (existsSync(file)) {
    const old = readFileSync(file, 'utf8');
    const a = old.indexOf(begin);
    const b = old.indexOf(end);
    text =
      a >= 0 && b > a
        ? `${old.slice(0, a)}${begin}\n${mergeReport(old.slice(a + begin.length, b).trim(), body)}\n${end}${old.slice(b + end.length)}`
        : `${old.trimEnd()}\n\n${begin}\n${body}\n${end}\n`;
  } else {
    text = `${fresh}${begin}\n${body}\n${end}\n`;
  }
  writeFileSync(file, text);
  console.log(`[bench] wrote ${file}`);
}

export function writeReport(): void {
  rewriteBlock(
    RESULTS,
    BEGIN,
    END,
    generate(),
    '# Benchmarks: the GPT-2 trajectory\n\nCommands: `npm run bench -- --browser --torch --profile` (see bench/trajectory/run.ts).\n\n',
  );
  rewriteBlock(README, README_BEGIN, README_END, budgetTable().join('\n'), '');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) writeReport();
