/**
 * A model of any registered architecture with its lens head, ready to run: the model graph (token
 * embeddings → residual stream), as one ONNX Runtime session per part of consecutive blocks, and the
 * head graph (residual stream + translators → statistics and top-k) as another. The runtime is
 * passed in, so the same class runs on onnxruntime-node and onnxruntime-web.
 */
import type { InferenceSession as OrtSession, Tensor as OrtTensor } from 'onnxruntime-common';
import { PromptError } from './errors.ts';
import { buildBiasGraph, buildHeadGraph, HEAD_OUTPUTS } from './lens/head-graph.ts';
import { checkLensFitsModel, type Lens } from './lens/tuned-lens.ts';
import type { ModelCheckpoint, ModelConfig } from './model/architecture.ts';
import { cacheFeeds } from './model/kv-cache.ts';
import type { BlockRange } from './model/residual-stream.ts';
import type { OnnxModel } from './onnx/graph-builder.ts';
import type { ModelFiles } from './model/model-files.ts';
import { releaseTensorData, type Tensor32 } from './tensor.ts';
import type { Tokenizer } from './tokenizer.ts';
import {
  commonPrefixLength,
  appendPositions,
  keepPositions,
  reusableColumns,
  type HeadColumn,
  type HeadColumns,
  type ModelRun,
} from './trajectory/prefix-cache.ts';
import {
  afterAttentionRow,
  PredictionTrajectory,
  sliceRange,
  STATISTIC_JSON_NAMES,
  STATISTICS,
  type Statistic,
  type TrajectoryData,
} from './trajectory/prediction-trajectory.ts';

/** `LensModel.layerTransfer`'s result: plain data, so it crosses a Worker boundary. */
export interface LayerTransfer {
  numLayers: number;
  /** The prompt's positions the KL is averaged over. */
  numPositions: number;
  /** [L, L] row-major: kl[i·L + j] = mean KL(p ‖ q) of translator i applied to layer j's hidden state, in nats. */
  kl: Float32Array;
}

/** The part of onnxruntime-node / onnxruntime-web we use. */
export interface Ort {
  InferenceSession: { create(model: Uint8Array, options?: OrtSession.SessionOptions): Promise<OrtSession> };
  Tensor: typeof OrtTensor;
}

export interface LensModelOptions {
  executionProviders?: OrtSession.SessionOptions['executionProviders'];
  /**
   * Build the model graph that also outputs each block's stream after attention, so that trajectories
   * can have sub-layer rows (`sublayers`). Off by default: the ordinary graph computes nothing for them.
   */
  afterAttention?: boolean;
  /**
   * About how many bytes of weights each part of the model graph holds (default PART_BYTES): the
   * model is made as several sessions of consecutive blocks, each created from its own weights alone.
   */
  partBytes?: number;
  /** More session options for every session, e.g. the runtime's threading (src/node/session.ts). */
  sessionOptions?: Pick<OrtSession.SessionOptions, 'extra' | 'intraOpNumThreads'>;
}

/**
 * The model's weights go to ONNX Runtime part by part: while a session is created its weights are
 * held twice (in JavaScript, and in ORT's memory, with MLAS's packed copy of each product's weight
 * beside the original until the session is ready) and WASM memory never shrinks, so one session of
 * all of GPT-2 small left the page at 1.7 GB. In parts of two GPT-2 blocks (57 MB) the page peaked at
 * about 1.05 GB (bench/RESULTS.md). Each more part costs one more, short, session run per model run:
 * with one part, two and one block to a part a keystroke's other work was 9, 10 and 15 ms.
 */
export const PART_BYTES = 64 * 2 ** 20;

