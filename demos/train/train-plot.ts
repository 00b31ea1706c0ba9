/**
 * The training curves: one line per layer, x = optimiser step, y = that step's mean KL(output ‖ lens)
 * in nats, growing as the steps arrive. Layers run from orange (layer 0, farthest from the output)
 * through olive and green to blue (the last layer), the same colours in the plot and the HTML legend
 * beside it.
 */
import * as Plot from '@observablehq/plot';
import type { TrainProgress } from '../../src/engine/protocol.ts';

export interface LossPoint {
  step: number;
  layer: number;
  loss: number;
}

/** One point per layer per step. */
export function lossPoints(history: readonly TrainProgress[]): LossPoint[] {
  return history.flatMap((p) => p.lossPerLayer.map((loss, layer) => ({ step: p.step, layer, loss })));
}

/** Mid-luminance stops, orange → olive → green → blue: readable on the light and the dark theme alike. */
const LAYER_STOPS = ['#d2602c', '#97841b', '#2e9560', '#3f78e0'];

export function layerColors(numLayers: number) {
  const last = Math.max(1, numLayers - 1);
  const domain = LAYER_STOPS.map((_, i) => (i * last) / (LAYER_STOPS.length - 1));
  return { type: 'linear', domain, range: LAYER_STOPS, interpolate: 'hcl' } as const;
}

/** The CSS colour of each layer's line, for a legend outside the plot. */
export function layerColor(numLayers: number): (layer: number) => string {
  const scale = Plot.scale({ color: layerColors(numLayers) });
  return (layer) => String(scale.apply(layer));
}

export interface LossPlotOptions {
  numLayers: number;
  /** The run's length: the x axis spans it from the start, so the curves grow into the frame. */
  steps: number;
  width: number;
  height?: number;
  yScale: 'log' | 'linear';
  /** Where Plot builds the figure: the page's own document, or a server-side one at build time. */
  document?: Document;
}

/** What the curves are, for the figure's caption. */
export const LOSS_CURVES_EXPLAINED =
  'Each line is one layer’s KL divergence D_KL(p‖q) between the model’s output p and its lens q, in nats, averaged over a step’s tokens; ' +
  'starting from zero translators, every line starts at the logit lens’s value and falls as its translator learns.';

export function lossCurvePlot(
  points: readonly LossPoint[],
  { numLayers, steps, width, height = 280, yScale, document }: LossPlotOptions,
): SVGSVGElement | HTMLElement {
  const shown = yScale === 'log' ? points.filter((p) => p.loss > 0) : points;
  const lastStep = points.length ? points[points.length - 1].step : 0;
  const latest = shown.filter((p) => p.step === lastStep);
  return Plot.plot({
    width,
    height,
    ...(document ? { document } : {}),
    marginLeft: 48,
    marginRight: 16,
    marginBottom: 36,
    style: { fontFamily: 'var(--font-ui)', fontSize: '12px', background: 'transparent', color: 'var(--fg)' },
    x: { domain: [0, Math.max(1, steps)], label: 'step →', labelAnchor: 'right', ticks: Math.min(steps, Math.max(2, Math.floor(width / 80))) },
    y: {
      type: yScale,
      label: '↑ KL(output ‖ lens), nats',
      grid: true,
      inset: 6,
      ...(yScale === 'linear' ? { zero: true, nice: true } : { tickFormat: '~g' }),
    },
    color: layerColors(numLayers),
    marks: [
      Plot.line(shown, { x: 'step', y: 'loss', z: 'layer', stroke: 'layer', strokeWidth: 1.75 }),
      Plot.dot(latest, { x: 'step', y: 'loss', fill: 'layer', r: 2.5 }),
      Plot.tip(
        shown,
        Plot.pointer({
          x: 'step',
          y: 'loss',
          title: (p: LossPoint) => `layer ${p.layer}, step ${p.step}\nKL ${p.loss.toFixed(3)} nats`,
        }),
      ),
    ],
  });
}

/** The same frame before any step has finished: the step axis of the run to come and a note where the curves will be. */
export function emptyLossPlot({
  steps,
  width,
  height = 280,
  message,
}: {
  steps: number;
  width: number;
  height?: number;
  message: string;
}): SVGSVGElement | HTMLElement {
  return Plot.plot({
    width,
    height,
    marginLeft: 48,
    marginRight: 16,
    marginBottom: 36,
    style: { fontFamily: 'var(--font-ui)', fontSize: '12px', background: 'transparent', color: 'var(--fg)' },
    x: { domain: [0, Math.max(1, steps)], label: 'step →', labelAnchor: 'right', ticks: Math.min(steps, Math.max(2, Math.floor(width / 80))) },
    y: { domain: [0, 1], axis: null },
    marks: [
      // lineWidth is in ems: the plot's inner width at 13 px a line.
      Plot.text([message], { frameAnchor: 'middle', fill: 'var(--muted)', fontSize: 13, lineWidth: Math.max(10, Math.floor((width - 64) / 13)) }),
    ],
  });
}
