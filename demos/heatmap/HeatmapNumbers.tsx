/**
 * A heatmap's cells as a table, for a figure drawn at build time: what a reader without JavaScript (or
 * with a screen reader) can read instead of the live figure's grid. Rows top-down as drawn, one
 * column per shown token; each cell the top-1 token and the statistic.
 */
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { formatToken } from '../../src/lens/trajectory/token-format.ts';
import { rowName } from './CellReadout.tsx';
import { heatmapCells } from './heatmap-plot.ts';
import { STATISTIC_SCALES, type Quantity } from './statistic-scales.ts';

interface Props {
  trajectory: PredictionTrajectory;
  statistic: Quantity;
  /** What the table shows, e.g. "Tuned lens predictions by layer and token"; used as its caption. */
  label: string;
  /** Add the prediction depth of each position as a last row. */
  depth?: boolean;
}

export function HeatmapNumbers({ trajectory, statistic, label, depth = false }: Props) {
  const stat = STATISTIC_SCALES[statistic];
  const cells = heatmapCells(trajectory, statistic);
  const rowsTopDown = trajectory.rows.map((_, r) => r).reverse();
  return (
    <div class="curves-table-scroll heatmap-numbers" tabIndex={0} role="group" aria-label={`${label}: the numbers`}>
      <table>
        <caption>
          {label}: the top-1 token and the {stat.label.toLowerCase()} ({stat.unit}) after each input token
        </caption>
        <thead>
          <tr>
            <th scope="col">after</th>
            {trajectory.tokens.map((token, t) => (
              <th scope="col" key={t}>
                <code>{formatToken(token)}</code>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rowsTopDown.map((row) => (
            <tr key={row}>
              <th scope="row">{rowName(trajectory.rows[row])}</th>
              {cells
                .filter((c) => c.row === row)
                .map((c) => (
                  <td key={c.position}>
                    <code>{c.top1}</code> {c.value === null ? '—' : stat.format(c.value)}
                  </td>
                ))}
            </tr>
          ))}
          {depth && (
            <tr>
              <th scope="row">prediction depth</th>
              {Array.from(trajectory.predictionDepth()).map((d, t) => (
                <td key={t}>{d}</td>
              ))}
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}