/** Consecutive blocks in parts of about `partBytes` of weights each (a block's ≈ 12·d² float32, as GPT-2's and Pythia's). */
export function modelParts(config: Pick<ModelConfig, 'numLayers' | 'dModel'>, partBytes = PART_BYTES): BlockRange[] {
  const perPart = Math.max(1, Math.floor(partBytes / (12 * config.dModel ** 2 * 4)));
  const parts: BlockRange[] = [];
  for (let from = 0; from < config.numLayers; from += perPart) parts.push({ from, to: Math.min(config.numLayers, from + perPart) });
  return parts;
}

/** One part of the model graph (`modelParts`) as its session. */
interface ModelPart extends BlockRange {
  session: OrtSession;
}

export interface TrajectoryOptions {
  topk?: number;
  /**
   * Only positions start..end (Python slice semantics, as PredictionTrajectory.slice): the lens head
   * runs for those alone, and the result is what the whole trajectory's `slice(start, end)` would be.
   */
  start?: number;
  end?: number;
  /**
   * Reuse what earlier calls computed (default true): the model runs only on the tokens after the
   * prefix this prompt shares with the previous one, and the head only on positions this lens has
   * not decoded for that prefix. False recomputes everything (and leaves the caches alone).
   */
  reuse?: boolean;
  /** A token id to follow: its log-probability and rank in every cell (`trajectory.followed`). */
  follow?: number;
  /** Also compute the change per layer of the output's top-1 log-probability (`trajectory.changePerLayer`). */
  changePerLayer?: boolean;
  /** Also carry the KL between consecutive layers (`trajectory.consecutiveKl`; the head computes it anyway). */
  consecutiveKl?: boolean;
  /**
   * Add a sub-layer row after each layer ℓ < L: block ℓ's stream after its attention, before its MLP,
   * labelled "ℓ · after attention". The logit lens reads those rows whatever `lens` is (a tuned lens
   * has no translator trained there); the layer rows are `lens`'s as always. Needs a model built with
   * `afterAttention` (or `readAfterAttention`).
   */
  sublayers?: boolean;
}

/**
 * What the head graph reads for a trajectory: per head row, a row of the run's residual stream or of
 * its after-attention states; the translators [R-1, d, d] and [R-1, d] of every row but the last.
 */
interface HeadRows {
  sources: { states: Float32Array; row: number }[];
  weight: Float32Array;
  bias: Float32Array;
}

/**
 * The head graph decodes about four [R, n, V] float32 tensors at once; positions go through it in
 * runs of at most this many bytes of them (GPT-2: 6 positions a run). WASM memory never shrinks, so
 * the largest run sets what the page holds from then on: decoding GPT-2's T = 64 in one run had
 * grown it by 830 MB. Smaller runs cost each a copy of the translators in (GPT-2: 28 MB, ~5 ms).
 */
const HEAD_RUN_BYTES = 64 * 2 ** 20;

export class LensModel {
  private readonly tokenCache = new Map<number, string>();
  /** The last prompt's model run, for the next prompt that shares its prefix. */
  private lastRun: ModelRun | null = null;
  /** Per lens, top-k (figures on one page ask for different k) and rows, its decoded columns for the last prompt it read. */
  private readonly headColumns = new WeakMap<Lens, Map<string, HeadColumns>>();
  /** Per lens, its translators interleaved with the sub-layer rows' zero translators (see `headRows`). */
  private readonly sublayerTranslators = new WeakMap<Lens, { weight: Float32Array; bias: Float32Array }>();

  private constructor(
    private readonly ort: Ort,
    private readonly sessionOptions: OrtSession.SessionOptions,
    readonly name: string,
    readonly config: ModelConfig,
    readonly tokenizer: Tokenizer,
    /** Token embeddings, looked up outside the sessions (ModelCheckpoint.tokenEmbedder). */
    private readonly embed: (ids: readonly number[]) => Promise<Float32Array>,
    private readonly partRanges: BlockRange[],
    private modelParts: ModelPart[],
    private readonly headSession: OrtSession,
    private readonly biasSession: OrtSession,
    private afterAttention: boolean,
  ) {}

