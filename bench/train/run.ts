/**
 * Throughput of one tuned-lens training step (the train-step graph: forward, hand-written backward)
 * on onnxruntime-node, for the tiny fixture model and a GPT-2-small-shaped random model, beside
 * PyTorch doing the same step with autograd (bench/train/torch_train_step.py, /usr/bin/python3).
 *
 *   npx tsx bench/train/run.ts [--tokens 512] [--runs 3] [--models tiny,gpt2] [--no-torch]
 *
 * Per model: the model graph's residual stream for the batch's tokens (timed too: a full training
 * step also needs it), then the train-step graph on [L, N, d] rows — two warm-up runs (ORT's arena
 * grows on the first ones), then the median of `runs`. Writes bench/train/out/results.json and
 * prints a Markdown table (copied into bench/train/RESULTS.md).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import type { GPT2Checkpoint } from '../../src/lens/model/gpt2-checkpoint.ts';
import { buildGPT2Graph } from '../../src/lens/model/gpt2-graph.ts';
import { modelFeeds } from '../../src/lens/model/kv-cache.ts';
import { buildTrainStepGraph } from '../../src/lens/train/train-step-graph.ts';
import { unembeddingOf } from '../../src/lens/train/unembedding.ts';
import { loadTinyCheckpoint } from '../../tests/helpers/tiny-gpt2.ts';
import { randomGPT2Checkpoint, randomIds, Rng } from '../trajectory/random-gpt2.ts';

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '512' },
    runs: { type: 'string', default: '3' },
    models: { type: 'string', default: 'tiny,gpt2' },
    'no-torch': { type: 'boolean', default: false },
  },
});
const N = Number(values.tokens);
const RUNS = Number(values.runs);
const OUT = new URL('./out/', import.meta.url);
mkdirSync(OUT, { recursive: true });

function vmHWM(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}
function resetHWM(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    /* not permitted: the peak then covers the whole process */
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (ms: number) => ms / 1000;

interface Row {
  runtime: string;
  model: string;
  L: number;
  d: number;
  V: number;
  N: number;
  variant: string;
  modelMs?: number;
  stepMs: number;
  stepMinMs: number;
  stepMaxMs: number;
  warmupMs: number[];
  sessionMs?: number;
  tokensPerSecond: number;
  withModelTokensPerSecond?: number;
  gflops: number;
  peakMiB: number;
}

/** FLOPs of one step: per row 2·N·d·V forward (z) + 2·N·d·V backward (q·wte), plus the output row's 2·N·d·V twice (z_L, p·wte). */
function stepFlops(L: number, N: number, d: number, V: number): number {
  return (2 * L + 2) * 2 * N * d * V;
}

