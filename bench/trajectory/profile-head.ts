/**
 * Where the head graph's (and the model graph's) time goes on onnxruntime-node:
 *
 *   node --import tsx bench/trajectory/profile-head.ts [--T 16,64] [--runs 5] [--model] [--threads n]
 *
 * profile-core.ts's GEMM ceiling, cumulative head variants and candidate rewrites, each with its CPU
 * time per run (all threads, /proc schedstat — with --threads 1 that is the work itself, little
 * disturbed by other load on the machine); then ORT's own profiler (enableProfiling) on the real
 * head graph and, with --model, on the model graph: time per op type per run.
 *
 * Writes bench/out/profile-node[-t<n>].json.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { buildHeadGraph } from '../../src/lens/lens/head-graph.ts';
import { buildGPT2Graph } from '../../src/lens/model/gpt2-graph.ts';
import type { OnnxModel } from '../../src/lens/onnx/graph-builder.ts';
import { modelFeeds } from '../../src/lens/model/kv-cache.ts';
import { headOnlyCheckpoint } from './head-variants.ts';
import { processSchedstat } from './node.ts';
import { profileHead, timeGraph, type ProfileHost } from './profile-core.ts';
import { gpt2SmallConfig, randomGPT2Checkpoint, randomIds, Rng } from './random-gpt2.ts';

const OUT = 'bench/out';
const argv = process.argv.slice(2);
const arg = (name: string, fallback: string) => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : fallback);
const lengths = arg('--T', '16,64').split(',').map(Number);
const runs = Number(arg('--runs', '5'));
const threads = argv.includes('--threads') ? Number(arg('--threads', '0')) : undefined;
const withModel = argv.includes('--model');

const sessionOptions: InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
  ...(threads ? { intraOpNumThreads: threads } : {}),
};
const log = (m: string) => console.log(`[profile${threads ? ` t${threads}` : ''}] ${m}`);
const host: ProfileHost = { ort, sessionOptions, schedstat: async () => processSchedstat('self'), log };

type Feeds = Record<string, Tensor>;

/** ms per run by op type (and the slowest nodes) from the ORT profile file with this prefix. */
function readProfile(prefix: string, runsInFile: number) {
  const file = readdirSync(OUT)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .map((f) => join(OUT, f))
    .pop();
  if (!file) throw new Error(`no profile file ${prefix}*.json in ${OUT}`);
  const events = JSON.parse(readFileSync(file, 'utf8')) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
  rmSync(file);
  const byOp: Record<string, number> = {};
  const byNode: Record<string, number> = {};
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const op = e.args?.op_name ?? '?';
    byOp[op] = (byOp[op] ?? 0) + e.dur / 1000 / runsInFile;
    const node = `${e.name.replace(/_kernel_time$/, '')} (${op})`;
    byNode[node] = (byNode[node] ?? 0) + e.dur / 1000 / runsInFile;
  }
  const round = (x: number) => Math.round(x * 10) / 10;
  const sorted = (o: Record<string, number>) => Object.entries(o).sort((a, b) => b[1] - a[1]);
  return {
    byOp: Object.fromEntries(sorted(byOp).map(([k, v]) => [k, round(v)])),
    topNodes: sorted(byNode)
      .slice(0, 20)
      .map(([k, v]) => [k, round(v)]),
  };
}

async function ortProfile(name: string, model: OnnxModel, feeds: Feeds) {
  const prefix = `ort-profile-${name}-${process.pid}`;
  const session = await ort.InferenceSession.create(model.bytes, {
    ...sessionOptions,
    externalData: model.externalData,
    enableProfiling: true,
    profileFilePrefix: join(OUT, prefix),
  });
  const used: Feeds = {};
  for (const input of session.inputNames) used[input] = feeds[input];
  await session.run(used); // warm-up (its events are counted too: divide by runs + 1)
  for (let r = 0; r < runs; r++) await session.run(used);
  session.endProfiling();
  await session.release();
  return readProfile(prefix, runs + 1);
}

mkdirSync(OUT, { recursive: true });
const config = gpt2SmallConfig();
const { dModel: d, numLayers: L, vocabSize: V } = config;
const result: Record<string, unknown> = {
  date: new Date().toISOString(),
  runtime: 'onnxruntime-node',
  threads: threads ?? 'ORT default',
  loadavgStart: loadavg(),
  runs,
};
const perT = await profileHead(host, lengths, runs);

// ORT's own per-op profile of the real head graph.
const rng = new Rng(7);
const head = buildHeadGraph(headOnlyCheckpoint(config));
for (const entry of perT) {
  const T = entry.T as number;
  const feeds: Feeds = {
    residual_stream: new ort.Tensor('float32', rng.fillNormal(new Float32Array((L + 1) * T * d), 1), [L + 1, T, d]),
    translator_weight: new ort.Tensor('float32', rng.fillNormal(new Float32Array(L * d * d), 0.02), [L, d, d]),
    translator_bias: new ort.Tensor('float32', rng.fillNormal(new Float32Array(L * d), 0.02), [L, d]),
    targets: new ort.Tensor('int64', BigInt64Array.from(randomIds(T, V), BigInt), [T]),
    k: new ort.Tensor('int64', BigInt64Array.of(10n), [1]),
  };
  entry.headProfile = await ortProfile('head', head, feeds);
  log(`T=${T} head, ORT profiler, ms/run by op: ${JSON.stringify((entry.headProfile as { byOp: unknown }).byOp)}`);
}
result.perT = perT;

if (withModel) {
  log('model graph: making the full random checkpoint…');
  const checkpoint = randomGPT2Checkpoint(config);
  const model = buildGPT2Graph(checkpoint);
  const modelProfiles: Record<string, unknown>[] = [];
  for (const T of lengths) {
    const feeds: Feeds = await modelFeeds(ort.Tensor, checkpoint, randomIds(T, V));
    const { outputs: _outputs, ...timing } = await timeGraph(host, model, feeds, runs);
    const profile = await ortProfile('model', model, feeds);
    const flops = 2 * 12 * d * d * L * T;
    modelProfiles.push({ T, ...timing, gflops: Math.round((flops / (timing.ms.median * 1e6)) * 10) / 10, ...profile });
    log(`T=${T} model: ${timing.ms.median} ms${timing.cpuMs ? `, CPU ${timing.cpuMs.median} ms` : ''}; by op (ms/run): ${JSON.stringify(profile.byOp)}`);
  }
  result.model = modelProfiles;
}
result.loadavgEnd = loadavg();
const file = join(OUT, `profile-node${threads ? `-t${threads}` : ''}.json`);
writeFileSync(file, JSON.stringify(result, null, 2));
log(`wrote ${file}`);
