/**
 * The heatmap as an Observable Plot figure: x = input tokens, y = layers with "output" on top, each
 * cell coloured by the statistic and labelled with the lens's top-1 token. Layout numbers are
 * exported so the keyboard/pointer grid can lie exactly over the cells.
 */
import * as Plot from '@observablehq/plot';
import { isAfterAttentionRow, type PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { formatToken } from '../../src/lens/trajectory/token-format.ts';
import { STATIC_FRAME_WIDTH } from './heatmap-static.ts';
import { quantityValue, STATISTIC_SCALES, textColorOn, type Quantity } from './statistic-scales.ts';

export interface HeatmapLayout {
  width: number;
  height: number;
  marginLeft: number;
  marginTop: number;
  marginRight: number;
  marginBottom: number;
  cellHeight: number;
}

export interface HeatmapCell {
  row: number;
  position: number;
  rowLabel: string;
  top1: string;
  value: number | null;
}

/** One record per cell; `rows` are indices into the trajectory's rows. */
export function heatmapCells(trajectory: PredictionTrajectory, statistic: Quantity): HeatmapCell[] {
  return trajectory.rows.flatMap((rowLabel, row) =>
    trajectory.tokens.map((_, position) => ({
      row,
      position,
      rowLabel,
      top1: formatToken(trajectory.topk(row, position)[0].token),
      value: quantityValue(trajectory, statistic, row, position),
    })),
  );
}

const MARGIN_LEFT = 64;
/** Room for a sub-layer row's label, "11 · after attention". */
const SUBLAYER_MARGIN_LEFT = 124;
const MARGIN_RIGHT = 12;
/** Room for a top-1 token of about seven characters in the monospace cell label. */
const MIN_CELL_WIDTH = 56;

/** The narrowest heatmap whose cells keep their labels readable; a narrower frame scrolls sideways. */
function minimumWidth(positions: number, marginLeft = MARGIN_LEFT): number {
  return marginLeft + MARGIN_RIGHT + MIN_CELL_WIDTH * positions;
}

/**
 * Whether a heatmap of this many positions should break out of the text measure (.lens-figure-wide):
 * it would not fit the prose column on a laptop. Decided by the count alone, so the static figure and
 * the live one that replaces it agree.
 */
export function heatmapWantsWideFrame(positions: number): boolean {
  return minimumWidth(positions) > STATIC_FRAME_WIDTH;
}

export function heatmapLayout(trajectory: PredictionTrajectory, availableWidth: number): HeatmapLayout {
  const cellHeight = 30;
  const marginLeft = trajectory.rows.some(isAfterAttentionRow) ? SUBLAYER_MARGIN_LEFT : MARGIN_LEFT;
  const marginRight = MARGIN_RIGHT;
  const width = Math.max(availableWidth, minimumWidth(trajectory.numPositions, marginLeft));
  return { width, height: trajectory.rows.length * cellHeight + 8 + 64, marginLeft, marginTop: 8, marginRight, marginBottom: 64, cellHeight };
}

export type HeatmapColorOptions = ReturnType<typeof heatmapColorOptions>;

export function heatmapColorOptions(trajectory: PredictionTrajectory, statistic: Quantity, vocabSize: number) {
  const scale = STATISTIC_SCALES[statistic];
  const values = heatmapCells(trajectory, statistic).flatMap((c) => (c.value === null ? [] : [c.value]));
  const max = values.length ? Math.max(...values) : 1;
  const min = values.length ? Math.min(...values) : 0;
  const followed =
    trajectory.followed && (statistic === 'followProbability' || statistic === 'followRank')
      ? ` of “${formatToken(trajectory.followed.token, { maxLength: 24 })}”`
      : '';
  return {
    type: scale.type,
    scheme: scale.scheme ?? 'blues',
    reverse: scale.reverse,
    domain: scale.domain(vocabSize, max, min),
    clamp: true,
    label: `${scale.label}${followed} (${scale.unit})`,
  } as const;
}

export interface HeatmapPlotOptions {
  statistic: Quantity;
  vocabSize: number;
  layout: HeatmapLayout;
  /** Defaults to this trajectory's own scale; pass one to share a scale between figures. */
  color?: HeatmapColorOptions;
  /** Where Plot builds the figure: the page's own document, or a server-side one at build time. */
  document?: Document;
}

export function heatmapPlot(
  trajectory: PredictionTrajectory,
  { statistic, vocabSize, layout, color = heatmapColorOptions(trajectory, statistic, vocabSize), document }: HeatmapPlotOptions,
): SVGSVGElement | HTMLElement {
  const cells = heatmapCells(trajectory, statistic);
  const colorScale = Plot.scale({ color });
  const fillOf = (c: HeatmapCell) => (c.value === null ? 'var(--bg-elevated)' : String(colorScale.apply(c.value)));
  const rowsTopDown = trajectory.rows.map((_, r) => r).reverse();
  return Plot.plot({
    ...layout,
    ...(document ? { document } : {}),
    style: { fontFamily: 'var(--font-ui)', fontSize: '12px', background: 'transparent', color: 'var(--fg)' },
    x: {
      type: 'band',
      domain: trajectory.tokens.map((_, t) => t),
      padding: 0,
      tickFormat: (t: number) => formatToken(trajectory.tokens[t]),
      tickRotate: -35,
      label: 'input token →',
    },
    y: {
      type: 'band',
      domain: rowsTopDown,
      padding: 0,
      // A sub-layer row is named by its label alone ("3 · after attention"), a layer row as "layer 3".
      tickFormat: (r: number) =>
        trajectory.rows[r] === 'output' || isAfterAttentionRow(trajectory.rows[r]) ? trajectory.rows[r] : `layer ${trajectory.rows[r]}`,
      label: null,
    },
    marks: [
      Plot.cell(cells, { x: 'position', y: 'row', fill: fillOf, inset: 0.5 }),
      Plot.text(cells, {
        x: 'position',
        y: 'row',
        text: 'top1',
        fill: (c: HeatmapCell) => (c.value === null ? 'var(--fg)' : textColorOn(fillOf(c))),
        fontFamily: 'var(--font-mono)',
        fontSize: 11,
      }),
    ],
  });
}

/** The colour legend of heatmapPlot with the same options (it needs no layout). */
export function heatmapLegend(
  trajectory: PredictionTrajectory,
  { statistic, vocabSize, color = heatmapColorOptions(trajectory, statistic, vocabSize), document }: Omit<HeatmapPlotOptions, 'layout'>,
): SVGSVGElement | HTMLElement {
  return Plot.legend({ color, width: 280, ...(document ? { document } : {}), style: { background: 'transparent', color: 'var(--fg)' } });
}
