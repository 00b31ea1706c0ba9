/**
 * GPT-NeoX (Pythia) in the lens library: config.json and checkpoint reading, the model graph and the
 * whole trajectory against the independent PyTorch reference written from transformers'
 * modeling_gpt_neox.py (tools/reference/gptneox_reference.py), the NeoX-kind tokenizer, and lenses
 * that fit or do not fit.
 */
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathSource } from '../../src/node/path-source.ts';
import { LensFormatError, ModelMismatchError } from '../../src/lens/errors.ts';
import { readSafetensors } from '../../src/lens/formats/safetensors.ts';
import { LensModel } from '../../src/lens/lens-model.ts';
import { checkLensFitsModel, LogitLens, TunedLens } from '../../src/lens/lens/tuned-lens.ts';
import type { ModelCheckpoint } from '../../src/lens/model/architecture.ts';
import { ARCHITECTURES, parseModelConfig } from '../../src/lens/model/architectures.ts';
import { GPTNeoXCheckpoint } from '../../src/lens/model/gpt-neox-checkpoint.ts';
import { parseGPTNeoXConfig } from '../../src/lens/model/gpt-neox-config.ts';
import { rotaryTables } from '../../src/lens/model/gpt-neox-graph.ts';
import { modelFeeds } from '../../src/lens/model/kv-cache.ts';
import { loadModelFiles } from '../../src/lens/model/model-files.ts';
import type { Tensor32 } from '../../src/lens/tensor.ts';
import { formatToken } from '../../src/lens/trajectory/token-format.ts';
import { fixturePath, readFixture, readFixtureJson } from '../helpers/fixtures.ts';
import { loadExpected, type ExpectedPrompt } from '../helpers/tiny-gpt2.ts';
import { expectClose } from '../helpers/tolerance.ts';
import { expectTrajectoryMatches, trajectoryAsJson } from '../helpers/trajectory.ts';
import { sessionArgs } from '../helpers/onnx.ts';
import { PYTHIA_70M_CONFIG } from '../helpers/model-configs.ts';

const STREAM = { abs: 1e-4, rel: 1e-4 };
const LOGPROBS = { abs: 1e-4, rel: 1e-4 };

function tinyConfig(folder = 'tiny-neox'): Record<string, unknown> {
  return readFixtureJson<Record<string, unknown>>(`${folder}/config.json`);
}

function tinyCheckpoint(folder: string): ModelCheckpoint {
  const tensors = readSafetensors(readFixture(`${folder}/model.safetensors`), `${folder}/model.safetensors`);
  return parseModelConfig(tinyConfig(folder), `${folder}/config.json`).checkpoint(tensors, `${folder}/model.safetensors`);
}

function refusal(run: () => unknown): LensFormatError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(LensFormatError);
    return e as LensFormatError;
  }
  throw new Error('expected a LensFormatError, but nothing was thrown');
}

describe('the architecture registry', () => {
  it('knows GPT-2 and GPT-NeoX by their config.json model_type', () => {
    expect([...ARCHITECTURES.keys()]).toEqual(['gpt2', 'gpt_neox']);
    expect(parseModelConfig(tinyConfig()).config.modelType).toBe('gpt_neox');
    expect(parseModelConfig(readFixtureJson('tiny-gpt2/config.json')).config.modelType).toBe('gpt2');
  });

  it('refuses another model_type, naming the ones it supports', () => {
    expect(refusal(() => parseModelConfig({ model_type: 'llama', hidden_size: 8 }, 'llama/config.json')).message).toBe(
      'llama/config.json: says model_type "llama", but the supported architectures are GPT-2 ("gpt2"), GPT-NeoX ("gpt_neox")',
    );
    expect(refusal(() => parseModelConfig({ hidden_size: 8 })).message).toMatch(/config\.json: has no model_type, but the supported architectures are/);
  });
});

