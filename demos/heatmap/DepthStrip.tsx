/**
 * The prediction-depth strip: the Plot strip (depth-strip.ts) with, live, a one-row grid laid over it,
 * so the keyboard reaches every position (Left/Right/Home/End) and a screen reader hears each depth.
 * The line under it says what the focused or hovered cell means. Drawn at build time (`built`) it is
 * an image, and the line speaks of the first token.
 */
import { useRef, useState } from 'preact/hooks';
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { PlotBox, type Drawing } from '../shared/PlotBox.tsx';
import { depthCellLabel, depthStripHeight, meanDepthSentence } from './depth-strip.ts';
import type { HeatmapLayout } from './heatmap-plot.ts';

interface Props {
  trajectory: PredictionTrajectory;
  numLayers: number;
  layout: HeatmapLayout;
  lensLabel: string;
  /** Live: the visible frame's width; the readout stays in view while the strip scrolls sideways with the heatmap. */
  frameWidth?: number;
  /** depthStripPlot and depthLegend's drawings. */
  drawing: { strip: Drawing; legend: Drawing };
  built?: boolean;
}

export function DepthStrip({ trajectory, numLayers, layout, lensLabel, frameWidth, drawing, built = false }: Props) {
  const grid = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const [hover, setHover] = useState<number | null>(null);
  const T = trajectory.numPositions;
  const position = Math.min(hover ?? active, T - 1);

  const move = (to: number) => {
    setHover(null);
    setActive(to);
    grid.current?.querySelector<HTMLElement>(`[data-position="${to}"]`)?.focus();
  };
  const onKeyDown = (event: KeyboardEvent) => {
    const moves: Record<string, number> = { ArrowLeft: Math.max(0, active - 1), ArrowRight: Math.min(T - 1, active + 1), Home: 0, End: T - 1 };
    if (event.key in moves) {
      event.preventDefault();
      move(moves[event.key]);
    }
  };

  const label = `Prediction depth of the ${lensLabel} at each token`;
  const readoutWidth = frameWidth === undefined ? undefined : { width: `${Math.min(frameWidth, layout.width)}px` };
  return (
    <div class="depth-strip">
      <div
        class="depth-strip-canvas"
        role={built ? 'img' : undefined}
        aria-label={built ? label : undefined}
        style={{ width: `${layout.width}px`, height: `${depthStripHeight()}px` }}
      >
        <PlotBox drawing={drawing.strip} />
        {!built && (
          <div
            ref={grid}
            class="depth-strip-grid"
            role="grid"
            aria-label={label}
            aria-rowcount={1}
            aria-colcount={T}
            style={{
              left: `${layout.marginLeft}px`,
              width: `${layout.width - layout.marginLeft - layout.marginRight}px`,
              gridTemplateColumns: `repeat(${T}, 1fr)`,
            }}
            onKeyDown={onKeyDown}
            onPointerLeave={() => setHover(null)}
          >
            <div role="row" class="heatmap-grid-row">
              {Array.from({ length: T }, (_, t) => (
                <div
                  key={t}
                  role="gridcell"
                  aria-colindex={t + 1}
                  aria-selected={t === active}
                  tabIndex={t === active ? 0 : -1}
                  data-position={t}
                  class={t === active ? 'depth-strip-cell is-active' : 'depth-strip-cell'}
                  aria-label={depthCellLabel(trajectory, numLayers, t)}
                  onPointerEnter={() => setHover(t)}
                  onFocus={() => setActive(t)}
                  onClick={() => move(t)}
                />
              ))}
            </div>
          </div>
        )}
      </div>
      <p class="depth-strip-readout" style={readoutWidth}>
        <strong>Prediction depth</strong> {T > 0 ? depthCellLabel(trajectory, numLayers, position) : ''}. {meanDepthSentence(trajectory, numLayers, lensLabel)}
      </p>
      <PlotBox drawing={drawing.legend} class="heatmap-legend depth-strip-legend" style={readoutWidth} />
    </div>
  );
}
