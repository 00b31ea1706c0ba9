/**
 * A GPT-2 checkpoint folder (config.json + model.safetensors, optionally its own tokenizer.json),
 * read from any Source. A folder without a tokenizer gets GPT-2's from `tokenizerFallback`.
 */
import { LensFormatError } from '../errors.ts';
import { readSafetensors } from '../formats/safetensors.ts';
import { fileLabel, readJson, type ProgressCallback, type Source } from '../io/source.ts';
import { Tokenizer } from '../tokenizer.ts';
import { parseGPT2Config } from './gpt2-config.ts';
import { GPT2Checkpoint } from './gpt2-checkpoint.ts';

export interface ModelFiles {
  name: string;
  checkpoint: GPT2Checkpoint;
  tokenizer: Tokenizer;
}

export interface ModelFilesOptions {
  /** Where tokenizer.json is, when the caller knows (no probing of the model folder). */
  tokenizer?: Source;
  /** Where to find one when the model folder has none. */
  tokenizerFallback?: Source;
  onProgress?: ProgressCallback;
}

export async function loadModelFiles(source: Source, options: ModelFilesOptions = {}): Promise<ModelFiles> {
  const config = parseGPT2Config(await readJson(source, 'config.json'), fileLabel(source, 'config.json'));
  const tokenizerSource = options.tokenizer ?? ((await source.has('tokenizer.json')) ? source : options.tokenizerFallback);
  if (!tokenizerSource) {
    throw new LensFormatError(`${source.name}: has no tokenizer.json and no fallback tokenizer was given`);
  }
  const tokenizer = await Tokenizer.fromJson(
    {
      tokenizerJson: await readJson(tokenizerSource, 'tokenizer.json'),
      tokenizerConfig: (await tokenizerSource.has('tokenizer_config.json')) ? await readJson(tokenizerSource, 'tokenizer_config.json') : undefined,
    },
    fileLabel(tokenizerSource, 'tokenizer.json'),
  );
  const fileName = fileLabel(source, 'model.safetensors');
  const tensors = readSafetensors(await source.read('model.safetensors', options.onProgress), fileName);
  return { name: source.name.split('/').filter(Boolean).pop() ?? source.name, checkpoint: GPT2Checkpoint.fromTensors(config, tensors, fileName), tokenizer };
}
