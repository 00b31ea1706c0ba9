/**
 * What a lens says at every layer and position for one prompt: per cell (row, position) the top-k
 * tokens with probabilities and five statistics (architecture.md §3, natural log). Rows are the decoded
 * layers then "output", the model's own prediction; with sub-layer rows, each layer ℓ < L is followed by
 * "ℓ · after attention", block ℓ's stream after its attention and before its MLP. Plain data, so it
 * crosses a Worker boundary.
 */
export const STATISTICS = ['entropy', 'crossEntropy', 'forwardKl', 'maxProbability', 'rank'] as const;
export type Statistic = (typeof STATISTICS)[number];

/** Snake-case names used by the Python library and in our JSON. */
export const STATISTIC_JSON_NAMES: Record<Statistic, string> = {
  entropy: 'entropy',
  crossEntropy: 'cross_entropy',
  forwardKl: 'forward_kl',
  maxProbability: 'max_probability',
  rank: 'rank',
};

const AFTER_ATTENTION = ' · after attention';

/** The label of block `layer`'s sub-layer row: its residual stream after attention, before the MLP. */
export function afterAttentionRow(layer: number): string {
  return `${layer}${AFTER_ATTENTION}`;
}

export function isAfterAttentionRow(label: string): boolean {
  return label.endsWith(AFTER_ATTENTION);
}

/** The layer a row label names ("3" and "3 · after attention" are both 3); null for "output". */
export function rowLayer(label: string): number | null {
  return label === 'output' ? null : Number.parseInt(label, 10);
}

export interface TrajectoryData {
  inputIds: number[];
  /** Each input token's text, unformatted. */
  tokens: string[];
  /** "0", "1", …, "output"; with sub-layer rows "0", "0 · after attention", "1", …, "output". */
  rows: string[];
  k: number;
  /** [rows, T, k] */
  topkIds: Int32Array;
  /** [rows, T, k] */
  topkProbs: Float32Array;
  /** [rows, T, k], the text of each top-k token. */
  topkTokens: string[];
  /** Each [rows, T]; NaN where the statistic has no value (the last position's cross-entropy and rank). */
  statistics: Record<Statistic, Float32Array>;
  /**
   * [rows] The lens's bias at each row, KL(p̄ ‖ q̄_ℓ) in nats: the output's and the lens's
   * distributions averaged over every position of the prompt, then compared (Belrose et al.'s
   * bias). A statistic of the whole prompt, so a trajectory cut to fewer positions has none.
   */
  bias?: Float32Array;
  /**
   * [T] prediction depth per position (see `predictionDepth`). Optional: computed from the top-1 ids
   * when the rows are every layer; a cut trajectory (fewer rows) carries its parent's.
   */
  depth?: Int32Array;
  /** Follow a token: its log-probability and 1-based rank in every cell, each [rows, T]. */
  followed?: FollowedToken;
  /** [rows, T] log q_ℓ(y*) − log q_ℓ₋₁(y*) in nats, y* the output's top-1 at t; NaN on layer 0. */
  changePerLayer?: Float32Array;
  /**
   * [rows, T] KL(q_ℓ ‖ q_ℓ₋₁) in nats: how far layer ℓ's distribution moved from layer ℓ−1's, the later
   * layer as the reference (as the output is for forward KL); NaN on layer 0.
   */
  consecutiveKl?: Float32Array;
}

export interface FollowedToken {
  id: number;
  token: string;
  logprob: Float32Array;
  rank: Float32Array;
}

/** [from, to) of positions start..end out of T, with Python's slice semantics: negative counts from the end, end exclusive. */
export function sliceRange(T: number, start = 0, end?: number): [number, number] {
  const clamp = (i: number) => Math.min(T, Math.max(0, i < 0 ? T + i : i));
  const from = clamp(start);
  return [from, Math.max(from, end === undefined ? T : clamp(end))];
}

export class PredictionTrajectory implements TrajectoryData {
  readonly inputIds: number[];
  readonly tokens: string[];
  readonly rows: string[];
  readonly k: number;
  readonly topkIds: Int32Array;
  readonly topkProbs: Float32Array;
  readonly topkTokens: string[];
  readonly statistics: Record<Statistic, Float32Array>;
  readonly bias?: Float32Array;
  readonly depth: Int32Array | undefined;
  readonly followed: FollowedToken | undefined;
  readonly changePerLayer: Float32Array | undefined;
  readonly consecutiveKl: Float32Array | undefined;

