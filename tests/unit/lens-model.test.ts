/**
 * The whole pipeline a reader's heatmap runs — checkpoint folder → tokenizer → model graph → lens head →
 * PredictionTrajectory — on onnxruntime-node, against the independent PyTorch reference.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PathSource } from '../../src/node/path-source.ts';
import { ModelMismatchError, PromptError } from '../../src/lens/errors.ts';
import type { LensModel } from '../../src/lens/lens-model.ts';
import { LogitLens, TunedLens, type Lens } from '../../src/lens/lens/tuned-lens.ts';
import { fixturePath } from '../helpers/fixtures.ts';
import { loadExpected, type Expected } from '../helpers/tiny-gpt2.ts';
import { expectClose, type Worst } from '../helpers/tolerance.ts';
import { expectTrajectoryMatches, loadTinyLensModel, trajectoryAsJson } from '../helpers/trajectory.ts';

const RESIDUAL_TOLERANCE = { abs: 1e-4, rel: 1e-4 };

async function loadLens(folder: string): Promise<TunedLens> {
  return TunedLens.load(new PathSource(fixturePath(`lenses/${folder}`)), { onNotice: () => undefined });
}

function parityCases(expected: Expected) {
  return expected.prompts.flatMap((prompt) =>
    (['logit', 'tuned'] as const).map((lens) => ({ prompt, lens, name: `the ${lens} lens on "${prompt.name}" (${prompt.input_ids.length} tokens)` })),
  );
}

/** The worst difference per quantity over all prompts; `SHOW_WORST=1 npx vitest run …` prints them. */
const worstSeen = new Map<string, Worst>();
function note(label: string, worst: Record<string, Worst>): void {
  for (const [name, w] of Object.entries(worst)) {
    const key = `${label} ${name}`;
    if ((worstSeen.get(key)?.ratio ?? -1) < w.ratio) worstSeen.set(key, w);
  }
}

/** Each model is loaded once for the whole file (the tokenizer and two ORT sessions take a while). */
const models = new Map<string, Promise<LensModel>>();
function tinyModel(folder: string): Promise<LensModel> {
  if (!models.has(folder)) models.set(folder, loadTinyLensModel(folder));
  return models.get(folder)!;
}

afterAll(async () => {
  for (const model of models.values()) await (await model).release();
  if (!process.env.SHOW_WORST) return;
  for (const [key, w] of worstSeen) console.info(`${key}: worst difference ${w.difference.toExponential(2)} (allowed ${w.allowed.toExponential(2)})`);
});

describe.each([
  { model: 'tiny-gpt2', lensFolder: 'current' },
  { model: 'tiny-gpt2-f16', lensFolder: 'current-half' },
])('LensModel on $model with lenses/$lensFolder', ({ model: modelFolder, lensFolder }) => {
  const expected = loadExpected(modelFolder);
  let model: LensModel;
  let lenses: Record<'logit' | 'tuned', Lens>;
  beforeAll(async () => {
    model = await tinyModel(modelFolder);
    lenses = { logit: new LogitLens(model.config.numLayers, model.config.dModel), tuned: await loadLens(lensFolder) };
  });

  it('computes the residual stream of every prompt like the reference', async () => {
    for (const prompt of expected.prompts) {
      const stream = await model.residualStream(prompt.input_ids);
      expect(stream.shape, prompt.name).toEqual(prompt.residual_stream.shape);
      const label = `${modelFolder} residual stream "${prompt.name}"`;
      note(modelFolder, { 'residual stream': expectClose(label, stream.data, prompt.residual_stream.data, RESIDUAL_TOLERANCE, stream.shape) });
    }
  });

  it.each(parityCases(expected))('shows what the reference shows for $name', async ({ prompt, lens }) => {
    const trajectory = await model.trajectory(prompt.input_ids, lenses[lens], { topk: expected.topk });
    const want = prompt.lenses[lens];
    expect(trajectory.rows).toEqual(['0', '1', '2', 'output']);
    expect(trajectory.inputIds).toEqual(prompt.input_ids);
    expect(trajectory.k).toBe(expected.topk);
    note(`${modelFolder} ${lens}`, expectTrajectoryMatches(`${modelFolder} ${lens} "${prompt.name}"`, trajectoryAsJson(trajectory), want));
    // The last position has no next token: its cross-entropy and rank are missing, never 0.
    const last = prompt.input_ids.length - 1;
    for (let r = 0; r < trajectory.rows.length; r++) {
      expect(trajectory.statistic('crossEntropy', r, last)).toBeNull();
      expect(trajectory.statistic('rank', r, last)).toBeNull();
      expect(trajectory.statistic('entropy', r, last)).not.toBeNull();
    }
  });
});