  static async create(ort: Ort, files: Pick<ModelFiles, 'name' | 'checkpoint' | 'tokenizer'>, options: LensModelOptions = {}): Promise<LensModel> {
    const sessionOptions: OrtSession.SessionOptions = {
      ...options.sessionOptions,
      executionProviders: options.executionProviders,
      graphOptimizationLevel: 'all',
      // ORT warns that shape ops run on the CPU, which is by design; only errors are worth a console line.
      logSeverityLevel: 3,
    };
    const afterAttention = options.afterAttention ?? false;
    const partRanges = modelParts(files.checkpoint.config, options.partBytes);
    const headSession = await createSession(ort, buildHeadGraph(files.checkpoint), sessionOptions);
    const biasSession = await createSession(ort, buildBiasGraph(), sessionOptions);
    const parts = await createParts(ort, files.checkpoint, partRanges, afterAttention, sessionOptions);
    return new LensModel(
      ort,
      sessionOptions,
      files.name,
      files.checkpoint.config,
      files.tokenizer,
      files.checkpoint.tokenEmbedder(),
      partRanges,
      parts,
      headSession,
      biasSession,
      afterAttention,
    );
  }

  /** Whether the model graph outputs each block's after-attention state, which sub-layer rows read. */
  get readsAfterAttention(): boolean {
    return this.afterAttention;
  }

  /**
   * Replaces the model graph with the one that also outputs each block's stream after attention, built
   * from `checkpoint` — this model's weights, read again, since nothing here keeps them. The ordinary
   * graph is released first, so no more memory is held than before; each run then copies [L, T, d] more.
   */
  async readAfterAttention(checkpoint: ModelCheckpoint): Promise<void> {
    if (this.afterAttention) return;
    const { numLayers, dModel, vocabSize } = checkpoint.config;
    if (numLayers !== this.config.numLayers || dModel !== this.config.dModel || vocabSize !== this.config.vocabSize) {
      throw new Error(`readAfterAttention: the checkpoint given is not ${this.name}'s (${numLayers} layers of width ${dModel})`);
    }
    await releaseParts(this.modelParts);
    this.lastRun = null;
    try {
      this.modelParts = await createParts(this.ort, checkpoint, this.partRanges, true, this.sessionOptions);
    } catch (e) {
      // Left as it was, on the ordinary graph, rather than with no model graph at all.
      this.modelParts = await createParts(this.ort, checkpoint, this.partRanges, false, this.sessionOptions);
      throw e;
    }
    this.afterAttention = true;
  }

  /** Token ids for `text`, refusing what the model cannot read. */
  encode(text: string): number[] {
    const ids = this.tokenizer.encode(text);
    this.checkIds(ids);
    return ids;
  }

  tokenText(id: number): string {
    let text = this.tokenCache.get(id);
    if (text === undefined) {
      text = this.tokenizer.decode([id]);
      this.tokenCache.set(id, text);
    }
    return text;
  }

  /** [L+1, T, d]: row 0 the embeddings, row i the output of block i-1, before the final LayerNorm. */
  async residualStream(inputIds: number[]): Promise<Tensor32> {
    this.checkIds(inputIds);
    const run = await this.runModel(inputIds, null);
    return { data: run.stream, shape: [this.config.numLayers + 1, inputIds.length, this.config.dModel] };
  }

