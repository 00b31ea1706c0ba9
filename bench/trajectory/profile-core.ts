/**
 * Where the head graph's time goes, for any runtime (Node: profile-head.ts; browser:
 * browser-profile-entry.ts). For each T, on random inputs of the head's shapes:
 *
 * 1. GEMM ceiling: the unembedding alone, MatMul [R·T, d] × [d, V] (and the 3-D [R, T, d] form the
 *    head uses), + a ReduceMax so the product is used.
 * 2. Cumulative head variants (head-variants.ts): unembedding only, + softmax statistics,
 *    + cross-entropy, + rank, + top-k (= the real head graph); top-k alone.
 * 3. Candidate rewrites (head-graph-alt.ts), each checked against the real graph's outputs.
 *
 * Sessions are made one at a time and released (each holds its own copy of the 154 MB unembedding).
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { Ort } from '../../src/lens/lens-model.ts';
import { buildHeadGraph } from '../../src/lens/lens/head-graph.ts';
import { GraphBuilder, type OnnxModel } from '../../src/lens/onnx/graph-builder.ts';
import { gpt2SmallConfig, randomIds, Rng } from './random-gpt2.ts';
import { summarize, type Summary } from './core.ts';
import { buildHeadGraphAlt, type HeadAltOptions } from './head-graph-alt.ts';
import { HEAD_VARIANTS, headOnlyCheckpoint, pruneHeadGraph } from './head-variants.ts';

export interface Timing {
  ms: Summary;
  /** CPU ms per run of all the process's threads, when the host can tell. */
  cpuMs?: Summary;
  createMs: number;
}

export interface ProfileHost {
  ort: Ort;
  sessionOptions: InferenceSession.SessionOptions;
  schedstat?(): Promise<{ cpuMs: number; waitMs: number } | undefined>;
  log(message: string): void;
}

export const ALT_HEADS: { name: string; options: HeadAltOptions }[] = [
  { name: 'rank via Where', options: { softmax: 'manual', kl: 'elementwise', rank: 'where' } },
  { name: 'KL via Gemm', options: { softmax: 'manual', kl: 'gemm', rank: 'cast' } },
  { name: 'KL via Gemm + rank via Where', options: { softmax: 'manual', kl: 'gemm', rank: 'where' } },
  { name: 'LogSoftmax', options: { softmax: 'logsoftmax', kl: 'elementwise', rank: 'cast' } },
  { name: 'LogSoftmax + KL via Gemm + rank via Where', options: { softmax: 'logsoftmax', kl: 'gemm', rank: 'where' } },
];

type Feeds = Record<string, Tensor>;
type Outputs = Record<string, Tensor>;

/** A graph from `toModel` (weights inline) or `toExternalModel`, as the arguments of InferenceSession.create. */
export function sessionModel(model: Uint8Array | OnnxModel): OnnxModel {
  return model instanceof Uint8Array ? { bytes: model, externalData: [] } : model;
}

export async function timeGraph(host: ProfileHost, model: Uint8Array | OnnxModel, feeds: Feeds, runs: number): Promise<Timing & { outputs: Outputs }> {
  const t0 = performance.now();
  const { bytes, externalData } = sessionModel(model);
  const session = await host.ort.InferenceSession.create(bytes, { ...host.sessionOptions, externalData });
  const createMs = Math.round(performance.now() - t0);
  const used: Feeds = {};
  for (const name of session.inputNames) used[name] = feeds[name];
  const outputs = (await session.run(used)) as Outputs; // warm-up
  const times: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < runs; r++) {
    const before = await host.schedstat?.();
    const t = performance.now();
    await session.run(used);
    times.push(performance.now() - t);
    const after = await host.schedstat?.();
    if (before && after) cpu.push(after.cpuMs - before.cpuMs);
  }
  await session.release();
  return { ms: summarize(times), ...(cpu.length ? { cpuMs: summarize(cpu) } : {}), createMs, outputs };
}

/** MatMul + ReduceMax: `shape` × a random [d, V]. */
function gemmGraph(shape: number[], weight: Float32Array, d: number, V: number): Uint8Array {
  const g = new GraphBuilder('gemm');
  const x = g.input('x', 'float32', shape);
  const w = g.initializer('w', weight, [d, V]);
  const m = g.node('ReduceMax', [g.node('MatMul', [x, w])], { axes: [-1], keepdims: 0 });
  g.output('m', 'float32', shape.slice(0, -1), m);
  return g.toModel(17);
}

