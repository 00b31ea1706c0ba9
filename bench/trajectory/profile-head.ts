/**
 * Where the head graph's (and the model graph's) time goes on onnxruntime-node:
 *
 *   node --import tsx bench/trajectory/profile-head.ts [--T 16,64] [--runs 5] [--model] [--threads n]
 *
 * 1. GEMM ceiling: the unembedding alone as one MatMul [R·T, d] × [d, V] (and the 3-D form the head
 *    graph uses, [R, T, d] × [d, V]), to see what MLAS reaches here.
 * 2. Cumulative head variants (head-variants.ts): unembedding only, + softmax statistics,
 *    + cross-entropy, + rank, + top-k (= the real head graph), top-k alone.
 * 3. ORT's own profiler (enableProfiling) on the real head graph (and, with --model, on the model
 *    graph): time per op type per run.
 *
 * Writes bench/out/profile-node.json.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import * as ort from 'onnxruntime-node';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { buildHeadGraph } from '../../src/lens/lens/head-graph.ts';
import { buildGPT2Graph } from '../../src/lens/model/gpt2-graph.ts';
import { GraphBuilder } from '../../src/lens/onnx/graph-builder.ts';
import { summarize, type Summary } from './core.ts';
import { HEAD_VARIANTS, headOnlyCheckpoint, pruneHeadGraph } from './head-variants.ts';
import { gpt2SmallConfig, randomGPT2Checkpoint, randomIds, Rng } from './random-gpt2.ts';

const OUT = 'bench/out';
const argv = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : fallback;
};
const lengths = arg('--T', '16,64').split(',').map(Number);
const runs = Number(arg('--runs', '5'));
const threads = argv.includes('--threads') ? Number(arg('--threads', '0')) : undefined;
const withModel = argv.includes('--model');

const config = gpt2SmallConfig();
const { dModel: d, numLayers: L, vocabSize: V } = config;
const R = L + 1;
const sessionOptions: InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
  ...(threads ? { intraOpNumThreads: threads } : {}),
};

type Feeds = Record<string, Tensor>;

async function timeSession(model: Uint8Array, feeds: Feeds, extra: InferenceSession.SessionOptions = {}) {
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(model, { ...sessionOptions, ...extra });
  const createMs = performance.now() - t0;
  const used: Feeds = {};
  for (const name of session.inputNames) used[name] = feeds[name];
  await session.run(used); // warm-up
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    await session.run(used);
    times.push(performance.now() - t);
  }
  return { session, createMs, times: summarize(times) };
}

/** MatMul + ReduceMax, [rows, d] or [R, T, d] times a random [d, V]. */
function gemmGraph(shape: number[], weight: Float32Array): Uint8Array {
  const g = new GraphBuilder('gemm');
  const x = g.input('x', 'float32', shape);
  const w = g.initializer('w', weight, [d, V]);
  const y = g.node('MatMul', [x, w]);
  const m = g.node('ReduceMax', [y], { axes: [-1], keepdims: 0 });
  g.output('m', 'float32', shape.slice(0, -1), m);
  return g.toModel(17);
}

/** Per op type, ms per run, from an ORT profile file. */
function readProfile(prefix: string, runsInFile: number): { byOp: Record<string, number>; topNodes: [string, number][] } {
  const file = readdirSync(OUT)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .map((f) => join(OUT, f))
    .pop();
  if (!file) throw new Error(`no profile file ${prefix}*.json in ${OUT}`);
  const events = JSON.parse(readFileSync(file, 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
  const byOp: Record<string, number> = {};
  const byNode: Record<string, number> = {};
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    byOp[op] = (byOp[op] ?? 0) + e.dur / 1000 / runsInFile;
    const node = `${e.name.replace(/_kernel_time$/, '')} (${op})`;
    byNode[node] = (byNode[node] ?? 0) + e.dur / 1000 / runsInFile;
  }
  rmSync(file);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    byOp: Object.fromEntries(Object.entries(byOp).sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, round(v)])),
    topNodes: Object.entries(byNode).sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => [k, round(v)]),
  };
}

async function profileSession(name: string, model: Uint8Array, feeds: Feeds) {
  const prefix = `ort-profile-${name}-${process.pid}`;
  const session = await ort.InferenceSession.create(model, { ...sessionOptions, enableProfiling: true, profileFilePrefix: join(OUT, prefix) });
  const used: Feeds = {};
  for (const input of session.inputNames) used[input] = feeds[input];
  // The warm-up's events are counted too; profile 1 + runs runs and divide by that.
  for (let r = 0; r < runs + 1; r++) await session.run(used);
  session.endProfiling();
  await session.release();
  return readProfile(prefix, runs + 1);
}