async function benchModel(name: string, ckpt: GPT2Checkpoint): Promise<Row> {
  const { numLayers: L, dModel: d, vocabSize: V, nPositions } = ckpt.config;
  const options = { graphOptimizationLevel: 'all', logSeverityLevel: 3 } as const;

  // The residual stream for N tokens, in chunks of at most n_positions.
  const modelGraph = buildGPT2Graph(ckpt);
  const modelSession = await ort.InferenceSession.create(modelGraph.bytes, { ...options, externalData: modelGraph.externalData });
  const ids = randomIds(N, V, 7);
  const residual = new Float32Array(L * N * d);
  const output = new Float32Array(N * d);
  const modelTimes: number[] = [];
  for (let pass = 0; pass < 2; pass++) {
    const t0 = performance.now();
    for (let from = 0; from < N; from += nPositions) {
      const chunk = ids.slice(from, from + nPositions);
      const T = chunk.length;
      const { residual_stream } = await modelSession.run(await modelFeeds(ort.Tensor, ckpt, chunk));
      const data = residual_stream.data as Float32Array;
      for (let l = 0; l < L; l++) residual.set(data.subarray(l * T * d, (l + 1) * T * d), (l * N + from) * d);
      output.set(data.subarray(L * T * d), from * d);
    }
    modelTimes.push(performance.now() - t0);
  }
  await modelSession.release();

  const weight = new Rng(11).fillNormal(new Float32Array(L * d * d), 0.01);
  const bias = new Rng(12).fillNormal(new Float32Array(L * d), 0.01);
  resetHWM();
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(buildTrainStepGraph(unembeddingOf(ckpt)), options);
  const sessionMs = performance.now() - t0;
  const feeds = {
    residual: new ort.Tensor('float32', residual, [L, N, d]),
    output_residual: new ort.Tensor('float32', output, [N, d]),
    weight: new ort.Tensor('float32', weight, [L, d, d]),
    bias: new ort.Tensor('float32', bias, [L, d]),
  };
  const warmupMs: number[] = [];
  const times: number[] = [];
  for (let i = 0; i < 2 + RUNS; i++) {
    const t = performance.now();
    const out = await session.run(feeds);
    const ms = performance.now() - t;
    if (!Number.isFinite((out.loss.data as Float32Array)[0])) throw new Error(`${name}: the loss is not finite`);
    (i < 2 ? warmupMs : times).push(ms);
  }
  await session.release();
  const stepMs = median(times);
  const modelMs = modelTimes[1];
  const row: Row = {
    runtime: 'onnxruntime-node 1.30.0',
    model: name,
    L,
    d,
    V,
    N,
    variant: 'train-step graph (all layers in one run)',
    modelMs,
    stepMs,
    stepMinMs: Math.min(...times),
    stepMaxMs: Math.max(...times),
    warmupMs,
    sessionMs,
    tokensPerSecond: N / seconds(stepMs),
    withModelTokensPerSecond: N / seconds(stepMs + modelMs),
    gflops: stepFlops(L, N, d, V) / 1e9 / seconds(stepMs),
    peakMiB: vmHWM(),
  };
  console.error(
    `${name}: step ${stepMs.toFixed(0)} ms (${row.tokensPerSecond.toFixed(0)} tok/s, ${row.gflops.toFixed(1)} GFLOP/s), model ${modelMs.toFixed(0)} ms, peak ${row.peakMiB.toFixed(0)} MiB`,
  );
  return row;
}

/**
 * Debian's torch 1.13 uses a generic (reference) BLAS: a GPT-2-shaped step takes minutes, so that
 * one runs once, without warm-up, one layer at a time only (as tuned-lens does).
 */
function torchRows(model: string): Row[] {
  const script = new URL('./torch_train_step.py', import.meta.url).pathname;
  const slow = model === 'gpt2' ? ['--warmup', '0', '--runs', '1', '--variants', 'per-layer'] : ['--runs', String(RUNS)];
  const out = execFileSync('/usr/bin/python3', [script, '--model', model, '--tokens', String(N), '--threads', String(cpus().length), ...slow], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out) as Row[];
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const loadBefore = loadavg();
const rows: Row[] = [];
for (const name of values.models.split(',')) {
  const ckpt = name === 'tiny' ? loadTinyCheckpoint('tiny-gpt2') : randomGPT2Checkpoint();
  rows.push(await benchModel(name === 'tiny' ? 'tiny-gpt2' : 'random GPT-2 small', ckpt));
  if (!values['no-torch']) rows.push(...torchRows(name));
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const result = {
  date: new Date().toISOString(),
  machine: `${cpu}, ${cpus().length} cores`,
  node: process.version,
  loadavg: { before: loadBefore, after: loadavg() },
  N,
  runs: RUNS,
  rows,
};
writeFileSync(new URL('results.json', OUT), JSON.stringify(result, null, 2) + '\n');

const n0 = (x: number | undefined) => (x === undefined ? '–' : Math.round(x).toLocaleString('en-US'));
console.log(
  `Machine: ${result.machine}; node ${process.version}; load average ${result.loadavg.before} before, ${result.loadavg.after} after; N = ${N} tokens per step run; median of ${RUNS} after 2 warm-ups.\n`,
);
console.log('| runtime | model (L, d, V) | how | step ms | tokens/s (step) | GFLOP/s | model forward ms | tokens/s (model + step) | peak MiB |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.runtime} | ${r.model} (${r.L}, ${r.d}, ${r.V}) | ${r.variant} | ${n0(r.stepMs)} (${n0(r.stepMinMs)}–${n0(r.stepMaxMs)}) | **${n0(r.tokensPerSecond)}** | ${r.gflops.toFixed(1)} | ${n0(r.modelMs)} | ${n0(r.withModelTokensPerSecond)} | ${n0(r.peakMiB)} |`,
  );
}
