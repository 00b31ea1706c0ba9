/**
 * One training step of the tuned lens — the ONNX train-step graph (loss and hand-written gradients)
 * and the optimiser — against torch autograd in float64 and torch.optim.SGD
 * (tools/reference/train_reference.py → tests/fixtures/train/train-step.json).
 */
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PathSource } from '../../src/node/path-source.ts';
import { TunedLens } from '../../src/lens/lens/tuned-lens.ts';
import { clipGradNorm, linearSchedule, paperLearningRate, SGD } from '../../src/lens/train/sgd.ts';
import { TrainStep } from '../../src/lens/train/train-step.ts';
import { unembeddingOf } from '../../src/lens/train/unembedding.ts';
import { fixturePath, readFixtureJson } from '../helpers/fixtures.ts';
import { loadTinyCheckpoint } from '../helpers/tiny-gpt2.ts';
import { expectClose, type Tolerance } from '../helpers/tolerance.ts';

interface Flat {
  shape: number[];
  data: number[];
}
interface OptimizerStep {
  lr: number;
  loss: number[];
  grad_norm: number;
  clipped: boolean;
  weight: number[];
  bias: number[];
  momentum_weight: number[];
  momentum_bias: number[];
}
interface Fixture {
  num_layers: number;
  d_model: number;
  num_tokens: number;
  residual: Flat;
  output_residual: Flat;
  loss: number[];
  grad_weight: Flat;
  grad_bias: Flat;
  optimizer: {
    lr: number;
    momentum: number;
    weight_decay: number;
    nesterov: boolean;
    schedule_steps: number;
    runs: { clip: number; steps: OptimizerStep[] }[];
  };
}

const fixture = readFixtureJson<Fixture>('train/train-step.json');
const { num_layers: L, d_model: d, num_tokens: N } = fixture;

/** |Δ| ≤ 1e-4·|expected| + 1e-4·max|expected|: relative, with an absolute floor at the tensor's scale. */
function tolerance(expected: number[], rel = 1e-4): Tolerance {
  const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return { rel, abs: rel * scale };
}

let step: TrainStep;
let lens: TunedLens;
const residual = Float32Array.from(fixture.residual.data);
const outputResidual = Float32Array.from(fixture.output_residual.data);

beforeAll(async () => {
  step = await TrainStep.create(ort, unembeddingOf(loadTinyCheckpoint('tiny-gpt2')));
  lens = await TunedLens.load(new PathSource(fixturePath('lenses/current')), { onNotice: () => undefined });
});
afterAll(async () => step?.release());

describe('the train-step graph', () => {
  it('computes the per-layer KL and its gradients like torch autograd in float64', async () => {
    expect(fixture.residual.shape).toEqual([L, N, d]);
    const out = await step.run(residual, outputResidual, lens.translatorWeight, lens.translatorBias);
    expect(out.loss.length).toBe(L);
    const worst = {
      loss: expectClose('loss [L]', out.loss, fixture.loss, tolerance(fixture.loss)),
      weight: expectClose('grad_weight [L, d, d]', out.gradWeight, fixture.grad_weight.data, tolerance(fixture.grad_weight.data), [L, d, d]),
      bias: expectClose('grad_bias [L, d]', out.gradBias, fixture.grad_bias.data, tolerance(fixture.grad_bias.data), [L, d]),
    };
    if (process.env.SHOW_WORST) {
      for (const [name, w] of Object.entries(worst)) {
        console.info(
          `${name}: worst [${w.index.join(', ')}] ${w.actual} vs ${w.expected} (Δ ${w.difference.toExponential(2)}, allowed ${w.allowed.toExponential(2)})`,
        );
      }
    }
  });

  it('gives the logit lens (zero translators) a positive loss and the output row itself zero loss', async () => {
    // Decoding h_L as a lens row with a zero translator reproduces p exactly: KL = 0, gradient 0.
    const rows = new Float32Array(2 * N * d);
    rows.set(residual.subarray(0, N * d), 0);
    rows.set(outputResidual, N * d);
    const out = await step.run(rows, outputResidual, new Float32Array(2 * d * d), new Float32Array(2 * d));
    expect(out.loss[0]).toBeGreaterThan(0.1);
    expect(Math.abs(out.loss[1])).toBeLessThan(1e-5);
    const maxGrad = out.gradWeight.subarray(d * d).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxGrad).toBeLessThan(1e-5);
  });

  it('splits into token batches whose gradients, weighted by their token share, add up to the whole', async () => {
    const whole = await step.run(residual, outputResidual, lens.translatorWeight, lens.translatorBias);
    const split = 17;
    const slice = (from: number, to: number) => {
      const rows = new Float32Array(L * (to - from) * d);
      for (let l = 0; l < L; l++) rows.set(residual.subarray((l * N + from) * d, (l * N + to) * d), l * (to - from) * d);
      return step.run(rows, outputResidual.slice(from * d, to * d), lens.translatorWeight, lens.translatorBias);
    };
    const a = await slice(0, split);
    const b = await slice(split, N);
    const mix = (x: Float32Array, y: Float32Array) => Array.from(x, (v, i) => (v * split + y[i] * (N - split)) / N);
    expectClose('loss', mix(a.loss, b.loss), Array.from(whole.loss), { abs: 1e-6, rel: 1e-5 });
    expectClose('grad_weight', mix(a.gradWeight, b.gradWeight), Array.from(whole.gradWeight), tolerance(Array.from(whole.gradWeight), 1e-5));
  });
});

