/**
 * The bias of a lens (Belrose et al. 2023): KL(p̄ ‖ q̄_ℓ) between the model's output distribution
 * and the lens's, each averaged over the prompt's positions. The head graph computes it in-graph;
 * here it is recomputed in float64 from every cell's whole distribution (a top-k with k = V), which
 * shares nothing with the graph's arithmetic but the logits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathSource } from '../../src/node/path-source.ts';
import type { LensModel } from '../../src/lens/lens-model.ts';
import { LogitLens, TunedLens, type Lens } from '../../src/lens/lens/tuned-lens.ts';
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { fixturePath } from '../helpers/fixtures.ts';
import { loadExpected } from '../helpers/tiny-gpt2.ts';
import { loadTinyLensModel } from '../helpers/trajectory.ts';

/** Per row, the distribution averaged over positions, in float64, from a trajectory whose k is V. */
function marginals(trajectory: PredictionTrajectory, V: number): Float64Array[] {
  const T = trajectory.numPositions;
  return trajectory.rows.map((_, r) => {
    const mean = new Float64Array(V);
    for (let t = 0; t < T; t++) for (const { id, probability } of trajectory.topk(r, t)) mean[id] += probability / T;
    return mean;
  });
}

function kl(p: Float64Array, q: Float64Array): number {
  let sum = 0;
  for (let v = 0; v < p.length; v++) if (p[v] > 0) sum += p[v] * (Math.log(p[v]) - Math.log(q[v]));
  return sum;
}

describe('the bias of a lens, KL(p̄ ‖ q̄ℓ), on tiny-gpt2', () => {
  let model: LensModel;
  let lenses: Record<'logit' | 'tuned', Lens>;
  const prompt = loadExpected('tiny-gpt2').prompts.find((p) => p.name === 'english')!;
  beforeAll(async () => {
    model = await loadTinyLensModel('tiny-gpt2');
    lenses = {
      logit: new LogitLens(model.config.numLayers, model.config.dModel),
      tuned: await TunedLens.load(new PathSource(fixturePath('lenses/current')), { onNotice: () => undefined }),
    };
  });
  afterAll(() => model?.release());

  it.each(['logit', 'tuned'] as const)('matches the KL of the averaged whole distributions for the %s lens', async (name) => {
    const V = model.config.vocabSize;
    const full = await model.trajectory(prompt.input_ids, lenses[name], { topk: V });
    const averaged = marginals(full, V);
    const output = averaged[averaged.length - 1];
    const expected = averaged.map((q) => kl(output, q));
    const got = Array.from(full.bias!);
    expect(got).toHaveLength(model.config.numLayers + 1);
    for (const [r, want] of expected.entries())
      expect(Math.abs(got[r] - want), `row ${full.rows[r]}: ${got[r]} vs ${want}`).toBeLessThanOrEqual(1e-4 + 1e-3 * want);
    // The output row compared with itself; every lens row is a real divergence.
    expect(got[got.length - 1]).toBeCloseTo(0, 6);
    for (const value of got.slice(0, -1)) expect(value).toBeGreaterThan(0);
  });

  it('keeps the bias when rows are strided and drops it when positions are cut', async () => {
    const trajectory = await model.trajectory(prompt.input_ids, lenses.tuned, { topk: 1 });
    const strided = trajectory.stride(2);
    expect(strided.rows).toEqual(['0', '2', 'output']);
    expect(Array.from(strided.bias!)).toEqual([0, 2, 3].map((r) => trajectory.bias![r]));
    expect(trajectory.slice(0).bias).toBeDefined();
    expect(trajectory.slice(-3).bias).toBeUndefined();
  });
});
