/**
 * What a LensModel keeps from its last runs so that the next prompt computes only what changed.
 *
 * A position's residual stream, keys and values depend only on the tokens up to it (attention is
 * causal), so when a prompt shares its first `common` tokens with the previous one, positions
 * 0..common-1 are reused and the model runs on the rest. A lens's cell at position t depends on the
 * stream at t and on its target, the token at t + 1 (cross-entropy, rank), so a cached column stays
 * good while tokens 0..t+1 are unchanged — and, for the prompt's last position, while it stays the last;
 * when a token is appended after it, its logits (kept for that column alone) give its cross-entropy and
 * rank without decoding it again.
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
  /** Per part of the model graph (LensModel's parts), its blocks' keys [blocks, H, T, dh], kept as the part gave them; values alike. */
  keys: Float32Array[];
  values: Float32Array[];
  /** [L, T, d]: each block's stream after attention, from a model graph built with `afterAttention`. */
  afterAttention?: Float32Array;
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
  /** [R, V]: the logits, kept for the prompt's last position only, which has no target yet. */
  lastLogits?: Float32Array;
}

/** One lens's columns for the prompt `ids`, at top-k `k`. */
export interface HeadColumns {
  ids: number[];
  k: number;
  columns: (HeadColumn | undefined)[];
}

/**
 * `previous`'s columns that are still right for `ids` at top-k `k` (a fresh, empty set when none are):
 * all of them for the same prompt, else those at t with tokens 0..t+1 unchanged — and the previous
 * prompt's last column, now that `ids` continues it, completed with its target if it kept its logits.
 */
export function reusableColumns(previous: HeadColumns | undefined, ids: readonly number[], k: number): HeadColumns {
  const columns: (HeadColumn | undefined)[] = new Array(ids.length).fill(undefined);
  if (previous?.k === k) {
    const common = commonPrefixLength(previous.ids, ids);
    const same = common === ids.length && common === previous.ids.length;
    const keep = same ? common : Math.max(0, common - 1);
    for (let t = 0; t < keep; t++) columns[t] = previous.columns[t];
    const last = previous.ids.length - 1;
    const lastColumn = previous.columns[last];
    if (!same && common === previous.ids.length && lastColumn?.lastLogits) columns[last] = withTarget(lastColumn, lastColumn.lastLogits, ids[last + 1]);
  }
  return { ids: [...ids], k, columns };
}

/**
 * A last column given the target it lacked: per row, as the head graph computes them from the same
 * logits z, cross-entropy = log s − (z_target − max z) with s = 1 / max q, and rank = 1 + #{v : z_v > z_target}.
 */
function withTarget(column: HeadColumn, logits: Float32Array, target: number): HeadColumn {
  const R = column.statistics.rank.length;
  const V = logits.length / R;
  const crossEntropy = new Float32Array(R);
  const rank = new Float32Array(R);
  for (let r = 0; r < R; r++) {
    const z = logits.subarray(r * V, (r + 1) * V);
    const zTarget = z[target];
    let max = -Infinity;
    let above = 0;
    for (let v = 0; v < V; v++) {
      if (z[v] > max) max = z[v];
      if (z[v] > zTarget) above++;
    }
    crossEntropy[r] = -Math.log(column.statistics.maxProbability[r]) - (zTarget - max);
    rank[r] = 1 + above;
  }
  return {
    statistics: { ...column.statistics, crossEntropy, rank },
    topkIds: column.topkIds,
    topkLogprobs: column.topkLogprobs,
    consecutiveKl: column.consecutiveKl,
  };
}