  /**
   * What `lens` reads at every layer and position of the prompt (or at positions start..end). `follow`
   * adds one token's log-probability and rank in every cell; `changePerLayer` adds
   * log q_ℓ(y*) − log q_ℓ₋₁(y*) for y* the output's top-1. Each costs one more head pass over the
   * shown positions, and only when asked for.
   */
  async trajectory(
    inputIds: number[],
    lens: Lens,
    { topk = 10, start, end, reuse = true, follow, changePerLayer = false, consecutiveKl = false, sublayers = false }: TrajectoryOptions = {},
  ): Promise<PredictionTrajectory> {
    checkLensFitsModel(lens, { name: this.name, dModel: this.config.dModel, numLayers: this.config.numLayers });
    if (follow !== undefined && !(Number.isInteger(follow) && follow >= 0 && follow < this.config.vocabSize)) {
      throw new PromptError(`Token id ${follow} is outside ${this.name}'s vocabulary of ${this.config.vocabSize}, so it cannot be followed.`);
    }
    if (sublayers && !this.afterAttention) {
      throw new Error(
        `${this.name} was loaded without its after-attention states: create it with afterAttention, or call readAfterAttention, to read sub-layer rows.`,
      );
    }
    this.checkIds(inputIds);
    const T = inputIds.length;
    const [from, to] = sliceRange(T, start, end);
    const k = Math.max(1, Math.min(topk, this.config.vocabSize));

    const run = reuse ? await this.continueRun(inputIds) : await this.runModel(inputIds, null);
    const head = this.headRows(run, lens, sublayers);
    const R = head.sources.length;
    const byKey = this.headColumns.get(lens) ?? new Map<string, HeadColumns>();
    const key = sublayers ? `${k} sublayers` : String(k);
    const decoded = reusableColumns(reuse ? byKey.get(key) : undefined, inputIds, k);
    // The bias KL(p̄ ‖ q̄ℓ) averages whole distributions over every position, so it is no sum of cached
    // columns (a column's [R, V] distributions are not kept): a trajectory of the whole prompt decodes
    // all of it again, adding up each run's Σ_t q_t. Sub-layer rows go without, as the figure shows none.
    const whole = !sublayers && from === 0 && to === T;
    const missing = whole ? range(0, T) : range(from, to).filter((t) => decoded.columns[t] === undefined);
    const perRun = Math.max(1, Math.floor(HEAD_RUN_BYTES / (16 * R * this.config.vocabSize)));
    let summedProbs: OrtTensor | undefined;
    for (let i = 0; i < missing.length; i += perRun) {
      const summed = await this.decode(run, head, k, missing.slice(i, i + perRun), decoded.columns, whole);
      if (!summed) continue;
      if (!summedProbs) summedProbs = summed;
      else {
        const total = summedProbs.data as Float32Array;
        const more = summed.data as Float32Array;
        for (let j = 0; j < total.length; j++) total[j] += more[j];
      }
    }
    const bias = summedProbs && Float32Array.from((await this.biasSession.run({ summed_probs: summedProbs }, ['bias'])).bias.data as Float32Array);
    if (reuse) this.headColumns.set(lens, byKey.set(key, decoded));

    const n = to - from;
    const statistics = Object.fromEntries(STATISTICS.map((s) => [s, new Float32Array(R * n)])) as Record<Statistic, Float32Array>;
    const topkIds = new Int32Array(R * n * k);
    const topkProbs = new Float32Array(R * n * k);
    const layerKl = consecutiveKl ? new Float32Array(R * n) : undefined;
    for (let j = 0; j < n; j++) {
      const column = decoded.columns[from + j]!;
      for (let r = 0; r < R; r++) {
        for (const s of STATISTICS) statistics[s][r * n + j] = column.statistics[s][r];
        if (layerKl) layerKl[r * n + j] = column.consecutiveKl[r];
        const at = (r * n + j) * k;
        topkIds.set(column.topkIds.subarray(r * k, (r + 1) * k), at);
        for (let i = 0; i < k; i++) topkProbs[at + i] = Math.exp(column.topkLogprobs[r * k + i]);
      }
    }
    const L = this.config.numLayers;
    const ids = inputIds.slice(from, to);
    const shownPositions = range(from, to);
    let followed: TrajectoryData['followed'];
    if (follow !== undefined) {
      followed = { id: follow, token: this.tokenText(follow), ...(await this.readTokens(run, head, shownPositions, Array(n).fill(follow))) };
    }
    let change: Float32Array | undefined;
    if (changePerLayer) {
      const outputTop1 = Array.from({ length: n }, (_, j) => topkIds[((R - 1) * n + j) * k]);
      const { logprob } = await this.readTokens(run, head, shownPositions, outputTop1);
      change = Float32Array.from(logprob, (value, cell) => (cell < n ? NaN : value - logprob[cell - n]));
    }
    return new PredictionTrajectory({
      inputIds: ids,
      tokens: ids.map((id) => this.tokenText(id)),
      rows: [...Array.from({ length: L }, (_, i) => (sublayers ? [String(i), afterAttentionRow(i)] : [String(i)])).flat(), 'output'],
      k,
      topkIds,
      topkProbs,
      topkTokens: Array.from(topkIds, (id) => this.tokenText(id)),
      statistics,
      ...(whole && bias ? { bias } : {}),
      followed,
      changePerLayer: change,
      consecutiveKl: layerKl,
    });
  }

