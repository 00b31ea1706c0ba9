/**
 * `lens train`: trains a tuned lens for a model on text files with the paper's recipe, printing a
 * progress line per step on stderr, checkpointing into --output (resume with --resume; Ctrl-C saves
 * the finished steps), and writing the lens there in the current format. At the end it compares the
 * lens with the logit lens on the held-out split.
 */
import { parseArgs } from 'node:util';
import { CHECKPOINT_FILE } from '../lens/train/checkpoint.ts';
import { allChunks, heldOutChunks, type TokenChunk } from '../lens/train/data.ts';
import { TRAIN_DEFAULTS, trainTunedLens, type TrainOptions, type TrainProgress } from '../lens/train/trainer.ts';
import { checkDataFiles, fileCorpus, folderStore } from './data.ts';
import { DATA_OPTIONS, optionalNumber, renderEvaluation } from './eval-command.ts';
import { loadSession } from './sources.ts';

export interface TrainArgs {
  model?: string;
  data?: string[];
  output?: string;
  steps?: string;
  'tokens-per-step'?: string;
  lr?: string;
  momentum?: string;
  'weight-decay'?: string;
  clip?: string;
  'warmup-steps'?: string;
  context?: string;
  seed?: string;
  'heldout-fraction'?: string;
  heldout?: string;
  'shuffle-buffer'?: string;
  'batch-tokens'?: string;
  'checkpoint-every'?: string;
  'eval-tokens'?: string;
  'text-key'?: string;
  threads?: string;
  resume?: boolean;
}

/** `--data a.txt b.txt` lists files after one flag: positional arguments are data files too. */
export function parseTrainArgs(args: string[]): TrainArgs {
  const value = { type: 'string' } as const;
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      ...DATA_OPTIONS,
      output: value,
      steps: value,
      'tokens-per-step': value,
      lr: value,
      momentum: value,
      'weight-decay': value,
      clip: value,
      'warmup-steps': value,
      heldout: value,
      'shuffle-buffer': value,
      'checkpoint-every': value,
      'eval-tokens': value,
      resume: { type: 'boolean', default: false },
    },
  });
  return { ...values, data: [...(values.data ?? []), ...positionals] };
}

