/**
 * The prediction-depth strip under a heatmap: one cell per shown position, coloured and labelled by the
 * first layer from which the lens's top-1 is the model's final top-1 and stays so (design.md §4). Its x
 * scale is the heatmap's (same width and margins), so each strip cell sits under its column. The words
 * that describe a depth live here too, so the live strip, the static one and the chapter's sentences
 * say the same thing.
 */
import * as Plot from '@observablehq/plot';
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { formatToken } from '../../src/lens/trajectory/token-format.ts';
import type { HeatmapLayout } from './heatmap-plot.ts';
import { textColorOn } from './statistic-scales.ts';

export const DEPTH_STRIP_CELL_HEIGHT = 26;
const STRIP_MARGIN_TOP = 2;
const STRIP_MARGIN_BOTTOM = 2;

export interface DepthCell {
  position: number;
  depth: number;
  /** The model's own top-1 at this position, which the depth is about. */
  output: string;
}

export function depthCells(trajectory: PredictionTrajectory): DepthCell[] {
  const depth = trajectory.predictionDepth();
  const outputRow = trajectory.rows.length - 1;
  return trajectory.tokens.map((_, position) => ({
    position,
    depth: depth[position],
    output: trajectory.topk(outputRow, position)[0].token,
  }));
}

/** The strip's own height; its width and side margins are the heatmap's. */
export function depthStripHeight(): number {
  return STRIP_MARGIN_TOP + DEPTH_STRIP_CELL_HEIGHT + STRIP_MARGIN_BOTTOM;
}

/** Colour by depth on 0..L: dark for an early prediction, pale for one only the output makes. */
export function depthColorOptions(numLayers: number) {
  return {
    type: 'linear',
    scheme: 'purples',
    reverse: true,
    domain: [0, numLayers],
    clamp: true,
    label: `Prediction depth (layer, ${numLayers} = only the output)`,
  } as const;
}

export interface DepthStripOptions {
  numLayers: number;
  /** The heatmap's layout: the strip's columns line up under its cells. */
  layout: HeatmapLayout;
  /** Where Plot builds the figure: the page's own document, or a server-side one at build time. */
  document?: Document;
}

export function depthStripPlot(trajectory: PredictionTrajectory, { numLayers, layout, document }: DepthStripOptions): SVGSVGElement | HTMLElement {
  const cells = depthCells(trajectory);
  const color = Plot.scale({ color: depthColorOptions(numLayers) });
  const fillOf = (c: DepthCell) => String(color.apply(c.depth));
  return Plot.plot({
    width: layout.width,
    height: depthStripHeight(),
    marginLeft: layout.marginLeft,
    marginRight: layout.marginRight,
    marginTop: STRIP_MARGIN_TOP,
    marginBottom: STRIP_MARGIN_BOTTOM,
    ...(document ? { document } : {}),
    style: { fontFamily: 'var(--font-ui)', fontSize: '12px', background: 'transparent', color: 'var(--fg)' },
    x: { type: 'band', domain: trajectory.tokens.map((_, t) => t), padding: 0, axis: null },
    y: { type: 'band', domain: ['depth'], padding: 0, tickFormat: () => 'depth', label: null, tickSize: 0 },
    marks: [
      Plot.cell(cells, { x: 'position', y: () => 'depth', fill: fillOf, inset: 0.5 }),
      Plot.text(cells, {
        x: 'position',
        y: () => 'depth',
        text: (c: DepthCell) => String(c.depth),
        fill: (c: DepthCell) => textColorOn(fillOf(c)),
        fontFamily: 'var(--font-mono)',
        fontSize: 11,
      }),
    ],
  });
}

