/**
 * What each translator of a lens does, in numbers: ‖A_ℓ‖_F (how far translator ℓ is from the
 * identity), ‖b_ℓ‖ (how far it shifts every hidden state), and the singular values of the whole linear
 * part I + A_ℓ (how it stretches and squeezes directions; the identity has all of them equal to 1).
 *
 * σ(M) = √λ(M Mᵀ), with the eigenvalues of the symmetric M Mᵀ found by Householder tridiagonalisation
 * and the implicit QL method (Golub & Van Loan §8.3; Numerical Recipes' tred2/tqli without
 * eigenvectors): O(d³) in float64, under a second per 768 × 768 translator in JavaScript. Pure
 * functions over plain arrays; no DOM, so it runs in the engine Worker and in Node.
 */
import type { Lens } from './tuned-lens.ts';

export interface TranslatorStats {
  /** Translator index ℓ = 0..L-1. */
  layer: number;
  /** ‖A_ℓ‖_F, the Frobenius norm of the residual part (0 for the logit lens). */
  weightNorm: number;
  /** ‖b_ℓ‖₂ */
  biasNorm: number;
  /** Singular values of I + A_ℓ, largest first; d of them. */
  singularValues: number[];
}

/** Per translator: norms and the spectrum of I + A_ℓ. `onLayer` is called after each layer (for progress). */
export function translatorStats(
  lens: Pick<Lens, 'numLayers' | 'dModel' | 'translatorWeight' | 'translatorBias'>,
  onLayer?: (done: number, total: number) => void,
): TranslatorStats[] {
  const { numLayers: L, dModel: d } = lens;
  const stats: TranslatorStats[] = [];
  for (let layer = 0; layer < L; layer++) {
    const A = lens.translatorWeight.subarray(layer * d * d, (layer + 1) * d * d); // [d, d], [out, in]
    const b = lens.translatorBias.subarray(layer * d, (layer + 1) * d); // [d]
    const weightNorm = euclideanNorm(A);
    stats.push({
      layer,
      weightNorm,
      biasNorm: euclideanNorm(b),
      // The identity's spectrum is known; skip the O(d³) work for a translator that is exactly zero.
      singularValues: weightNorm === 0 ? new Array<number>(d).fill(1) : singularValuesOfIdentityPlus(A, d),
    });
    onLayer?.(layer + 1, L);
  }
  return stats;
}

/** √Σ x², accumulated in float64 (the Frobenius norm when `values` is a matrix). */
export function euclideanNorm(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  return Math.sqrt(sum);
}

/** Singular values of I + A for a square A [n, n] stored row-major, largest first. */
export function singularValuesOfIdentityPlus(A: ArrayLike<number>, n: number): number[] {
  const M = Float64Array.from(A);
  for (let i = 0; i < n; i++) M[i * n + i] += 1;
  return singularValues(M, n);
}

/** Singular values of a square matrix M [n, n] stored row-major, largest first. */
export function singularValues(M: ArrayLike<number>, n: number): number[] {
  if (M.length !== n * n) throw new RangeError(`singularValues: expected ${n * n} entries for [${n}, ${n}], got ${M.length}`);
  return singularValuesOf(M instanceof Float64Array ? M : Float64Array.from(M), n);
}

function singularValuesOf(M: Float64Array, n: number): number[] {
  // G = M Mᵀ, [n, n]: dot products of rows, so the inner loop runs over contiguous memory.
  const G = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const a = i * n;
    for (let j = 0; j <= i; j++) {
      const b = j * n;
      let s = 0;
      for (let k = 0; k < n; k++) s += M[a + k] * M[b + k];
      G[i * n + j] = s;
      G[j * n + i] = s;
    }
  }
  return symmetricEigenvalues(G, n)
    .map((lambda) => Math.sqrt(Math.max(0, lambda)))
    .sort((a, b) => b - a);
}

/**
 * Eigenvalues of a symmetric matrix S [n, n] (row-major; only its lower triangle is read, and it is
 * overwritten), in no particular order.
 * Householder reduction to tridiagonal form, then the QL algorithm with implicit shifts.
 */
export function symmetricEigenvalues(S: Float64Array, n: number): number[] {
  const diag = new Float64Array(n);
  const off = new Float64Array(n); // off[i] couples i and i+1; off[n-1] stays 0
  tridiagonalize(S, n, diag, off);
  tridiagonalQL(diag, off);
  return Array.from(diag);
}

