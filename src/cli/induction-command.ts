/**
 * `lens induction`: per layer, how often a lens's top-1 token is the copied token in the second copy of
 * a random string typed twice (src/lens/trajectory/induction.ts), beside the logit lens — the model
 * card's induction table, for any model the CLI loads.
 */
import { parseArgs } from 'node:util';
import { inductionCurve, randomPrintableStrings, type InductionCurve } from '../lens/trajectory/induction.ts';
import { optionalNumber } from './eval-command.ts';
import { loadLens, loadSession } from './sources.ts';

export interface InductionArgs {
  model?: string;
  lens?: string;
  strings?: string;
  seed?: string;
  'min-length'?: string;
  'max-length'?: string;
  json?: boolean;
}

export const INDUCTION_DEFAULTS = { strings: 32, seed: 1, minLength: 16, maxLength: 32 };

export function parseInductionArgs(args: string[]): InductionArgs {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      lens: { type: 'string', default: 'logit' },
      strings: { type: 'string' },
      seed: { type: 'string' },
      'min-length': { type: 'string' },
      'max-length': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  return values;
}

export async function inductionCommand(args: InductionArgs): Promise<number> {
  if (!args.model) throw new Error('induction needs --model <dir|url|hub:ID>');
  const count = optionalNumber('strings', args.strings, { integer: true, min: 1 }) ?? INDUCTION_DEFAULTS.strings;
  const seed = optionalNumber('seed', args.seed, { integer: true }) ?? INDUCTION_DEFAULTS.seed;
  const minLength = optionalNumber('min-length', args['min-length'], { integer: true, min: 1 }) ?? INDUCTION_DEFAULTS.minLength;
  const maxLength = optionalNumber('max-length', args['max-length'], { integer: true, min: minLength }) ?? Math.max(minLength, INDUCTION_DEFAULTS.maxLength);
  const strings = randomPrintableStrings(count, { seed, minLength, maxLength });

  const session = await loadSession(args.model);
  const { model } = session;
  const lensName = args.lens ?? 'logit';
  const curves: Record<string, InductionCurve> = {
    [lensName === 'logit' ? 'logit' : 'tuned']: await inductionCurve(model, await loadLens(lensName, session), strings),
  };
  if (lensName !== 'logit') curves.logit = await inductionCurve(model, session.lens('logit'), strings);
  await session.release();

  if (args.json) {
    console.log(JSON.stringify({ model: model.name, strings: count, seed, minLength, maxLength, curves }));
    return 0;
  }
  const names = Object.keys(curves);
  const first = curves[names[0]];
  console.log(
    `${count} strings of ${minLength}–${maxLength} random printable characters typed twice (seed ${seed}); ${first.predictable} predictable tokens in the second copies`,
  );
  console.log(`top-1 accuracy on the copied token:`);
  console.log(['layer', ...names].map((s) => s.padStart(8)).join(''));
  first.rows.forEach((row, r) => console.log([row, ...names.map((n) => curves[n].accuracy[r].toFixed(3))].map((s) => s.padStart(8)).join('')));
  return 0;
}