  constructor(data: TrajectoryData) {
    this.inputIds = data.inputIds;
    this.tokens = data.tokens;
    this.rows = data.rows;
    this.k = data.k;
    this.topkIds = data.topkIds;
    this.topkProbs = data.topkProbs;
    this.topkTokens = data.topkTokens;
    this.statistics = data.statistics;
    if (data.bias) this.bias = data.bias;
    const layers = layerRows(this.rows);
    this.depth = data.depth ?? (layers ? depthFromTop1(this.topkIds, layers, this.inputIds.length, this.k) : undefined);
    if (this.depth && this.depth.length !== this.numPositions)
      throw new Error(`PredictionTrajectory: depth has ${this.depth.length} positions, not ${this.numPositions}`);
    this.followed = data.followed;
    this.changePerLayer = data.changePerLayer;
    this.consecutiveKl = data.consecutiveKl;
    const cells = this.rows.length * this.numPositions;
    const perCell = [...STATISTICS.map((s) => this.statistics[s]), this.followed?.logprob, this.followed?.rank, this.changePerLayer, this.consecutiveKl];
    if (this.topkIds.length !== cells * this.k || perCell.some((a) => a !== undefined && a.length !== cells)) {
      throw new Error(`PredictionTrajectory: arrays do not match ${this.rows.length} rows × ${this.numPositions} positions`);
    }
    if (this.bias && this.bias.length !== this.rows.length) {
      throw new Error(`PredictionTrajectory: bias has ${this.bias.length} values for ${this.rows.length} rows`);
    }
  }

  /** Rebuilds the class around data that crossed a Worker boundary. */
  static from(data: TrajectoryData): PredictionTrajectory {
    return data instanceof PredictionTrajectory ? data : new PredictionTrajectory(data);
  }

  get numPositions(): number {
    return this.inputIds.length;
  }

  /** The statistic at (row, position), or null where it has no value. */
  statistic(name: Statistic, row: number, position: number): number | null {
    const value = this.statistics[name][row * this.numPositions + position];
    return Number.isNaN(value) ? null : value;
  }

  topk(row: number, position: number): { id: number; token: string; probability: number }[] {
    const at = (row * this.numPositions + position) * this.k;
    return Array.from({ length: this.k }, (_, i) => ({
      id: this.topkIds[at + i],
      token: this.topkTokens[at + i],
      probability: this.topkProbs[at + i],
    }));
  }

  /**
   * Prediction depth per position (tuned-lens issue #72): the first layer ℓ from which the lens's top-1
   * equals the model's final top-1 at every layer ℓ' ≥ ℓ up to the output; L when only the output row
   * has it. Always over every layer of the model, even after `stride` dropped some rows from view.
   */
  predictionDepth(): Int32Array {
    if (!this.depth) throw new Error('predictionDepth needs the trajectory of every layer (this one was built from a subset of rows without its depth)');
    return this.depth;
  }

  /** The mean prediction depth over positions `from`..`to` (end exclusive), or null for none. */
  meanPredictionDepth(from = 0, to = this.numPositions): number | null {
    const depth = this.predictionDepth().subarray(from, to);
    return depth.length === 0 ? null : depth.reduce((s, d) => s + d, 0) / depth.length;
  }

  /** Positions start..end with Python's slice semantics: negative counts from the end, end exclusive. */
  slice(start = 0, end?: number): PredictionTrajectory {
    const [from, to] = sliceRange(this.numPositions, start, end);
    const positions = Array.from({ length: to - from }, (_, i) => from + i);
    return this.select(
      this.rows.map((_, r) => r),
      positions,
    );
  }

