/** `lens trajectory`: a table of row × position (top-1 token and one statistic), or the whole trajectory as JSON. */
import { STATISTIC_JSON_NAMES, STATISTICS, type PredictionTrajectory, type Statistic } from '../lens/trajectory/prediction-trajectory.ts';
import { formatToken } from '../lens/trajectory/token-format.ts';
import { loadLens, loadSession } from './sources.ts';

export interface TrajectoryArgs {
  model?: string;
  lens?: string;
  text?: string;
  ids?: string;
  topk?: string;
  statistic?: string;
  start?: string;
  end?: string;
  stride?: string;
  json?: boolean;
  /** A token id, or a text that is exactly one token, to follow through every cell. */
  follow?: string;
  'change-per-layer'?: boolean;
  'consecutive-kl'?: boolean;
  /** Add each block's after-attention state as a row "ℓ · after attention", read by the logit lens. */
  sublayers?: boolean;
}

export async function trajectoryCommand(args: TrajectoryArgs): Promise<number> {
  if (!args.model) throw new Error('trajectory needs --model <dir|url|hub:ID>');
  if ((args.text === undefined) === (args.ids === undefined)) throw new Error('trajectory needs exactly one of --text "…" or --ids 1,2,3');
  const statistic = STATISTICS.find((s) => STATISTIC_JSON_NAMES[s] === args.statistic);
  if (!statistic) throw new Error(`--statistic must be one of ${Object.values(STATISTIC_JSON_NAMES).join(', ')}`);
  const integer = (name: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n)) throw new Error(`--${name} must be an integer, not '${value}'`);
    return n;
  };

  const sublayers = args.sublayers ?? false;
  const session = await loadSession(args.model, { afterAttention: sublayers });
  const { model } = session;
  const lens = args.lens ?? 'logit';
  await loadLens(lens, session);
  const inputIds =
    args.ids !== undefined
      ? args.ids.split(',').map((s) => {
          const id = Number(s.trim());
          if (!Number.isInteger(id)) throw new Error(`--ids must be comma-separated integers, not '${s}'`);
          return id;
        })
      : model.encode(args.text!);
  let follow: number | undefined;
  if (args.follow !== undefined) {
    const asId = /^\d+$/.test(args.follow) ? Number(args.follow) : undefined;
    const ids = asId === undefined ? model.tokenizer.encode(args.follow) : [asId];
    if (ids.length !== 1) throw new Error(`--follow '${args.follow}' is ${ids.length} tokens; give one token's text or its id`);
    follow = ids[0];
  }
  let trajectory = await session.trajectory(inputIds, lens, {
    topk: integer('topk', args.topk) ?? 10,
    follow,
    changePerLayer: args['change-per-layer'] ?? false,
    consecutiveKl: args['consecutive-kl'] ?? false,
    sublayers,
  });
  trajectory = trajectory.slice(integer('start', args.start) ?? 0, integer('end', args.end)).stride(integer('stride', args.stride) ?? 1);
  await session.release();

  if (args.json) console.log(JSON.stringify(trajectory));
  else console.log(renderTable(trajectory, statistic));
  return 0;
}

/** Rows top to bottom from "output" down to layer 0, as the heatmap draws them. */
export function renderTable(trajectory: PredictionTrajectory, statistic: Statistic): string {
  const header = ['', ...trajectory.tokens.map((t) => formatToken(t))];
  const lines = [header];
  for (let r = trajectory.rows.length - 1; r >= 0; r--) {
    const cells = trajectory.tokens.map((_, t) => {
      const value = trajectory.statistic(statistic, r, t);
      const shown = value === null ? '—' : statistic === 'rank' ? String(value) : value.toFixed(2);
      return `${formatToken(trajectory.topk(r, t)[0].token)} ${shown}`;
    });
    lines.push([trajectory.rows[r], ...cells]);
  }
  const widths = header.map((_, c) => Math.max(...lines.map((line) => [...line[c]].length)));
  const pad = (s: string, w: number) => s + ' '.repeat(w - [...s].length);
  return [
    `top-1 token and ${STATISTIC_JSON_NAMES[statistic]}${statistic === 'rank' || statistic === 'maxProbability' ? '' : ' (nats)'} by layer (rows) and input token (columns)`,
    ...lines.map((line) =>
      line
        .map((cell, c) => pad(cell, widths[c]))
        .join('  ')
        .trimEnd(),
    ),
  ].join('\n');
}
