/**
 * Packs token positions from residual streams [L+1, T, d] into fixed-size batches for the train-step
 * and loss graphs: rows 0..L-1 as `residual` [L, n, d] and row L as `output` [n, d] (n ≤ batchTokens).
 * Every position is independent in those graphs, so a batch may hold positions of several chunks.
 */
import type { Tensor32 } from '../tensor.ts';

export interface RowBatch {
  /** [L, n, d] */
  residual: Float32Array;
  /** [n, d] */
  output: Float32Array;
  /** [n] the next token at each position (0 where there is none), when targets were given */
  targets: BigInt64Array;
  /** [n] whether each position has a next token */
  hasTarget: Uint8Array;
  tokens: number;
}

export class RowBatcher {
  private readonly residual: Float32Array;
  private readonly output: Float32Array;
  private readonly targets: BigInt64Array;
  private readonly hasTarget: Uint8Array;
  private fill = 0;

  constructor(
    readonly numLayers: number,
    readonly dModel: number,
    readonly batchTokens: number,
  ) {
    if (!Number.isInteger(batchTokens) || batchTokens < 1) throw new RangeError(`batch tokens must be a positive integer, not ${batchTokens}`);
    this.residual = new Float32Array(numLayers * batchTokens * dModel);
    this.output = new Float32Array(batchTokens * dModel);
    this.targets = new BigInt64Array(batchTokens);
    this.hasTarget = new Uint8Array(batchTokens);
  }

  /**
   * Adds every position of `stream` [L+1, T, d]; yields each batch as it fills (valid until the
   * generator resumes). With `ids` (the chunk's T input ids), position t's target is ids[t+1].
   */
  *add(stream: Tensor32, ids?: readonly number[]): Generator<RowBatch> {
    const { numLayers: L, dModel: d, batchTokens: B } = this;
    const [rows, T, width] = stream.shape;
    if (rows !== L + 1 || width !== d) throw new RangeError(`RowBatcher: expected a residual stream [${L + 1}, T, ${d}], got [${stream.shape.join(', ')}]`);
    for (let from = 0; from < T;) {
      const n = Math.min(T - from, B - this.fill);
      for (let l = 0; l < L; l++) {
        this.residual.set(stream.data.subarray((l * T + from) * d, (l * T + from + n) * d), (l * B + this.fill) * d);
      }
      this.output.set(stream.data.subarray((L * T + from) * d, (L * T + from + n) * d), this.fill * d);
      for (let k = 0; k < n; k++) {
        const t = from + k;
        const has = ids !== undefined && t + 1 < T;
        this.targets[this.fill + k] = has ? BigInt(ids[t + 1]) : 0n;
        this.hasTarget[this.fill + k] = has ? 1 : 0;
      }
      this.fill += n;
      from += n;
      if (this.fill === B) {
        yield { residual: this.residual, output: this.output, targets: this.targets, hasTarget: this.hasTarget, tokens: B };
        this.fill = 0;
      }
    }
  }

  /** The partial batch, packed to its own [L, n, d] (undefined when empty); empties the batcher. */
  flush(): RowBatch | undefined {
    const { numLayers: L, dModel: d, batchTokens: B } = this;
    const n = this.fill;
    if (n === 0) return undefined;
    this.fill = 0;
    const residual = new Float32Array(L * n * d);
    for (let l = 0; l < L; l++) residual.set(this.residual.subarray(l * B * d, (l * B + n) * d), l * n * d);
    return {
      residual,
      output: this.output.slice(0, n * d),
      targets: this.targets.slice(0, n),
      hasTarget: this.hasTarget.slice(0, n),
      tokens: n,
    };
  }

  /** Drops a partial batch (after an interrupted step). */
  clear(): void {
    this.fill = 0;
  }
}

/**
 * Tokens per graph run so that one [L, N, V] float32 tensor stays within `maxLogitsElements`
 * (the graphs keep about two of them alive), at least 1 and at most `cap`.
 */
export function tokensPerRun(numLayers: number, vocabSize: number, maxLogitsElements: number, cap: number): number {
  return Math.max(1, Math.min(cap, Math.floor(maxLogitsElements / (numLayers * vocabSize))));
}
