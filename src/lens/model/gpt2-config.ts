/**
 * A Hugging Face GPT-2 `config.json`, reduced to what the model graph needs.
 *
 * Read keys: `model_type` (must be "gpt2"), `n_embd`, `n_layer`, `n_head`, `n_positions` (or the
 * older `n_ctx`), `vocab_size`, `layer_norm_epsilon` (Hugging Face's default 1e-5 when absent).
 * Keys that would change the computation in ways the graph does not implement — another
 * `activation_function`, `scale_attn_weights: false`, `scale_attn_by_inverse_layer_idx`,
 * `reorder_and_upcast_attn` (only changes precision; accepted) — are refused with a clear error.
 */
import { LensFormatError } from '../errors.ts';
import { MAX_TENSORS } from '../formats/limits.ts';
import type { ModelConfig } from './architecture.ts';

/** Read from `n_embd`, `n_layer`, `n_head`, `n_positions` (or `n_ctx`), `vocab_size`, `layer_norm_epsilon`. */
export interface GPT2Config extends ModelConfig {
  modelType: 'gpt2';
}

/** The tanh approximation of GELU, under the names Hugging Face uses for it. */
const TANH_GELU = new Set(['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast']);

export function parseGPT2Config(json: unknown, fileName = 'config.json'): GPT2Config {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new LensFormatError(`${fileName}: expected a JSON object (a Hugging Face config.json), found ${describe(json)}`);
  }
  const c = json as Record<string, unknown>;
  if (c.model_type !== 'gpt2') {
    const found = c.model_type === undefined ? 'has no model_type' : `says model_type ${JSON.stringify(c.model_type)}`;
    throw new LensFormatError(`${fileName}: ${found}, but only GPT-2 checkpoints (model_type "gpt2") are supported`);
  }
  const activation = c.activation_function ?? 'gelu_new';
  if (typeof activation !== 'string' || !TANH_GELU.has(activation)) {
    throw new LensFormatError(
      `${fileName}: activation_function ${JSON.stringify(activation)} is not supported — the model graph implements GPT-2's gelu_new (the tanh approximation)`,
    );
  }
  if (c.scale_attn_weights === false) {
    throw new LensFormatError(`${fileName}: scale_attn_weights is false, but the model graph always scales attention by 1/√(d/n_head)`);
  }
  if (c.scale_attn_by_inverse_layer_idx === true) {
    throw new LensFormatError(`${fileName}: scale_attn_by_inverse_layer_idx is not supported by the model graph`);
  }

  const config: GPT2Config = {
    dModel: positiveInteger(c, 'n_embd', fileName),
    numLayers: positiveInteger(c, 'n_layer', fileName),
    numHeads: positiveInteger(c, 'n_head', fileName),
    nPositions: positiveInteger(c, c.n_positions === undefined && c.n_ctx !== undefined ? 'n_ctx' : 'n_positions', fileName),
    vocabSize: positiveInteger(c, 'vocab_size', fileName),
    layerNormEpsilon: c.layer_norm_epsilon === undefined ? 1e-5 : positiveNumber(c, 'layer_norm_epsilon', fileName),
    modelType: 'gpt2',
  };
  // Every block is 12 tensors of the checkpoint, which may hold at most MAX_TENSORS: refusing here keeps
  // a config that claims a billion layers from making us list a billion blocks' expected shapes.
  if (config.numLayers * 12 > MAX_TENSORS) {
    throw new LensFormatError(
      `${fileName}: n_layer ${config.numLayers} needs ${config.numLayers * 12} tensors, more than the ${MAX_TENSORS} a checkpoint may hold — the config is corrupted`,
    );
  }
  if (config.dModel % config.numHeads !== 0) {
    throw new LensFormatError(
      `${fileName}: n_embd ${config.dModel} is not a multiple of n_head ${config.numHeads}, so the heads cannot split the residual stream`,
    );
  }
  return config;
}

function positiveInteger(c: Record<string, unknown>, key: string, fileName: string): number {
  const value = c[key];
  if (value === undefined) {
    throw new LensFormatError(`${fileName}: ${key} is missing — is this a Hugging Face GPT-2 config.json?`);
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new LensFormatError(`${fileName}: ${key} should be a positive integer, found ${JSON.stringify(value)}`);
  }
  return value;
}

function positiveNumber(c: Record<string, unknown>, key: string, fileName: string): number {
  const value = c[key];
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new LensFormatError(`${fileName}: ${key} should be a positive number, found ${JSON.stringify(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  return value === null ? 'null' : typeof value;
}
