/**
 * The comparison figure, one markup for both renderings: the live island (Compare.tsx) and the figure
 * drawn at build time from the embedded model (CompareFigure.astro). Both lenses on one colour scale,
 * side by side (stacked on narrow screens), with one readout comparing what the two read at the
 * highlighted cell. Without `update` the controls are disabled; without `cells` the heatmaps are
 * images with "The numbers" under them, and the readout is the live figure's first one.
 */
import type { ComponentChildren, Ref } from 'preact';
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { LensFigure, type Built } from '../shared/LensFigure.tsx';
import { FigureFrame } from '../shared/FigureFrame.tsx';
import { PlotBox, type Drawing } from '../shared/PlotBox.tsx';
import type { Cell, CellEvents } from '../heatmap/CellGrid.tsx';
import { HeatmapCanvas } from '../heatmap/HeatmapCanvas.tsx';
import { HeatmapNumbers } from '../heatmap/HeatmapNumbers.tsx';
import type { HeatmapLayout } from '../heatmap/heatmap-plot.ts';
import { visibleRange, type HeatmapState } from '../heatmap/heatmap-state.ts';
import { PromptField, StartSlider, StatisticChoice, StrideChoice } from '../heatmap/HeatmapSettings.tsx';
import { meanDepthLabel } from '../heatmap/depth-strip.ts';
import { STATISTIC_SCALES, type Quantity } from '../heatmap/statistic-scales.ts';
import { FollowControls } from '../heatmap/FollowControls.tsx';
import { followedInCaption } from '../heatmap/follow-token.ts';
import { CompareReadout } from './CompareReadout.tsx';
import '../shared/figure.css';
import '../heatmap/heatmap.css';
import './compare.css';

export type LensName = 'logit' | 'tuned';
export const LENSES: { lens: LensName; label: string }[] = [
  { lens: 'logit', label: 'Logit lens' },
  { lens: 'tuned', label: 'Tuned lens' },
];
/** Space between the panels, in pixels. */
export const PANEL_GAP = 16;

export interface ComparePanel {
  lens: LensName;
  label: string;
  trajectory: PredictionTrajectory;
  plot: Drawing;
}

export interface CompareShown {
  /** Each lens the model has, in LENSES order. */
  panels: ComparePanel[];
  layout: HeatmapLayout;
  legend: Drawing;
}

/** Live only: the grids over the cells, one highlighted cell for both, and the readout it drives. */
export interface CompareCells extends CellEvents {
  highlight: Cell;
  pinned: boolean;
  onClose: () => void;
  /** "follow" on a readout's token: both heatmaps then show that token's probability or rank. */
  onFollow: (id: number) => void;
  /** Scrolled sideways, both heatmaps keep the same tokens in view. */
  scrollers: Record<LensName, Ref<HTMLDivElement>>;
  onScroll: (lens: LensName) => void;
}

export interface CompareViewProps {
  id: string;
  caption?: string;
  built?: Built;
  state: HeatmapState;
  update?: (patch: Partial<HeatmapState>) => void;
  /** What colours the cells (shownQuantity of the state). */
  quantity: Quantity;
  /** A followed token that the shown panels are coloured by. */
  following: boolean;
  numTokens: number;
  /** For each panel's mean prediction depth (null while the model loads). */
  numLayers: number | null;
  shown: CompareShown | null;
  /** Live only: the panels side by side; at build time a container query decides (compare.css). */
  sideBySide?: boolean;
  cells?: CompareCells;
  status?: ComponentChildren;
  running?: boolean;
  placeholder?: ComponentChildren;
  frameRef?: Ref<HTMLDivElement>;
}

export function CompareView(props: CompareViewProps) {
  const { id, built, state, update, quantity, numTokens: T, numLayers, shown, cells, running = false } = props;
  const [from, to] = visibleRange(state, T);
  const stat = STATISTIC_SCALES[quantity];
  const followed = followedInCaption(shown?.panels[0]?.trajectory, props.following);
  const what = (label: string) => `${label} predictions by layer and token, coloured by ${stat.label.toLowerCase()}${followed ? ` of${followed}` : ''}`;
  const highlight = cells?.highlight ?? { row: 0, position: 0 };
  return (
    <LensFigure
      id={id}
      kind="compare"
      wide
      built={built}
      caption={`${props.caption ?? 'The logit lens and the tuned lens on the same prompt.'} Both heatmaps share one colour scale: ${stat.description}${followed} (${stat.unit}).`}
    >
      <div class="heatmap-controls">
        <PromptField value={state.text} onChange={update && ((text) => update({ text }))} />
        <div class="heatmap-settings">
          <StatisticChoice value={state.statistic} onChange={update && ((statistic) => update({ statistic }))} />
          <StrideChoice value={state.stride} onChange={update && ((stride) => update({ stride }))} />
          <StartSlider class="compare-start" start={state.start} numTokens={T} onChange={update && ((start) => update({ start }))} />
          <span class="heatmap-range-note">{T > 0 ? `showing tokens ${from + 1}–${to} of ${T}` : ''}</span>
        </div>
      </div>

      {props.status}

      <FigureFrame shown={shown} running={running} built={!!built} frameRef={props.frameRef} placeholder={props.placeholder}>
        {(shown) => (
          <>
            {followed && (
              <FollowControls
                token={shown.panels[0].trajectory.followed!.token}
                as={state.followAs}
                onAs={update && ((followAs) => update({ followAs }))}
                onClear={update && (() => update({ follow: null }))}
              />
            )}
            <PlotBox drawing={shown.legend} class="heatmap-legend" />
            <div class={props.sideBySide ? 'compare-panels is-side-by-side' : 'compare-panels'} style={{ gap: `${PANEL_GAP}px` }}>
              {shown.panels.map(({ lens, label, trajectory, plot }) => (
                <section key={lens} class={`compare-panel lens-${lens}`} aria-label={label}>
                  <p class="compare-panel-title">
                    <span class="compare-swatch" aria-hidden="true" />
                    {label}
                    {numLayers !== null && <span class="compare-depth"> · {meanDepthLabel(trajectory, numLayers)}</span>}
                  </p>
                  <HeatmapCanvas
                    trajectory={trajectory}
                    statistic={quantity}
                    layout={shown.layout}
                    plot={plot}
                    label={what(label)}
                    grid={
                      cells && {
                        active: cells.highlight,
                        onActive: cells.onActive,
                        onHover: cells.onHover,
                        onTogglePin: cells.onTogglePin,
                        onUnpin: cells.onClose,
                      }
                    }
                    scrollRef={cells?.scrollers[lens]}
                    onScroll={cells && (() => cells.onScroll(lens))}
                  />
                </section>
              ))}
            </div>
            <CompareReadout
              columns={LENSES.map(({ lens, label }) => ({ lens, label, trajectory: shown.panels.find((p) => p.lens === lens)?.trajectory ?? null }))}
              row={highlight.row}
              position={highlight.position}
              pinned={cells?.pinned ?? false}
              onClose={cells?.onClose ?? (() => undefined)}
              onFollow={cells?.onFollow}
            />
            {!cells && (
              <details class="curves-numbers">
                <summary>The numbers</summary>
                {shown.panels.map(({ lens, label, trajectory }) => (
                  <HeatmapNumbers key={lens} trajectory={trajectory} statistic={quantity} label={what(label)} />
                ))}
              </details>
            )}
          </>
        )}
      </FigureFrame>
    </LensFigure>
  );
}
