/**
 * Words about the changes per layer, written from the numbers: the mean over the shown tokens of how much
 * each layer changes the log-probability of the model's own top-1, or of the KL between each layer's
 * distribution and the one below, and which layers change it most and least. The chapter's sentences
 * (ChangeSentence.astro) and their tests read the same trajectory the figure draws.
 */
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';

export type LayerChange = 'changePerLayer' | 'consecutiveKl';

/** Per row: the mean of `change` over positions, or null for a row with none (layer 0). */
export function meanChangeByRow(trajectory: PredictionTrajectory, change: LayerChange = 'changePerLayer'): (number | null)[] {
  const values = trajectory[change];
  if (!values) throw new Error(`meanChangeByRow needs a trajectory computed with ${change}`);
  const T = trajectory.numPositions;
  return trajectory.rows.map((_, r) => {
    const row = Array.from(values.subarray(r * T, (r + 1) * T)).filter((v) => !Number.isNaN(v));
    return row.length ? row.reduce((s, v) => s + v, 0) / row.length : null;
  });
}

/** "+1.23 nats" / "−0.40 nats". */
export function formatChange(value: number): string {
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)} nats`;
}

export function changeSentence(trajectory: PredictionTrajectory, lensLabel: string, change: LayerChange = 'changePerLayer'): string {
  const means = meanChangeByRow(trajectory, change);
  const rows = means.flatMap((m, r) => (m === null ? [] : [{ r, m }]));
  if (rows.length === 0) return '';
  const largest = rows.reduce((a, b) => (b.m > a.m ? b : a));
  const smallest = rows.reduce((a, b) => (b.m < a.m ? b : a));
  const name = (r: number) => (trajectory.rows[r] === 'output' ? 'the step from the last layer to the output' : `layer ${trajectory.rows[r]}`);
  const shown = `Averaged over the ${trajectory.numPositions} tokens shown, the ${lensLabel}’s`;
  if (change === 'consecutiveKl') {
    const nats = (m: number) => `${m.toFixed(2)} nats`;
    return `${shown} distribution moves furthest from the layer below at ${name(largest.r)} (${nats(largest.m)}) and least at ${name(smallest.r)} (${nats(smallest.m)}).`;
  }
  return `${shown} log-probability of the model’s answer rises most at ${name(largest.r)} (${formatChange(largest.m)}) and least at ${name(smallest.r)} (${formatChange(smallest.m)}).`;
}