/** Largest |a − b| per output, and the share of equal top-k ids. */
function compare(reference: Outputs, candidate: Outputs, T: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of ['entropy', 'cross_entropy', 'forward_kl', 'max_probability', 'rank', 'topk_logprobs']) {
    const a = reference[name].data as Float32Array;
    const b = candidate[name].data as Float32Array;
    let worst = 0;
    for (let i = 0; i < a.length; i++) {
      // The last position has no target: its cross-entropy and rank are masked by LensModel.
      if ((name === 'cross_entropy' || name === 'rank') && i % T === T - 1) continue;
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    out[`maxAbsDiff.${name}`] = Number(worst.toPrecision(3));
  }
  const ia = reference.topk_ids.data as BigInt64Array;
  const ib = candidate.topk_ids.data as BigInt64Array;
  let same = 0;
  for (let i = 0; i < ia.length; i++) if (ia[i] === ib[i]) same++;
  out.topkIdsEqual = Number((same / ia.length).toFixed(4));
  return out;
}

export async function profileHead(host: ProfileHost, lengths: number[], runs: number) {
  const config = gpt2SmallConfig();
  const { dModel: d, numLayers: L, vocabSize: V } = config;
  const R = L + 1;
  const { Tensor } = host.ort;
  const rng = new Rng(99);
  const ckpt = headOnlyCheckpoint(config);
  const head = buildHeadGraph(ckpt);
  const wteT = rng.fillNormal(new Float32Array(d * V), 0.02);
  const gflops = (flops: number, ms: number) => Math.round((flops / (ms * 1e6)) * 10) / 10;

  const perT: Record<string, unknown>[] = [];
  for (const T of lengths) {
    const entry: Record<string, unknown> = { T };
    perT.push(entry);
    const feeds: Feeds = {
      residual_stream: new Tensor('float32', rng.fillNormal(new Float32Array(R * T * d), 1), [R, T, d]),
      translator_weight: new Tensor('float32', rng.fillNormal(new Float32Array(L * d * d), 0.02), [L, d, d]),
      translator_bias: new Tensor('float32', rng.fillNormal(new Float32Array(L * d), 0.02), [L, d]),
      targets: new Tensor('int64', BigInt64Array.from(randomIds(T, V), BigInt), [T]),
      k: new Tensor('int64', BigInt64Array.of(10n), [1]),
    };
    const unembedFlops = R * 2 * d * V * T;
    const strip = ({ outputs: _outputs, ...timing }: Timing & { outputs: Outputs }) => timing;

    const gemm: Record<string, unknown> = {};
    for (const [label, shape] of [
      ['2-D [R·T, d]×[d, V]', [R * T, d]],
      ['3-D [R, T, d]×[d, V]', [R, T, d]],
    ] as const) {
      const x = new Tensor('float32', (feeds.residual_stream.data as Float32Array).slice(), [...shape]);
      const timing = strip(await timeGraph(host, gemmGraph([...shape], wteT, d, V), { x }, runs));
      gemm[label] = {
        ...timing,
        gflops: gflops(unembedFlops, timing.ms.median),
        gflopsPerCpuSecond: timing.cpuMs ? gflops(unembedFlops, timing.cpuMs.median) : undefined,
      };
      host.log(
        `T=${T} GEMM ${label}: ${timing.ms.median} ms (${gflops(unembedFlops, timing.ms.median)} GFLOP/s)${timing.cpuMs ? `, CPU ${timing.cpuMs.median} ms` : ''}`,
      );
    }
    entry.gemm = gemm;

    const variants: Record<string, unknown> = {};
    let reference: Outputs | undefined;
    for (const variant of HEAD_VARIANTS) {
      const full = variant.name.startsWith('full');
      const model = full ? head : pruneHeadGraph(head, variant.outputs).model;
      const timed = await timeGraph(host, model, feeds, runs);
      if (full) reference = timed.outputs;
      variants[variant.name] = { description: variant.description, ...strip(timed) };
      host.log(`T=${T} head ${variant.name}: ${timed.ms.median} ms${timed.cpuMs ? `, CPU ${timed.cpuMs.median} ms` : ''}`);
    }
    entry.headVariants = variants;

    const alternatives: Record<string, unknown> = {};
    for (const alt of ALT_HEADS) {
      const timed = await timeGraph(host, buildHeadGraphAlt(ckpt, alt.options), feeds, runs);
      const check = reference ? compare(reference, timed.outputs, T) : {};
      alternatives[alt.name] = { options: alt.options, ...strip(timed), check };
      host.log(`T=${T} alt head ${alt.name}: ${timed.ms.median} ms${timed.cpuMs ? `, CPU ${timed.cpuMs.median} ms` : ''}; ${JSON.stringify(check)}`);
    }
    entry.alternatives = alternatives;
  }
  return perT;
}
