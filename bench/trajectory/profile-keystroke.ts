/**
 * Where a keystroke's time goes on onnxruntime-node (issue 12): the model graph on one appended
 * token with the cached keys and values of 63 (P = 63, T = 1), and the head graph on one position
 * (13 rows), each under ORT's profiler, beside the same 48 weight products and bias adds alone (the
 * blocks' MatMul + Add, nothing else), all in one loop, taking turns:
 *
 *   node --import tsx bench/trajectory/profile-keystroke.ts [--runs 30]
 *
 * The machine is shared, so what to read is the ratios within a turn and the CPU time per run, not
 * the wall times. Writes bench/out/profile-keystroke.json.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { buildHeadGraph, HEAD_OUTPUTS } from '../../src/lens/lens/head-graph.ts';
import { modelFeeds } from '../../src/lens/model/kv-cache.ts';
import { GraphBuilder } from '../../src/lens/onnx/graph-builder.ts';
import { summarize } from './core.ts';
import { processSchedstat } from './node.ts';
import { gpt2SmallConfig, randomGPT2Checkpoint, randomIds, randomTunedLens, Rng } from './random-gpt2.ts';

const OUT = 'bench/out';
const argv = process.argv.slice(2);
const runs = argv.includes('--runs') ? Number(argv[argv.indexOf('--runs') + 1]) : 30;
const options: InferenceSession.SessionOptions = { executionProviders: ['cpu'], graphOptimizationLevel: 'all', logSeverityLevel: 3 };
const log = (m: string) => console.log(`[profile-keystroke] ${m}`);

mkdirSync(OUT, { recursive: true });
const loadavgStart = loadavg();
const config = gpt2SmallConfig();
const { dModel: d, numLayers: L, vocabSize: V } = config;
log('making the random GPT-2-shaped checkpoint…');
const ckpt = randomGPT2Checkpoint(config);

/** The blocks' weight products alone: x [1, d] through each block's four MatMul + bias Add (q of c_attn feeds c_proj). */
function gemmsOnly() {
  const g = new GraphBuilder('gemms-only');
  const w = (name: string) => {
    const t = ckpt.get(name);
    return g.initializer(name, t.data, t.shape);
  };
  let x = g.input('x', 'float32', [1, d]);
  const linear = (input: string, name: string) => g.node('Add', [g.node('MatMul', [input, w(`${name}.weight`)]), w(`${name}.bias`)]);
  for (let i = 0; i < L; i++) {
    const [q] = g.node('Split', [linear(x, `h.${i}.attn.c_attn`)], { axis: 1 }, 3);
    x = linear(linear(linear(q, `h.${i}.attn.c_proj`), `h.${i}.mlp.c_fc`), `h.${i}.mlp.c_proj`);
  }
  g.output('y', 'float32', [1, d], x);
  return g.toExternalModel(17);
}

const profiled = (name: string) => ({ enableProfiling: true, profileFilePrefix: join(OUT, `ort-profile-keystroke-${name}-${process.pid}`) });
const create = ({ bytes, externalData }: { bytes: Uint8Array; externalData: InferenceSession.SessionOptions['externalData'] }, extra = {}) =>
  ort.InferenceSession.create(bytes, { ...options, externalData, ...extra });
const modelGraph = ckpt.modelGraph();
const headGraph = buildHeadGraph(ckpt);
const ids = randomIds(64, V);
const lens = randomTunedLens(config);
const rng = new Rng(3);
const headFeeds: Record<string, Tensor> = {
  residual_stream: new ort.Tensor('float32', rng.fillNormal(new Float32Array((L + 1) * d), 1), [L + 1, 1, d]),
  translator_weight: new ort.Tensor('float32', lens.translatorWeight, [L, d, d]),
  translator_bias: new ort.Tensor('float32', lens.translatorBias, [L, d]),
  targets: new ort.Tensor('int64', BigInt64Array.of(0n), [1]),
  k: new ort.Tensor('int64', BigInt64Array.of(10n), [1]),
};
const gemmFeeds = { x: new ort.Tensor('float32', rng.fillNormal(new Float32Array(d), 1), [1, d]) };

type Case = 'model' | 'head' | 'gemmsOnly';
const wall: Record<Case, number[]> = { model: [], head: [], gemmsOnly: [] };
const cpu: Record<Case, number[]> = { model: [], head: [], gemmsOnly: [] };

/**
 * The keystroke's model and head runs (and, when timed, the products alone), `n` turns; timed without
 * the profiler, whose per-node bookkeeping would weigh on the model's 400-odd small nodes.
 */
