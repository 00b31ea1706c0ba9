/**
 * The trajectory benchmark itself, shared by Node (node.ts) and the browser Worker (browser-entry.ts):
 * a random GPT-2 small, a random tuned lens and the logit lens, LensModel.create timed (graph build vs
 * session creation), then for each T and lens one warm-up and `runs` timed calls of
 * model.trajectory(ids, lens, {topk: 10}), each split into the model graph (residualStream's
 * session.run), the head graph (the head session.run) and the rest (JS around them).
 *
 * The split comes from wrapping the two sessions' `run` as LensModel.create makes them (through an
 * `ort` whose InferenceSession.create is instrumented) — src/lens is used as is.
 */
import type { InferenceSession } from 'onnxruntime-common';
import { LensModel, type Ort } from '../../src/lens/lens-model.ts';
import type { Lens } from '../../src/lens/lens/tuned-lens.ts';
import type { ModelCheckpoint } from '../../src/lens/model/architecture.ts';
import type { GPT2Config } from '../../src/lens/model/gpt2-config.ts';
import type { Tokenizer } from '../../src/lens/tokenizer.ts';
import type { PredictionTrajectory } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { gpt2SmallConfig, logitLens, randomGPT2Checkpoint, randomIds, randomTunedLens } from './random-gpt2.ts';

export interface Summary {
  median: number;
  min: number;
  max: number;
  all: number[];
}

export interface Flops {
  model: number;
  head: number;
  total: number;
}

export interface CaseResult {
  lens: 'tuned' | 'logit';
  T: number;
  /**
   * 'full' (or absent): the whole trajectory recomputed (reuse: false). 'keystroke': the seed view
   * (last 10 positions) of a T-token prompt right after the (T−1)-token one was shown — the model
   * on one token, the head on the positions that changed (see `work`).
   */
  kind?: 'full' | 'keystroke';
  /** Per timed keystroke: tokens through the model graph and positions through the head graph. */
  work?: { modelTokens: number; headPositions: number };
  runs: number;
  warmupMs?: number;
  totalMs?: Summary;
  modelMs?: Summary;
  headMs?: Summary;
  /** JS in trajectory() around the two runs: input tensors, output conversion, token texts. */
  otherMs?: Summary;
  /** Per timed run: CPU time of all the process's threads, and their time waiting for a CPU (schedstat). */
  cpuMs?: Summary;
  waitMs?: Summary;
  flops: Flops;
  /** FLOPs / median time, in GFLOP/s. */
  gflops?: Flops;
  /** Runtime-specific peak memory for this case (bytes), e.g. VmHWM after a reset. */
  memory?: Record<string, number>;
  /** A sanity check on the warm-up's output: every statistic finite where it should be. */
  check?: string;
  error?: string;
}

export interface CreateTiming {
  weightsMs: number;
  totalMs: number;
  modelGraphBuildMs: number;
  modelSessionMs: number;
  headGraphBuildMs: number;
  headSessionMs: number;
  modelGraphBytes: number;
  headGraphBytes: number;
}

export interface BenchResult {
  runtime: string;
  threads: number | null;
  ortVersion: string;
  date: string;
  config: { dModel: number; numLayers: number; numHeads: number; vocabSize: number; nPositions: number };
  topk: number;
  create: CreateTiming;
  /** Before the weights are made: what the process (the page's renderer) holds without a model. */
  memoryAtStart?: Record<string, number>;
  memoryAfterCreate?: Record<string, number>;
  memoryEnd?: Record<string, number>;
  cases: CaseResult[];
  /** The keystroke on a second model made with other session options, run alternately with the first (`compareSessionOptions`). */
  comparison?: KeystrokeComparison;
  notes: string[];
}

