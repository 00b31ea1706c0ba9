/**
 * The instruments beyond the heatmap's five statistics — prediction depth, follow a token, change per
 * layer — on onnxruntime-node, against tools/reference/make_instrument_fixtures.py (PyTorch, float64).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import { PathSource } from '../../src/node/path-source.ts';
import { LensModel } from '../../src/lens/lens-model.ts';
import { loadModelFiles } from '../../src/lens/model/model-files.ts';
import { LogitLens, TunedLens, type Lens } from '../../src/lens/lens/tuned-lens.ts';
import { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { fixturePath } from '../helpers/fixtures.ts';
import { loadExpectedInstruments } from '../helpers/tiny-gpt2.ts';
import { expectClose } from '../helpers/tolerance.ts';
import { loadTinyLensModel, STATISTICS_TOLERANCE } from '../helpers/trajectory.ts';

const LOGPROB_TOLERANCE = { abs: 1e-4, rel: 1e-4 };

/** Both layouts the library runs: GPT-2 (tied head, learned positions) and GPT-NeoX (rotary, parallel residual). */
const MODELS = [
  { name: 'tiny-gpt2', lens: 'lenses/current', load: () => loadTinyLensModel('tiny-gpt2') },
  { name: 'tiny-neox', lens: 'tiny-neox-lens', load: async () => LensModel.create(ort, await loadModelFiles(new PathSource(fixturePath('tiny-neox')))) },
] as const;

/** A change between layers, [rows][positions]: none at layer 0 (it has no layer below), the reference's values above it. */
function expectLayerChange(name: string, got: (number | null)[][], want: (number | null)[][]): void {
  expect(
    got[0].every((v) => v === null),
    'layer 0 has no layer below it',
  ).toBe(true);
  expectClose(name, got.slice(1).flat() as number[], want.slice(1).flat() as number[], LOGPROB_TOLERANCE, [got.length - 1, got[0].length]);
}