export async function trainCommand(args: TrainArgs): Promise<number> {
  if (!args.model) throw new Error('train needs --model <dir|url|hub:ID>');
  if (!args.output) throw new Error('train needs --output <dir> (checkpoints and the lens go there)');
  const data = args.data ?? [];
  if (data.length === 0) throw new Error('train needs --data <files…> (text or JSON lines)');
  await checkDataFiles(args.heldout ? [...data, args.heldout] : data);

  const options: Partial<TrainOptions> = {};
  const set = <K extends keyof TrainOptions>(key: K, value: number | undefined) => {
    if (value !== undefined) options[key] = value as TrainOptions[K];
  };
  set('steps', optionalNumber('steps', args.steps, { integer: true, min: 1 }));
  set('tokensPerStep', optionalNumber('tokens-per-step', args['tokens-per-step'], { integer: true, min: 1 }));
  set('lr', optionalNumber('lr', args.lr, { min: 0 }));
  set('momentum', optionalNumber('momentum', args.momentum, { min: 0, max: 0.999999 }));
  set('weightDecay', optionalNumber('weight-decay', args['weight-decay'], { min: 0 }));
  set('clip', optionalNumber('clip', args.clip));
  set('warmupSteps', optionalNumber('warmup-steps', args['warmup-steps'], { integer: true, min: 0 }));
  set('seed', optionalNumber('seed', args.seed, { integer: true }));
  set('heldOutFraction', optionalNumber('heldout-fraction', args['heldout-fraction'], { min: 0, max: 0.99 }) ?? (args.heldout ? 0 : undefined));
  set('shuffleBuffer', optionalNumber('shuffle-buffer', args['shuffle-buffer'], { integer: true, min: 1 }));
  set('batchTokens', optionalNumber('batch-tokens', args['batch-tokens'], { integer: true, min: 1 }));
  set('checkpointEvery', optionalNumber('checkpoint-every', args['checkpoint-every'], { integer: true, min: 1 }));
  const evalTokens = optionalNumber('eval-tokens', args['eval-tokens'], { integer: true, min: 0 }) ?? 8192;
  const threads = optionalNumber('threads', args.threads, { integer: true, min: 1 });

  const store = folderStore(args.output);
  if (!args.resume && (await store.load(CHECKPOINT_FILE))) {
    throw new Error(
      `${args.output}/${CHECKPOINT_FILE}: the output already holds a checkpoint of an earlier run — resume it (--resume) or choose another --output`,
    );
  }

  const session = await loadSession(args.model);
  const { model } = session;
  const { nPositions } = session.config;
  set('context', optionalNumber('context', args.context, { integer: true, min: 2, max: nPositions }) ?? Math.min(TRAIN_DEFAULTS.context, nPositions));
  const corpus = fileCorpus(data, { textKey: args['text-key'] });
  const sessionOptions = threads ? { intraOpNumThreads: threads } : undefined;

  // Ctrl-C once: stop after the current graph run and save the finished steps; twice: quit now.
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    console.error('\ninterrupted — saving the finished steps (Ctrl-C again to quit at once)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);

  let result;
  try {
    result = await trainTunedLens(
      {
        session,
        corpus,
        dataDescription: data.join(', '),
        save: store.save,
        load: store.load,
        resume: args.resume ?? false,
        signal: controller.signal,
        onProgress: (p) => console.error(progressLine(p)),
        onNotice: (message) => console.error(message),
        sessionOptions,
      },
      options,
    );
  } finally {
    process.off('SIGINT', onSigint);
  }

  if (!result.completed) {
    console.error(`stopped after step ${result.step}; the checkpoint is in ${args.output} — continue with --resume`);
    await session.release();
    return 130;
  }
  console.error(`wrote ${args.output}/config.json, params.pt and params.safetensors (${result.step} steps)`);

  const heldOutFraction = options.heldOutFraction ?? TRAIN_DEFAULTS.heldOutFraction;
  if (evalTokens > 0 && (args.heldout || heldOutFraction > 0)) {
    const context = options.context!;
    const chunkOptions = { context, eosId: session.eosId, seed: options.seed ?? TRAIN_DEFAULTS.seed, heldOutFraction, shuffleBuffer: 1 };
    const chunks: AsyncIterable<TokenChunk> = args.heldout
      ? allChunks(fileCorpus([args.heldout], { textKey: args['text-key'] }), model.tokenizer, chunkOptions)
      : heldOutChunks(corpus, model.tokenizer, chunkOptions);
    const lenses = [
      { name: 'tuned', lens: result.lens },
      { name: 'logit', lens: session.lens('logit') },
    ];
    const evaluation = await session.evaluate(chunks, lenses, {
      maxTokens: evalTokens,
      sessionOptions,
    });
    if (evaluation.chunks > 0) console.log(renderEvaluation(evaluation, `held-out ${args.heldout ?? 'split'}`));
    else console.error('no held-out chunk to evaluate (the held-out split is empty)');
  }
  await session.release();
  return 0;
}

/** `step 12/250  3,456 tok/s  loss 1.234 [2.101 1.020 0.581]  lr 0.0952  |g| 0.84  eta 1h02m` */
export function progressLine(p: TrainProgress): string {
  const losses = p.lossPerLayer.map((v) => v.toFixed(3)).join(' ');
  return (
    `step ${p.step}/${p.steps}  ${Math.round(p.tokensPerSecond).toLocaleString('en-US')} tok/s  ` +
    `loss ${p.meanLoss.toFixed(3)} [${losses}]  lr ${p.learningRate.toPrecision(3)}  |g| ${p.gradNorm.toFixed(3)}  ` +
    `eta ${duration(p.etaSeconds)}`
  );
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, '0')}h`;
}