export interface BenchHost {
  ort: Ort;
  runtime: string;
  threads: number | null;
  ortVersion: string;
  /** The GPT-2 tokenizer, made once: the page reading the weights from a file gets it from the same folder (`readFiles`). */
  tokenizer(): Promise<Tokenizer>;
  executionProviders?: InferenceSession.SessionOptions['executionProviders'];
  /** Merged into the options LensModel.create passes (e.g. intraOpNumThreads for a 1-thread Node run); LensModel itself takes none. */
  sessionOptionsOverride?: InferenceSession.SessionOptions;
  /** Called before each case's warm-up (e.g. reset VmHWM). */
  resetPeak(): Promise<void>;
  /** Peak memory since the last reset, plus whatever current numbers the host has (bytes); `at` says when. */
  readPeak(at: 'start' | 'create' | 'case' | 'end'): Promise<Record<string, number>>;
  /** The model's checkpoint (and tokenizer) read from its folder, for `weights: 'file'`. */
  readFiles?(): Promise<{ checkpoint: ModelCheckpoint; tokenizer: Tokenizer }>;
  log(message: string): void;
  /**
   * CPU time and run-queue wait summed over the process's threads so far (ms), from
   * /proc/<pid>/task/<tid>/schedstat: with 2 cores and other work on the machine, wait says how much of
   * a run was spent ready but not running.
   */
  schedstat?(): Promise<{ cpuMs: number; waitMs: number } | undefined>;
  /** Called after LensModel.create and after each case with everything measured so far. */
  progress?(partial: Partial<BenchResult>): void;
}

export interface BenchOptions {
  lengths: number[];
  runs: number;
  lenses: ('tuned' | 'logit')[];
  topk: number;
  /** Per length and lens, a keystroke case beside the full one (and nothing else). */
  keystroke?: boolean;
  /** Session options to try on top of LensModel's (the browser page's ?session=JSON), e.g. to measure what an option does to memory. */
  sessionOptions?: Record<string, unknown>;
  /**
   * With `keystroke`: a second model with these session options on top (the page's ?compare=JSON),
   * whose keystroke alternates with the first model's in one loop — on a shared machine the ratio of
   * the two holds where each one's time alone does not.
   */
  compareSessionOptions?: Record<string, unknown>;
  /**
   * Where the weights come from: made in memory (default), or 'file': the same weights as a
   * model.safetensors file (bench/trajectory/random-gpt2-file.ts) that the page downloads and reads as the
   * site reads a hub model, through loadModelFiles — so the renderer's peak includes reading the file.
   */
  weights?: 'memory' | 'file';
}

/** Per keystroke, for the first model and the one with `sessionOptions` on top, timed alternately. */
export interface KeystrokeComparison {
  sessionOptions: Record<string, unknown>;
  runs: number;
  base: { totalMs: Summary; modelMs: Summary; headMs: Summary; cpuMs?: Summary };
  compared: { totalMs: Summary; modelMs: Summary; headMs: Summary; cpuMs?: Summary };
  /** Both keystrokes' cells agree (the options must not change a number). */
  check: string;
}

export const DEFAULT_OPTIONS: BenchOptions = { lengths: [16, 64, 256], runs: 5, lenses: ['tuned', 'logit'], topk: 10 };

/** The seed view: the notebook's start_pos −10. */
export const SEED_VIEW_START = -10;

/** --T 16,64,256  --runs 5  --lens tuned,logit  --keystroke [--compare JSON]  --out file  --intra-op n (Node only) */
export function parseArgs(argv: string[]): { options: BenchOptions; out: string; intraOp?: number } {
  const options = { ...DEFAULT_OPTIONS };
  let out = 'bench/out/node.json';
  let intraOp: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--T') options.lengths = argv[++i].split(',').map(Number);
    else if (a === '--runs') options.runs = Number(argv[++i]);
    else if (a === '--lens') options.lenses = argv[++i].split(',') as BenchOptions['lenses'];
    else if (a === '--out') out = argv[++i];
    else if (a === '--intra-op') intraOp = Number(argv[++i]);
    else if (a === '--keystroke') options.keystroke = true;
    else if (a === '--compare') options.compareSessionOptions = JSON.parse(argv[++i]) as Record<string, unknown>;
  }
  if (!(options.runs >= 1)) throw new Error('--runs must be ≥ 1');
  if (options.lengths.some((T) => !(T >= 2))) throw new Error('--T lengths must be ≥ 2');
  return { options, out, intraOp };
}

/**
 * architecture.md §5: the model ≈ 2 × (12·d²·L ≈ 85 M) × T; each of the L+1 lens rows 2·d·V·T, plus for the
 * tuned lens 2·d²·T per translator (L of them). Attention's T² terms and all elementwise work are
 * left out, as in the design note. (The head graph runs the translator MatMul for the logit lens too,
 * on zeros; its FLOPs are not counted for it.)
 */
