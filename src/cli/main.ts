/**
 * The `lens` command line (npm run lens -- …) over onnxruntime-node.
 *   trajectory --model <dir|url|hub:id> --lens <dir|url|hub:id|logit> (--text "…" | --ids 1,2,3) [--topk 10] [--json]
 *   train --model … --data <files…> --output <dir> [--steps 250 --tokens-per-step 262144 …] [--resume]
 *   eval --model … --lens <dir|url|hub:id|logit> --data <files…> [--tokens N] [--json]
 *   induction --model … --lens <dir|url|hub:id|logit> [--strings 32] [--seed 1] [--json]
 *   transfer --model … --lens <dir|url|hub:id> --text "…" [--json]
 */
import { parseArgs } from 'node:util';
import { evalCommand, parseEvalArgs } from './eval-command.ts';
import { inductionCommand, parseInductionArgs } from './induction-command.ts';
import { parseTrainArgs, trainCommand } from './train-command.ts';
import { trajectoryCommand } from './trajectory-command.ts';
import { parseTransferArgs, transferCommand } from './transfer-command.ts';

const USAGE = `usage: npm run lens -- <command> [options]

commands:
  trajectory --model <dir|url|hub:ID> --lens <dir|url|hub:ID|logit> (--text "…" | --ids 1,2,3)
             [--topk 10] [--statistic entropy|cross_entropy|forward_kl|max_probability|rank]
             [--start 0] [--end N] [--stride 1] [--follow <token|id>] [--change-per-layer] [--consecutive-kl]
             [--sublayers] [--json]
      what the lens reads at every layer and position of the prompt; --json adds prediction_depth
      per position, --follow one token's log-probability and rank in every cell (follow),
      --change-per-layer the change of the output's top-1 log-probability from the layer below,
      --consecutive-kl KL(q_l || q_l-1) between each layer's distribution and the one below (nats), and
      --sublayers a row "ℓ · after attention" after each layer ℓ: block ℓ's stream before its MLP,
      read by the logit lens whatever --lens is (a tuned lens has no translator there)

  train --model <dir|url|hub:ID> --data <files…> --output <dir>
        [--steps 250] [--tokens-per-step 262144] [--lr 1.0] [--momentum 0.9] [--weight-decay 1e-3]
        [--clip 1.0] [--warmup-steps 0] [--context 1024] [--seed 42] [--heldout-fraction 0.05 | --heldout <file>]
        [--shuffle-buffer 1024] [--batch-tokens N] [--checkpoint-every 1] [--eval-tokens 8192]
        [--text-key text] [--threads N] [--resume]
      trains a tuned lens (SGD, Nesterov; the step size is lr × (1 − momentum)) and writes
      config.json, params.pt and params.safetensors to --output; a checkpoint there lets --resume
      continue an interrupted run. Data: text files (one document each) or JSON lines ({"text": …}).

  eval --model <dir|url|hub:ID> --lens <dir|url|hub:ID|logit> --data <files…>
       [--tokens N] [--context 1024] [--heldout-fraction F --seed 42] [--batch-tokens N] [--json]
      per-layer cross-entropy (nats), bits per byte and KL to the output, beside the logit lens;
      with --heldout-fraction, only the held-out chunks of the split train uses

  induction --model <dir|url|hub:ID> --lens <dir|url|hub:ID|logit>
            [--strings 32] [--seed 1] [--min-length 16] [--max-length 32] [--json]
      per layer, the top-1 accuracy on the second copy of random printable strings typed twice
      ("s s"), beside the logit lens: where in depth the model's copying (induction) shows up

  transfer --model <dir|url|hub:ID> --lens <dir|url|hub:ID> --text "…" [--json]
      layer transfer: translator i of the tuned lens applied to layer j's hidden state, for every
      i and j, and the mean KL (nats) to the model's output over the text's tokens; the diagonal is
      the ordinary tuned lens. One head pass per layer (L passes: a while for GPT-2)

  hub:ID means the Hugging Face hub (or the mirror HF_ENDPOINT names), e.g. --model hub:openai-community/gpt2 --lens hub:gpt2,
  or --model hub:EleutherAI/pythia-70m-deduped --lens hub:EleutherAI/pythia-70m-deduped`;

/** Lets `--start -3` mean what the seed's start_pos=-3 means (parseArgs would read -3 as a flag). */
function joinNegativeNumbers(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (/^--[a-z]/.test(args[i]) && !args[i].includes('=') && /^-\d+$/.test(args[i + 1] ?? '')) out.push(`${args[i]}=${args[++i]}`);
    else out.push(args[i]);
  }
  return out;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = joinNegativeNumbers(argv);
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  if (command === 'trajectory') {
    const { values } = parseArgs({
      args: rest,
      options: {
        model: { type: 'string' },
        lens: { type: 'string', default: 'logit' },
        text: { type: 'string' },
        ids: { type: 'string' },
        topk: { type: 'string', default: '10' },
        statistic: { type: 'string', default: 'entropy' },
        start: { type: 'string' },
        end: { type: 'string' },
        stride: { type: 'string', default: '1' },
        json: { type: 'boolean', default: false },
        follow: { type: 'string' },
        'change-per-layer': { type: 'boolean', default: false },
        'consecutive-kl': { type: 'boolean', default: false },
        sublayers: { type: 'boolean', default: false },
      },
    });
    return trajectoryCommand(values);
  }
  if (command === 'train') return trainCommand(parseTrainArgs(rest));
  if (command === 'eval') return evalCommand(parseEvalArgs(rest));
  if (command === 'induction') return inductionCommand(parseInductionArgs(rest));
  if (command === 'transfer') return transferCommand(parseTransferArgs(rest));
  console.error(`lens: unknown command '${command}'\n\n${USAGE}`);
  return 2;
}

/**
 * Exits once stdout and stderr have been written out: when they are pipes, process.exit() right after
 * console.log would drop whatever the pipe had not taken yet (a --json trajectory over 64 KiB came out cut).
 */
function exit(code: number): void {
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(exit, (error: unknown) => {
  console.error(`lens: ${error instanceof Error ? error.message : String(error)}`);
  exit(1);
});
