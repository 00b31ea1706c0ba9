/** The top-k readout for one cell: what the lens predicts there, with probabilities and the statistics. */
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { STATISTICS } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { formatToken } from '../../src/lens/trajectory/token-format.ts';
import { formatProbability, STATISTIC_SCALES } from './statistic-scales.ts';

export function rowName(label: string): string {
  return label === 'output' ? 'model output' : `layer ${label}`;
}

/** A one-line description, used as the grid cell's accessible name. */
export function cellLabel(trajectory: PredictionTrajectory, row: number, position: number, statistic: (typeof STATISTICS)[number]): string {
  const top = trajectory.topk(row, position)[0];
  const value = trajectory.statistic(statistic, row, position);
  const scale = STATISTIC_SCALES[statistic];
  return `${rowName(trajectory.rows[row])}, after “${formatToken(trajectory.tokens[position], { maxLength: 40 })}”: predicts “${formatToken(top.token, { maxLength: 40 })}” ${formatProbability(top.probability)}; ${scale.label.toLowerCase()} ${value === null ? 'not defined at the last token' : scale.format(value)}`;
}

export function CellReadout(props: { trajectory: PredictionTrajectory; row: number; position: number; pinned: boolean; onClose: () => void }) {
  const { trajectory, row, position, pinned } = props;
  const entries = trajectory.topk(row, position);
  return (
    <div class="heatmap-readout" role="group" aria-label="Cell details">
      <ReadoutHead trajectory={trajectory} row={row} position={position} pinned={pinned} onClose={props.onClose} />
      <ol class="heatmap-topk">
        {entries.map((e) => (
          <li key={e.id}>
            <code class="heatmap-topk-token">{formatToken(e.token, { maxLength: 18 })}</code>
            <span class="heatmap-topk-bar" style={{ width: `${Math.max(1, 100 * e.probability)}%` }} aria-hidden="true" />
            <span class="heatmap-topk-p">{formatProbability(e.probability)}</span>
          </li>
        ))}
      </ol>
      <dl class="heatmap-stats">
        {STATISTICS.map((s) => {
          const value = trajectory.statistic(s, row, position);
          return (
            <div key={s}>
              <dt>{STATISTIC_SCALES[s].label}</dt>
              <dd>{value === null ? '—' : STATISTIC_SCALES[s].format(value)}</dd>
            </div>
          );
        })}
      </dl>
    </div>
  );
}

/** Which cell the readout is about: its row, the token it reads after, and the token that comes next. */
export function ReadoutHead(props: { trajectory: PredictionTrajectory; row: number; position: number; pinned: boolean; onClose: () => void }) {
  const { trajectory, row, position } = props;
  const next = position + 1 < trajectory.numPositions ? trajectory.tokens[position + 1] : null;
  return (
    <div class="heatmap-readout-head">
      <strong>{rowName(trajectory.rows[row])}</strong>
      <span>
        {' · after '}
        <code>{formatToken(trajectory.tokens[position], { maxLength: 24 })}</code>
        {next !== null && (
          <>
            {' · next is '}
            <code>{formatToken(next, { maxLength: 24 })}</code>
          </>
        )}
      </span>
      {props.pinned && (
        <button type="button" class="heatmap-readout-close" onClick={props.onClose} aria-label="Unpin cell details">
          ×
        </button>
      )}
    </div>
  );
}