export function trajectoryFlops(config: GPT2Config, T: number, lens: 'tuned' | 'logit'): Flops {
  const { dModel: d, numLayers: L, vocabSize: V } = config;
  const model = 2 * 12 * d * d * L * T;
  const head = (L + 1) * 2 * d * V * T + (lens === 'tuned' ? L * 2 * d * d * T : 0);
  return { model, head, total: model + head };
}

/** Sums schedstat's first two fields (ns on CPU, ns runnable but waiting) over a process's threads. */
export function sumSchedstat(texts: string[]): { cpuMs: number; waitMs: number } {
  let cpu = 0;
  let wait = 0;
  for (const text of texts) {
    const [a, b] = text.trim().split(/\s+/).map(Number);
    if (Number.isFinite(a)) cpu += a;
    if (Number.isFinite(b)) wait += b;
  }
  return { cpuMs: cpu / 1e6, waitMs: wait / 1e6 };
}

export function summarize(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median: round(median), min: round(sorted[0]), max: round(sorted[sorted.length - 1]), all: values.map(round) };
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

interface Timed {
  /** ms of each session's runs since the last reset, in call order. */
  model: number[];
  head: number[];
  /** Tokens fed to the model graph and positions fed to the head graph since the last reset. */
  modelTokens: number;
  headPositions: number;
  creates: { start: number; end: number; bytes: number }[];
}

/**
 * An `ort` whose sessions time their own create and run. LensModel creates the head graph first, then
 * the bias graph, then the model graph's parts; a run is the model's when fed `token_embeddings` or `hidden`
 * (a later part), else the head's (the bias graph's runs, a whole prompt's, count as head time).
 */
function instrument(ort: Ort, timed: Timed, override: InferenceSession.SessionOptions = {}): Ort {
  return {
    Tensor: ort.Tensor,
    InferenceSession: {
      async create(model: Uint8Array, options?: InferenceSession.SessionOptions) {
        const index = timed.creates.length;
        const start = performance.now();
        const session = await ort.InferenceSession.create(model, { ...options, ...override });
        const weights = (options?.externalData ?? []).reduce(
          (sum, file) => sum + (typeof file !== 'string' && file.data instanceof Uint8Array ? file.data.byteLength : 0),
          0,
        );
        timed.creates.push({ start, end: performance.now(), bytes: model.byteLength + weights });
        const run = session.run.bind(session) as (...args: unknown[]) => Promise<InferenceSession.OnnxValueMapType>;
        const isModel = index >= 2;
        const sink = isModel ? timed.model : timed.head;
        (session as { run: unknown }).run = async (...args: unknown[]) => {
          const feeds = args[0] as Record<string, { dims: readonly number[] }>;
          if (feeds.token_embeddings) timed.modelTokens += feeds.token_embeddings.dims[0];
          else if (feeds.residual_stream) timed.headPositions += feeds.residual_stream.dims[1];
          const t0 = performance.now();
          const out = await run(...args);
          sink.push(performance.now() - t0);
          return out;
        };
        return session;
      },
    },
  };
}

