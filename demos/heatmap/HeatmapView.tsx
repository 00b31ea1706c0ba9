/**
 * The heatmap figure, one markup for both renderings: the live island (Heatmap.tsx) and the figure
 * drawn at build time from the embedded model (HeatmapFigure.astro). Without `update` the controls
 * are disabled, as at build time; without `cells` the heatmap is an image with "The numbers" as a
 * table under it, and the readout is the live figure's first one (layer 0, the first shown token).
 */
import type { ComponentChildren, Ref } from 'preact';
import { isAfterAttentionRow, type PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { LensFigure, type Built } from '../shared/LensFigure.tsx';
import { FigureFrame } from '../shared/FigureFrame.tsx';
import { PlotBox, type Drawing } from '../shared/PlotBox.tsx';
import type { Cell, CellEvents } from './CellGrid.tsx';
import { HeatmapCanvas } from './HeatmapCanvas.tsx';
import { CellReadout } from './CellReadout.tsx';
import { DepthStrip } from './DepthStrip.tsx';
import { FollowControls } from './FollowControls.tsx';
import { followedInCaption } from './follow-token.ts';
import type { HeatmapLayout } from './heatmap-plot.ts';
import { lensLabel } from './heatmap-static.ts';
import { visibleRange, type HeatmapState } from './heatmap-state.ts';
import { HeatmapNumbers } from './HeatmapNumbers.tsx';
import { InstrumentToggle, LensChoice, PromptField, StartSlider, StatisticChoice, StrideChoice, TopkChoice } from './HeatmapSettings.tsx';
import { STATISTIC_SCALES, type Quantity } from './statistic-scales.ts';
import '../shared/figure.css';
import './heatmap.css';

/** What the frame shows: the shown positions' trajectory and how it is drawn. */
export interface HeatmapShown {
  trajectory: PredictionTrajectory;
  layout: HeatmapLayout;
  plot: Drawing;
  legend: Drawing;
  /** The prediction-depth strip, when it is on. */
  depth: { numLayers: number; strip: Drawing; legend: Drawing } | null;
}

/** Live only: the grid over the cells and the readout it drives. */
export interface HeatmapCells extends CellEvents {
  active: Cell;
  readout: Cell;
  pinned: boolean;
  onClose: () => void;
  onFollow: (id: number) => void;
}

export interface HeatmapViewProps {
  id: string;
  caption?: string;
  built?: Built;
  state: HeatmapState;
  /** The lens shown (the state's, or the logit lens where the model has no such lens). */
  lens: string;
  lenses: readonly string[];
  update?: (patch: Partial<HeatmapState>) => void;
  /** What colours the cells (shownQuantity of the state). */
  quantity: Quantity;
  /** The prompt's length in tokens (0 before the first run). */
  numTokens: number;
  shown: HeatmapShown | null;
  /** A followed token that the shown figure is coloured by. */
  following: boolean;
  wide: boolean;
  cells?: HeatmapCells;
  frameWidth?: number;
  /** Live only: what follows the caption's sentences (the run's timing). */
  timing?: ComponentChildren;
  shareUrl?: () => string;
  /** Live only: the engine's status, notes and errors, above the frame. */
  status?: ComponentChildren;
  running?: boolean;
  placeholder?: ComponentChildren;
  /** The id of the error message the prompt is described by. */
  errorId?: string;
  frameRef?: Ref<HTMLDivElement>;
  after?: ComponentChildren;
}

/**
 * What the sub-layer rows are, and who reads them: the logit lens always, since a tuned lens has no
 * translator for a state inside a block (its translators were trained on the layer rows alone).
 */
function SublayerNote({ lens }: { lens: string }) {
  return (
    <p class="heatmap-sublayer-note">
      Rows “ℓ · after attention” are block ℓ’s residual stream after its attention, before its MLP.{' '}
      {lens === 'logit' ? (
        'The logit lens reads them, as it reads every row.'
      ) : (
        <>
          <strong>The logit lens reads them, not the {lensLabel(lens)}</strong>: its translators were trained on the layer rows only, so none is applied there.
        </>
      )}
    </p>
  );
}

/** "Tuned lens", "Logit lens", or a lens's own name followed by "lens". */
function lensTitle(lens: string): string {
  return lens === 'tuned' || lens === 'logit' ? lensLabel(lens, true) : `${lens} lens`;
}

export function HeatmapView(props: HeatmapViewProps) {
  const { id, built, state, lens, update, quantity, numTokens: T, shown, cells, running = false } = props;
  const [from, to] = visibleRange(state, T);
  const stat = STATISTIC_SCALES[quantity];
  const followed = followedInCaption(shown?.trajectory, props.following);
  const what = `${lensTitle(lens)} predictions by layer and token, coloured by ${stat.label.toLowerCase()}${followed ? ` of${followed}` : ''}`;
  const readout = cells?.readout ?? { row: 0, position: 0 };

  return (
    <LensFigure
      id={id}
      wide={props.wide}
      built={built}
      shareUrl={props.shareUrl}
      after={props.after}
      caption={
        <>
          {props.caption ?? 'What each layer predicts for the next token.'} Cells show the lens’s top-1 prediction; colour is {stat.description}
          {followed} ({stat.unit}).{props.timing}
        </>
      }
    >
      <div class="heatmap-controls">
        <PromptField value={state.text} onChange={update && ((text) => update({ text }))} describedBy={props.errorId} />
        <div class="heatmap-settings">
          <LensChoice value={lens} lenses={props.lenses} onChange={update && ((lens) => update({ lens }))} />
          <StatisticChoice value={state.statistic} onChange={update && ((statistic) => update({ statistic }))} />
          <StrideChoice value={state.stride} onChange={update && ((stride) => update({ stride }))} />
          <TopkChoice value={state.topk} onChange={update && ((topk) => update({ topk }))} />
          <InstrumentToggle label="Prediction depth" checked={state.depth} onChange={update && ((depth) => update({ depth }))} />
          <InstrumentToggle label="Sub-layer rows" checked={state.sublayers} onChange={update && ((sublayers) => update({ sublayers }))} />
        </div>
        <div class="heatmap-range">
          <StartSlider start={state.start} numTokens={T} onChange={update && ((start) => update({ start }))} />
          <label>
            <span>
              End position <output>{state.end === null ? 'end' : state.end}</output>
            </span>
            <input
              type="range"
              min={1}
              max={Math.max(1, T)}
              value={state.end === null ? Math.max(1, T) : to}
              disabled={!update}
              onInput={(e) => {
                const value = Number((e.target as HTMLInputElement).value);
                update?.({ end: value >= T ? null : value });
              }}
              aria-valuetext={update && (state.end === null ? 'to the last token' : `up to token ${state.end}`)}
            />
          </label>
          <span class="heatmap-range-note">{T > 0 ? `showing tokens ${from + 1}–${to} of ${T}` : ''}</span>
        </div>
      </div>

      {props.status}

      <FigureFrame shown={shown} running={running} built={!!built} frameRef={props.frameRef} placeholder={props.placeholder}>
        {(shown) => (
          <>
            {props.following && shown.trajectory.followed && (
              <FollowControls
                token={shown.trajectory.followed.token}
                as={state.followAs}
                onAs={update && ((followAs) => update({ followAs }))}
                onClear={update && (() => update({ follow: null }))}
              />
            )}
            {shown.trajectory.rows.some(isAfterAttentionRow) && <SublayerNote lens={lens} />}
            <PlotBox drawing={shown.legend} class="heatmap-legend" />
            <HeatmapCanvas
              trajectory={shown.trajectory}
              statistic={quantity}
              layout={shown.layout}
              plot={shown.plot}
              label={what}
              grid={cells && { active: cells.active, onActive: cells.onActive, onHover: cells.onHover, onTogglePin: cells.onTogglePin, onUnpin: cells.onClose }}
            >
              {shown.depth && (
                <DepthStrip
                  trajectory={shown.trajectory}
                  numLayers={shown.depth.numLayers}
                  layout={shown.layout}
                  lensLabel={lensLabel(lens)}
                  frameWidth={props.frameWidth}
                  drawing={shown.depth}
                  built={!cells}
                />
              )}
            </HeatmapCanvas>
            <CellReadout
              trajectory={shown.trajectory}
              row={readout.row}
              position={readout.position}
              pinned={cells?.pinned ?? false}
              onClose={cells?.onClose ?? (() => undefined)}
              onFollow={cells?.onFollow}
            />
            {!cells && (
              <details class="curves-numbers">
                <summary>The numbers</summary>
                <HeatmapNumbers trajectory={shown.trajectory} statistic={quantity} label={what} depth={shown.depth !== null} />
              </details>
            )}
          </>
        )}
      </FigureFrame>
    </LensFigure>
  );
}
