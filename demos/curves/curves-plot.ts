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
  /** A dashed horizontal rule across every layer, labelled at its right end (e.g. the model's own value). */
  reference?: { value: number; label: string };
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
  const { y, yLabel, yType = 'linear', outputRow, width, height = 260, format = (v: number) => v.toFixed(2), document, reference } = options;
  const showReference = reference !== undefined && Number.isFinite(reference.value) && (yType !== 'log' || reference.value > 0);
  const finite = points.filter((p) => Number.isFinite(p[y] as number) && (yType !== 'log' || (p[y] as number) > 0));
  const layers = [...new Set(points.map((p) => p.layer))].sort((a, b) => a - b);
  const layerName = (l: number) => (l === outputRow ? 'output' : String(l));
  const lenses = [...new Set(points.map((p) => p.lens))];
  return presentational(
    Plot.plot({
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
        ...(showReference
          ? [
              Plot.ruleY([reference.value], { stroke: 'var(--muted)', strokeDasharray: '4 3' }),
              // Labelled at the left end: lens curves start high there, so the floor's label stays clear of them.
              Plot.text([reference.value], {
                y: (v: number) => v,
                frameAnchor: 'left',
                textAnchor: 'start',
                dx: 4,
                dy: -7,
                text: () => reference.label,
                fill: 'var(--muted)',
              }),
            ]
          : []),
        Plot.line(finite, { x: 'layer', y, stroke: 'lens', strokeWidth: 2, ariaLabel: (p: P) => `${LENS_LABELS[p.lens] ?? p.lens}` }),
        Plot.dot(finite, { x: 'layer', y, fill: 'lens', r: 3 }),
        Plot.tip(
          finite,
          Plot.pointer({
            x: 'layer',
            y,
            title: (p: P) =>
              `${LENS_LABELS[p.lens] ?? p.lens}, ${p.layer === outputRow ? 'model output' : `layer ${p.layer}`}\n${yLabel}: ${format(p[y] as number)}`,
          }),
        ),
      ],
    }),
  );
}

/** The curves figure's plots, one spec each, shared by the live island and its build-time drawing. */
export type CurvePlotKind = 'kl' | 'cross-entropy' | 'bias';
export type CrossEntropyUnit = 'bpb' | 'nats';

export function crossEntropyField(unit: CrossEntropyUnit): { y: 'bitsPerByte' | 'meanCrossEntropy'; label: string } {
  return unit === 'bpb' ? { y: 'bitsPerByte', label: 'bits per byte' } : { y: 'meanCrossEntropy', label: 'cross-entropy, nats per token' };
}

export interface CurvePlotSpec {
  kind: CurvePlotKind;
  /** The plot's accessible name. */
  label: string;
  draw(options: { width: number; document?: Document }): SVGSVGElement | HTMLElement;
}

export function curvePlots<P extends { lens: string; layer: number; meanKl: number; bitsPerByte: number; meanCrossEntropy: number; bias: number }>(
  points: P[],
  outputRow: number,
  unit: CrossEntropyUnit,
): CurvePlotSpec[] {
  const ce = crossEntropyField(unit);
  // The model's own cross-entropy (its output row, the same through every lens) as the floor a lens
  // can reach at best on this text.
  const own = points.find((p) => p.layer === outputRow)?.[ce.y];
  return [
    {
      kind: 'kl',
      label: "Mean KL divergence D_KL(p‖q) between the model's output and each lens, by layer",
      draw: ({ width, document }) => layerCurvePlot(points, { y: 'meanKl', yLabel: 'mean KL(p‖q), nats', outputRow, width, document }),
    },
    {
      kind: 'cross-entropy',
      label: `Each lens's cross-entropy on your text (${ce.label}), by layer, with the model's own as a dashed line`,
      draw: ({ width, document }) =>
        layerCurvePlot(points, {
          y: ce.y,
          yLabel: ce.label,
          yType: 'log',
          outputRow,
          width,
          format: (v) => v.toFixed(3),
          document,
          ...(own === undefined ? {} : { reference: { value: own, label: `model ${own.toFixed(2)}` } }),
        }),
    },
    {
      kind: 'bias',
      label: "Each lens's bias, the KL divergence between the model's and the lens's distributions averaged over your text, by layer",
      draw: ({ width, document }) =>
        layerCurvePlot(points, { y: 'bias', yLabel: 'bias KL(p̄‖q̄), nats', outputRow, width, format: (v) => v.toFixed(3), document }),
    },
  ];
}