export async function runTrajectoryBench(host: BenchHost, options: BenchOptions): Promise<BenchResult> {
  const config = gpt2SmallConfig();
  const notes: string[] = [];
  const timed: Timed = { model: [], head: [], creates: [], modelTokens: 0, headPositions: 0 };

  const memoryAtStart = await host.readPeak('start');
  const fromFile = options.weights === 'file' && host.readFiles;
  host.log(fromFile ? 'reading random GPT-2 small weights from model.safetensors…' : 'making random GPT-2 small weights…');
  let t = performance.now();
  const read = fromFile ? await host.readFiles!() : { checkpoint: randomGPT2Checkpoint(config), tokenizer: await host.tokenizer() };
  if (fromFile) notes.push('weights read from a downloaded model.safetensors (bench/out/random-gpt2), as the site reads a hub model');
  let files: Parameters<typeof LensModel.create>[1] | undefined = { name: 'random-gpt2', ...read };
  const tuned = randomTunedLens(config);
  const logit = logitLens(config);
  const weightsMs = performance.now() - t;
  host.log(`  ${(weightsMs / 1000).toFixed(1)} s`);

  host.log('LensModel.create (graph build + session creation)…');
  t = performance.now();
  const model = await LensModel.create(instrument(host.ort, timed, host.sessionOptionsOverride), files, {
    executionProviders: host.executionProviders,
  });
  const end = performance.now();
  // Like the app, keep no reference to the JS copy of the weights once the sessions exist.
  // eslint-disable-next-line no-useless-assignment -- the point is to drop the reference before gc()
  files = undefined;
  (globalThis as { gc?: () => void }).gc?.();
  // Head, bias, then the model's parts, each graph built just before its session is created.
  const [h, , ...parts] = timed.creates;
  const create: CreateTiming = {
    weightsMs: round(weightsMs),
    totalMs: round(end - t),
    modelGraphBuildMs: round(sum(parts.map((part, i) => part.start - timed.creates[i + 1].end))),
    modelSessionMs: round(sum(parts.map((part) => part.end - part.start))),
    headGraphBuildMs: round(h.start - t),
    headSessionMs: round(h.end - h.start),
    modelGraphBytes: sum(parts.map((part) => part.bytes)),
    headGraphBytes: h.bytes,
  };
  host.log(`  ${JSON.stringify(create)}`);
  const memoryAfterCreate = await host.readPeak('create');
  const cases: CaseResult[] = [];
  host.progress?.({ create, memoryAfterCreate, cases });

  for (const T of options.lengths) {
    const ids = randomIds(T, config.vocabSize);
    for (const kind of options.lenses) {
      for (const what of options.keystroke ? (['full', 'keystroke'] as const) : (['full'] as const)) {
        cases.push(await runCase(host, model, timed, kind === 'tuned' ? tuned : logit, kind, what, ids, options, config));
        host.progress?.({ create, memoryAfterCreate, cases });
      }
    }
  }
  const comparison =
    options.keystroke && options.compareSessionOptions
      ? await compareKeystrokes(host, model, timed, tuned, options, config, options.compareSessionOptions)
      : undefined;
  const memoryEnd = await host.readPeak('end');
  await model.release();
  return {
    runtime: host.runtime,
    threads: host.threads,
    ortVersion: host.ortVersion,
    date: new Date().toISOString(),
    config: {
      dModel: config.dModel,
      numLayers: config.numLayers,
      numHeads: config.numHeads,
      vocabSize: config.vocabSize,
      nPositions: config.nPositions,
    },
    topk: options.topk,
    create,
    memoryAtStart,
    memoryAfterCreate,
    memoryEnd,
    cases,
    ...(comparison ? { comparison } : {}),
    notes,
  };
}

/**
 * The keystroke case (tuned lens, T = 64) on `model` and on a second model made with `extra` session
 * options on top, alternately, `options.runs` times each, the order swapped every run.
 */
async function compareKeystrokes(
  host: BenchHost,
  model: LensModel,
  timed: Timed,
  lens: Lens,
  options: BenchOptions,
  config: GPT2Config,
  extra: Record<string, unknown>,
): Promise<KeystrokeComparison> {
  host.log(`comparison: a second model with ${JSON.stringify(extra)}…`);
  const sessionOptions = structuredClone(extra); // as given: onnxruntime-web adds its own entries to the object it is passed
  const otherTimed: Timed = { model: [], head: [], creates: [], modelTokens: 0, headPositions: 0 };
  const other = await LensModel.create(
    instrument(host.ort, otherTimed, { ...host.sessionOptionsOverride, ...extra } as InferenceSession.SessionOptions),
    { name: 'random-gpt2', checkpoint: randomGPT2Checkpoint(config), tokenizer: await host.tokenizer() },
    { executionProviders: host.executionProviders },
  );
  const T = 64;
  const ids = randomIds(T, config.vocabSize);
  const seedView = { topk: options.topk, start: SEED_VIEW_START };
  const sides = [
    { model, timed, total: [] as number[], modelMs: [] as number[], headMs: [] as number[], cpu: [] as number[] },
    { model: other, timed: otherTimed, total: [] as number[], modelMs: [] as number[], headMs: [] as number[], cpu: [] as number[] },
  ];
  const keystroke = async (side: (typeof sides)[number]) => {
    await side.model.trajectory(ids.slice(0, T - 1), lens, seedView);
    side.timed.model.length = 0;
    side.timed.head.length = 0;
    const before = await host.schedstat?.();
    const t0 = performance.now();
    const result = await side.model.trajectory(ids, lens, seedView);
    side.total.push(performance.now() - t0);
    const after = await host.schedstat?.();
    side.modelMs.push(sum(side.timed.model));
    side.headMs.push(sum(side.timed.head));
    if (before && after) side.cpu.push(after.cpuMs - before.cpuMs);
    return result;
  };
  const [a, b] = [await keystroke(sides[0]), await keystroke(sides[1])]; // warm-up
  const check = cellDifferences(a, b);
  for (const side of sides) for (const key of ['total', 'modelMs', 'headMs', 'cpu'] as const) side[key].length = 0;
  for (let r = 0; r < options.runs; r++) {
    for (const side of r % 2 ? [sides[1], sides[0]] : sides) await keystroke(side);
  }
  await other.release();
  const summary = (side: (typeof sides)[number]) => ({
    totalMs: summarize(side.total),
    modelMs: summarize(side.modelMs),
    headMs: summarize(side.headMs),
    ...(side.cpu.length ? { cpuMs: summarize(side.cpu) } : {}),
  });
  const comparison = {
    sessionOptions,
    runs: options.runs,
    base: summary(sides[0]),
    compared: summary(sides[1]),
    check,
  };
  host.log(
    `comparison: ${JSON.stringify({ base: comparison.base.totalMs.median, compared: comparison.compared.totalMs.median, cpu: [comparison.base.cpuMs?.median, comparison.compared.cpuMs?.median], check: comparison.check })}`,
  );
  return comparison;
}

