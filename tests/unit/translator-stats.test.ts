/**
 * The translator statistics the affine-adapters chapter plots, against matrices whose singular values
 * a person can work out by hand.
 */
import { describe, expect, it } from 'vitest';
import { euclideanNorm, singularValues, singularValuesOfIdentityPlus, symmetricEigenvalues, translatorStats } from '../../src/lens/lens/translator-stats.ts';
import { LogitLens } from '../../src/lens/lens/tuned-lens.ts';

/** A seeded uniform(-1, 1) generator, so failures reproduce. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state / 2 ** 32) * 2 - 1;
  };
}

function expectClose(actual: number[], expected: number[], tolerance = 1e-9) {
  expect(actual).toHaveLength(expected.length);
  const worst = Math.max(0, ...actual.map((a, i) => Math.abs(a - expected[i])));
  expect(worst, `worst difference ${worst} in ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`).toBeLessThan(tolerance);
}

describe('singular values', () => {
  it('of a diagonal matrix are the absolute values of its diagonal, largest first', () => {
    const M = [
      [3, 0, 0, 0],
      [0, -5, 0, 0],
      [0, 0, 0.5, 0],
      [0, 0, 0, 2],
    ].flat();
    expectClose(singularValues(M, 4), [5, 3, 2, 0.5]);
  });

  it('of a rotation are all 1, and of a scaled rotation all equal to the scale', () => {
    const theta = 0.7;
    const [c, s] = [Math.cos(theta), Math.sin(theta)];
    expectClose(singularValues([c, -s, s, c], 2), [1, 1]);
    // A 3-D rotation about the z axis, scaled by 2.
    expectClose(singularValues([2 * c, -2 * s, 0, 2 * s, 2 * c, 0, 0, 0, 2], 3), [2, 2, 2]);
  });

  it('of [[3, 0], [4, 5]] are √45 and √5 (MᵀM = [[25, 20], [20, 25]] has eigenvalues 45 and 5)', () => {
    expectClose(singularValues([3, 0, 4, 5], 2), [Math.sqrt(45), Math.sqrt(5)]);
  });

  it('of a rank-one matrix u vᵀ are ‖u‖‖v‖ and zeros', () => {
    const u = [1, 2, 2]; // ‖u‖ = 3
    const v = [0, 3, 4]; // ‖v‖ = 5
    const M = u.flatMap((ui) => v.map((vj) => ui * vj));
    expectClose(singularValues(M, 3), [15, 0, 0], 1e-6);
  });

  it('of a random 60 × 60 matrix keep its Frobenius norm and |det| (Σσ² = ‖M‖²_F, Πσ = |det M|)', () => {
    const n = 60;
    const next = random(7);
    const M = Float64Array.from({ length: n * n }, next);
    const sigma = singularValues(M, n);
    expect(sigma).toHaveLength(n);
    for (let i = 1; i < n; i++) expect(sigma[i]).toBeLessThanOrEqual(sigma[i - 1]);
    const sumSquares = sigma.reduce((s, x) => s + x * x, 0);
    expect(Math.abs(sumSquares - euclideanNorm(M) ** 2) / sumSquares).toBeLessThan(1e-10);
    const logDet = sigma.reduce((s, x) => s + Math.log(x), 0);
    expect(Math.abs(logDet - logAbsDet(M, n))).toBeLessThan(1e-6);
  });

  it('of I + A are those of the whole translator, not of A alone', () => {
    // A = diag(1, -0.5, 0) → I + A = diag(2, 0.5, 1)
    expectClose(singularValuesOfIdentityPlus([1, 0, 0, 0, -0.5, 0, 0, 0, 0], 3), [2, 1, 0.5]);
  });
});

describe('symmetric eigenvalues', () => {
  it('of a matrix built from known eigenvalues come back (Q diag(λ) Qᵀ with Q a Householder reflection)', () => {
    const n = 5;
    const lambda = [4, -1, 2.5, 0, 7];
    const u = [1, 2, -1, 0.5, 3];
    const uu = u.reduce((s, x) => s + x * x, 0);
    const Q = (i: number, j: number) => (i === j ? 1 : 0) - (2 * u[i] * u[j]) / uu;
    const S = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) S[i * n + j] += Q(i, k) * lambda[k] * Q(j, k);
    expectClose(
      symmetricEigenvalues(S, n).sort((a, b) => a - b),
      [...lambda].sort((a, b) => a - b),
    );
  });
});

describe('translatorStats', () => {
  it('reads the logit lens as identity translators: zero norms and every singular value 1', () => {
    const stats = translatorStats(new LogitLens(2, 4));
    expect(stats).toEqual([
      { layer: 0, weightNorm: 0, biasNorm: 0, singularValues: [1, 1, 1, 1] },
      { layer: 1, weightNorm: 0, biasNorm: 0, singularValues: [1, 1, 1, 1] },
    ]);
  });

  it('gives ‖A_ℓ‖_F, ‖b_ℓ‖ and σ(I + A_ℓ) per layer, in layer order', () => {
    const d = 2;
    // Layer 0: A = [[1, 0], [0, 1]] → I + A = 2I, ‖A‖_F = √2; b = (3, 4) → ‖b‖ = 5.
    // Layer 1: A = [[0, -1], [1, 0]] (I + A = √2 × a 45° rotation), ‖A‖_F = √2; b = 0.
    const lens = {
      numLayers: 2,
      dModel: d,
      translatorWeight: Float32Array.of(1, 0, 0, 1, 0, -1, 1, 0),
      translatorBias: Float32Array.of(3, 4, 0, 0),
    };
    const done: number[] = [];
    const stats = translatorStats(lens, (n) => done.push(n));
    expect(done).toEqual([1, 2]);
    expect(stats.map((s) => s.layer)).toEqual([0, 1]);
    expectClose(
      stats.map((s) => s.weightNorm),
      [Math.SQRT2, Math.SQRT2],
    );
    expectClose(
      stats.map((s) => s.biasNorm),
      [5, 0],
    );
    expectClose(stats[0].singularValues, [2, 2]);
    expectClose(stats[1].singularValues, [Math.SQRT2, Math.SQRT2]);
  });

  it('handles a GPT-2-sized translator (768 × 768) in seconds', () => {
    const d = 768;
    const next = random(11);
    const lens = {
      numLayers: 1,
      dModel: d,
      translatorWeight: Float32Array.from({ length: d * d }, () => 0.02 * next()),
      translatorBias: new Float32Array(d),
    };
    const start = performance.now();
    const [stats] = translatorStats(lens);
    const seconds = (performance.now() - start) / 1000;
    expect(stats.singularValues).toHaveLength(d);
    // I + small noise: every direction is stretched or squeezed only a little.
    expect(stats.singularValues[0]).toBeLessThan(2);
    expect(stats.singularValues[d - 1]).toBeGreaterThan(0.2);
    const sumSquares = stats.singularValues.reduce((s, x) => s + x * x, 0);
    const M = Float64Array.from(lens.translatorWeight);
    for (let i = 0; i < d; i++) M[i * d + i] += 1;
    expect(Math.abs(sumSquares - euclideanNorm(M) ** 2) / sumSquares).toBeLessThan(1e-9);
    expect(seconds).toBeLessThan(20);
  });
});

/** log |det M| by Gaussian elimination with partial pivoting. */
function logAbsDet(M: Float64Array, n: number): number {
  const a = Float64Array.from(M);
  let log = 0;
  for (let k = 0; k < n; k++) {
    let pivot = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(a[i * n + k]) > Math.abs(a[pivot * n + k])) pivot = i;
    if (pivot !== k) for (let j = 0; j < n; j++) [a[k * n + j], a[pivot * n + j]] = [a[pivot * n + j], a[k * n + j]];
    const akk = a[k * n + k];
    log += Math.log(Math.abs(akk));
    for (let i = k + 1; i < n; i++) {
      const f = a[i * n + k] / akk;
      for (let j = k; j < n; j++) a[i * n + j] -= f * a[k * n + j];
    }
  }
  return log;
}
