/**
 * One heatmap drawing in its sideways scroller. Live, the ARIA grid (CellGrid.tsx) lies over the
 * drawn cells; drawn at build time (no `grid`), the drawing is an image and the scroller a focusable
 * group, so a keyboard can still scroll it. Used by the heatmap and by both panels of the comparison.
 */
import type { ComponentChildren, Ref } from 'preact';
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { PlotBox, type Drawing } from '../shared/PlotBox.tsx';
import { CellGrid, type Cell } from './CellGrid.tsx';
import type { HeatmapLayout } from './heatmap-plot.ts';
import type { Quantity } from './statistic-scales.ts';

/** Live only: the grid over the cells. */
export interface GridHandlers {
  active: Cell;
  onActive: (cell: Cell) => void;
  onHover: (cell: Cell | null) => void;
  onTogglePin: () => void;
  onUnpin: () => void;
}

interface Props {
  trajectory: PredictionTrajectory;
  statistic: Quantity;
  layout: HeatmapLayout;
  plot: Drawing;
  /** What the drawing shows: the grid's or the image's accessible name. */
  label: string;
  grid?: GridHandlers;
  scrollRef?: Ref<HTMLDivElement>;
  onScroll?: () => void;
  /** Drawn under the heatmap, scrolling with it (the prediction-depth strip). */
  children?: ComponentChildren;
}

export function HeatmapCanvas({ trajectory, statistic, layout, plot, label, grid, scrollRef, onScroll, children }: Props) {
  return (
    <div
      class="heatmap-scroll"
      tabIndex={grid ? -1 : 0}
      role={grid ? undefined : 'group'}
      aria-label={grid ? undefined : `${label} (scrolls sideways)`}
      ref={scrollRef}
      onScroll={onScroll}
    >
      <div
        class="heatmap-canvas"
        role={grid ? undefined : 'img'}
        aria-label={grid ? undefined : label}
        style={{ width: `${layout.width}px`, height: `${layout.height}px` }}
      >
        <PlotBox drawing={plot} />
        {grid && <CellGrid trajectory={trajectory} statistic={statistic} layout={layout} label={label} {...grid} />}
      </div>
      {children}
    </div>
  );
}
