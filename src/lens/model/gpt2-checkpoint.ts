/**
 * GPT-2 weights, checked against their config before anything is built from them.
 *
 * Names are Hugging Face's (`wte.weight [V, d]`, `wpe.weight [n_positions, d]`,
 * `h.{i}.attn.c_attn.weight [d, 3d]`, …, `ln_f.bias [d]`). Accepted variations:
 * - every name may carry a `transformer.` prefix (GPT2LMHeadModel files);
 * - `lm_head.weight` may be present; it must equal `wte.weight` (the head is tied — untied heads are
 *   refused, since the lens unembeds with wte);
 * - `h.{i}.attn.bias` / `h.{i}.attn.masked_bias` (causal-mask buffers in older files) are ignored,
 *   and so is any other tensor the model does not use (listed in `ignored`).
 * Conv1D weights are stored [in, out], as the model graph uses them (x·W + b).
 */
import { LensFormatError } from '../errors.ts';
import { checkFiniteWeights } from '../formats/finite-weights.ts';
import { formatShape, sameShape, type Tensor32 } from '../tensor.ts';
import type { Unembedding } from '../train/unembedding.ts';
import type { OnnxModel } from '../onnx/graph-builder.ts';
import type { ModelCheckpoint } from './architecture.ts';
import type { GPT2Config } from './gpt2-config.ts';
import { buildGPT2Graph } from './gpt2-graph.ts';

/** One expected tensor: its shape, and that shape in config terms for messages. */
interface Expected {
  shape: number[];
  /** e.g. `[n_embd, 3·n_embd]` */
  formula: string;
  /** The config keys the shape depends on. */
  keys: (keyof typeof CONFIG_KEY)[];
}

const CONFIG_KEY = {
  dModel: 'n_embd',
  vocabSize: 'vocab_size',
  nPositions: 'n_positions',
} as const;

/** The tensors a GPT-2 with this config must have, by their unprefixed names. */
export function expectedGPT2Tensors(config: GPT2Config): Map<string, Expected> {
  const d = config.dModel;
  const out = new Map<string, Expected>();
  const vector = (name: string, size: number, formula: string) => out.set(name, { shape: [size], formula, keys: ['dModel'] });
  out.set('wte.weight', { shape: [config.vocabSize, d], formula: '[vocab_size, n_embd]', keys: ['vocabSize', 'dModel'] });
  out.set('wpe.weight', { shape: [config.nPositions, d], formula: '[n_positions, n_embd]', keys: ['nPositions', 'dModel'] });
  for (let i = 0; i < config.numLayers; i++) {
    const h = `h.${i}`;
    vector(`${h}.ln_1.weight`, d, '[n_embd]');
    vector(`${h}.ln_1.bias`, d, '[n_embd]');
    out.set(`${h}.attn.c_attn.weight`, { shape: [d, 3 * d], formula: '[n_embd, 3·n_embd]', keys: ['dModel'] });
    vector(`${h}.attn.c_attn.bias`, 3 * d, '[3·n_embd]');
    out.set(`${h}.attn.c_proj.weight`, { shape: [d, d], formula: '[n_embd, n_embd]', keys: ['dModel'] });
    vector(`${h}.attn.c_proj.bias`, d, '[n_embd]');
    vector(`${h}.ln_2.weight`, d, '[n_embd]');
    vector(`${h}.ln_2.bias`, d, '[n_embd]');
    out.set(`${h}.mlp.c_fc.weight`, { shape: [d, 4 * d], formula: '[n_embd, 4·n_embd]', keys: ['dModel'] });
    vector(`${h}.mlp.c_fc.bias`, 4 * d, '[4·n_embd]');
    out.set(`${h}.mlp.c_proj.weight`, { shape: [4 * d, d], formula: '[4·n_embd, n_embd]', keys: ['dModel'] });
    vector(`${h}.mlp.c_proj.bias`, d, '[n_embd]');
  }
  vector('ln_f.weight', d, '[n_embd]');
  vector('ln_f.bias', d, '[n_embd]');
  return out;
}

const MASK_BUFFER = /^h\.\d+\.attn\.(bias|masked_bias)$/;
const BLOCK = /^h\.(\d+)\./;

export class GPT2Checkpoint implements ModelCheckpoint {
  private constructor(
    readonly config: GPT2Config,
    private readonly tensors: Map<string, Tensor32>,
    /** Tensors in the file that the model does not use (by their names in the file). */
    readonly ignored: string[],
  ) {}

