/**
 * Two heatmaps of one prompt, drawn on one colour scale so the same colour means the same value on
 * both sides. The marks are the heatmap's own (heatmap-plot.ts); only the scale and a narrower cell
 * (two figures share the width) are the comparison's.
 */
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import type { Quantity } from '../heatmap/statistic-scales.ts';
import { heatmapColorOptions, heatmapLayout, type HeatmapColorOptions, type HeatmapLayout } from '../heatmap/heatmap-plot.ts';

/** Narrowest cell, in pixels: a 7-character token in 11px monospace. */
export const MIN_CELL_WIDTH = 46;

/** Side by side from this figure width up; stacked below it (phones). */
export const SIDE_BY_SIDE_MIN_WIDTH = 760;

export function compareLayout(trajectory: PredictionTrajectory, availableWidth: number): HeatmapLayout {
  const base = heatmapLayout(trajectory, availableWidth);
  return { ...base, width: Math.max(availableWidth, base.marginLeft + base.marginRight + MIN_CELL_WIDTH * trajectory.numPositions) };
}

/** One colour scale covering every trajectory: the union of their domains. */
export function sharedColorOptions(trajectories: PredictionTrajectory[], statistic: Quantity, vocabSize: number): HeatmapColorOptions {
  const options = trajectories.map((t) => heatmapColorOptions(t, statistic, vocabSize));
  const domain: [number, number] = [Math.min(...options.map((o) => o.domain[0])), Math.max(...options.map((o) => o.domain[1]))];
  return { ...options[0], domain };
}