  /** The model graph on `inputIds`, continuing from the last run's shared prefix, which it then replaces. */
  private async continueRun(inputIds: number[]): Promise<ModelRun> {
    const last = this.lastRun;
    const common = last ? commonPrefixLength(last.ids, inputIds) : 0;
    let run: ModelRun;
    if (!last || common === 0 || (this.afterAttention && !last.afterAttention)) {
      run = await this.runModel(inputIds, null);
    } else {
      const { numLayers: L, numHeads: H, dModel: d } = this.config;
      const dh = d / H;
      const prefix: ModelRun = {
        ids: inputIds.slice(0, common),
        stream: keepPositions(last.stream, L + 1, last.ids.length, d, common),
        keys: last.keys.map((keys, i) => keepPositions(keys, this.partBlocks(i) * H, last.ids.length, dh, common)),
        values: last.values.map((values, i) => keepPositions(values, this.partBlocks(i) * H, last.ids.length, dh, common)),
        ...(last.afterAttention ? { afterAttention: keepPositions(last.afterAttention, L, last.ids.length, d, common) } : {}),
      };
      run = common === inputIds.length ? prefix : await this.runModel(inputIds, prefix);
    }
    this.lastRun = run;
    return run;
  }

  /**
   * The model graph on the tokens of `inputIds` after `past` (all of them without one), with past's
   * keys and values fed in; the result covers the whole prompt. Each part reads the stream its
   * predecessor's last row left; its rows, keys and values are its blocks' slice of the whole.
   */
  private async runModel(inputIds: number[], past: ModelRun | null): Promise<ModelRun> {
    const { numLayers: L, dModel: d } = this.config;
    const { Tensor } = this.ort;
    const P = past?.ids.length ?? 0;
    const ids = inputIds.slice(P);
    const T = ids.length;
    const streams: Float32Array[] = [];
    const afters: Float32Array[] = [];
    const keys: Float32Array[] = [];
    const values: Float32Array[] = [];
    let hidden: Float32Array | undefined;
    for (const [i, part] of this.modelParts.entries()) {
      const pastPart = past && { length: P, keys: past.keys[i], values: past.values[i] };
      const input: Record<string, OrtTensor> =
        part.from === 0 ? { token_embeddings: new Tensor('float32', await this.embed(ids), [T, d]) } : { hidden: new Tensor('float32', hidden!, [T, d]) };
      const out = await part.session.run({ ...input, ...cacheFeeds(Tensor, part.to - part.from, this.config, pastPart ?? undefined) });
      const rows = out.residual_stream.data as Float32Array; // [rows, T, d]
      streams.push(rows);
      hidden = rows.subarray(rows.length - T * d);
      keys.push(out.present_keys.data as Float32Array); // [blocks, H, P + T, dh]
      values.push(out.present_values.data as Float32Array);
      if (out.after_attention) afters.push(out.after_attention.data as Float32Array); // [blocks, T, d], from the graph built with afterAttention
    }
    const stream = concat(streams); // [L+1, T, d]
    const after = afters.length > 0 ? concat(afters) : undefined;
    return {
      ids: [...inputIds],
      keys, // per part [blocks, H, P + T, dh]
      values,
      stream: past ? appendPositions(past.stream, stream, L + 1, d) : stream,
      ...(after ? { afterAttention: past?.afterAttention ? appendPositions(past.afterAttention, after, L, d) : after } : {}),
    };
  }

