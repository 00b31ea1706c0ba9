/**
 * The architectures the library runs, keyed by `config.json`'s `model_type` (as transformers'
 * and transformers.js's model registries are). Adding one is adding an entry here.
 */
import { LensFormatError } from '../errors.ts';
import type { Architecture, ParsedConfig } from './architecture.ts';
import { GPT2 } from './gpt2.ts';
import { GPT_NEOX } from './gpt-neox.ts';

export const ARCHITECTURES: ReadonlyMap<string, Architecture> = new Map([GPT2, GPT_NEOX].map((a) => [a.modelType, a]));

/** Reads a Hugging Face `config.json` with the architecture its `model_type` names. */
export function parseModelConfig(json: unknown, fileName = 'config.json'): ParsedConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new LensFormatError(
      `${fileName}: expected a JSON object (a Hugging Face config.json), found ${Array.isArray(json) ? 'an array' : json === null ? 'null' : typeof json}`,
    );
  }
  const modelType = (json as Record<string, unknown>).model_type;
  const architecture = typeof modelType === 'string' ? ARCHITECTURES.get(modelType) : undefined;
  if (!architecture) {
    const found = modelType === undefined ? 'has no model_type' : `says model_type ${JSON.stringify(modelType)}`;
    const known = [...ARCHITECTURES.values()].map((a) => `${a.label} ("${a.modelType}")`).join(', ');
    throw new LensFormatError(`${fileName}: ${found}, but the supported architectures are ${known}`);
  }
  return architecture.parseConfig(json, fileName);
}
