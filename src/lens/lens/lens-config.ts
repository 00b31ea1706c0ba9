/**
 * A lens's `config.json`, in the current (tuned-lens ≥ 0.1) or the legacy (early 2023) format,
 * read into one shape. Keys we do not use are dropped with a notice, as the Python loader does.
 */
import { LensFormatError } from '../errors.ts';
import { MAX_TENSORS } from '../formats/limits.ts';

export interface LensConfig {
  format: 'current' | 'legacy';
  dModel: number;
  numLayers: number;
  bias: boolean;
  /** The model the lens was trained for, when the file says. */
  baseModel: string | undefined;
  /** Legacy lenses may lack translator 0 (`include_input: false`). */
  includeInput: boolean;
}

const CURRENT_KEYS = new Set([
  'base_model_name_or_path',
  'base_model_revision',
  'd_model',
  'num_hidden_layers',
  'bias',
  'unemebd_hash', // sic: tuned-lens 0.1.0's spelling, still in the hub's older lens files
  'unembed_hash', // tuned-lens 0.1.1 and later
  'lens_type',
]);
const LEGACY_KEYS = new Set(['bias', 'extra_layers', 'include_input', 'reuse_unembedding', 'd_model', 'num_layers', 'vocab_size']);

export function parseLensConfig(json: unknown, fileName: string, notice: (message: string) => void): LensConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new LensFormatError(`${fileName}: expected a JSON object describing the lens`);
  }
  const config = json as Record<string, unknown>;
  const format = 'num_hidden_layers' in config || 'lens_type' in config ? 'current' : 'legacy';
  const known = format === 'current' ? CURRENT_KEYS : LEGACY_KEYS;
  for (const key of Object.keys(config)) {
    if (!known.has(key)) notice(`TunedLens.load: ignoring config key '${key}'`);
  }
  const integer = (key: string): number => {
    const value = config[key];
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      throw new LensFormatError(`${fileName}: '${key}' should be a positive integer but is ${JSON.stringify(value)}`);
    }
    return value;
  };
  if (format === 'current') {
    const lensType = config.lens_type ?? 'linear_tuned_lens';
    if (lensType !== 'linear_tuned_lens') {
      throw new LensFormatError(`${fileName}: lens_type '${String(lensType)}' is not supported; only 'linear_tuned_lens' is`);
    }
  } else if ((config.extra_layers ?? 0) !== 0) {
    throw new LensFormatError(`${fileName}: extra_layers ${String(config.extra_layers)} is not supported; only affine translators (extra_layers 0) are`);
  }
  const dModel = integer('d_model');
  const layersKey = format === 'current' ? 'num_hidden_layers' : 'num_layers';
  const numLayers = integer(layersKey);
  // Each layer is at least one tensor of the weights file, so more layers than a file may hold tensors is corrupt.
  if (numLayers > MAX_TENSORS) {
    throw new LensFormatError(
      `${fileName}: '${layersKey}' is ${numLayers}, more than the ${MAX_TENSORS} tensors a lens file may hold — the config is corrupted`,
    );
  }
  return {
    format,
    dModel,
    numLayers,
    bias: config.bias !== false,
    baseModel: typeof config.base_model_name_or_path === 'string' ? config.base_model_name_or_path : undefined,
    includeInput: config.include_input !== false,
  };
}
