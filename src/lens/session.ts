/**
 * One loaded model and what reads it: the model of any registered architecture (chosen by its
 * config.json's `model_type`, architectures.ts) with its lens head, its unembedding held once, its
 * tokenizer and end-of-text id, and the lenses that fit it, by name. It reads trajectories, adds
 * lenses and trains them. The engine Worker, the `lens` CLI and the build-time figures are adapters
 * over it: each brings the bytes (URLs and Cache Storage in a page, files in Node) and the runtime.
 */
import { LensModel, type LensModelOptions, type Ort, type TrajectoryOptions } from './lens-model.ts';
import { translatorStats, type TranslatorStats } from './lens/translator-stats.ts';
import { checkLensFitsModel, LogitLens, type Lens } from './lens/tuned-lens.ts';
import type { ModelCheckpoint, ModelConfig } from './model/architecture.ts';
import type { ModelFiles } from './model/model-files.ts';
import type { Tokenizer } from './tokenizer.ts';
import { evaluateLenses, type EvalRun, type Evaluation } from './train/evaluate.ts';
import { tokenByteLengths } from './train/token-bytes.ts';
import { trainingChunks, type Corpus, type DataOptions, type TextEncoderLike, type TokenChunk } from './train/data.ts';
import { TrainingLoop, type LoopSettings } from './train/training-loop.ts';
import type { SessionOptions } from './train/train-step.ts';
import type { Unembedding } from './train/unembedding.ts';
import type { PredictionTrajectory } from './trajectory/prediction-trajectory.ts';

export class LensSession {
  /** The lenses that can be asked for, by name: "logit" always, then those added. */
  readonly lenses = new Map<string, Lens>();
  /**
   * The final LayerNorm and W_U every lens decodes through, which training and evaluation graphs take,
   * read again when asked (ModelFiles.rereadUnembedding): the session keeps no weights in JavaScript.
   */
  readonly unembedding: () => Promise<Unembedding>;
  /** Translator statistics are O(L d³) to compute (seconds for GPT-2), so each lens's are kept. */
  private readonly statsByLens = new WeakMap<Lens, TranslatorStats[]>();
  /** The id joined before every training document (the tokenizer's rule, Tokenizer.endOfTextId). */
  readonly eosId: number;
  /** The model's name as readers see it (the folder's, or the hub repo's). */
  readonly name: string;
  /** `base_model_name_or_path` of the lenses trained for it (model-files.ts's one rule). */
  readonly baseModel: string;

  private readonly rereadCheckpoint: () => Promise<ModelCheckpoint>;

  private constructor(
    readonly ort: Ort,
    readonly model: LensModel,
    files: ModelFiles,
  ) {
    this.name = files.name;
    this.baseModel = files.baseModel;
    this.unembedding = files.rereadUnembedding;
    this.rereadCheckpoint = files.rereadCheckpoint;
    this.eosId = files.tokenizer.endOfTextId(this.vocabSize);
    this.lenses.set('logit', new LogitLens(this.numLayers, this.dModel));
  }

  /** The model and head graphs as ORT sessions of `ort` (onnxruntime-node or onnxruntime-web). */
  static async create(ort: Ort, files: ModelFiles, options: LensModelOptions = {}): Promise<LensSession> {
    return new LensSession(ort, await LensModel.create(ort, files, options), files);
  }

  get config(): ModelConfig {
    return this.model.config;
  }

  get numLayers(): number {
    return this.model.config.numLayers;
  }

  get dModel(): number {
    return this.model.config.dModel;
  }

  get vocabSize(): number {
    return this.model.config.vocabSize;
  }

  get tokenizer(): Tokenizer {
    return this.model.tokenizer;
  }

  /** The lens named `name`; asking for one that was never added is refused with the names there are. */
  lens(name: string): Lens {
    const lens = this.lenses.get(name);
    if (!lens) throw new Error(`No lens named '${name}' is loaded for ${this.name}.`);
    return lens;
  }

  /** Adds `lens` as `name`, refusing one made for another shape of model. */
  addLens(name: string, lens: Lens): void {
    checkLensFitsModel(lens, this);
    this.lenses.set(name, lens);
  }

  /** `base` if no lens has that name yet, else `base #2`, `base #3`, … */
  uniqueLensName(base: string): string {
    if (!this.lenses.has(base)) return base;
    for (let n = 2; ; n++) if (!this.lenses.has(`${base} #${n}`)) return `${base} #${n}`;
  }

  /**
   * What the lens named `lens` reads at every layer and position of `input`, a text or its ids (options as
   * LensModel.trajectory's). The first trajectory with `sublayers` on a model loaded without its
   * after-attention states switches it to the graph with them, its weights read again.
   */
  async trajectory(input: string | number[], lens: string, options: TrajectoryOptions = {}): Promise<PredictionTrajectory> {
    const chosen = this.lens(lens);
    if (options.sublayers && !this.model.readsAfterAttention) await this.model.readAfterAttention(await this.rereadCheckpoint());
    return this.model.trajectory(typeof input === 'string' ? this.model.encode(input) : input, chosen, options);
  }

  /** Per translator of the lens named `lens`: ‖A_ℓ‖_F, ‖b_ℓ‖ and the singular values of I + A_ℓ; `onProgress` counts layers. */
  translatorStats(lens: string, onProgress?: (done: number, total: number) => void): TranslatorStats[] {
    const chosen = this.lens(lens);
    let stats = this.statsByLens.get(chosen);
    if (!stats) {
      stats = translatorStats(chosen, onProgress);
      this.statsByLens.set(chosen, stats);
    }
    return stats;
  }

  /**
   * `corpus` as shuffled training chunks, documents joined with this model's end-of-text id; `tokenizer`
   * stands in for the model's when the caller has the text's ids already.
   */
  trainingChunks(corpus: Corpus, options: Omit<DataOptions, 'eosId'>, tokenizer: TextEncoderLike = this.tokenizer): AsyncGenerator<TokenChunk> {
    return trainingChunks(corpus, tokenizer, { ...options, eosId: this.eosId });
  }

  /** The training loop over `data` (already where training continues), its translators starting from `init` (zero without). */
  async train(data: AsyncGenerator<TokenChunk>, settings: LoopSettings, options: { init?: Lens; sessionOptions?: SessionOptions } = {}): Promise<TrainingLoop> {
    return TrainingLoop.create({
      ort: this.ort,
      unembedding: await this.unembedding(),
      numLayers: this.numLayers,
      baseModel: this.baseModel,
      residualStream: (ids) => this.model.residualStream(ids),
      data,
      settings,
      ...options,
    });
  }

  /**
   * Cross-entropy, bits per byte and KL to this model's output, per layer, of `lenses` on `chunks`
   * (train/evaluate.ts).
   */
  async evaluate(
    chunks: AsyncIterable<{ ids: number[] }>,
    lenses: { name: string; lens: Lens }[],
    options: Pick<EvalRun, 'maxTokens' | 'batchTokens' | 'sessionOptions' | 'signal' | 'onProgress'> = {},
  ): Promise<Evaluation> {
    const { model } = this;
    return evaluateLenses({
      ort: this.ort,
      modelName: model.name,
      unembedding: await this.unembedding(),
      numLayers: this.numLayers,
      residualStream: (ids) => model.residualStream(ids),
      chunks,
      lenses,
      tokenBytes: tokenByteLengths(this.tokenizer.json, model.config.vocabSize, (ids) => model.tokenizer.decode(ids)),
      ...options,
    });
  }

  release(): Promise<void> {
    return this.model.release();
  }
}
