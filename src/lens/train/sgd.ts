/**
 * The paper's optimiser over plain Float32Arrays, with the semantics of the PyTorch calls tuned-lens
 * makes (so a step here equals a step there, to float rounding):
 *
 *   torch.nn.utils.clip_grad_norm_(params, clip)      g ← g · min(1, clip / (‖g‖₂ + 1e-6)), ‖·‖ over ALL params
 *   torch.optim.SGD(lr, momentum, weight_decay, nesterov=True), per parameter θ:
 *       g ← g + λ·θ                                   (weight decay as L2 added to the gradient)
 *       b ← g on the first step, else μ·b + g         (the momentum buffer, no dampening)
 *       θ ← θ − lr·(g + μ·b)                          (Nesterov)
 *   get_linear_schedule_with_warmup(opt, W, T)        lr_s = lr · s/W for s < W, else lr · max(0, (T − s)/(T − W))
 *
 * `learningRate` is torch's lr. tuned-lens scales the lr it is given by (1 − momentum): the paper's
 * "lr 1.0" is `learningRate` 0.1 at momentum 0.9 (see `paperLearningRate`).
 */

export interface SGDOptions {
  /** torch.optim.SGD's lr at step 0 (default 0.1 = the paper's 1.0 × (1 − 0.9)). */
  learningRate: number;
  /** μ (default 0.9). */
  momentum: number;
  /** λ, L2 added to the gradient (default 1e-3). */
  weightDecay: number;
  /** Global gradient-norm clip (default 1.0); Infinity turns clipping off. */
  clip: number;
  /** Nesterov momentum (default true). */
  nesterov: boolean;
  /** The length of the run T that the learning rate decays over, to 0 at step T. */
  steps: number;
  /** Linear warm-up steps W (default 0: none). */
  warmupSteps: number;
}

export const SGD_DEFAULTS: Omit<SGDOptions, 'steps'> = {
  learningRate: 0.1,
  momentum: 0.9,
  weightDecay: 1e-3,
  clip: 1.0,
  nesterov: true,
  warmupSteps: 0,
};

/** tuned-lens's convention: the paper's lr scaled by (1 − momentum). */
export function paperLearningRate(lr: number, momentum: number): number {
  return lr * (1 - momentum);
}

/** The learning rate of step s (0-based) under linear warm-up then linear decay to 0 at step T. */
export function linearSchedule(base: number, step: number, steps: number, warmupSteps = 0): number {
  if (step < warmupSteps) return (base * step) / Math.max(1, warmupSteps);
  return base * Math.max(0, (steps - step) / Math.max(1, steps - warmupSteps));
}

/** ‖g‖₂ over all the arrays together (accumulated in float64). */
export function globalNorm(arrays: readonly Float32Array[]): number {
  let sum = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++) sum += a[i] * a[i];
  return Math.sqrt(sum);
}

/**
 * clip_grad_norm_: scales every gradient in place by min(1, maxNorm / (‖g‖ + 1e-6)) and returns the
 * norm before clipping.
 */
export function clipGradNorm(grads: readonly Float32Array[], maxNorm: number): number {
  const norm = globalNorm(grads);
  const coefficient = maxNorm / (norm + 1e-6);
  if (coefficient < 1) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= coefficient;
  return norm;
}

export interface SGDStepReport {
  /** The learning rate this step used. */
  learningRate: number;
  /** ‖g‖ before clipping. */
  gradNorm: number;
  /** Whether clipping scaled the gradients down. */
  clipped: boolean;
}

/** The optimiser's state: completed steps and one momentum buffer per parameter. */
export interface SGDState {
  step: number;
  momentum: Float32Array[];
}

export class SGD {
  readonly options: SGDOptions;
  /** Completed steps. */
  step = 0;
  /** One momentum buffer per parameter (meaningful once step > 0). */
  readonly momentum: Float32Array[];

  constructor(
    readonly params: Float32Array[],
    options: Partial<SGDOptions> & { steps: number },
  ) {
    this.options = { ...SGD_DEFAULTS, ...options };
    const { learningRate, momentum, weightDecay, clip, steps, warmupSteps } = this.options;
    if (!(learningRate >= 0) || !(momentum >= 0 && momentum < 1) || !(weightDecay >= 0) || !(clip > 0)) {
      throw new RangeError(
        `SGD: needs learning rate ≥ 0, 0 ≤ momentum < 1, weight decay ≥ 0 and clip > 0; got ${learningRate}, ${momentum}, ${weightDecay}, ${clip}`,
      );
    }
    if (!Number.isInteger(steps) || steps < 1 || !Number.isInteger(warmupSteps) || warmupSteps < 0 || warmupSteps > steps) {
      throw new RangeError(`SGD: steps must be a positive integer and 0 ≤ warm-up ≤ steps; got ${steps} and ${warmupSteps}`);
    }
    this.momentum = params.map((p) => new Float32Array(p.length));
  }

  /** The learning rate step `step` (0-based) uses. */
  learningRate(step = this.step): number {
    const { learningRate, steps, warmupSteps } = this.options;
    return linearSchedule(learningRate, step, steps, warmupSteps);
  }

  /** One step from `grads` (one per parameter, same lengths); clips `grads` in place. */
  update(grads: readonly Float32Array[]): SGDStepReport {
    if (grads.length !== this.params.length || grads.some((g, i) => g.length !== this.params[i].length)) {
      throw new RangeError(`SGD.update: expected ${this.params.length} gradients shaped like the parameters`);
    }
    const { momentum: mu, weightDecay, clip, nesterov } = this.options;
    const gradNorm = clipGradNorm(grads, clip);
    const lr = this.learningRate();
    const first = this.step === 0;
    for (let k = 0; k < this.params.length; k++) {
      const theta = this.params[k];
      const g = grads[k];
      const buffer = this.momentum[k];
      for (let i = 0; i < theta.length; i++) {
        // Rounded to float32 at each step, as torch computes in the parameters' dtype.
        let d = Math.fround(g[i] + weightDecay * theta[i]);
        if (mu !== 0) {
          const b = first ? d : Math.fround(mu * buffer[i] + d);
          buffer[i] = b;
          d = nesterov ? Math.fround(d + mu * b) : b;
        }
        theta[i] -= lr * d;
      }
    }
    this.step++;
    return { learningRate: lr, gradNorm, clipped: clip / (gradNorm + 1e-6) < 1 };
  }

  state(): SGDState {
    return { step: this.step, momentum: this.momentum };
  }

  /** Restores a saved state (buffers are copied in). */
  load(state: SGDState): void {
    if (state.momentum.length !== this.momentum.length || state.momentum.some((m, i) => m.length !== this.momentum[i].length)) {
      throw new RangeError('SGD.load: the saved momentum buffers do not match the parameters');
    }
    this.step = state.step;
    state.momentum.forEach((m, i) => this.momentum[i].set(m));
  }
}
