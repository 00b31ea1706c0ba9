/**
 * The benchmark's random GPT-2 small as a Hugging Face folder, bench/out/random-gpt2/ (config.json and
 * a 498 MB float32 model.safetensors, made once, not committed), which the browser bench with
 * `--weights file` downloads and reads as the site reads a model from the hub.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeSafetensors } from '../../src/lens/formats/safetensors.ts';
import type { Tensor32 } from '../../src/lens/tensor.ts';
import { GPT2_SMALL_CONFIG_JSON, gpt2SmallConfig, randomGPT2Tensors } from './random-gpt2.ts';

export const RANDOM_GPT2_DIR = 'bench/out/random-gpt2';

export function writeRandomGPT2Folder(dir = RANDOM_GPT2_DIR): void {
  if (existsSync(join(dir, 'model.safetensors'))) return;
  mkdirSync(dir, { recursive: true });
  const lazy = randomGPT2Tensors(gpt2SmallConfig());
  // The writer takes the tensors' data as it goes; each is made once here.
  const tensors = new Map<string, Tensor32>([...lazy].map(([name, t]) => [name, { shape: t.shape, data: t.data }]));
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(tensors));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(GPT2_SMALL_CONFIG_JSON, null, 2));
}