  /**
   * Checks `tensors` (as read from `fileName`) against `config` — every expected tensor present with
   * its expected shape, no blocks beyond `n_layer`, a tied head — and keeps them by reference.
   */
  static fromTensors(config: GPT2Config, tensors: Map<string, Tensor32>, fileName: string): GPT2Checkpoint {
    const expected = expectedGPT2Tensors(config);
    const found = new Map<string, { fileName: string; tensor: Tensor32 }>();
    const ignored: string[] = [];
    let lmHead: { name: string; tensor: Tensor32 } | undefined;

    for (const [nameInFile, tensor] of tensors) {
      const name = nameInFile.startsWith('transformer.') ? nameInFile.slice('transformer.'.length) : nameInFile;
      if (name === 'lm_head.weight') {
        lmHead = { name: nameInFile, tensor };
        continue;
      }
      if (found.has(name)) {
        throw new LensFormatError(`${fileName}: ${name} appears twice (with and without the 'transformer.' prefix) — which one is meant?`);
      }
      if (expected.has(name)) {
        found.set(name, { fileName: nameInFile, tensor });
        continue;
      }
      const block = BLOCK.exec(name);
      if (block && Number(block[1]) >= config.numLayers && !MASK_BUFFER.test(name)) {
        throw new LensFormatError(
          `${fileName}: ${nameInFile} belongs to block ${block[1]} but config says n_layer ${config.numLayers} — are config.json and the weights from the same model?`,
        );
      }
      ignored.push(nameInFile);
    }

    const missing = [...expected.keys()].filter((name) => !found.has(name));
    if (missing.length > 0) {
      const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? ` and ${missing.length - 5} more` : '');
      throw new LensFormatError(
        `${fileName}: ${missing.length === 1 ? 'a tensor is' : `${missing.length} tensors are`} missing: ${shown} — config says n_layer ${config.numLayers}; is the file complete and a GPT-2 checkpoint?`,
      );
    }

    for (const [name, want] of expected) {
      const { fileName: nameInFile, tensor } = found.get(name)!;
      if (!sameShape(tensor.shape, want.shape)) {
        const says = want.keys.map((k) => `${CONFIG_KEY[k]} ${config[k]}`).join(', ');
        throw new LensFormatError(
          `${fileName}: ${nameInFile} has shape ${formatShape(tensor.shape)} but config says ${says} — expected ${formatShape(want.shape)} = ${want.formula}; are config.json and the weights from the same model?`,
        );
      }
    }
    // After the shapes, so that a file for another model is named as such rather than by a stray value.
    for (const { fileName: nameInFile, tensor } of found.values()) checkFiniteWeights(tensor, nameInFile, fileName);

    if (lmHead) {
      const wte = found.get('wte.weight')!.tensor;
      if (!sameShape(lmHead.tensor.shape, wte.shape) || !sameData(lmHead.tensor.data, wte.data)) {
        throw new LensFormatError(
          `${fileName}: ${lmHead.name} differs from wte.weight — untied output heads are not supported (the lens unembeds with the token embedding, as GPT-2 does)`,
        );
      }
    }

    const byName = new Map<string, Tensor32>();
    for (const name of expected.keys()) byName.set(name, found.get(name)!.tensor);
    return new GPT2Checkpoint(config, byName, ignored);
  }

  /** A weight by its unprefixed Hugging Face name, e.g. `h.0.attn.c_attn.weight`. */
  get(name: string): Tensor32 {
    const tensor = this.tensors.get(name);
    if (!tensor) throw new Error(`GPT2Checkpoint: no tensor named '${name}' (names look like 'h.0.ln_1.weight')`);
    return tensor;
  }

  /** The unprefixed names of all weights, in the order of `expectedGPT2Tensors`. */
  names(): string[] {
    return [...this.tensors.keys()];
  }

  modelGraph(): OnnxModel {
    return buildGPT2Graph(this);
  }

  /** ln_f and the tied head: W_U is the token embedding wte. */
  unembedding(): Unembedding {
    const { dModel, vocabSize, layerNormEpsilon } = this.config;
    return {
      dModel,
      vocabSize,
      layerNormEpsilon,
      lnFWeight: this.get('ln_f.weight').data,
      lnFBias: this.get('ln_f.bias').data,
      wte: this.get('wte.weight').data,
    };
  }
}

function sameData(a: Float32Array, b: Float32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}
