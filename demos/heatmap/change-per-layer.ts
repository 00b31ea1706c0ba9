/**
 * Words about the change per layer, written from the numbers: the mean over the shown tokens of how much
 * each layer changes the log-probability of the model's own top-1, and which layer changes it most.
 * The chapter's sentence (ChangeSentence.astro) and its test read the same trajectory the figure draws.
 */
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';

/** Per row: the mean change over positions, or null for a row with none (layer 0). */
export function meanChangeByRow(trajectory: PredictionTrajectory): (number | null)[] {
  const change = trajectory.changePerLayer;
  if (!change) throw new Error('meanChangeByRow needs a trajectory computed with changePerLayer');
  const T = trajectory.numPositions;
  return trajectory.rows.map((_, r) => {
    const values = Array.from(change.subarray(r * T, (r + 1) * T)).filter((v) => !Number.isNaN(v));
    return values.length ? values.reduce((s, v) => s + v, 0) / values.length : null;
  });
}

/** "+1.23 nats" / "−0.40 nats". */
export function formatChange(value: number): string {
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toFixed(2)} nats`;
}

export function changeSentence(trajectory: PredictionTrajectory, lensLabel: string): string {
  const means = meanChangeByRow(trajectory);
  const rows = means.flatMap((m, r) => (m === null ? [] : [{ r, m }]));
  if (rows.length === 0) return '';
  const largest = rows.reduce((a, b) => (b.m > a.m ? b : a));
  const smallest = rows.reduce((a, b) => (b.m < a.m ? b : a));
  const name = (r: number) => (trajectory.rows[r] === 'output' ? 'the step from the last layer to the output' : `layer ${trajectory.rows[r]}`);
  return `Averaged over the ${trajectory.numPositions} tokens shown, the ${lensLabel}’s log-probability of the model’s answer rises most at ${name(largest.r)} (${formatChange(largest.m)}) and least at ${name(smallest.r)} (${formatChange(smallest.m)}).`;
}