describe('LensModel on tiny-gpt2 refuses what it cannot read', () => {
  const expected = loadExpected('tiny-gpt2');
  let model: LensModel;
  let tuned: TunedLens;
  beforeAll(async () => {
    model = await tinyModel('tiny-gpt2');
    tuned = await loadLens('current');
  });

  it('encodes each fixture prompt to the reference token ids', () => {
    for (const prompt of expected.prompts.filter((p) => p.text !== undefined)) {
      expect(model.encode(prompt.text!), prompt.name).toEqual(prompt.input_ids);
    }
    const seed = expected.prompts.find((p) => p.name === 'seed')!;
    expect(model.encode('82U*N#c4t^koK%a5*S3qrfBi 82U*N#c4t^koK%a5*S3qrfBi')).toEqual(seed.input_ids);
  });

  it('names each input token by its text', async () => {
    const english = expected.prompts.find((p) => p.name === 'english')!;
    const trajectory = await model.trajectory(english.input_ids, tuned, { topk: 3 });
    expect(trajectory.tokens.join('')).toBe(english.text);
    expect(trajectory.tokens[1]).toBe(' quick');
    expect(trajectory.topk(0, 0)).toHaveLength(3);
    expect(trajectory.topk(0, 0)[0].token).toBe(model.tokenText(trajectory.topk(0, 0)[0].id));
  });

  it('refuses an empty prompt and says to type some text', async () => {
    expect(() => model.encode('')).toThrow(PromptError);
    expect(() => model.encode('')).toThrow(/empty.*type some text/);
    await expect(model.trajectory([], tuned)).rejects.toThrow(PromptError);
  });

  it('refuses a prompt longer than the 128 positions the tiny model reads, saying how much to cut', async () => {
    const ids = Array.from({ length: 130 }, (_, i) => 100 + i);
    await expect(model.trajectory(ids, tuned)).rejects.toThrow(PromptError);
    await expect(model.trajectory(ids, tuned)).rejects.toThrow(/130 tokens.*at most 128.*shorten it by 2 tokens/);
    const long = Array(20).fill('The quick brown fox jumps over the lazy dog.').join(' '); // 200 tokens
    expect(() => model.encode(long)).toThrow(/at most 128.*shorten it by 72 tokens/);
    // Exactly 128 is fine.
    const trajectory = await model.trajectory(ids.slice(0, 128), tuned, { topk: 1 });
    expect(trajectory.numPositions).toBe(128);
  });

  it('refuses a token id outside the vocabulary', async () => {
    await expect(model.trajectory([464, 50257], tuned)).rejects.toThrow(/Token id 50257 is outside .*vocabulary of 50257/);
  });

  it.each(['wrong-dmodel', 'wrong-layers'])('refuses the %s lens, made for another model, before running anything', async (folder) => {
    const lens = await loadLens(folder);
    const run = vi.spyOn(model, 'residualStream');
    try {
      const error = await model.trajectory(expected.prompts[0].input_ids, lens).then(
        () => undefined,
        (e: Error) => e,
      );
      expect(error).toBeInstanceOf(ModelMismatchError);
      expect(error!.message).toMatch(/another model/);
      expect(run).not.toHaveBeenCalled();
    } finally {
      run.mockRestore();
    }
  });
});
