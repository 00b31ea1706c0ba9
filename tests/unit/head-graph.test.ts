import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../../src/lens/formats/safetensors.ts';
import { buildHeadGraph, type HEAD_OUTPUTS } from '../../src/lens/lens/head-graph.ts';
import type { GPT2Checkpoint } from '../../src/lens/model/gpt2-checkpoint.ts';
import { buildGPT2Graph } from '../../src/lens/model/gpt2-graph.ts';
import { modelFeeds } from '../../src/lens/model/kv-cache.ts';
import type { Tensor32 } from '../../src/lens/tensor.ts';
import { readFixture } from '../helpers/fixtures.ts';
import { expectClose, expectSameIds, flatten } from '../helpers/tolerance.ts';
import { loadExpected, loadTinyCheckpoint, stackTranslators, type Expected, type ExpectedLens } from '../helpers/tiny-gpt2.ts';
import { sessionArgs } from '../helpers/onnx.ts';

const STATISTICS = { abs: 1e-3, rel: 1e-3 };
const LOGPROBS = { abs: 1e-4, rel: 1e-4 };

type HeadOutputs = Record<(typeof HEAD_OUTPUTS)[number], ort.Tensor>;

interface Translators {
  weight: Float32Array; // [L, d, d]
  bias: Float32Array; // [L, d]
}

/** Runs the head on residual-stream rows `rows` (the last must be the output row L). */
async function decode(
  session: ort.InferenceSession,
  stream: { data: Float32Array; shape: number[] },
  rows: number[],
  translators: Translators | undefined,
  inputIds: number[],
  k: number,
): Promise<HeadOutputs> {
  const [, T, d] = stream.shape;
  const picked = new Float32Array(rows.length * T * d);
  rows.forEach((r, i) => picked.set(stream.data.subarray(r * T * d, (r + 1) * T * d), i * T * d));
  const lensRows = rows.slice(0, -1);
  const weight = new Float32Array(lensRows.length * d * d);
  const bias = new Float32Array(lensRows.length * d);
  if (translators) {
    lensRows.forEach((r, i) => {
      weight.set(translators.weight.subarray(r * d * d, (r + 1) * d * d), i * d * d);
      bias.set(translators.bias.subarray(r * d, (r + 1) * d), i * d);
    });
  }
  // target_t = input_ids[t + 1]; the last position has none, so it gets id 0 (its statistics are masked).
  const targets = BigInt64Array.from([...inputIds.slice(1), 0], BigInt);
  return (await session.run({
    residual_stream: new ort.Tensor('float32', picked, [rows.length, T, d]),
    translator_weight: new ort.Tensor('float32', weight, [lensRows.length, d, d]),
    translator_bias: new ort.Tensor('float32', bias, [lensRows.length, d]),
    targets: new ort.Tensor('int64', targets, [T]),
    k: new ort.Tensor('int64', BigInt64Array.from([BigInt(k)]), [1]),
  })) as HeadOutputs;
}

/** Keeps the rows `rows` of a [R][T]… nested array. */
function pick<V>(values: V[], rows: number[]): V[] {
  return rows.map((r) => values[r]);
}

function checkLens(got: HeadOutputs, want: ExpectedLens, rows: number[], k: number, label: string): void {
  const R = rows.length;
  const T = want.entropy[0].length;
  expect(got.topk_ids.dims).toEqual([R, T, k]);
  for (const name of ['entropy', 'cross_entropy', 'forward_kl', 'max_probability', 'rank'] as const) {
    expect(got[name].dims, `${label} ${name}`).toEqual([R, T]);
  }
  const ids = got.topk_ids.data as BigInt64Array;
  const top1 = Array.from({ length: R * T }, (_, i) => ids[i * k]);
  expectSameIds(`${label} top1_ids`, top1, flatten(pick(want.top1_ids, rows)), [R, T]);
  expectSameIds(`${label} topk_ids`, ids, flatten(pick(want.topk_ids, rows)), [R, T, k]);
  expectClose(`${label} topk_logprobs`, got.topk_logprobs.data as Float32Array, flatten(pick(want.topk_logprobs, rows)), LOGPROBS, [R, T, k]);
  for (const name of ['entropy', 'cross_entropy', 'forward_kl', 'max_probability'] as const) {
    // null (the last position of cross_entropy) is skipped: the caller masks it.
    expectClose(`${label} ${name}`, got[name].data as Float32Array, flatten(pick(want[name], rows)), STATISTICS, [R, T]);
  }
  // Ranks are exact unless other tokens lie within 1e-4 of the target (rank_tolerance counts them).
  const tolerance = want.rank_tolerance ? flatten(pick(want.rank_tolerance, rows)) : undefined;
  const rank = got.rank.data as Float32Array;
  flatten(pick(want.rank, rows)).forEach((r, i) => {
    if (r === null) return;
    const slack = tolerance?.[i] ?? 0;
    if (Math.abs(rank[i] - r) > slack) {
      throw new Error(`${label} rank: cell [${Math.floor(i / T)}, ${i % T}] is ${rank[i]}, expected ${r} (± ${slack})`);
    }
  });
}