/**
 * One case: a warm-up and `options.runs` timed calls. 'full' recomputes the whole trajectory each
 * time (reuse: false); 'keystroke' first shows the seed view of the prompt without its last token
 * (untimed), then times the seed view of the whole prompt — what typing one more token costs.
 */
async function runCase(
  host: BenchHost,
  model: LensModel,
  timed: Timed,
  lens: Lens,
  kind: 'tuned' | 'logit',
  what: 'full' | 'keystroke',
  ids: number[],
  options: BenchOptions,
  config: GPT2Config,
): Promise<CaseResult> {
  const T = ids.length;
  const { topk } = options;
  const seedView = { topk, start: SEED_VIEW_START };
  const prepare = () => (what === 'keystroke' ? model.trajectory(ids.slice(0, T - 1), lens, seedView) : Promise.resolve());
  const call = () => (what === 'keystroke' ? model.trajectory(ids, lens, seedView) : model.trajectory(ids, lens, { topk, reuse: false }));
  const result: CaseResult = { lens: kind, T, runs: options.runs, flops: trajectoryFlops(config, T, kind), ...(what === 'keystroke' ? { kind: what } : {}) };
  const resetTimed = () => {
    timed.model.length = 0;
    timed.head.length = 0;
    timed.modelTokens = 0;
    timed.headPositions = 0;
  };
  try {
    await host.resetPeak();
    await prepare();
    let t0 = performance.now();
    const warm = await call();
    result.warmupMs = round(performance.now() - t0);
    result.check = checkTrajectory(warm, warm.numPositions, config.numLayers + 1, topk);
    if (what === 'keystroke') {
      // The keystroke's cells must be the full recompute's.
      const full = await model.trajectory(ids, lens, { ...seedView, reuse: false });
      result.check += `; vs full recompute: ${cellDifferences(warm, full)}`;
    }
    const totals: number[] = [];
    const modelMs: number[] = [];
    const headMs: number[] = [];
    const cpu: number[] = [];
    const wait: number[] = [];
    for (let r = 0; r < options.runs; r++) {
      await prepare();
      resetTimed();
      const before = await host.schedstat?.();
      t0 = performance.now();
      await call();
      totals.push(performance.now() - t0);
      const after = await host.schedstat?.();
      modelMs.push(sum(timed.model));
      headMs.push(sum(timed.head));
      if (before && after) {
        cpu.push(after.cpuMs - before.cpuMs);
        wait.push(after.waitMs - before.waitMs);
      }
    }
    result.work = { modelTokens: timed.modelTokens, headPositions: timed.headPositions };
    if (what === 'keystroke') {
      // What the keystroke computed: the model on its tokens, the head on its positions.
      const one = trajectoryFlops(config, 1, kind);
      const model = one.model * timed.modelTokens;
      const head = one.head * timed.headPositions;
      result.flops = { model, head, total: model + head };
    }
    if (cpu.length) {
      result.cpuMs = summarize(cpu);
      result.waitMs = summarize(wait);
    }
    result.totalMs = summarize(totals);
    result.modelMs = summarize(modelMs);
    result.headMs = summarize(headMs);
    result.otherMs = summarize(totals.map((total, i) => total - modelMs[i] - headMs[i]));
    const gflops = (f: number, ms: number) => Math.round((f / (ms * 1e6)) * 10) / 10;
    result.gflops = {
      model: gflops(result.flops.model, result.modelMs.median),
      head: gflops(result.flops.head, result.headMs.median),
      total: gflops(result.flops.total, result.totalMs.median),
    };
    result.memory = await host.readPeak('case');
    host.log(
      `T=${T} ${kind}${what === 'keystroke' ? ' keystroke' : ''}: total ${result.totalMs.median.toFixed(0)} ms (model ${result.modelMs.median.toFixed(0)}, head ${result.headMs.median.toFixed(0)}, other ${result.otherMs.median.toFixed(1)}), ` +
        `work ${JSON.stringify(result.work)}, ${result.gflops.total} GFLOP/s, warm-up ${result.warmupMs.toFixed(0)} ms, ${result.check}` +
        (result.cpuMs ? `; CPU ${result.cpuMs.median.toFixed(0)} ms, waiting for a CPU ${result.waitMs!.median.toFixed(0)} ms per run` : ''),
    );
  } catch (e) {
    result.error = String((e as Error)?.message ?? e).slice(0, 2000);
    result.memory = await host.readPeak('case').catch(() => undefined);
    host.log(`T=${T} ${kind} ${what}: FAILED ${result.error}`);
  }
  return result;
}

