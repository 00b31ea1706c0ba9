/**
 * A GPT-2-small-shaped checkpoint with random weights, made in memory (no files), and random lenses,
 * for the trajectory benchmarks. Runs in Node and in a browser Worker (no Node or DOM APIs).
 *
 * Every tensor has its own seeded stream (seed ⊕ a hash of its name), so the weights are the same in
 * Node and in the page, whatever order they are made in. Initialisation follows GPT-2's: N(0, 0.02)
 * for embeddings and projections, c_proj scaled by 1/√(2L), LayerNorm ≈ (1, 0); biases get small
 * noise so no tensor is all zeros.
 */
import { parseLensConfig } from '../../src/lens/lens/lens-config.ts';
import { LogitLens, TunedLens } from '../../src/lens/lens/tuned-lens.ts';
import { GPT2Checkpoint } from '../../src/lens/model/gpt2-checkpoint.ts';
import { parseGPT2Config, type GPT2Config } from '../../src/lens/model/gpt2-config.ts';
import { lazyTensor, type Tensor32 } from '../../src/lens/tensor.ts';

/** GPT-2 small: 12 layers, d 768, 12 heads, V 50257, n_positions 1024. */
export const GPT2_SMALL_CONFIG_JSON = {
  model_type: 'gpt2',
  n_embd: 768,
  n_layer: 12,
  n_head: 12,
  n_positions: 1024,
  vocab_size: 50257,
  layer_norm_epsilon: 1e-5,
  activation_function: 'gelu_new',
};

export function gpt2SmallConfig(): GPT2Config {
  return parseGPT2Config(GPT2_SMALL_CONFIG_JSON, 'random-gpt2/config.json');
}

/** xoshiro128** seeded through splitmix32: fast, 32-bit, identical in every JS engine. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform in (0, 1). */
  uniform(): number {
    return (this.nextU32() + 0.5) / 4294967296;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Fills `out` with N(mean, std²) (Box–Muller, both outputs used). */
  fillNormal(out: Float32Array, std: number, mean = 0): Float32Array {
    const n = out.length;
    const twoPi = 2 * Math.PI;
    let i = 0;
    for (; i + 1 < n; i += 2) {
      const r = std * Math.sqrt(-2 * Math.log(this.uniform()));
      const theta = twoPi * this.uniform();
      out[i] = mean + r * Math.cos(theta);
      out[i + 1] = mean + r * Math.sin(theta);
    }
    if (i < n) out[i] = mean + std * Math.sqrt(-2 * Math.log(this.uniform())) * Math.cos(twoPi * this.uniform());
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** FNV-1a of a name, to give each tensor its own stream. */
function hash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function normal(seed: number, name: string, shape: number[], std: number, mean = 0): Tensor32 {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  new Rng((seed ^ hash(name)) >>> 0).fillNormal(data, std, mean);
  return { data, shape };
}

/**
 * The checkpoint's tensors under their Hugging Face names, as `model.safetensors` would give them.
 * Each is made when its data is read (and again at each read), so that, like a checkpoint read from
 * a file tensor by tensor, the weights are in JavaScript one model part at a time.
 */
export function randomGPT2Tensors(config: GPT2Config, seed = 1234): Map<string, Tensor32> {
  const { dModel: d, numLayers: L, vocabSize: V, nPositions: P } = config;
  const init = 0.02;
  const projection = init / Math.sqrt(2 * L);
  const out = new Map<string, Tensor32>();
  const add = (name: string, shape: number[], std: number, mean = 0) =>
    out.set(
      name,
      lazyTensor(shape, () => normal(seed, name, shape, std, mean).data),
    );
  add('wte.weight', [V, d], init);
  add('wpe.weight', [P, d], init / 2);
  for (let i = 0; i < L; i++) {
    const h = `h.${i}`;
    add(`${h}.ln_1.weight`, [d], 0.02, 1);
    add(`${h}.ln_1.bias`, [d], 0.02);
    add(`${h}.attn.c_attn.weight`, [d, 3 * d], init);
    add(`${h}.attn.c_attn.bias`, [3 * d], 0.02);
    add(`${h}.attn.c_proj.weight`, [d, d], projection);
    add(`${h}.attn.c_proj.bias`, [d], 0.02);
    add(`${h}.ln_2.weight`, [d], 0.02, 1);
    add(`${h}.ln_2.bias`, [d], 0.02);
    add(`${h}.mlp.c_fc.weight`, [d, 4 * d], init);
    add(`${h}.mlp.c_fc.bias`, [4 * d], 0.02);
    add(`${h}.mlp.c_proj.weight`, [4 * d, d], projection);
    add(`${h}.mlp.c_proj.bias`, [d], 0.02);
  }
  add('ln_f.weight', [d], 0.02, 1);
  add('ln_f.bias', [d], 0.02);
  return out;
}

export function randomGPT2Checkpoint(config: GPT2Config = gpt2SmallConfig(), seed = 1234): GPT2Checkpoint {
  return GPT2Checkpoint.fromTensors(config, randomGPT2Tensors(config, seed), 'random-gpt2 (in memory)');
}

/** A tuned lens with translators A_ℓ, b_ℓ ~ N(0, 0.02) (current format, 'linear_tuned_lens'). */
export function randomTunedLens(config: GPT2Config, seed = 5678): TunedLens {
  const { dModel: d, numLayers: L } = config;
  const lensConfig = parseLensConfig(
    { base_model_name_or_path: 'random-gpt2', d_model: d, num_hidden_layers: L, bias: true, lens_type: 'linear_tuned_lens' },
    'random-lens/config.json',
    () => {},
  );
  const weight = normal(seed, 'translator.weight', [L, d, d], 0.02).data;
  const bias = normal(seed, 'translator.bias', [L, d], 0.02).data;
  return new TunedLens(lensConfig, weight, bias);
}

export function logitLens(config: GPT2Config): LogitLens {
  return new LogitLens(config.numLayers, config.dModel);
}

/** T token ids drawn uniformly from the vocabulary, seeded by T so every runtime reads the same prompt. */
export function randomIds(T: number, vocabSize: number, seed = 42): number[] {
  const rng = new Rng((seed * 1000003 + T) >>> 0);
  return Array.from({ length: T }, () => rng.below(vocabSize));
}