describe('GPT-NeoX config', () => {
  it('reads the Pythia-like config of the tiny model', () => {
    expect(parseGPTNeoXConfig(tinyConfig())).toEqual({
      modelType: 'gpt_neox',
      dModel: 64,
      numLayers: 3,
      numHeads: 4,
      nPositions: 128,
      vocabSize: 448,
      layerNormEpsilon: 1e-5,
      intermediateSize: 256,
      rotaryDims: 4, // int(16 · 0.25)
      rotaryBase: 10000,
      parallelResidual: true,
      tiedEmbeddings: false,
    });
  });

  it("reads Pythia-70m-deduped's sizes: 25% of each 64-wide head rotates", () => {
    expect(parseGPTNeoXConfig(PYTHIA_70M_CONFIG)).toMatchObject({ dModel: 512, numLayers: 6, numHeads: 8, rotaryDims: 16, vocabSize: 50304 });
  });

  it('refuses what the graph does not compute, saying what it found', () => {
    const base = tinyConfig();
    expect(refusal(() => parseGPTNeoXConfig({ ...base, hidden_act: 'relu' })).message).toMatch(/hidden_act "relu" is not supported/);
    expect(refusal(() => parseGPTNeoXConfig({ ...base, rope_scaling: { type: 'linear', factor: 2 } })).message).toMatch(/rope_scaling .* is not supported/);
    expect(refusal(() => parseGPTNeoXConfig({ ...base, attention_bias: false })).message).toMatch(/attention_bias is false/);
    expect(refusal(() => parseGPTNeoXConfig({ ...base, hidden_size: 66 })).message).toMatch(/hidden_size 66 is not a multiple of num_attention_heads 4/);
    expect(refusal(() => parseGPTNeoXConfig({ ...base, rotary_pct: 0.2 })).message).toMatch(/rotates 3 of each head's 16 dimensions, an odd number/);
    expect(refusal(() => parseGPTNeoXConfig({ ...base, intermediate_size: undefined })).message).toMatch(/intermediate_size is missing/);
  });
});

describe('GPT-NeoX checkpoint', () => {
  const config = parseGPTNeoXConfig(tinyConfig());
  const tensors = (): Map<string, Tensor32> => readSafetensors(readFixture('tiny-neox/model.safetensors'), 'model.safetensors');

  it("reads GPTNeoXForCausalLM's names and ignores the rotary buffers older files carry", () => {
    const ckpt = GPTNeoXCheckpoint.fromTensors(config, tensors(), 'model.safetensors');
    expect(ckpt.get('layers.2.attention.query_key_value.weight').shape).toEqual([192, 64]);
    expect(ckpt.get('embed_out.weight').shape).toEqual([448, 64]);
    expect(ckpt.ignored).toEqual([0, 1, 2].map((i) => `gpt_neox.layers.${i}.attention.rotary_emb.inv_freq`));
  });

  it('unembeds with final_layer_norm and the untied embed_out, or embed_in when the config ties them', () => {
    const ckpt = GPTNeoXCheckpoint.fromTensors(config, tensors(), 'model.safetensors');
    expect(ckpt.unembedding().wte).toBe(ckpt.get('embed_out.weight').data);
    expect(ckpt.unembedding().lnFWeight).toBe(ckpt.get('final_layer_norm.weight').data);
    const untied = tensors();
    untied.delete('embed_out.weight');
    const tied = GPTNeoXCheckpoint.fromTensors({ ...config, tiedEmbeddings: true }, untied, 'model.safetensors');
    expect(tied.unembedding().wte).toBe(tied.get('embed_in.weight').data);
  });

  it('accepts names without the gpt_neox. prefix', () => {
    const unprefixed = new Map([...tensors()].map(([name, t]) => [name.replace(/^gpt_neox\./, ''), t]));
    expect(GPTNeoXCheckpoint.fromTensors(config, unprefixed, 'model.safetensors').get('embed_in.weight').shape).toEqual([448, 64]);
  });

  it('refuses a file without the output head, with a wrong shape, or with more layers than the config', () => {
    const noHead = tensors();
    noHead.delete('embed_out.weight');
    expect(refusal(() => GPTNeoXCheckpoint.fromTensors(config, noHead, 'model.safetensors')).message).toMatch(
      /model\.safetensors: a tensor is missing: embed_out\.weight \(the untied output head: config says tie_word_embeddings false\)/,
    );
    const wrong = tensors();
    wrong.set('gpt_neox.layers.1.mlp.dense_h_to_4h.weight', { data: new Float32Array(64 * 64), shape: [64, 64] });
    expect(refusal(() => GPTNeoXCheckpoint.fromTensors(config, wrong, 'model.safetensors')).message).toMatch(
      /gpt_neox\.layers\.1\.mlp\.dense_h_to_4h\.weight has shape \[64, 64\] .* expected \[256, 64\] = \[intermediate_size, hidden_size\]/,
    );
    const extra = tensors();
    extra.set('gpt_neox.layers.3.input_layernorm.weight', { data: new Float32Array(64), shape: [64] });
    expect(refusal(() => GPTNeoXCheckpoint.fromTensors(config, extra, 'model.safetensors')).message).toMatch(
      /gpt_neox\.layers\.3\.input_layernorm\.weight belongs to layer 3 but config says num_hidden_layers 3/,
    );
  });
});

describe('rotary tables', () => {
  it('turn the first r dimensions in pairs (j, j + r/2) and leave the rest alone', () => {
    const { cos, sin, rotateHalf } = rotaryTables({ rotaryDims: 4, rotaryBase: 10000 }, 3, 6);
    // inv_freq = [1, 1/100]; position 2: angles [2, 0.02, 2, 0.02], then pass-through 1 / 0.
    expect(Array.from(cos.subarray(12, 18))).toEqual([2, 0.02, 2, 0.02, 1, 1].map((a, j) => (j < 4 ? Math.fround(Math.cos(Math.fround(a))) : 1)));
    expect(Array.from(sin.subarray(12, 18))).toEqual([2, 0.02, 2, 0.02].map((a) => Math.fround(Math.sin(Math.fround(a)))).concat([0, 0]));
    // x·R = [−x₂, −x₃, x₀, x₁, 0, 0] for x = [x₀ … x₅]: rotate_half over the first four.
    const x = [1, 2, 3, 4, 5, 6];
    const xR = Array.from({ length: 6 }, (_, j) => x.reduce((s, xi, i) => s + xi * rotateHalf[i * 6 + j], 0));
    expect(xR).toEqual([-3, -4, 1, 2, 0, 0]);
  });
});

/** The whole prompt through the model graph (no cached keys and values: P = 0). */
async function residualStream(session: ort.InferenceSession, ids: number[], checkpoint: ModelCheckpoint): Promise<ort.Tensor> {
  const { residual_stream } = await session.run(await modelFeeds(ort.Tensor, checkpoint, ids));
  return residual_stream;
}

describe.each([
  ['tiny-neox', 'float32, partial rotary, parallel residual'],
  ['tiny-neox-f16', 'float16 weights'],
  ['tiny-neox-sequential', 'rotary on every dimension, sequential residual'],
])('GPT-NeoX model graph on %s (%s)', (name) => {
  const expected = loadExpected(name);
  let session: ort.InferenceSession;
  let ckpt: ModelCheckpoint;
  beforeAll(async () => {
    ckpt = tinyCheckpoint(name);
    session = await ort.InferenceSession.create(...sessionArgs(ckpt.modelGraph()));
  });
  afterAll(() => session.release());

  it.each(expected.prompts.map((p): [string, ExpectedPrompt] => [p.name, p]))('computes the residual stream of "%s" within 1e-4', async (_, prompt) => {
    const stream = await residualStream(session, prompt.input_ids, ckpt);
    expect(stream.dims).toEqual(prompt.residual_stream.shape);
    expectClose('residual_stream', stream.data as Float32Array, prompt.residual_stream.data, STREAM, prompt.residual_stream.shape);
  });
});

describe.each([
  { folder: 'tiny-neox', rounded: false },
  { folder: 'tiny-neox-f16', rounded: true },
  { folder: 'tiny-neox-sequential', rounded: false },
])('LensModel on $folder with its tuned lens', ({ folder, rounded }) => {
  const expected = loadExpected(folder);
  let model: LensModel;
  let tuned: TunedLens;
  beforeAll(async () => {
    model = await LensModel.create(ort, await loadModelFiles(new PathSource(fixturePath(folder))));
    tuned = await TunedLens.load(new PathSource(fixturePath('tiny-neox-lens')), { onNotice: () => undefined });
    if (rounded) {
      // The f16 model's expected values use the lens rounded to f16, as tiny-gpt2-f16's do.
      const round = (a: Float32Array) => {
        const h = new Float32Array(a.length);
        a.forEach((v, i) => (h[i] = roundToHalf(v)));
        return h;
      };
      tuned = new TunedLens(tuned.config, round(tuned.translatorWeight), round(tuned.translatorBias));
    }
  });
  afterAll(() => model.release());

  it.each(expected.prompts.flatMap((prompt) => (['logit', 'tuned'] as const).map((lens) => ({ prompt, lens, name: `the ${lens} lens on "${prompt.name}"` }))))(
    'shows what the reference shows for $name',
    async ({ prompt, lens }) => {
      const chosen = lens === 'tuned' ? tuned : new LogitLens(model.config.numLayers, model.config.dModel);
      const trajectory = await model.trajectory(prompt.input_ids, chosen, { topk: expected.topk });
      const want = prompt.lenses[lens];
      expect(trajectory.rows).toEqual(['0', '1', '2', 'output']);
      expectTrajectoryMatches(`${folder} ${lens} "${prompt.name}"`, trajectoryAsJson(trajectory), want);
      // Log-probs of the top-k within 1e-4 (the trajectory carries probabilities).
      const logprobs = Array.from({ length: 4 }, (_, r) =>
        Array.from({ length: prompt.input_ids.length }, (_, t) => trajectory.topk(r, t).map((e) => Math.log(e.probability))),
      ).flat(2);
      expectClose('topk log-probs', logprobs, want.topk_logprobs.flat(2), LOGPROBS);
    },
  );
});

/** Math.fround's half-precision sibling: round to the nearest float16, ties to even (as torch's .half()). */
function roundToHalf(x: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const exponent = Math.max(Math.floor(Math.log2(Math.abs(x))), -14);
  const step = 2 ** (exponent - 10);
  const q = x / step;
  const floor = Math.floor(q);
  const rounded = q - floor === 0.5 ? (floor % 2 === 0 ? floor : floor + 1) : Math.round(q);
  return rounded * step;
}

describe('GPT-NeoX from its folder: tokenizer, padded vocabulary, lenses', () => {
  let model: LensModel;
  beforeAll(async () => {
    model = await LensModel.create(ort, await loadModelFiles(new PathSource(fixturePath('tiny-neox'))));
  });
  afterAll(() => model.release());

  it("tokenizes with the model repo's own tokenizer.json exactly as the tokenizers library would", () => {
    const { texts } = readFixtureJson<{ texts: { text: string; input_ids: number[] }[] }>('expected/tiny-neox-tokenizer.json');
    for (const { text, input_ids } of texts) {
      expect(model.encode(text), text).toEqual(input_ids);
      expect(model.tokenizer.decode(input_ids), text).toBe(text);
    }
  });

  it('gives ids beyond the tokenizer (the padded rows of the unembedding) an empty text that still formats', async () => {
    expect(model.config.vocabSize).toBe(448);
    expect(model.tokenText(447)).toBe('');
    expect(formatToken(model.tokenText(447))).toBe('∅');
    // The random model ranks padded rows among its top 50 somewhere: the trajectory carries them as text.
    const trajectory = await model.trajectory(model.encode('And God said'), new LogitLens(3, 64), { topk: 50 });
    const padded = trajectory.topkTokens.filter((_, i) => trajectory.topkIds[i] >= 409);
    expect(padded.length).toBeGreaterThan(0);
    expect(new Set(padded)).toEqual(new Set(['']));
  });

  it("loads a current-format lens for it, and refuses GPT-2's lens with the usual message", async () => {
    const shape = { name: 'tiny-neox', dModel: model.config.dModel, numLayers: model.config.numLayers };
    const own = await TunedLens.load(new PathSource(fixturePath('tiny-neox-lens')), { onNotice: () => undefined });
    expect(() => checkLensFitsModel(own, shape)).not.toThrow();
    const gpt2Lens = await TunedLens.load(new PathSource(fixturePath('lenses/current')), { onNotice: () => undefined });
    expect(() => checkLensFitsModel(gpt2Lens, shape)).toThrow(ModelMismatchError);
    expect(() => checkLensFitsModel(gpt2Lens, shape)).toThrow(
      'lens: translator 0 has shape [32, 32] but tiny-neox has d_model 64 — is this lens for another model?',
    );
    await expect(model.trajectory([1, 2], gpt2Lens)).rejects.toThrow(/but tiny-neox has d_model 64/);
  });
});