/**
 * How far two trajectories' cells are apart: the worst difference of every statistic but the rank,
 * the cells whose rank moved, and whether the top-k ids agree. Rank counts the logits above the
 * target's: a logit within rounding of it (different GEMM blocking for 2 positions than for 10)
 * moves it by one, so it is reported apart.
 */
function cellDifferences(a: Pick<PredictionTrajectory, 'statistics' | 'topkIds'>, b: Pick<PredictionTrajectory, 'statistics' | 'topkIds'>): string {
  let worst = 0;
  let rankMoved = 0;
  for (const [name, values] of Object.entries(a.statistics)) {
    values.forEach((v, i) => {
      const w = b.statistics[name as keyof typeof b.statistics][i];
      if (Number.isNaN(v) && Number.isNaN(w)) return;
      if (name === 'rank') rankMoved += v === w ? 0 : 1;
      else worst = Math.max(worst, Math.abs(v - w));
    });
  }
  const cells = a.statistics.rank.length;
  const sameIds = a.topkIds.every((id, i) => id === b.topkIds[i]);
  return (
    `worst difference ${worst.toExponential(1)} (entropy, cross-entropy, KL, max probability), ` +
    `rank equal in ${cells - rankMoved} of ${cells} cells, top-k ids ${sameIds ? 'identical' : 'DIFFER'}`
  );
}

/** 'ok' or what is wrong with a trajectory's numbers. */
function checkTrajectory(
  trajectory: { statistics: Record<string, Float32Array>; topkIds: Int32Array; topkProbs: Float32Array },
  T: number,
  R: number,
  k: number,
): string {
  const problems: string[] = [];
  for (const [name, values] of Object.entries(trajectory.statistics)) {
    if (values.length !== R * T) problems.push(`${name} has ${values.length} values`);
    for (let r = 0; r < R; r++) {
      for (let p = 0; p < T; p++) {
        const v = values[r * T + p];
        const maskable = (name === 'crossEntropy' || name === 'rank') && p === T - 1;
        if (!maskable && !Number.isFinite(v)) {
          problems.push(`${name}[${r},${p}] = ${v}`);
          break;
        }
      }
    }
  }
  if (trajectory.topkIds.length !== R * T * k) problems.push(`topk has ${trajectory.topkIds.length} ids`);
  const p0 = trajectory.topkProbs[0];
  if (!(p0 > 0 && p0 <= 1)) problems.push(`top-1 probability ${p0}`);
  const kl = trajectory.statistics.forwardKl;
  for (let p = 0; p < T; p++) if (Math.abs(kl[(R - 1) * T + p]) > 1e-3) problems.push(`output row KL ${kl[(R - 1) * T + p]}`);
  return problems.length ? `CHECK FAILED: ${problems.slice(0, 5).join('; ')}` : 'ok';
}
