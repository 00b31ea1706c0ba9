/**
 * Per-layer summaries of a lens's trajectory over a whole text (architecture.md §3): the mean KL(p‖q)
 * between the model's output and the lens, the mean cross-entropy of the next token, the bias, and bits per byte (the
 * site's one definition, bitsPerByte in src/lens/train/token-bytes.ts: Σ cross-entropy in nats /
 * ln 2 / UTF-8 bytes of the predicted tokens, which are every token but the first). One point per
 * row, the model's own output last. Pure functions over PredictionTrajectory, so a test can check
 * them by hand.
 */
import { bitsPerByte } from '../../src/lens/train/token-bytes.ts';
import type { PredictionTrajectory, Statistic } from '../../src/lens/trajectory/prediction-trajectory.ts';

export interface LayerPoint {
  /** Which lens: "logit", "tuned", … */
  lens: string;
  /** Row index: 0..L-1 for the layers, L for the model's output. */
  layer: number;
  /** The row's label: "0", …, "output". */
  row: string;
  /** Mean KL(p‖q_ℓ) over every position, nats. */
  meanKl: number;
  /** Mean −log q_ℓ(next token) over the positions that have a next token, nats. */
  meanCrossEntropy: number;
  /** Σ −log q_ℓ(next token) / ln 2 / UTF-8 bytes of the predicted tokens. */
  bitsPerByte: number;
  /** The lens's bias, KL(p̄ ‖ q̄_ℓ) in nats between the position-averaged distributions (NaN when unknown). */
  bias: number;
}

export function utf8Bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * UTF-8 bytes of the tokens a trajectory predicts: the text's bytes less its first token's, which
 * is context only. Counted from the text rather than token by token, because a token that holds
 * part of a multi-byte character decodes alone to U+FFFD (3 bytes); only a first token that splits
 * a character is counted inexactly.
 */
export function predictedBytes(trajectory: PredictionTrajectory, text: string): number {
  const first = trajectory.tokens[0];
  return Math.max(0, utf8Bytes(text) - (first === undefined ? 0 : utf8Bytes(first)));
}

/** Sum and count of the defined values of one row of a statistic (NaN marks "no value"). */
function rowTotal(trajectory: PredictionTrajectory, statistic: Statistic, row: number): { sum: number; count: number } {
  let sum = 0;
  let count = 0;
  for (let t = 0; t < trajectory.numPositions; t++) {
    const value = trajectory.statistic(statistic, row, t);
    if (value === null) continue;
    sum += value;
    count++;
  }
  return { sum, count };
}

/** One point per row of `trajectory`, the lens's reading of `text` (the text the trajectory was computed on). */
export function layerCurves(lens: string, trajectory: PredictionTrajectory, text: string): LayerPoint[] {
  const bytes = predictedBytes(trajectory, text);
  return trajectory.rows.map((row, r) => {
    const kl = rowTotal(trajectory, 'forwardKl', r);
    const ce = rowTotal(trajectory, 'crossEntropy', r);
    return {
      lens,
      layer: r,
      row,
      meanKl: kl.count ? kl.sum / kl.count : NaN,
      meanCrossEntropy: ce.count ? ce.sum / ce.count : NaN,
      bitsPerByte: ce.count ? bitsPerByte(ce.sum, bytes) : NaN,
      bias: trajectory.bias?.[r] ?? NaN,
    };
  });
}