describe.each(MODELS)('instruments on $name with its tuned lens', ({ name, lens: lensFolder, load }) => {
  const expected = loadExpectedInstruments(name);
  let model: LensModel;
  let lenses: Record<'logit' | 'tuned', Lens>;
  beforeAll(async () => {
    model = await load();
    lenses = {
      logit: new LogitLens(model.config.numLayers, model.config.dModel),
      tuned: await TunedLens.load(new PathSource(fixturePath(lensFolder)), { onNotice: () => undefined }),
    };
  }, 60_000);
  afterAll(async () => model?.release());

  const cases = expected.prompts.flatMap((prompt) => (['logit', 'tuned'] as const).map((lens) => ({ prompt, lens, want: prompt.lenses[lens] })));

  it.each(cases)('gives the reference prediction depth, exactly, for the $lens lens on "$prompt.name"', async ({ prompt, lens, want }) => {
    const trajectory = await model.trajectory(prompt.input_ids, lenses[lens], { topk: 2 });
    // The top-1 and top-2 are far enough apart in every cell that float32 and float64 agree on the top-1.
    expect(want.top1_margin).toBeGreaterThan(1e-4);
    expect(Array.from(trajectory.predictionDepth())).toEqual(want.prediction_depth);
    expect(trajectory.toJSON().prediction_depth).toEqual(want.prediction_depth);
  });

  it("keeps every layer's prediction depth when a stride or a slice hides rows and positions", async () => {
    const seed = expected.prompts.find((p) => p.name === 'seed')!;
    const full = await model.trajectory(seed.input_ids, lenses.logit, { topk: 1 });
    const cut = full.slice(-5).stride(2);
    expect(cut.rows).toEqual(['0', '2', 'output']);
    expect(Array.from(cut.predictionDepth())).toEqual(seed.lenses.logit.prediction_depth.slice(-5));
    // The same depth is what a row-by-row reading of the shown rows could not give: a depth of 1 needs layer 1.
    expect(seed.lenses.logit.prediction_depth).toContain(1);
    // Plain data that crossed a Worker boundary rebuilds with the same depth.
    const cloned = PredictionTrajectory.from(structuredClone({ ...cut }));
    expect(Array.from(cloned.predictionDepth())).toEqual(Array.from(cut.predictionDepth()));
  });

  it.each(cases.flatMap((c) => expected.follow_ids.map((id, i) => ({ ...c, id, i }))))(
    'follows token $id through every cell of the $lens lens on "$prompt.name" like the reference',
    async ({ prompt, lens, want, id, i }) => {
      const trajectory = await model.trajectory(prompt.input_ids, lenses[lens], { topk: 1, follow: id });
      const followed = trajectory.followed!;
      const ref = want.follow[i];
      expect(ref.id).toBe(id);
      expect(followed.id).toBe(id);
      expect(followed.token).toBe(model.tokenText(id));
      const R = trajectory.rows.length;
      const T = trajectory.numPositions;
      expectClose(`follow ${id} logprob`, followed.logprob, ref.logprob.flat(), LOGPROB_TOLERANCE, [R, T]);
      ref.rank.flat().forEach((rank, cell) => {
        expect(Math.abs(followed.rank[cell] - rank), `rank at cell ${cell}`).toBeLessThanOrEqual(ref.rank_tolerance.flat()[cell]);
      });
      // Following a token leaves the trajectory's own statistics as they were.
      const plain = await model.trajectory(prompt.input_ids, lenses[lens], { topk: 1 });
      expect(Array.from(trajectory.statistics.crossEntropy)).toEqual(Array.from(plain.statistics.crossEntropy));
    },
  );

  it.each(cases)(
    'gives the change per layer of the output\'s top-1 like the reference for the $lens lens on "$prompt.name"',
    async ({ prompt, lens, want }) => {
      const trajectory = await model.trajectory(prompt.input_ids, lenses[lens], { topk: 1, changePerLayer: true });
      expectLayerChange('change per layer', (trajectory.toJSON() as { change_per_layer: (number | null)[][] }).change_per_layer, want.change_per_layer);
    },
  );

  it.each(cases)('gives the reference KL between consecutive layers for the $lens lens on "$prompt.name"', async ({ prompt, lens, want }) => {
    const trajectory = await model.trajectory(prompt.input_ids, lenses[lens], { topk: 1, consecutiveKl: true });
    const json = trajectory.toJSON() as { consecutive_kl: (number | null)[][]; forward_kl: number[][] };
    expectLayerChange('consecutive KL', json.consecutive_kl, want.consecutive_kl);
    const R = trajectory.rows.length;
    const T = trajectory.numPositions;
    // The output row's KL from the last layer is that layer's forward KL, computed by another path in the graph.
    expectClose('output row = forward KL of row L-1', json.consecutive_kl[R - 1] as number[], json.forward_kl[R - 2], LOGPROB_TOLERANCE, [T]);
    // Asked for positions only, it is the whole trajectory's slice (cached columns carry it).
    const part = await model.trajectory(prompt.input_ids, lenses[lens], { topk: 1, consecutiveKl: true, start: -2 });
    expect(Array.from(part.consecutiveKl!)).toEqual(Array.from(trajectory.slice(-2).consecutiveKl!));
  });

  it.each(expected.prompts)('gives the reference layer transfer of the tuned lens on "$name"', async (prompt) => {
    const L = model.config.numLayers;
    const progress: number[] = [];
    const transfer = (await model.layerTransfer(prompt.input_ids, lenses.tuned, { onProgress: (done, total) => progress.push(done / total) }))!;
    expect(progress).toEqual(Array.from({ length: L }, (_, j) => (j + 1) / L));
    expect(transfer.numLayers).toBe(L);
    expectClose('layer transfer', transfer.kl, prompt.transfer.flat(), STATISTICS_TOLERANCE, [L, L]);
    // The diagonal is the tuned lens itself: its forward KL averaged over the prompt.
    const own = await model.trajectory(prompt.input_ids, lenses.tuned, { topk: 1 });
    const T = own.numPositions;
    for (let i = 0; i < L; i++) {
      const mean = own.statistics.forwardKl.subarray(i * T, (i + 1) * T).reduce((s, v) => s + v, 0) / T;
      expect(transfer.kl[i * L + i]).toBeCloseTo(mean, 5);
    }
  });

  it('stops a layer transfer when asked to, before its next head run', async () => {
    let runs = 0;
    const stopped = await model.layerTransfer(expected.prompts[0].input_ids, lenses.tuned, { onProgress: () => runs++, shouldStop: () => runs >= 1 });
    expect(stopped).toBeNull();
    expect(runs).toBe(1);
  });

  it('refuses to follow a token id outside the vocabulary', async () => {
    const V = model.config.vocabSize;
    await expect(model.trajectory([1, 2], lenses.logit, { follow: V })).rejects.toThrow(new RegExp(`Token id ${V} is outside .*cannot be followed`));
  });
});
