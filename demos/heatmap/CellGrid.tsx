/**
 * The heatmap's interactive layer: a real grid (rows of gridcells) laid exactly over the plotted
 * cells, so pointer, keyboard and screen readers all reach the same readout. Arrow keys move,
 * Home/End jump along a row, Enter or click pins the readout, Escape unpins.
 */
import { useRef } from 'preact/hooks';
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import type { Quantity } from './statistic-scales.ts';
import { cellLabel } from './CellReadout.tsx';
import type { HeatmapLayout } from './heatmap-plot.ts';

export interface Cell {
  row: number;
  position: number;
}

/** What the grid tells its figure, which owns the active cell and the pin. */
export interface CellEvents {
  onActive: (cell: Cell) => void;
  onHover: (cell: Cell | null) => void;
  onTogglePin: () => void;
}

interface Props extends CellEvents {
  trajectory: PredictionTrajectory;
  statistic: Quantity;
  layout: HeatmapLayout;
  active: Cell;
  label: string;
  onUnpin: () => void;
}

export function CellGrid(props: Props) {
  const { trajectory, layout, active } = props;
  const grid = useRef<HTMLDivElement>(null);
  const R = trajectory.rows.length;
  const T = trajectory.numPositions;
  // Visual order is top-down from "output"; data rows count up from layer 0.
  const rowsTopDown = Array.from({ length: R }, (_, i) => R - 1 - i);

  const move = (cell: Cell) => {
    props.onHover(null); // the keyboard takes over from the pointer
    props.onActive(cell);
    grid.current?.querySelector<HTMLElement>(`[data-cell="${cell.row}:${cell.position}"]`)?.focus();
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const { row, position } = active;
    const moves: Record<string, Cell> = {
      ArrowLeft: { row, position: Math.max(0, position - 1) },
      ArrowRight: { row, position: Math.min(T - 1, position + 1) },
      ArrowUp: { row: Math.min(R - 1, row + 1), position },
      ArrowDown: { row: Math.max(0, row - 1), position },
      Home: { row, position: 0 },
      End: { row, position: T - 1 },
      PageUp: { row: R - 1, position },
      PageDown: { row: 0, position },
    };
    if (event.key in moves) {
      event.preventDefault();
      move(moves[event.key]);
    } else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      props.onTogglePin();
    } else if (event.key === 'Escape') {
      props.onUnpin();
    }
  };

  return (
    <div
      ref={grid}
      class="heatmap-grid"
      role="grid"
      aria-label={props.label}
      aria-rowcount={R}
      aria-colcount={T}
      style={{
        left: `${layout.marginLeft}px`,
        top: `${layout.marginTop}px`,
        width: `${layout.width - layout.marginLeft - layout.marginRight}px`,
        height: `${R * layout.cellHeight}px`,
        gridTemplateColumns: `repeat(${T}, 1fr)`,
        gridTemplateRows: `repeat(${R}, 1fr)`,
      }}
      onKeyDown={onKeyDown}
      onPointerLeave={() => props.onHover(null)}
    >
      {rowsTopDown.map((row, i) => (
        <div role="row" aria-rowindex={i + 1} key={row} class="heatmap-grid-row">
          {Array.from({ length: T }, (_, position) => {
            const isActive = row === active.row && position === active.position;
            return (
              <div
                key={position}
                role="gridcell"
                aria-colindex={position + 1}
                aria-selected={isActive}
                tabIndex={isActive ? 0 : -1}
                data-cell={`${row}:${position}`}
                class={isActive ? 'heatmap-cell is-active' : 'heatmap-cell'}
                aria-label={cellLabel(trajectory, row, position, props.statistic)}
                onPointerEnter={() => props.onHover({ row, position })}
                onFocus={() => props.onActive({ row, position })}
                onClick={() => {
                  props.onActive({ row, position });
                  props.onTogglePin();
                }}
              />
            );
          })}
        </div>
      ))}
    </div>
  );
}
