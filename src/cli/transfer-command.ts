/**
 * `lens transfer`: the tuned-lens paper's transfer figure for one text — translator i applied to layer
 * j's hidden state, for every i and j, and the mean KL to the model's output (LensModel.layerTransfer).
 * The diagonal is the ordinary tuned lens; how fast it grows away from it measures representational drift.
 */
import { parseArgs } from 'node:util';
import { loadLens, loadSession } from './sources.ts';

export interface TransferArgs {
  model?: string;
  lens?: string;
  text?: string;
  json?: boolean;
}

export function parseTransferArgs(args: string[]): TransferArgs {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: 'string' },
      lens: { type: 'string' },
      text: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  return values;
}

export async function transferCommand(args: TransferArgs): Promise<number> {
  if (!args.model) throw new Error('transfer needs --model <dir|url|hub:ID>');
  if (!args.lens || args.lens === 'logit')
    throw new Error('transfer needs --lens <dir|url|hub:ID>, a tuned lens (the logit lens has no translators to transfer)');
  if (args.text === undefined) throw new Error('transfer needs --text "…"');
  const session = await loadSession(args.model);
  const { model } = session;
  const lens = await loadLens(args.lens, session);
  const L = model.config.numLayers;
  const report = (done: number, total: number) =>
    process.stderr.isTTY && process.stderr.write(`\rhidden states decoded: ${done} / ${total}${done === total ? '\n' : ''}`);
  const transfer = (await model.layerTransfer(model.encode(args.text), lens, { onProgress: report }))!;
  await session.release();

  const kl: number[][] = Array.from({ length: L }, (_, i) => Array.from(transfer.kl.subarray(i * L, (i + 1) * L)));
  if (args.json) {
    console.log(JSON.stringify({ model: model.name, num_positions: transfer.numPositions, translators: kl.map((_, i) => i), layers: kl.map((_, j) => j), kl }));
    return 0;
  }
  console.log(`mean KL(output ‖ translator i applied to layer j) in nats over ${transfer.numPositions} tokens; rows i = translator, columns j = hidden state`);
  console.log(['i \\ j', ...kl.map((_, j) => String(j))].map((s) => s.padStart(7)).join(''));
  kl.forEach((row, i) => console.log([String(i), ...row.map((v) => v.toFixed(3))].map((s) => s.padStart(7)).join('')));
  return 0;
}
