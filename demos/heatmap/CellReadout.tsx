/** The top-k readout for one cell: what the lens predicts there, with probabilities and the statistics. */
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { STATISTICS } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { formatToken } from '../../src/lens/trajectory/token-format.ts';
import { formatProbability, hasQuantity, LAYER_CHANGES, quantityValue, STATISTIC_SCALES, type Quantity } from './statistic-scales.ts';

export function rowName(label: string): string {
  return label === 'output' ? 'model output' : `layer ${label}`;
}

/** A one-line description, used as the grid cell's accessible name. */
export function cellLabel(trajectory: PredictionTrajectory, row: number, position: number, statistic: Quantity): string {
  const top = trajectory.topk(row, position)[0];
  const value = quantityValue(trajectory, statistic, row, position);
  const scale = STATISTIC_SCALES[statistic];
  const what =
    trajectory.followed && statistic.startsWith('follow')
      ? `${scale.label.toLowerCase()} of “${formatToken(trajectory.followed.token, { maxLength: 40 })}”`
      : scale.label.toLowerCase();
  const missing = LAYER_CHANGES.includes(statistic) && row === 0 ? 'not defined at layer 0' : 'not defined at the last token';
  return `${rowName(trajectory.rows[row])}, after “${formatToken(trajectory.tokens[position], { maxLength: 40 })}”: predicts “${formatToken(top.token, { maxLength: 40 })}” ${formatProbability(top.probability)}; ${what} ${value === null ? missing : scale.format(value)}`;
}

/** "follow" beside a top-k token: switches the heatmap to that token's probability (or rank) in every cell. */
export function FollowButton(props: { token: { id: number; token: string }; followed: number | undefined; onFollow: (id: number) => void }) {
  const { token, followed, onFollow } = props;
  return (
    <button
      type="button"
      class="heatmap-follow"
      onClick={() => onFollow(token.id)}
      aria-label={`Follow “${formatToken(token.token, { maxLength: 40 })}” through every cell`}
      aria-pressed={followed === token.id}
    >
      follow
    </button>
  );
}

/** The extra rows a readout lists when the trajectory carries them. */
const EXTRA_QUANTITIES: Quantity[] = [...LAYER_CHANGES, 'followProbability', 'followRank'];

export function CellReadout(props: {
  trajectory: PredictionTrajectory;
  row: number;
  position: number;
  pinned: boolean;
  onClose: () => void;
  /** Offers "follow" on every top-k token when given (the live heatmap). */
  onFollow?: (id: number) => void;
}) {
  const { trajectory, row, position, pinned, onFollow } = props;
  const entries = trajectory.topk(row, position);
  return (
    <div class="heatmap-readout" role="group" aria-label="Cell details">
      <ReadoutHead trajectory={trajectory} row={row} position={position} pinned={pinned} onClose={props.onClose} />
      <ol class={onFollow ? 'heatmap-topk has-follow' : 'heatmap-topk'}>
        {entries.map((e) => (
          <li key={e.id}>
            <code class="heatmap-topk-token">{formatToken(e.token, { maxLength: 18 })}</code>
            <span class="heatmap-topk-bar" style={{ width: `${Math.max(1, 100 * e.probability)}%` }} aria-hidden="true" />
            <span class="heatmap-topk-p">{formatProbability(e.probability)}</span>
            {onFollow && <FollowButton token={e} followed={trajectory.followed?.id} onFollow={onFollow} />}
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
        {EXTRA_QUANTITIES.filter((q) => hasQuantity(trajectory, q)).map((q) => {
          const value = quantityValue(trajectory, q, row, position);
          const label = q.startsWith('follow')
            ? `${STATISTIC_SCALES[q].label} of “${formatToken(trajectory.followed!.token, { maxLength: 12 })}”`
            : STATISTIC_SCALES[q].label;
          return (
            <div key={q}>
              <dt>{label}</dt>
              <dd>{value === null ? '—' : STATISTIC_SCALES[q].format(value)}</dd>
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
