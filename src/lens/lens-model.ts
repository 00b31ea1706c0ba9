/**
 * A model of any registered architecture with its lens head, ready to run: the model graph (ids → residual stream) and the head graph
 * (residual stream + translators → statistics and top-k) as two ONNX Runtime sessions. The runtime is
 * passed in, so the same class runs on onnxruntime-node and onnxruntime-web.
 */
import type { InferenceSession as OrtSession, Tensor as OrtTensor } from 'onnxruntime-common';
import { PromptError } from './errors.ts';
import { buildHeadGraph } from './lens/head-graph.ts';
import { checkLensFitsModel, type Lens } from './lens/tuned-lens.ts';
import type { ModelConfig } from './model/architecture.ts';
import type { ModelFiles } from './model/model-files.ts';
import type { Tensor32 } from './tensor.ts';
import type { Tokenizer } from './tokenizer.ts';
import { PredictionTrajectory, type Statistic, type TrajectoryData } from './trajectory/prediction-trajectory.ts';

/** The part of onnxruntime-node / onnxruntime-web we use. */
export interface Ort {
  InferenceSession: { create(model: Uint8Array, options?: OrtSession.SessionOptions): Promise<OrtSession> };
  Tensor: typeof OrtTensor;
}

export interface LensModelOptions {
  executionProviders?: OrtSession.SessionOptions['executionProviders'];
}

export interface TrajectoryOptions {
  topk?: number;
  /** A token id to follow: its log-probability and rank in every cell (`trajectory.followed`). */
  follow?: number;
  /** Also compute the change per layer of the output's top-1 log-probability (`trajectory.changePerLayer`). */
  changePerLayer?: boolean;
}

export class LensModel {
  private readonly tokenCache = new Map<number, string>();

  private constructor(
    private readonly ort: Ort,
    readonly name: string,
    readonly config: ModelConfig,
    readonly tokenizer: Tokenizer,
    private readonly modelSession: OrtSession,
    private readonly headSession: OrtSession,
  ) {}

  static async create(ort: Ort, files: ModelFiles, options: LensModelOptions = {}): Promise<LensModel> {
    const sessionOptions: OrtSession.SessionOptions = {
      executionProviders: options.executionProviders,
      graphOptimizationLevel: 'all',
      // ORT warns that shape ops run on the CPU, which is by design; only errors are worth a console line.
      logSeverityLevel: 3,
    };
    // Build and create one graph at a time so only one serialised copy of the weights is alive.
    const modelSession = await ort.InferenceSession.create(files.checkpoint.modelGraph(), sessionOptions);
    const headSession = await ort.InferenceSession.create(buildHeadGraph(files.checkpoint), sessionOptions);
    return new LensModel(ort, files.name, files.checkpoint.config, files.tokenizer, modelSession, headSession);
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
    const ids = new this.ort.Tensor('int64', BigInt64Array.from(inputIds, BigInt), [inputIds.length]);
    const { residual_stream } = await this.modelSession.run({ input_ids: ids });
    return { data: residual_stream.data as Float32Array, shape: residual_stream.dims.slice() };
  }

  /**
   * What `lens` reads at every layer and position of the prompt. `follow` adds one token's log-probability
   * and rank in every cell; `changePerLayer` adds log q_ℓ(y*) − log q_ℓ₋₁(y*) for y* the output's top-1.
   * Each costs one more pass of the head over the same residual stream, and only when asked for.
   */
  async trajectory(inputIds: number[], lens: Lens, { topk = 10, follow, changePerLayer = false }: TrajectoryOptions = {}): Promise<PredictionTrajectory> {
    checkLensFitsModel(lens, { name: this.name, dModel: this.config.dModel, numLayers: this.config.numLayers });
    if (follow !== undefined && !(Number.isInteger(follow) && follow >= 0 && follow < this.config.vocabSize)) {
      throw new PromptError(`Token id ${follow} is outside ${this.name}'s vocabulary of ${this.config.vocabSize}, so it cannot be followed.`);
    }
    const stream = await this.residualStream(inputIds);
    const T = inputIds.length;
    const k = Math.max(1, Math.min(topk, this.config.vocabSize));
    const L = this.config.numLayers;
    const R = L + 1;
    // The last position has no next token; any valid id keeps the graph simple, and we mask it below.
    const out = await this.decode(stream, lens, Array.from({ length: T }, (_, t) => (t + 1 < T ? inputIds[t + 1] : 0)), k);
    const stat = (name: string): Float32Array => Float32Array.from(out[name].data as ArrayLike<number>);
    const statistics: Record<Statistic, Float32Array> = {
      entropy: stat('entropy'),
      crossEntropy: stat('cross_entropy'),
      forwardKl: stat('forward_kl'),
      maxProbability: stat('max_probability'),
      rank: stat('rank'),
    };
    for (let r = 0; r < R; r++) {
      statistics.crossEntropy[r * T + T - 1] = NaN;
      statistics.rank[r * T + T - 1] = NaN;
    }
    const topkIds = Int32Array.from(out.topk_ids.data as BigInt64Array, Number);
    const topkProbs = Float32Array.from(out.topk_logprobs.data as Float32Array, Math.exp);

    // A chosen token per position goes in as the head's `targets`: its cross-entropy is then −log q(token)
    // in every cell and its rank the token's rank, with no [R, T, V] leaving the graph.
    const readToken = async (tokens: number[]) => {
      const run = await this.decode(stream, lens, tokens, 1);
      return { logprob: Float32Array.from(run.cross_entropy.data as Float32Array, (ce) => -ce), rank: Float32Array.from(run.rank.data as ArrayLike<number>) };
    };
    let followed: TrajectoryData['followed'];
    if (follow !== undefined) followed = { id: follow, token: this.tokenText(follow), ...(await readToken(Array(T).fill(follow))) };
    let change: Float32Array | undefined;
    if (changePerLayer) {
      const outputTop1 = Array.from({ length: T }, (_, t) => topkIds[(L * T + t) * k]);
      const { logprob } = await readToken(outputTop1);
      change = Float32Array.from(logprob, (value, cell) => (cell < T ? NaN : value - logprob[cell - T]));
    }
    return new PredictionTrajectory({
      inputIds: [...inputIds],
      tokens: inputIds.map((id) => this.tokenText(id)),
      rows: [...Array.from({ length: L }, (_, i) => String(i)), 'output'],
      k,
      topkIds,
      topkProbs,
      topkTokens: Array.from(topkIds, (id) => this.tokenText(id)),
      statistics,
      bias: stat('bias'),
      followed,
      changePerLayer: change,
    });
  }

  /** One pass of the head graph over every row of `stream`, with `targets[t]` the token scored at position t. */
  private async decode(stream: Tensor32, lens: Lens, targets: number[], k: number) {
    const { Tensor } = this.ort;
    const L = this.config.numLayers;
    const d = this.config.dModel;
    const T = targets.length;
    return this.headSession.run({
      residual_stream: new Tensor('float32', stream.data, stream.shape),
      translator_weight: new Tensor('float32', lens.translatorWeight, [L, d, d]),
      translator_bias: new Tensor('float32', lens.translatorBias, [L, d]),
      targets: new Tensor('int64', BigInt64Array.from(targets, BigInt), [T]),
      k: new Tensor('int64', BigInt64Array.of(BigInt(k)), [1]),
    });
  }

  async release(): Promise<void> {
    await this.modelSession.release();
    await this.headSession.release();
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
