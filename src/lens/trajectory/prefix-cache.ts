/**
 * What a LensModel keeps from its last runs so that the next prompt computes only what changed.
 *
 * A position's residual stream, keys and values depend only on the tokens up to it (attention is
 * causal), so when a prompt shares its first `common` tokens with the previous one, positions
 * 0..common-1 are reused and the model runs on the rest. A lens's cell at position t depends on the
 * stream at t and on its target, the token at t + 1 (cross-entropy, rank), so a cached column stays
 * good while tokens 0..t+1 are unchanged — and, for the prompt's last position, while it stays the last.
 * All of it is plain data (Float32Arrays), activations only: no weights are kept here.
 */
import type { Statistic } from './prediction-trajectory.ts';

/** The longest common prefix of two token lists. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** The model graph's results for a prompt: every row of the stream and every layer's keys and values. */
export interface ModelRun {
  ids: number[];
  /** [L+1, T, d] */
  stream: Float32Array;
  /** [L, H, T, dh] each */
  keys: Float32Array;
  values: Float32Array;
}

/** [A, T, w] → [A, n, w]: the first n positions of each of A blocks. */
export function keepPositions(data: Float32Array, blocks: number, T: number, width: number, n: number): Float32Array {
  if (n === T) return data;
  const out = new Float32Array(blocks * n * width);
  for (let b = 0; b < blocks; b++) out.set(data.subarray(b * T * width, (b * T + n) * width), b * n * width);
  return out;
}

/** [A, P, w] and [A, N, w] → [A, P + N, w]: positions appended, block by block. */
export function appendPositions(past: Float32Array, next: Float32Array, blocks: number, width: number): Float32Array {
  const P = past.length / blocks / width;
  const N = next.length / blocks / width;
  const out = new Float32Array(blocks * (P + N) * width);
  for (let b = 0; b < blocks; b++) {
    out.set(past.subarray(b * P * width, (b + 1) * P * width), b * (P + N) * width);
    out.set(next.subarray(b * N * width, (b + 1) * N * width), (b * (P + N) + P) * width);
  }
  return out;
}

/** One position's cells for every row: what the head graph gave for it. */
export interface HeadColumn {
  /** Per statistic, [R]; NaN where the cell has no value. */
  statistics: Record<Statistic, Float32Array>;
  /** [R, k] */
  topkIds: Int32Array;
  /** [R, k] */
  topkLogprobs: Float32Array;
  /** [R] KL(q_ℓ ‖ q_ℓ₋₁); NaN on row 0. */
  consecutiveKl: Float32Array;
}

/** One lens's columns for the prompt `ids`, at top-k `k`. */
export interface HeadColumns {
  ids: number[];
  k: number;
  columns: (HeadColumn | undefined)[];
}

/**
 * `previous`'s columns that are still right for `ids` at top-k `k` (a fresh, empty set when none are):
 * all of them for the same prompt, else those at t with tokens 0..t+1 unchanged.
 */
export function reusableColumns(previous: HeadColumns | undefined, ids: readonly number[], k: number): HeadColumns {
  const columns: (HeadColumn | undefined)[] = new Array(ids.length).fill(undefined);
  if (previous?.k === k) {
    const common = commonPrefixLength(previous.ids, ids);
    const same = common === ids.length && common === previous.ids.length;
    const keep = same ? common : Math.max(0, common - 1);
    for (let t = 0; t < keep; t++) columns[t] = previous.columns[t];
  }
  return { ids: [...ids], k, columns };
}
