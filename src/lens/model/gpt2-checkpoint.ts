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
import { sameShape, type Tensor32 } from '../tensor.ts';
import type { OnnxModel } from '../onnx/graph-builder.ts';
import type { ModelCheckpoint } from './architecture.ts';
import { CheckedCheckpoint, checkTensors, type ExpectedTensor } from './checkpoint-tensors.ts';
import type { ModelGraphOptions } from './residual-stream.ts';
import type { GPT2Config } from './gpt2-config.ts';
import { buildGPT2Graph } from './gpt2-graph.ts';

/** One expected tensor, with the config keys its shape depends on. */
interface Expected extends ExpectedTensor {
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

export class GPT2Checkpoint extends CheckedCheckpoint<GPT2Config> implements ModelCheckpoint {
  protected readonly naming = { owner: 'GPT2Checkpoint', example: 'h.0.ln_1.weight' };
  protected readonly embeddingName = 'wte.weight';

  /**
   * Checks `tensors` (as read from `fileName`) against `config` — every expected tensor present with
   * its expected shape, no blocks beyond `n_layer`, a tied head — and keeps them by reference.
   */
  static fromTensors(config: GPT2Config, tensors: Map<string, Tensor32>, fileName: string): GPT2Checkpoint {
    const { byName, ignored, aside } = checkTensors(
      tensors,
      expectedGPT2Tensors(config),
      {
        label: 'GPT-2',
        prefix: 'transformer.',
        layer: BLOCK,
        buffer: MASK_BUFFER,
        numLayers: config.numLayers,
        layerWord: 'block',
        layersKey: 'n_layer',
        aside: ['lm_head.weight'],
        configSays: (want) => want.keys.map((k) => `${CONFIG_KEY[k]} ${config[k]}`).join(', '),
      },
      fileName,
    );

    const lmHead = aside.get('lm_head.weight');
    if (lmHead) {
      const wte = byName.get('wte.weight')!;
      if (!sameShape(lmHead.tensor.shape, wte.shape) || !sameData(lmHead.tensor.data, wte.data)) {
        throw new LensFormatError(
          `${fileName}: ${lmHead.nameInFile} differs from wte.weight — untied output heads are not supported (the lens unembeds with the token embedding, as GPT-2 does)`,
        );
      }
    }
    return new GPT2Checkpoint(config, byName, ignored);
  }

  modelGraph(options?: ModelGraphOptions): OnnxModel {
    return buildGPT2Graph(this, options);
  }

  /** ln_f and the tied head: W_U is the token embedding wte. */
  protected unembeddingNames() {
    return { weight: 'ln_f.weight', bias: 'ln_f.bias', head: 'wte.weight' };
  }
}

function sameData(a: Float32Array, b: Float32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}