/** S → Q T Qᵀ with T tridiagonal: writes T's diagonal to `diag` and its off-diagonal to `off`. */
function tridiagonalize(S: Float64Array, n: number, diag: Float64Array, off: Float64Array): void {
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    // x = S[k+1:, k]; the reflector H = I − β v vᵀ maps x to −sign(x₀)‖x‖ e₁.
    const m0 = k + 1;
    let alpha = 0;
    for (let i = m0; i < n; i++) alpha += S[i * n + k] ** 2;
    alpha = Math.sqrt(alpha);
    if (alpha === 0) {
      off[k] = 0;
      continue;
    }
    const x0 = S[m0 * n + k];
    const sign = x0 >= 0 ? 1 : -1;
    for (let i = m0; i < n; i++) v[i] = S[i * n + k];
    v[m0] += sign * alpha;
    const beta = 1 / (alpha * (alpha + Math.abs(x0))); // 2 / vᵀv
    off[k] = -sign * alpha;
    // p = β S' v over the trailing block S' = S[k+1:, k+1:]. Only S's lower triangle is kept up to
    // date, so each stored S[i][j] (j < i) stands for S[j][i] too.
    for (let i = m0; i < n; i++) p[i] = 0;
    for (let i = m0; i < n; i++) {
      const row = i * n;
      const vi = v[i];
      let s = S[row + i] * vi;
      for (let j = m0; j < i; j++) {
        const sij = S[row + j];
        s += sij * v[j];
        p[j] += sij * vi;
      }
      p[i] += s;
    }
    let pv = 0;
    for (let i = m0; i < n; i++) {
      p[i] *= beta;
      pv += p[i] * v[i];
    }
    // w = p − (β pᵀv / 2) v;  S' ← S' − v wᵀ − w vᵀ on the lower triangle   (w is stored in p)
    const K = (beta * pv) / 2;
    for (let i = m0; i < n; i++) p[i] -= K * v[i];
    for (let i = m0; i < n; i++) {
      const row = i * n;
      const vi = v[i];
      const wi = p[i];
      for (let j = m0; j <= i; j++) S[row + j] -= vi * p[j] + wi * v[j];
    }
  }
  for (let i = 0; i < n; i++) diag[i] = S[i * n + i];
  if (n >= 2) off[n - 2] = S[(n - 1) * n + (n - 2)];
  off[n - 1] = 0;
}

/** Eigenvalues of the symmetric tridiagonal matrix (diag, off), into `diag`; `off` is destroyed. */
function tridiagonalQL(diag: Float64Array, off: Float64Array): void {
  const n = diag.length;
  for (let l = 0; l < n; l++) {
    let iterations = 0;
    let m: number;
    do {
      // Find a negligible off-diagonal element to split the matrix at.
      for (m = l; m < n - 1; m++) {
        const scale = Math.abs(diag[m]) + Math.abs(diag[m + 1]);
        if (Math.abs(off[m]) <= Number.EPSILON * scale) break;
      }
      if (m !== l) {
        if (iterations++ === 60) throw new Error(`symmetricEigenvalues: no convergence after 60 QL iterations at row ${l}`);
        // Wilkinson-style shift from the leading 2 × 2 block.
        let g = (diag[l + 1] - diag[l]) / (2 * off[l]);
        let r = Math.hypot(g, 1);
        g = diag[m] - diag[l] + off[l] / (g + (g >= 0 ? r : -r));
        let s = 1;
        let c = 1;
        let p = 0;
        let i: number;
        let deflated = false;
        for (i = m - 1; i >= l; i--) {
          const f = s * off[i];
          const b = c * off[i];
          r = Math.hypot(f, g);
          off[i + 1] = r;
          if (r === 0) {
            // Underflow: the matrix splits here; go round again.
            diag[i + 1] -= p;
            off[m] = 0;
            deflated = true;
            break;
          }
          s = f / r;
          c = g / r;
          g = diag[i + 1] - p;
          r = (diag[i] - g) * s + 2 * c * b;
          p = s * r;
          diag[i + 1] = g + p;
          g = c * r - b;
        }
        if (deflated) continue;
        diag[l] -= p;
        off[l] = g;
        off[m] = 0;
      }
    } while (m !== l);
  }
}