const log = (m: string) => console.log(`[profile] ${m}`);
mkdirSync(OUT, { recursive: true });
const result: Record<string, unknown> = {
  date: new Date().toISOString(),
  runtime: 'onnxruntime-node',
  threads: threads ?? 'ORT default',
  loadavgStart: loadavg(),
  runs,
};

const rng = new Rng(99);
const ckpt = headOnlyCheckpoint(config);
const head = buildHeadGraph(ckpt);
const wteT = new Float32Array(d * V); // the head's [d, V] unembedding, random
rng.fillNormal(wteT, 0.02);

const perT: Record<string, unknown>[] = [];
for (const T of lengths) {
  const entry: Record<string, unknown> = { T };
  perT.push(entry);
  const feeds: Feeds = {
    residual_stream: new ort.Tensor('float32', rng.fillNormal(new Float32Array(R * T * d), 1), [R, T, d]),
    translator_weight: new ort.Tensor('float32', rng.fillNormal(new Float32Array(L * d * d), 0.02), [L, d, d]),
    translator_bias: new ort.Tensor('float32', rng.fillNormal(new Float32Array(L * d), 0.02), [L, d]),
    targets: new ort.Tensor('int64', BigInt64Array.from(randomIds(T, V), BigInt), [T]),
    k: new ort.Tensor('int64', BigInt64Array.of(10n), [1]),
  };
  const unembedFlops = R * 2 * d * V * T;

  // 1. GEMM ceiling
  const gemm: Record<string, unknown> = {};
  for (const [label, shape] of [
    ['2-D [R·T, d]×[d, V]', [R * T, d]],
    ['3-D [R, T, d]×[d, V]', [R, T, d]],
  ] as const) {
    const x = new ort.Tensor('float32', (feeds.residual_stream.data as Float32Array).slice(), [...shape]);
    const { session, times } = await timeSession(gemmGraph([...shape], wteT), { x });
    await session.release();
    gemm[label] = { ms: times, gflops: Math.round((unembedFlops / (times.median * 1e6)) * 10) / 10 };
    log(`T=${T} GEMM ${label}: ${times.median} ms, ${(unembedFlops / (times.median * 1e6)).toFixed(1)} GFLOP/s`);
  }
  entry.gemm = gemm;

  // 2. Cumulative head variants
  const variants: Record<string, { description: string; ms: Summary; createMs: number }> = {};
  for (const variant of HEAD_VARIANTS) {
    const pruned = variant.name.startsWith('full') ? head : pruneHeadGraph(head, variant.outputs).model;
    const { session, times, createMs } = await timeSession(pruned, feeds);
    await session.release();
    variants[variant.name] = { description: variant.description, ms: times, createMs: Math.round(createMs) };
    log(`T=${T} head ${variant.name}: ${times.median} ms`);
  }
  entry.headVariants = variants;

  // 3. ORT profiler on the real head graph
  entry.headProfile = await profileSession('head', head, feeds);
  log(`T=${T} head profile by op (ms/run): ${JSON.stringify((entry.headProfile as { byOp: unknown }).byOp)}`);
}
result.perT = perT;

if (withModel) {
  log('model graph: making the full random checkpoint…');
  const model = buildGPT2Graph(randomGPT2Checkpoint(config));
  const modelProfiles: Record<string, unknown>[] = [];
  for (const T of lengths) {
    const feeds: Feeds = { input_ids: new ort.Tensor('int64', BigInt64Array.from(randomIds(T, V), BigInt), [T]) };
    const { session, times } = await timeSession(model, feeds);
    await session.release();
    const profile = await profileSession('model', model, feeds);
    const flops = 2 * 12 * d * d * L * T;
    modelProfiles.push({ T, ms: times, gflops: Math.round((flops / (times.median * 1e6)) * 10) / 10, ...profile });
    log(`T=${T} model: ${times.median} ms; by op (ms/run): ${JSON.stringify(profile.byOp)}`);
  }
  result.model = modelProfiles;
}
result.loadavgEnd = loadavg();
const file = join(OUT, `profile-node${threads ? `-t${threads}` : ''}.json`);
writeFileSync(file, JSON.stringify(result, null, 2));
log(`wrote ${file}`);
