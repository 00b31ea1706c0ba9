/**
 * Shown while the heatmap follows a token: which token, whether the cells show its probability or its
 * rank, and one button that stops following. The static figure renders it disabled.
 */
import { formatToken } from '../../src/lens/trajectory/token-format.ts';
import type { FollowAs } from './heatmap-state.ts';

interface Props {
  token: string;
  as: FollowAs;
  onAs?: (as: FollowAs) => void;
  onClear?: () => void;
}

export function FollowControls({ token, as, onAs, onClear }: Props) {
  const shown = formatToken(token, { maxLength: 24 });
  return (
    <div class="heatmap-follow-bar" role="group" aria-label={`Following “${shown}”`}>
      <span>
        Following <code>{shown}</code>: every cell shows its
      </span>
      <label>
        <span class="visually-hidden">Show the followed token’s</span>
        <select value={as} disabled={!onAs} onChange={(e) => onAs?.((e.target as HTMLSelectElement).value as FollowAs)}>
          <option value="probability" selected={as === 'probability'}>
            probability
          </option>
          <option value="rank" selected={as === 'rank'}>
            rank
          </option>
        </select>
      </label>
      <button type="button" class="heatmap-follow-clear" disabled={!onClear} onClick={onClear}>
        Stop following
      </button>
    </div>
  );
}
