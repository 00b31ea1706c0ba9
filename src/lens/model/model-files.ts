/**
 * A Hugging Face checkpoint folder (config.json + model.safetensors, optionally its own
 * tokenizer.json), read from any Source, of any architecture in the registry (architectures.ts,
 * chosen by config.json's model_type). A folder without a tokenizer gets the one from `tokenizerFallback`.
 */
import { LensFormatError } from '../errors.ts';
import { openSafetensors, readSafetensors } from '../formats/safetensors.ts';
import { fileLabel, readJson, type ProgressCallback, type Source } from '../io/source.ts';
import { hubModelIdOfUrl } from '../hub.ts';
import { Tokenizer } from '../tokenizer.ts';
import type { Unembedding } from '../train/unembedding.ts';
import type { ModelCheckpoint } from './architecture.ts';
import { parseModelConfig } from './architectures.ts';

export interface ModelFiles {
  /** The folder's name, as readers see it (pythia-70m-deduped, pd-gpt2-6l). */
  name: string;
  /**
   * `base_model_name_or_path` of the lenses trained for it: the hub id for a hub model
   * (EleutherAI/pythia-70m-deduped), else the folder's name.
   */
  baseModel: string;
  checkpoint: ModelCheckpoint;
  tokenizer: Tokenizer;
  /**
   * The unembedding read again from where the checkpoint came from: training and evaluation build
   * graphs from it long after the model's sessions hold their own copy of every weight, and keeping
   * a view of it would keep the whole file's bytes (GPT-2: 498 MB) alive in JavaScript meanwhile.
   */
  rereadUnembedding(): Promise<Unembedding>;
  /** The whole checkpoint read again, for a model graph built later (LensSession's sub-layer rows). */
  rereadCheckpoint(): Promise<ModelCheckpoint>;
}

export interface ModelFilesOptions {
  /** Where tokenizer.json is, when the caller knows (no probing of the model folder). */
  tokenizer?: Source;
  /** Where to find one when the model folder has none. */
  tokenizerFallback?: Source;
  onProgress?: ProgressCallback;
}

export async function loadModelFiles(source: Source, options: ModelFilesOptions = {}): Promise<ModelFiles> {
  const parsed = parseModelConfig(await readJson(source, 'config.json'), fileLabel(source, 'config.json'));
  const tokenizerSource = options.tokenizer ?? ((await source.has('tokenizer.json')) ? source : options.tokenizerFallback);
  if (!tokenizerSource) {
    throw new LensFormatError(`${source.name}: has no tokenizer.json and no fallback tokenizer was given`);
  }
  const tokenizer = await Tokenizer.fromJson(
    {
      tokenizerJson: await readJson(tokenizerSource, 'tokenizer.json', options.onProgress),
      tokenizerConfig: (await tokenizerSource.has('tokenizer_config.json')) ? await readJson(tokenizerSource, 'tokenizer_config.json') : undefined,
    },
    fileLabel(tokenizerSource, 'tokenizer.json'),
  );
  const fileName = fileLabel(source, 'model.safetensors');
  // Read piece by piece where the source can: the sessions then take the weights part by part.
  const readCheckpoint = async (onProgress?: ProgressCallback) => {
    const file = await source.open?.('model.safetensors', onProgress);
    const tensors = file ? openSafetensors(file, fileName) : readSafetensors(await source.read('model.safetensors', onProgress), fileName);
    return parsed.checkpoint(tensors, fileName);
  };
  const checkpoint = await readCheckpoint(options.onProgress);
  // A hub folder is named by its repo (pythia-70m-deduped), not by the revision that ends its URL.
  const hubId = hubModelIdOfUrl(`${source.name}/`);
  const name = (hubId ?? source.name).split('/').filter(Boolean).pop() ?? source.name;
  return {
    name,
    baseModel: hubId ?? name,
    checkpoint,
    tokenizer,
    rereadUnembedding: async () => (await readCheckpoint()).unembedding(),
    rereadCheckpoint: () => readCheckpoint(),
  };
}
