/**
 * Two views of a lens's translators (src/lens/lens/translator-stats.ts): how big each layer's A_ℓ and
 * b_ℓ are, and the singular-value spectrum of each I + A_ℓ — one row of ticks per layer on a log axis,
 * with the identity's spectrum (every value 1) marked by a rule.
 */
import * as Plot from '@observablehq/plot';
import type { TranslatorStats } from '../../src/lens/lens/translator-stats.ts';
import { presentational } from '../curves/curves-plot.ts';

export const NORM_SERIES = [
  { key: 'weightNorm', label: '‖A_ℓ‖_F', color: 'var(--accent)' },
  { key: 'biasNorm', label: '‖b_ℓ‖', color: 'var(--lens-logit)' },
] as const;

export interface NormPoint {
  layer: number;
  series: string;
  value: number;
}

export function normPoints(stats: TranslatorStats[]): NormPoint[] {
  return NORM_SERIES.flatMap(({ key, label }) => stats.map((s) => ({ layer: s.layer, series: label, value: s[key] })));
}

export interface SpectrumPoint {
  layer: number;
  sigma: number;
}

/** Every singular value of every layer; zeros (a singular I + A) cannot go on a log axis and are left out. */
export function spectrumPoints(stats: TranslatorStats[]): SpectrumPoint[] {
  return stats.flatMap((s) => s.singularValues.filter((sigma) => sigma > 0).map((sigma) => ({ layer: s.layer, sigma })));
}

const style = { fontFamily: 'var(--font-ui)', fontSize: '12px', background: 'transparent', color: 'var(--fg)' };

export interface TranslatorPlotOptions {
  width: number;
  /** Where Plot builds the figure: the page's own document, or a server-side one at build time. */
  document?: Document;
}

export function normPlot(stats: TranslatorStats[], { width, document }: TranslatorPlotOptions): SVGSVGElement | HTMLElement {
  const layers = stats.map((s) => s.layer);
  // The logit lens's norms are all 0: give the axis a range to draw them against.
  const largest = Math.max(0, ...stats.map((s) => Math.max(s.weightNorm, s.biasNorm)));
  return presentational(
    Plot.plot({
      ...(document ? { document } : {}),
      width,
      height: 240,
      marginLeft: 48,
      marginRight: 16,
      style,
      x: {
        label: 'translator (layer) →',
        labelAnchor: 'right',
        ticks: layers,
        tickFormat: (l: number) => String(l),
        domain: [layers[0] ?? 0, layers[layers.length - 1] ?? 1],
      },
      y: { label: '↑ norm', grid: true, zero: true, nice: true, ...(largest === 0 ? { domain: [0, 1] } : {}) },
      color: { domain: NORM_SERIES.map((s) => s.label), range: NORM_SERIES.map((s) => s.color) },
      marks: [
        Plot.ruleY([0], { stroke: 'var(--faint)' }),
        Plot.line(normPoints(stats), { x: 'layer', y: 'value', stroke: 'series', strokeWidth: 2 }),
        Plot.dot(normPoints(stats), { x: 'layer', y: 'value', fill: 'series', r: 3 }),
        Plot.tip(normPoints(stats), Plot.pointer({ x: 'layer', y: 'value', title: (p: NormPoint) => `layer ${p.layer}\n${p.series} = ${p.value.toFixed(3)}` })),
      ],
    }),
  );
}

export function spectrumPlot(stats: TranslatorStats[], { width, document }: TranslatorPlotOptions): SVGSVGElement | HTMLElement {
  const points = spectrumPoints(stats);
  const rowsTopDown = stats.map((s) => s.layer).reverse();
  const values = points.map((p) => p.sigma);
  const lo = Math.min(0.5, ...values);
  const hi = Math.max(2, ...values);
  return presentational(
    Plot.plot({
      ...(document ? { document } : {}),
      width,
      height: 36 + 24 * stats.length + 40,
      marginLeft: 64,
      marginRight: 16,
      style,
      x: { type: 'log', domain: [lo, hi], label: 'singular value of I + A_ℓ (log scale) →', labelAnchor: 'right', grid: true, tickFormat: '~g' },
      y: { type: 'band', domain: rowsTopDown, tickFormat: (l: number) => `layer ${l}`, label: null, padding: 0.15 },
      marks: [
        Plot.ruleX([1], { stroke: 'var(--fg)', strokeDasharray: '3,3' }),
        Plot.tickX(points, {
          x: 'sigma',
          y: 'layer',
          stroke: 'var(--lens-tuned)',
          strokeOpacity: Math.max(0.12, Math.min(0.9, 12 / Math.sqrt(points.length / Math.max(1, stats.length)))),
        }),
        Plot.text(['identity'], { x: 1, frameAnchor: 'top', dy: -4, text: (d: string) => d, fill: 'var(--muted)', textAnchor: 'start', dx: 4 }),
      ],
    }),
  );
}
