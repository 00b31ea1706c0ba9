/**
 * One readout for the cell both heatmaps highlight: each lens's top-k side by side, the token that
 * actually comes next marked in both, and every statistic for both lenses in one table.
 */
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { STATISTICS } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { formatToken } from '../../src/lens/trajectory/token-format.ts';
import { FollowButton, ReadoutHead } from '../heatmap/CellReadout.tsx';
import { formatProbability, STATISTIC_SCALES } from '../heatmap/statistic-scales.ts';

export interface LensColumn {
  /** "logit" or "tuned": picks the colour (--lens-logit / --lens-tuned). */
  lens: 'logit' | 'tuned';
  label: string;
  trajectory: PredictionTrajectory | null;
}

interface Props {
  columns: LensColumn[];
  row: number;
  position: number;
  pinned: boolean;
  onClose: () => void;
  /** Offers "follow" on every top-k token when given (the live figure): both heatmaps then follow it. */
  onFollow?: (id: number) => void;
}

export function CompareReadout({ columns, row, position, pinned, onClose, onFollow }: Props) {
  const reference = columns.find((c) => c.trajectory)?.trajectory;
  if (!reference) return null;
  const nextId = position + 1 < reference.numPositions ? reference.inputIds[position + 1] : null;
  return (
    <div class="heatmap-readout compare-readout" role="group" aria-label="Cell details, both lenses">
      <ReadoutHead trajectory={reference} row={row} position={position} pinned={pinned} onClose={onClose} />
      <div class="compare-readout-columns">
        {columns.map(({ lens, label, trajectory }) => (
          <section key={lens} class={`compare-readout-column lens-${lens}`} aria-label={`${label}: top predictions`}>
            <h4>{label}</h4>
            {trajectory ? (
              <ol class={onFollow ? 'heatmap-topk has-follow' : 'heatmap-topk'}>
                {trajectory.topk(row, position).map((e) => (
                  <li key={e.id} class={e.id === nextId ? 'is-next' : undefined}>
                    <code class="heatmap-topk-token" title={e.id === nextId ? 'the token that actually comes next' : undefined}>
                      {formatToken(e.token, { maxLength: 14 })}
                      {e.id === nextId && <span class="compare-next-mark"> ✓</span>}
                    </code>
                    <span class="heatmap-topk-bar" style={{ width: `${Math.max(1, 100 * e.probability)}%` }} aria-hidden="true" />
                    <span class="heatmap-topk-p">{formatProbability(e.probability)}</span>
                    {onFollow && <FollowButton token={e} followed={trajectory.followed?.id} onFollow={onFollow} />}
                  </li>
                ))}
              </ol>
            ) : (
              <p class="heatmap-note">Not available for this model.</p>
            )}
          </section>
        ))}
      </div>
      <table class="compare-stats">
        <thead>
          <tr>
            <th scope="col">Statistic</th>
            {columns.map(({ lens, label }) => (
              <th scope="col" key={lens} class={`lens-${lens}`}>
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {STATISTICS.map((s) => (
            <tr key={s}>
              <th scope="row">{STATISTIC_SCALES[s].label}</th>
              {columns.map(({ lens, trajectory }) => {
                const value = trajectory?.statistic(s, row, position) ?? null;
                return <td key={lens}>{value === null ? '—' : STATISTIC_SCALES[s].format(value)}</td>;
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