describe('the optimiser', () => {
  it('follows get_linear_schedule_with_warmup and tuned-lens’s lr scaling', () => {
    expect(paperLearningRate(1.0, 0.9)).toBeCloseTo(0.1, 12);
    const close = (actual: number[], expected: number[]) => actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
    close(
      [0, 1, 2, 3, 4, 5].map((s) => linearSchedule(0.1, s, 4)),
      [0.1, 0.075, 0.05, 0.025, 0, 0],
    );
    close(
      [0, 1, 2, 3, 6].map((s) => linearSchedule(1, s, 6, 2)),
      [0, 0.5, 1, 0.75, 0],
    );
  });

  it('clips the global gradient norm like clip_grad_norm_', () => {
    const grads = [Float32Array.of(3, 0), Float32Array.of(0, 4)];
    expect(clipGradNorm(grads, 1)).toBe(5);
    expect(Array.from(grads[0])[0]).toBeCloseTo(0.6, 6);
    expect(Array.from(grads[1])[1]).toBeCloseTo(0.8, 6);
    const small = [Float32Array.of(0.3, 0.4)];
    expect(clipGradNorm(small, 1)).toBeCloseTo(0.5, 7);
    expect(Array.from(small[0])).toEqual([Math.fround(0.3), Math.fround(0.4)]);
  });

  it.each(fixture.optimizer.runs.map((run) => ({ ...run, name: `clip ${run.clip}` })))(
    'takes the same steps as torch.optim.SGD(nesterov) with $name',
    async ({ clip, steps }) => {
      const { lr, momentum, weight_decay, schedule_steps } = fixture.optimizer;
      const weight = lens.translatorWeight.slice();
      const bias = lens.translatorBias.slice();
      const sgd = new SGD([weight, bias], { learningRate: lr, momentum, weightDecay: weight_decay, clip, nesterov: true, steps: schedule_steps });
      for (const [s, want] of steps.entries()) {
        const out = await step.run(residual, outputResidual, weight, bias);
        expectClose(`step ${s + 1} loss`, out.loss, want.loss, tolerance(want.loss));
        const report = sgd.update([out.gradWeight, out.gradBias]);
        expect(report.learningRate).toBeCloseTo(want.lr, 12);
        expect(report.clipped).toBe(want.clipped);
        expect(report.gradNorm).toBeCloseTo(want.grad_norm, 4);
        // The weights move by lr·(…) ≈ 0.1 per step from values ≈ 0.05; compare the new weights themselves.
        expectClose(`step ${s + 1} weight`, weight, want.weight, tolerance(want.weight), [L, d, d]);
        expectClose(`step ${s + 1} bias`, bias, want.bias, tolerance(want.bias), [L, d]);
        expectClose(`step ${s + 1} momentum (weight)`, sgd.momentum[0], want.momentum_weight, tolerance(want.momentum_weight, 2e-4), [L, d, d]);
        expectClose(`step ${s + 1} momentum (bias)`, sgd.momentum[1], want.momentum_bias, tolerance(want.momentum_bias, 2e-4), [L, d]);
      }
    },
  );
});
