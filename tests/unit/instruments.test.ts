/**
 * The instruments beyond the heatmap's five statistics — prediction depth, follow a token, change per
 * layer — on onnxruntime-node, against tools/reference/make_instrument_fixtures.py (PyTorch, float64).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathSource } from '../../src/node/path-source.ts';
import type { LensModel } from '../../src/lens/lens-model.ts';
import { LogitLens, TunedLens, type Lens } from '../../src/lens/lens/tuned-lens.ts';
import { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { fixturePath } from '../helpers/fixtures.ts';
import { loadExpectedInstruments } from '../helpers/tiny-gpt2.ts';
import { expectClose } from '../helpers/tolerance.ts';
import { loadTinyLensModel } from '../helpers/trajectory.ts';

const LOGPROB_TOLERANCE = { abs: 1e-4, rel: 1e-4 };

describe('instruments on tiny-gpt2 with lenses/current', () => {
  const expected = loadExpectedInstruments();
  let model: LensModel;
  let lenses: Record<'logit' | 'tuned', Lens>;
  beforeAll(async () => {
    model = await loadTinyLensModel('tiny-gpt2');
    lenses = {
      logit: new LogitLens(model.config.numLayers, model.config.dModel),
      tuned: await TunedLens.load(new PathSource(fixturePath('lenses/current')), { onNotice: () => undefined }),
    };
  });
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
      const json = trajectory.toJSON() as { change_per_layer: (number | null)[][] };
      expect(
        json.change_per_layer[0].every((v) => v === null),
        'layer 0 has no layer below it',
      ).toBe(true);
      const R = trajectory.rows.length;
      const T = trajectory.numPositions;
      expectClose('change per layer', json.change_per_layer.slice(1).flat() as number[], want.change_per_layer.slice(1).flat(), LOGPROB_TOLERANCE, [R - 1, T]);
    },
  );

  it('refuses to follow a token id outside the vocabulary', async () => {
    await expect(model.trajectory([464, 2068], lenses.logit, { follow: 50257 })).rejects.toThrow(/Token id 50257 is outside .*cannot be followed/);
  });
});
