/**
 * A trained lens as the files of the current (tuned-lens ≥ 0.1) format, ready to write into a folder:
 *
 *   config.json         {"base_model_name_or_path", "d_model", "num_hidden_layers", "bias": true,
 *                        "base_model_revision", "unembed_hash", "lens_type":
 *                        "linear_tuned_lens"}
 *   params.pt           torch.save(ModuleList.state_dict()) — keys "0.weight" [d, d], "0.bias" [d], …
 *                        (zip folder `params/`, as `torch.save(state, path / "params.pt")` names it)
 *   params.safetensors  the same tensors
 *
 * The key is spelled `unembed_hash`, as tuned-lens writes it since 0.1.1 (AlignmentResearch/tuned-lens
 * commit 624a798, "fixed spelling of undembed hash"); 0.1.0, which wrote the hub's first lenses,
 * spelled it `unemebd_hash`, and lens-config.ts reads both. Its value is null: tuned-lens hashes
 * numpy's printed summary of W_U, which we do not reproduce, and a null hash is what its loader
 * skips rather than warning about a mismatch.
 */
import { writeSafetensors } from '../formats/safetensors.ts';
import { writeTorchStateDict } from '../formats/torch-save.ts';
import type { LensConfig } from '../lens/lens-config.ts';
import { TunedLens } from '../lens/tuned-lens.ts';

export interface LensFileOptions {
  /** The model the lens was trained for (`base_model_name_or_path`). */
  baseModel: string;
  baseModelRevision?: string | null;
  unembedHash?: string | null;
}

/** A current-format lens around translators [L, d, d] and [L, d] (kept by reference). */
export function trainedLens(weight: Float32Array, bias: Float32Array, numLayers: number, dModel: number, baseModel: string): TunedLens {
  const config: LensConfig = { format: 'current', dModel, numLayers, bias: true, baseModel, includeInput: true };
  return new TunedLens(config, weight, bias);
}

export function lensConfigJson(lens: TunedLens, options: LensFileOptions): Record<string, unknown> {
  return {
    base_model_name_or_path: options.baseModel,
    d_model: lens.dModel,
    num_hidden_layers: lens.numLayers,
    bias: true,
    base_model_revision: options.baseModelRevision ?? null,
    unembed_hash: options.unembedHash ?? null,
    lens_type: 'linear_tuned_lens',
  };
}

/** file name → bytes, for config.json, params.pt and params.safetensors. */
export function lensFiles(lens: TunedLens, options: LensFileOptions): Map<string, Uint8Array> {
  const state = lens.stateDict();
  return new Map([
    ['config.json', new TextEncoder().encode(JSON.stringify(lensConfigJson(lens, options), null, 2) + '\n')],
    ['params.pt', writeTorchStateDict(state, 'params')],
    ['params.safetensors', writeSafetensors(state, { format: 'pt' })],
  ]);
}
