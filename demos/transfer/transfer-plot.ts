/**
 * The layer-transfer heatmap (the tuned-lens paper's transfer figure): hidden state j across, translator
 * i up, colour = mean KL to the output (dark = close to it, as in the lens heatmaps), the diagonal — the
 * ordinary tuned lens — outlined.
 */
import * as Plot from '@observablehq/plot';
import type { LayerTransfer } from '../../src/lens/lens-model.ts';
import { presentational } from '../curves/curves-plot.ts';
import { transferCells } from './transfer-data.ts';

const style = { fontFamily: 'var(--font-ui)', fontSize: '12px', background: 'transparent', color: 'var(--fg)' };

/**
 * The matrix's colour scale, a log scale: the embeddings' column is often an order of magnitude above
 * the rest, and a linear scale would paint every other cell the same dark blue.
 */
function transferColor(transfer: LayerTransfer): { min: number; max: number; options: Plot.ScaleOptions } {
  const min = Math.max(1e-4, Math.min(...transfer.kl));
  const max = Math.max(min * 1.01, ...transfer.kl);
  return { min, max, options: { type: 'log', scheme: 'blues', domain: [min, max], reverse: true, label: 'mean KL to the output (nats, log scale)' } };
}

/** `document`: where Plot builds the figure — the page's own, or a server-side one at build time. */
export function transferPlot(transfer: LayerTransfer, { width, document }: { width: number; document?: Document }): SVGSVGElement | HTMLElement {
  const L = transfer.numLayers;
  const cells = transferCells(transfer);
  const layers = Array.from({ length: L }, (_, l) => l);
  const marginLeft = 56;
  const size = Math.max(12, Math.min(56, Math.floor((width - marginLeft - 8) / L)));
  const { min, max, options: color } = transferColor(transfer);
  const dark = (kl: number) => Math.log(Math.max(kl, min) / min) < 0.45 * Math.log(max / min);
  return presentational(
    Plot.plot({
      ...(document ? { document } : {}),
      width: marginLeft + 8 + size * L,
      height: 48 + size * L,
      marginLeft,
      marginRight: 8,
      marginTop: 8,
      marginBottom: 40,
      style,
      x: { domain: layers, label: 'hidden state of layer j →', labelAnchor: 'right', tickSize: 0 },
      y: { domain: [...layers].reverse(), label: '↑ translator i', labelAnchor: 'top', tickSize: 0 },
      color,
      marks: [
        Plot.cell(cells, { x: 'layer', y: 'translator', fill: (c: { kl: number }) => Math.max(c.kl, min), inset: 0.5 }),
        Plot.cell(
          cells.filter((c) => c.translator === c.layer),
          { x: 'layer', y: 'translator', fill: 'none', stroke: 'var(--fg)', strokeWidth: 1.5, inset: 1 },
        ),
        // Values in the cells where they fit, in white on the dark (small) end of the scale.
        ...(size >= 34
          ? [
              Plot.text(cells, {
                x: 'layer',
                y: 'translator',
                text: (c: { kl: number }) => c.kl.toFixed(2),
                fontSize: 10,
                fill: (c: { kl: number }) => (dark(c.kl) ? 'white' : 'black'),
              }),
            ]
          : []),
      ],
    }),
  );
}

/** The matrix's colour legend, drawn apart from it (as the heatmaps' are), so the drawing stays one SVG. */
export function transferLegend(transfer: LayerTransfer, { document }: { document?: Document } = {}): SVGSVGElement | HTMLElement {
  return Plot.legend({ color: transferColor(transfer).options, width: 280, ...(document ? { document } : {}), style });
}