async function turns(n: number, profile: boolean): Promise<void> {
  const model = await create(modelGraph, profile ? profiled('model') : {});
  const head = await create(headGraph, profile ? profiled('head') : {});
  const gemms = profile ? undefined : await create(gemmsOnly());
  const prompt = await model.run(await modelFeeds(ort.Tensor, ckpt, ids.slice(0, 63)));
  const past = { length: 63, keys: prompt.present_keys.data as Float32Array, values: prompt.present_values.data as Float32Array };
  const keystrokeFeeds = await modelFeeds(ort.Tensor, ckpt, ids.slice(63), past);
  const cases: [Case, () => Promise<unknown>][] = [
    ['model', () => model.run(keystrokeFeeds)],
    // What a keystroke fetches: everything but the bias's sums, which only a whole-prompt run needs.
    [
      'head',
      () =>
        head.run(
          headFeeds,
          HEAD_OUTPUTS.filter((name) => name !== 'summed_probs'),
        ),
    ],
  ];
  if (gemms) cases.push(['gemmsOnly', () => gemms.run(gemmFeeds)]);
  for (const [, run] of cases) await run(); // warm-up
  for (let r = 0; r < n; r++) {
    for (const [name, run] of cases) {
      const before = processSchedstat('self');
      const t = performance.now();
      await run();
      if (profile) continue;
      wall[name].push(performance.now() - t);
      cpu[name].push(processSchedstat('self').cpuMs - before.cpuMs);
    }
  }
  if (profile) {
    model.endProfiling();
    head.endProfiling();
  }
  await Promise.all([model.release(), head.release(), gemms?.release()]);
}
log(`timing, ${runs} turns…`);
await turns(runs, false);
log('profiling…');
await turns(Math.max(5, runs >> 1), true);

/** ms per timed run by op type, from the profile of session `name`: the runs after its first `skip` (prompt, warm-up). */
function byOp(name: string, skip: number) {
  const prefix = `ort-profile-keystroke-${name}-${process.pid}`;
  const file = join(
    OUT,
    readdirSync(OUT).find((f) => f.startsWith(prefix))!,
  );
  const events = JSON.parse(readFileSync(file, 'utf8')) as { cat: string; name: string; ts: number; dur: number; args?: { op_name?: string } }[];
  rmSync(file);
  const timed = events.filter((e) => e.name === 'model_run').slice(skip);
  const ms: Record<string, number> = {};
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    if (!timed.some((run) => e.ts >= run.ts && e.ts <= run.ts + run.dur)) continue;
    const op = e.args?.op_name ?? '?';
    ms[op] = (ms[op] ?? 0) + e.dur / 1000 / timed.length;
  }
  const total = Object.values(ms).reduce((a, b) => a + b, 0);
  return {
    runMs: summarize(timed.map((e) => e.dur / 1000)),
    kernelMsPerRun: Math.round(total * 10) / 10,
    byOp: Object.fromEntries(
      Object.entries(ms)
        .sort((a, b) => b[1] - a[1])
        .map(([op, v]) => [op, { ms: Math.round(v * 100) / 100, share: Math.round((v / total) * 1000) / 1000 }]),
    ),
  };
}

const median = (v: number[]) => summarize(v).median;
const result = {
  date: new Date().toISOString(),
  runtime: 'onnxruntime-node',
  threads: 'ORT default',
  runs,
  loadavgStart,
  wall: Object.fromEntries(Object.entries(wall).map(([k, v]) => [k, summarize(v)])),
  cpu: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, summarize(v)])),
  ratioModelToGemmsOnly: { wall: median(wall.model.map((v, i) => v / wall.gemmsOnly[i])), cpu: median(cpu.model.map((v, i) => v / cpu.gemmsOnly[i])) },
  modelProfile: byOp('model', 2),
  headProfile: byOp('head', 1),
  loadavgEnd: loadavg(),
};
writeFileSync(join(OUT, 'profile-keystroke.json'), JSON.stringify(result, null, 2));
const medians = (o: Record<Case, number[]>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, median(v)]));
log(
  JSON.stringify({ wallMedian: medians(wall), cpuMedian: medians(cpu), ratio: result.ratioModelToGemmsOnly, load: [result.loadavgStart, result.loadavgEnd] }),
);
for (const [name, p] of [
  ['model', result.modelProfile],
  ['head', result.headProfile],
] as const) {
  log(
    `${name}: run median ${p.runMs.median} ms, kernels ${p.kernelMsPerRun} ms; by op (ms/run): ${Object.entries(p.byOp)
      .map(([op, v]) => `${op} ${v.ms}`)
      .join(', ')}`,
  );
}