export function depthLegend({ numLayers, document }: Omit<DepthStripOptions, 'layout'>): SVGSVGElement | HTMLElement {
  return Plot.legend({
    color: depthColorOptions(numLayers),
    width: 240,
    ticks: Math.min(numLayers, 6),
    tickFormat: 'd',
    // Room for the "0" under the ramp's left end, which would otherwise be cut in half.
    marginLeft: 6,
    marginRight: 6,
    ...(document ? { document } : {}),
    style: { background: 'transparent', color: 'var(--fg)' },
  });
}

/** What one strip cell says, as its accessible name and in the readout. */
export function depthCellLabel(trajectory: PredictionTrajectory, numLayers: number, position: number): string {
  const cell = depthCells(trajectory)[position];
  const after = formatToken(trajectory.tokens[position], { maxLength: 40 });
  const output = formatToken(cell.output, { maxLength: 40 });
  if (cell.depth >= numLayers) return `after “${after}”: prediction depth ${cell.depth} — only the output predicts “${output}”`;
  if (cell.depth === 0) return `after “${after}”: prediction depth 0 — every layer already predicts the output’s “${output}”`;
  return `after “${after}”: prediction depth ${cell.depth} — from layer ${cell.depth} on, the lens predicts the output’s “${output}”`;
}

/** "2.4" — one decimal, as the captions and the chapter write a mean depth. */
export function formatDepth(depth: number): string {
  return depth.toFixed(1);
}

/** The caption's sentence about the shown positions' mean depth. */
export function meanDepthSentence(trajectory: PredictionTrajectory, numLayers: number, lensLabel: string): string {
  const mean = trajectory.meanPredictionDepth();
  if (mean === null) return '';
  return `Mean prediction depth of the ${lensLabel} over these ${trajectory.numPositions} tokens: ${formatDepth(mean)} of ${numLayers} layers.`;
}

/** A comparison panel's note: "mean prediction depth 2.4 of 6" over its shown positions. */
export function meanDepthLabel(trajectory: PredictionTrajectory, numLayers: number): string {
  const mean = trajectory.meanPredictionDepth();
  return mean === null ? '' : `mean prediction depth ${formatDepth(mean)} of ${numLayers}`;
}

/**
 * For a prompt typed twice ("X X", as the seed prompt is): the mean prediction depth over the positions
 * of the first copy and over those of the second, the positions found by the tokens' character spans.
 * Null when `text` is not a string typed twice, or a copy has no whole token.
 */
export function depthByCopy(trajectory: PredictionTrajectory, text: string): { first: number; second: number } | null {
  const half = (text.length - 1) / 2;
  if (!Number.isInteger(half) || text[half] !== ' ' || text.slice(0, half) !== text.slice(half + 1)) return null;
  if (trajectory.tokens.join('') !== text) return null;
  const depth = trajectory.predictionDepth();
  const first: number[] = [];
  const second: number[] = [];
  let start = 0;
  trajectory.tokens.forEach((token, t) => {
    const end = start + token.length;
    if (end <= half) first.push(depth[t]);
    else if (start >= half) second.push(depth[t]);
    start = end;
  });
  const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  return first.length && second.length ? { first: mean(first), second: mean(second) } : null;
}

/**
 * The chapter's sentence about a repeated prompt, written from the numbers so that it stays true when
 * the model changes: which copy the lens reads earlier, and by how much.
 */
export function depthByCopySentence(trajectory: PredictionTrajectory, text: string, numLayers: number, lensLabel: string): string {
  const copies = depthByCopy(trajectory, text);
  if (!copies) return '';
  const [a, b] = [formatDepth(copies.first), formatDepth(copies.second)];
  const comparison =
    a === b
      ? 'the same in both copies'
      : copies.second < copies.first
        ? `lower in the second copy, where the characters have been seen before (${b} against ${a})`
        : `higher in the second copy than in the first (${b} against ${a}), so this model does not yet read the repeat any earlier`;
  return `With the embedded model, the ${lensLabel}’s mean prediction depth on this prompt is ${a} of ${numLayers} layers in the first copy and ${b} in the second: ${comparison}.`;
}