  /** How many blocks the model graph's part `i` holds. */
  private partBlocks(i: number): number {
    return this.partRanges[i].to - this.partRanges[i].from;
  }

  /**
   * The rows the head reads for `lens`: layers 0…L with the lens's translators (the output with none);
   * with `sublayers`, block ℓ's after-attention state after each layer ℓ < L, with a zero translator,
   * which is the logit lens: a tuned lens's translator ℓ was trained on layer ℓ's state alone.
   */
  private headRows(run: ModelRun, lens: Lens, sublayers: boolean): HeadRows {
    const { numLayers: L, dModel: d } = this.config;
    const layer = (row: number) => ({ states: run.stream, row });
    if (!sublayers) return { sources: range(0, L + 1).map(layer), weight: lens.translatorWeight, bias: lens.translatorBias };
    const after = run.afterAttention;
    if (!after) throw new Error('headRows: this run has no after-attention states');
    let translators = this.sublayerTranslators.get(lens);
    if (!translators) {
      translators = { weight: new Float32Array(2 * L * d * d), bias: new Float32Array(2 * L * d) };
      for (let i = 0; i < L; i++) {
        translators.weight.set(lens.translatorWeight.subarray(i * d * d, (i + 1) * d * d), 2 * i * d * d);
        translators.bias.set(lens.translatorBias.subarray(i * d, (i + 1) * d), 2 * i * d);
      }
      this.sublayerTranslators.set(lens, translators);
    }
    return { sources: [...range(0, L).flatMap((i) => [layer(i), { states: after, row: i }]), layer(L)], ...translators };
  }

  /** The head graph's outputs `fetches` on positions `positions` of `run`'s rows `head`, scoring `targets[j]` at positions[j]: rows [R, n] per cell output. */
  private async runHead(run: ModelRun, head: HeadRows, positions: number[], targets: number[], k: number, fetches: readonly string[]) {
    const d = this.config.dModel;
    const R = head.sources.length;
    const T = run.ids.length;
    const n = positions.length;
    const rows = new Float32Array(R * n * d); // [R, n, d]
    head.sources.forEach(({ states, row }, r) => {
      positions.forEach((t, j) => rows.set(states.subarray((row * T + t) * d, (row * T + t + 1) * d), (r * n + j) * d));
    });
    const { Tensor } = this.ort;
    const feeds = {
      residual_stream: new Tensor('float32', rows, [R, n, d]),
      translator_weight: new Tensor('float32', head.weight, [R - 1, d, d]),
      translator_bias: new Tensor('float32', head.bias, [R - 1, d]),
      targets: new Tensor('int64', BigInt64Array.from(targets, BigInt), [n]),
      k: new Tensor('int64', BigInt64Array.of(BigInt(k)), [1]),
    };
    return this.headSession.run(feeds, fetches);
  }

