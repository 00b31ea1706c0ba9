/**
 * The train-step graph as an ONNX Runtime session: residual rows, the output row and the current
 * translators in; per-layer KL and the translators' gradients out. The runtime is passed in, so
 * the same class runs on onnxruntime-node and onnxruntime-web (a Worker).
 */
import type { InferenceSession as OrtSession } from 'onnxruntime-common';
import type { Ort } from '../lens-model.ts';
import { buildTrainStepGraph } from './train-step-graph.ts';
import type { Unembedding } from './unembedding.ts';

export interface TrainStepResult {
  /** [R] mean KL(p ‖ q_r) over the batch's tokens. */
  loss: Float32Array;
  /** [R, d, d] */
  gradWeight: Float32Array;
  /** [R, d] */
  gradBias: Float32Array;
}

export interface SessionOptions {
  executionProviders?: OrtSession.SessionOptions['executionProviders'];
  /** Threads for one operator (onnxruntime-node; 0 or absent = ORT's default). */
  intraOpNumThreads?: number;
}

/** ORT session options for our graphs (only the keys that are set: ORT refuses undefined values). */
export function sessionOptions(options: SessionOptions): OrtSession.SessionOptions {
  const out: OrtSession.SessionOptions = { graphOptimizationLevel: 'all', logSeverityLevel: 3 };
  if (options.executionProviders) out.executionProviders = options.executionProviders;
  if (options.intraOpNumThreads) out.intraOpNumThreads = options.intraOpNumThreads;
  return out;
}

export class TrainStep {
  private constructor(
    private readonly ort: Ort,
    private readonly session: OrtSession,
    readonly dModel: number,
  ) {}

  static async create(ort: Ort, unembedding: Unembedding, options: SessionOptions = {}): Promise<TrainStep> {
    const session = await ort.InferenceSession.create(buildTrainStepGraph(unembedding), sessionOptions(options));
    return new TrainStep(ort, session, unembedding.dModel);
  }

  /**
   * residual [R, N, d] (rows to decode), outputResidual [N, d] (h_L at the same tokens),
   * weight [R, d, d], bias [R, d].
   */
  async run(residual: Float32Array, outputResidual: Float32Array, weight: Float32Array, bias: Float32Array): Promise<TrainStepResult> {
    const d = this.dModel;
    const rows = bias.length / d;
    const tokens = outputResidual.length / d;
    if (!Number.isInteger(rows) || !Number.isInteger(tokens) || residual.length !== rows * tokens * d || weight.length !== rows * d * d) {
      throw new RangeError(
        `TrainStep.run: shapes disagree — residual has ${residual.length} values, output_residual ${outputResidual.length}, ` +
          `weight ${weight.length}, bias ${bias.length} (d_model ${d}: expected [R, N, d], [N, d], [R, d, d], [R, d])`,
      );
    }
    const { Tensor } = this.ort;
    const out = await this.session.run({
      residual: new Tensor('float32', residual, [rows, tokens, d]),
      output_residual: new Tensor('float32', outputResidual, [tokens, d]),
      weight: new Tensor('float32', weight, [rows, d, d]),
      bias: new Tensor('float32', bias, [rows, d]),
    });
    return {
      loss: out.loss.data as Float32Array,
      gradWeight: out.grad_weight.data as Float32Array,
      gradBias: out.grad_bias.data as Float32Array,
    };
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
