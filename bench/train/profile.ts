/**
 * Where a train-step graph run spends its time, per node (ORT's profiler), for a GPT-2-small-shaped
 * random unembedding or the tiny model:  npx tsx bench/train/profile.ts [gpt2|tiny] [N] [runs]
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { buildTrainStepGraph } from '../../src/lens/train/train-step-graph.ts';
import { unembeddingOf, type Unembedding } from '../../src/lens/train/unembedding.ts';
import { loadTinyCheckpoint } from '../../tests/helpers/tiny-gpt2.ts';
import { Rng } from '../trajectory/random-gpt2.ts';

const [which = 'gpt2', tokens = '512', runsArg = '2'] = process.argv.slice(2);
const N = Number(tokens);
const RUNS = Number(runsArg);
const u: Unembedding =
  which === 'tiny'
    ? unembeddingOf(loadTinyCheckpoint('tiny-gpt2'))
    : {
        dModel: 768,
        vocabSize: 50257,
        layerNormEpsilon: 1e-5,
        lnFWeight: new Float32Array(768).fill(1),
        lnFBias: new Float32Array(768),
        wte: new Rng(1).fillNormal(new Float32Array(50257 * 768), 0.02),
      };
const L = which === 'tiny' ? 3 : 12;
const d = u.dModel;
const prefix = '/tmp/train-step-profile';
for (const f of readdirSync('/tmp').filter((f) => f.startsWith('train-step-profile'))) rmSync(`/tmp/${f}`);
const session = await ort.InferenceSession.create(buildTrainStepGraph(u), {
  graphOptimizationLevel: 'all',
  enableProfiling: true,
  profileFilePrefix: prefix,
  logSeverityLevel: 3,
});
const rng = new Rng(2);
const feeds = {
  residual: new ort.Tensor('float32', rng.fillNormal(new Float32Array(L * N * d), 1), [L, N, d]),
  output_residual: new ort.Tensor('float32', rng.fillNormal(new Float32Array(N * d), 1), [N, d]),
  weight: new ort.Tensor('float32', rng.fillNormal(new Float32Array(L * d * d), 0.01), [L, d, d]),
  bias: new ort.Tensor('float32', new Float32Array(L * d), [L, d]),
};
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  await session.run(feeds);
  console.log(`run ${i}: ${(performance.now() - t).toFixed(0)} ms`);
}
session.endProfiling();
const file = readdirSync('/tmp')
  .filter((f) => f.startsWith('train-step-profile'))
  .map((f) => `/tmp/${f}`)
  .pop()!;
const events = JSON.parse(readFileSync(file, 'utf8')) as { cat: string; name: string; dur: number; args: { op_name?: string } }[];
const byNode = new Map<string, number>();
for (const e of events) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
  const key = `${e.args.op_name} ${e.name.replace('_kernel_time', '')}`;
  byNode.set(key, (byNode.get(key) ?? 0) + e.dur / 1000 / RUNS);
}
for (const [k, ms] of [...byNode].sort((a, b) => b[1] - a[1]).slice(0, 14)) console.log(`${ms.toFixed(0).padStart(7)} ms  ${k}`);