  /** The head graph on positions `positions` of `run`, written into `columns`; with `withBias`, returns their Σ_t q_t [R, V] (`summed_probs`). */
  private async decode(
    run: ModelRun,
    head: HeadRows,
    k: number,
    positions: number[],
    columns: (HeadColumn | undefined)[],
    withBias: boolean,
  ): Promise<OrtTensor | undefined> {
    const R = head.sources.length;
    const T = run.ids.length;
    const n = positions.length;
    // The last position has no next token; any valid id keeps the graph simple, and we mask it below.
    // Its logits are kept instead (positions are ascending, so it is the run's last), so that the
    // next keystroke completes this column rather than decoding it again.
    const last = positions[n - 1] === T - 1;
    const fetches = HEAD_OUTPUTS.filter((name) => (name !== 'last_logits' || last) && (name !== 'summed_probs' || withBias));
    const out = await this.runHead(
      run,
      head,
      positions,
      positions.map((t) => (t + 1 < T ? run.ids[t + 1] : 0)),
      k,
      fetches,
    );
    const stats = Object.fromEntries(STATISTICS.map((s) => [s, out[STATISTIC_JSON_NAMES[s]].data as Float32Array])) as Record<Statistic, Float32Array>;
    const ids = out.topk_ids.data as BigInt64Array;
    const logprobs = out.topk_logprobs.data as Float32Array;
    const layerKl = out.consecutive_kl.data as Float32Array; // [R-1, n]
    positions.forEach((t, j) => {
      const statistics = Object.fromEntries(STATISTICS.map((s) => [s, Float32Array.from({ length: R }, (_, r) => stats[s][r * n + j])])) as Record<
        Statistic,
        Float32Array
      >;
      if (t === T - 1) {
        statistics.crossEntropy.fill(NaN);
        statistics.rank.fill(NaN);
      }
      const topkIds = new Int32Array(R * k);
      const topkLogprobs = new Float32Array(R * k);
      for (let r = 0; r < R; r++) {
        for (let i = 0; i < k; i++) {
          topkIds[r * k + i] = Number(ids[(r * n + j) * k + i]);
          topkLogprobs[r * k + i] = logprobs[(r * n + j) * k + i];
        }
      }
      const consecutiveKl = Float32Array.from({ length: R }, (_, r) => (r === 0 ? NaN : layerKl[(r - 1) * n + j]));
      columns[t] = {
        statistics,
        topkIds,
        topkLogprobs,
        consecutiveKl,
        ...(t === T - 1 ? { lastLogits: Float32Array.from(out.last_logits.data as Float32Array) } : {}),
      };
    });
    return withBias ? out.summed_probs : undefined;
  }

  /**
   * Layer transfer (the tuned-lens paper's transfer figure): translator i of `lens` applied to the hidden
   * state of layer j, decoded, and KL(p ‖ q) to the model's output p averaged over every position of
   * the prompt, for every i and j in 0…L-1. The diagonal is the lens's own mean forward KL; how fast it
   * grows away from the diagonal measures how much the representation drifts between layers.
   *
   * One head run per hidden state j, each as costly as a whole trajectory (L of them: seconds for
   * GPT-2). `onProgress(j, L)` follows each; when `shouldStop()` says so before a run, it stops and
   * resolves to null.
   */
  async layerTransfer(
    inputIds: number[],
    lens: Lens,
    { onProgress, shouldStop }: { onProgress?: (done: number, total: number) => void; shouldStop?: () => boolean } = {},
  ): Promise<LayerTransfer | null> {
    checkLensFitsModel(lens, { name: this.name, dModel: this.config.dModel, numLayers: this.config.numLayers });
    this.checkIds(inputIds);
    const L = this.config.numLayers;
    const T = inputIds.length;
    const run = await this.continueRun(inputIds);
    const perRun = Math.max(1, Math.floor(HEAD_RUN_BYTES / (16 * (L + 1) * this.config.vocabSize)));
    const sums = new Float64Array(L * L); // [i, j]
    for (let j = 0; j < L; j++) {
      // Every translator reads state j; the output row stays the model's own (stream row L).
      const head: HeadRows = {
        sources: [...Array.from({ length: L }, () => ({ states: run.stream, row: j })), { states: run.stream, row: L }],
        weight: lens.translatorWeight,
        bias: lens.translatorBias,
      };
      for (let from = 0; from < T; from += perRun) {
        if (shouldStop?.()) return null;
        const positions = range(from, Math.min(T, from + perRun));
        const out = await this.runHead(
          run,
          head,
          positions,
          positions.map(() => 0),
          1,
          ['forward_kl'],
        );
        const forwardKl = out.forward_kl.data as Float32Array; // [R, n]
        for (let i = 0; i < L; i++) {
          for (let t = 0; t < positions.length; t++) sums[i * L + j] += forwardKl[i * positions.length + t];
        }
      }
      onProgress?.(j + 1, L);
    }
    return { numLayers: L, numPositions: T, kl: Float32Array.from(sums, (sum) => sum / T) };
  }