function lensCases(expected: Expected, lenses: ('logit' | 'tuned')[]) {
  return expected.prompts.flatMap((prompt) => lenses.map((lens) => ({ prompt, lens, name: `${lens} lens on "${prompt.name}"` })));
}

describe('lens head graph on tiny-gpt2', () => {
  const expected = loadExpected('tiny-gpt2');
  let ckpt: GPT2Checkpoint;
  let head: ort.InferenceSession;
  let translators: Translators;
  beforeAll(async () => {
    ckpt = loadTinyCheckpoint('tiny-gpt2');
    head = await ort.InferenceSession.create(...sessionArgs(buildHeadGraph(ckpt)));
    const state = readSafetensors(readFixture('lenses/current-safetensors/params.safetensors'), 'params.safetensors');
    translators = stackTranslators(state, ckpt.config.numLayers, ckpt.config.dModel);
  });

  it.each(lensCases(expected, ['logit', 'tuned']))('decodes the reference residual stream: $name', async ({ prompt, lens }) => {
    const stream = { data: Float32Array.from(prompt.residual_stream.data), shape: prompt.residual_stream.shape };
    const rows = Array.from({ length: stream.shape[0] }, (_, r) => r);
    const got = await decode(head, stream, rows, lens === 'tuned' ? translators : undefined, prompt.input_ids, expected.topk);
    checkLens(got, prompt.lenses[lens], rows, expected.topk, lens);
  });

  it('decodes a subset of rows followed by the output row', async () => {
    const prompt = expected.prompts.find((p) => p.input_ids.length > 2)!;
    const stream = { data: Float32Array.from(prompt.residual_stream.data), shape: prompt.residual_stream.shape };
    const L = ckpt.config.numLayers;
    const rows = [1, L];
    const got = await decode(head, stream, rows, translators, prompt.input_ids, 3);
    const want = prompt.lenses.tuned;
    const sliced: ExpectedLens = {
      ...want,
      topk_ids: want.topk_ids.map((row) => row.map((cell) => cell.slice(0, 3))),
      topk_logprobs: want.topk_logprobs.map((row) => row.map((cell) => cell.slice(0, 3))),
    };
    checkLens(got, sliced, rows, 3, 'rows [1, L]');
  });

  it('gives the output row zero KL to itself', async () => {
    const prompt = expected.prompts[0];
    const stream = { data: Float32Array.from(prompt.residual_stream.data), shape: prompt.residual_stream.shape };
    const rows = [ckpt.config.numLayers];
    const got = await decode(head, stream, rows, translators, prompt.input_ids, 1);
    expect(Array.from(got.forward_kl.data as Float32Array).every((x) => x === 0)).toBe(true);
  });

  it('runs the model graph and the head graph end to end', async () => {
    const model = await ort.InferenceSession.create(...sessionArgs(buildGPT2Graph(ckpt)));
    for (const prompt of expected.prompts) {
      const ids = prompt.input_ids;
      const { residual_stream } = await model.run(await modelFeeds(ort.Tensor, ckpt, ids));
      const stream = { data: residual_stream.data as Float32Array, shape: residual_stream.dims as number[] };
      const rows = Array.from({ length: stream.shape[0] }, (_, r) => r);
      const got = await decode(head, stream, rows, translators, ids, expected.topk);
      checkLens(got, prompt.lenses.tuned, rows, expected.topk, `end to end "${prompt.name}"`);
    }
  });
});

/** The pickle reader is written in parallel; without it the f16 model is checked with the logit lens only. */
async function loadTorchReader(): Promise<((bytes: Uint8Array, fileName: string) => Map<string, Tensor32>) | undefined> {
  const url = new URL('../../src/lens/formats/torch-pickle.ts', import.meta.url);
  if (!existsSync(fileURLToPath(url))) return undefined;
  const module = (await import(/* @vite-ignore */ url.href)) as { readTorchStateDict?: (bytes: Uint8Array, fileName: string) => Map<string, Tensor32> };
  return module.readTorchStateDict;
}

describe('lens head graph on tiny-gpt2-f16', async () => {
  const expected = loadExpected('tiny-gpt2-f16');
  const readTorchStateDict = await loadTorchReader();
  const lenses: ('logit' | 'tuned')[] = readTorchStateDict ? ['logit', 'tuned'] : ['logit'];
  let head: ort.InferenceSession;
  let translators: Translators | undefined;
  beforeAll(async () => {
    const ckpt = loadTinyCheckpoint('tiny-gpt2-f16');
    head = await ort.InferenceSession.create(...sessionArgs(buildHeadGraph(ckpt)));
    if (readTorchStateDict) {
      const state = readTorchStateDict(readFixture('lenses/current-half/params.pt'), 'params.pt');
      translators = stackTranslators(state, ckpt.config.numLayers, ckpt.config.dModel);
    }
  });

  it.each(lensCases(expected, lenses))('decodes the reference residual stream: $name', async ({ prompt, lens }) => {
    const stream = { data: Float32Array.from(prompt.residual_stream.data), shape: prompt.residual_stream.shape };
    const rows = Array.from({ length: stream.shape[0] }, (_, r) => r);
    const got = await decode(head, stream, rows, lens === 'tuned' ? translators : undefined, prompt.input_ids, expected.topk);
    checkLens(got, prompt.lenses[lens], rows, expected.topk, lens);
  });
});