  /** The rows of every n-th layer (with their sub-layer rows), always keeping "output". */
  stride(n: number): PredictionTrajectory {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`stride must be a positive integer, not ${n}`);
    const rows = this.rows.map((_, r) => r).filter((r) => (rowLayer(this.rows[r]) ?? 0) % n === 0);
    return this.select(
      rows,
      this.inputIds.map((_, t) => t),
    );
  }

  private select(rows: number[], positions: number[]): PredictionTrajectory {
    const T = this.numPositions;
    const k = this.k;
    const cells = rows.flatMap((r) => positions.map((t) => r * T + t));
    const pick = <A extends Float32Array | Int32Array>(array: A, make: (n: number) => A, width: number): A => {
      const out = make(cells.length * width);
      cells.forEach((cell, i) => out.set(array.subarray(cell * width, (cell + 1) * width), i * width));
      return out;
    };
    const statistics = Object.fromEntries(STATISTICS.map((s) => [s, pick(this.statistics[s], (n) => new Float32Array(n), 1)])) as Record<
      Statistic,
      Float32Array
    >;
    return new PredictionTrajectory({
      inputIds: positions.map((t) => this.inputIds[t]),
      tokens: positions.map((t) => this.tokens[t]),
      rows: rows.map((r) => this.rows[r]),
      k,
      topkIds: pick(this.topkIds, (n) => new Int32Array(n), k),
      topkProbs: pick(this.topkProbs, (n) => new Float32Array(n), k),
      topkTokens: cells.flatMap((cell) => this.topkTokens.slice(cell * k, (cell + 1) * k)),
      statistics,
      // The bias averages over every position: kept when all are (stride), dropped when fewer are (slice).
      ...(this.bias && positions.length === T ? { bias: Float32Array.from(rows, (r) => this.bias![r]) } : {}),
      depth: this.depth && Int32Array.from(positions, (t) => this.depth![t]),
      followed: this.followed && {
        ...this.followed,
        logprob: pick(this.followed.logprob, (n) => new Float32Array(n), 1),
        rank: pick(this.followed.rank, (n) => new Float32Array(n), 1),
      },
      changePerLayer: this.changePerLayer && pick(this.changePerLayer, (n) => new Float32Array(n), 1),
      consecutiveKl: this.consecutiveKl && pick(this.consecutiveKl, (n) => new Float32Array(n), 1),
    });
  }

  /** The CLI's `--json` object: arrays indexed [row][position], null where a statistic has no value. */
  toJSON(): Record<string, unknown> {
    const R = this.rows.length;
    const T = this.numPositions;
    const grid = <V>(f: (r: number, t: number) => V): V[][] => Array.from({ length: R }, (_, r) => Array.from({ length: T }, (_, t) => f(r, t)));
    const json: Record<string, unknown> = {
      input_ids: this.inputIds,
      tokens: this.tokens,
      rows: this.rows,
      top1_ids: grid((r, t) => this.topkIds[(r * T + t) * this.k]),
      topk_ids: grid((r, t) => this.topk(r, t).map((e) => e.id)),
      topk_probs: grid((r, t) => this.topk(r, t).map((e) => e.probability)),
    };
    for (const s of STATISTICS) json[STATISTIC_JSON_NAMES[s]] = grid((r, t) => this.statistic(s, r, t));
    if (this.depth) json.prediction_depth = Array.from(this.depth);
    const cellOf = (a: Float32Array) => grid((r, t) => (Number.isNaN(a[r * T + t]) ? null : a[r * T + t]));
    if (this.changePerLayer) json.change_per_layer = cellOf(this.changePerLayer);
    if (this.consecutiveKl) json.consecutive_kl = cellOf(this.consecutiveKl);
    if (this.followed)
      json.follow = { id: this.followed.id, token: this.followed.token, logprob: cellOf(this.followed.logprob), rank: cellOf(this.followed.rank) };
    return json;
  }
}

/**
 * The indices of layer rows "0", "1", …, "L-1", "output" when the trajectory has every layer (sub-layer
 * rows between them are skipped: depth counts layers); null when it has not.
 */
function layerRows(rows: string[]): number[] | null {
  const layers = rows.map((_, r) => r).filter((r) => !isAfterAttentionRow(rows[r]));
  const every = layers.length >= 1 && rows[layers[layers.length - 1]] === 'output' && layers.slice(0, -1).every((r, i) => rows[r] === String(i));
  return every ? layers : null;
}

/** Prediction depth from the top-1 ids of layer rows 0..L (the last one the output), read downwards from the output. */
function depthFromTop1(topkIds: Int32Array, layers: number[], T: number, k: number): Int32Array {
  const L = layers.length - 1;
  const top1 = (layer: number, t: number) => topkIds[(layers[layer] * T + t) * k];
  return Int32Array.from({ length: T }, (_, t) => {
    let depth = L;
    while (depth > 0 && top1(depth - 1, t) === top1(L, t)) depth--;
    return depth;
  });
}