  /**
   * One chosen token per position goes in as the head's `targets`: its cross-entropy is then −log q(token)
   * in every cell and its rank the token's rank, with no [R, T, V] leaving the graph. [R, n] each.
   */
  private async readTokens(run: ModelRun, head: HeadRows, positions: number[], tokens: number[]): Promise<{ logprob: Float32Array; rank: Float32Array }> {
    const out = await this.runHead(run, head, positions, tokens, 1, ['cross_entropy', 'rank']);
    return {
      logprob: Float32Array.from(out.cross_entropy.data as Float32Array, (ce) => -ce),
      rank: Float32Array.from(out.rank.data as ArrayLike<number>),
    };
  }

  async release(): Promise<void> {
    await releaseParts(this.modelParts);
    await this.headSession.release();
    await this.biasSession.release();
  }

  private checkIds(ids: number[]): void {
    if (ids.length === 0) throw new PromptError('The prompt is empty — type some text to see what each layer predicts.');
    if (ids.length > this.config.nPositions) {
      throw new PromptError(
        `The prompt is ${ids.length} tokens but ${this.name} reads at most ${this.config.nPositions} — shorten it by ${ids.length - this.config.nPositions} tokens.`,
      );
    }
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= this.config.vocabSize);
    if (bad !== undefined) throw new PromptError(`Token id ${bad} is outside ${this.name}'s vocabulary of ${this.config.vocabSize}.`);
  }
}

/**
 * The weights go in as external data: ONNX Runtime copies each from the checkpoint's own arrays into
 * its tensors, so no encoded copy of them is made, and once the sessions exist nothing here holds
 * them (the caller may drop the checkpoint).
 */
async function createSession(ort: Ort, { bytes, externalData }: OnnxModel, options: OrtSession.SessionOptions): Promise<OrtSession> {
  const session = await ort.InferenceSession.create(bytes, { ...options, externalData });
  // Weights read for this graph alone are freed now, not at the collector's next run, which while a
  // model is made part by part would let several parts' weights pile up.
  for (const { data } of externalData) releaseTensorData(data);
  return session;
}

/**
 * The sessions of the model graph's parts, created one after the other: each part's graph is built
 * (its weights read from `checkpoint`) only when its turn comes, and nothing keeps it once its
 * session exists, so the weights in JavaScript are one part's at a time wherever the checkpoint
 * reads its tensors when asked (checkpoint-tensors.ts).
 */
async function createParts(
  ort: Ort,
  checkpoint: ModelCheckpoint,
  ranges: BlockRange[],
  afterAttention: boolean,
  options: OrtSession.SessionOptions,
): Promise<ModelPart[]> {
  const parts: ModelPart[] = [];
  try {
    for (const blocks of ranges) parts.push({ ...blocks, session: await createSession(ort, checkpoint.modelGraph({ afterAttention, blocks }), options) });
  } catch (e) {
    await releaseParts(parts);
    throw e;
  }
  return parts;
}

async function releaseParts(parts: ModelPart[]): Promise<void> {
  for (const part of parts) await part.session.release();
}

/** Arrays joined end to end (a part's rows, keys or values after its predecessors'); one array is returned as it is. */
function concat(arrays: Float32Array[]): Float32Array {
  if (arrays.length === 1) return arrays[0];
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}
