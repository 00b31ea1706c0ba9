/**
 * One line per lens across the layers, coloured --lens-logit / --lens-tuned: the live curves for the
 * reader's text and the paper's quoted numbers are drawn by the same spec so they read alike.
 */
import * as Plot from '@observablehq/plot';

export interface CurveOptions<P> {
  /** Field holding the value to plot. */
  y: keyof P & string;
  yLabel: string;
  yType?: 'linear' | 'log';
  /** Row index of the model's own output, labelled "output" on the axis; omit when there is none. */
  outputRow?: number;
  width: number;
  height?: number;
  /** How to print a value in the tooltip. */
  format?: (value: number) => string;
  /** Where Plot builds the figure: the page's own document, or a server-side one at build time. */
  document?: Document;
}

export const LENS_COLORS: Record<string, string> = {
  logit: 'var(--lens-logit)',
  tuned: 'var(--lens-tuned)',
};

export const LENS_LABELS: Record<string, string> = {
  logit: 'logit lens',
  tuned: 'tuned lens',
};

/**
 * Hides a plot from assistive technology: its container (role="img", with an aria-label) names the
 * chart, and Plot's own aria-labels on its <g> and <path> elements are not allowed on elements
 * without a role (axe: aria-prohibited-attr).
 */
export function presentational<E extends Element>(plot: E): E {
  plot.setAttribute('aria-hidden', 'true');
  return plot;
}

export function layerCurvePlot<P extends { lens: string; layer: number }>(points: P[], options: CurveOptions<P>): SVGSVGElement | HTMLElement {
  const { y, yLabel, yType = 'linear', outputRow, width, height = 260, format = (v: number) => v.toFixed(2), document } = options;
  const finite = points.filter((p) => Number.isFinite(p[y] as number) && (yType !== 'log' || (p[y] as number) > 0));
  const layers = [...new Set(points.map((p) => p.layer))].sort((a, b) => a - b);
  const layerName = (l: number) => (l === outputRow ? 'output' : String(l));
  const lenses = [...new Set(points.map((p) => p.lens))];
  return presentational(Plot.plot({
    ...(document ? { document } : {}),
    width,
    height,
    marginLeft: 52,
    marginRight: 16,
    marginBottom: 40,
    style: { fontFamily: 'var(--font-ui)', fontSize: '12px', background: 'transparent', color: 'var(--fg)' },
    x: {
      label: 'layer →',
      labelAnchor: 'right',
      ticks: layers.length > 14 ? layers.filter((l, i) => i % 2 === 0 || l === outputRow) : layers,
      tickFormat: layerName,
      domain: [layers[0] ?? 0, layers[layers.length - 1] ?? 1],
    },
    y: { label: `↑ ${yLabel}`, type: yType, grid: true, ...(yType === 'linear' ? { zero: true, nice: true } : { tickFormat: '~g' }) },
    color: { domain: lenses, range: lenses.map((l) => LENS_COLORS[l] ?? 'currentColor') },
    marks: [
      Plot.line(finite, { x: 'layer', y, stroke: 'lens', strokeWidth: 2, ariaLabel: (p: P) => `${LENS_LABELS[p.lens] ?? p.lens}` }),
      Plot.dot(finite, { x: 'layer', y, fill: 'lens', r: 3 }),
      Plot.tip(
        finite,
        Plot.pointer({
          x: 'layer',
          y,
          title: (p: P) => `${LENS_LABELS[p.lens] ?? p.lens}, ${p.layer === outputRow ? 'model output' : `layer ${p.layer}`}\n${yLabel}: ${format(p[y] as number)}`,
        }),
      ),
    ],
  }));
}
