/** What the end-to-end tests expect of the embedded model, read from its own files rather than typed in. */
import { readFileSync } from 'node:fs';
import { Tokenizer } from '../../src/lens/tokenizer.ts';

export const DEFAULT_MODEL_DIR = 'public/models/pd-gpt2-6l';

const config = JSON.parse(readFileSync(`${DEFAULT_MODEL_DIR}/config.json`, 'utf8')) as { n_layer: number; n_positions: number; n_embd: number };

/** The default model's transformer layers: a tuned lens has a translator, and training a loss curve, for each. */
export const DEFAULT_MODEL_LAYERS = config.n_layer;

/** The longest prompt the default model reads, in tokens, and its hidden width. */
export const DEFAULT_MODEL_CONTEXT = config.n_positions;
export const DEFAULT_MODEL_WIDTH = config.n_embd;

/** Rows a heatmap of the default model shows: each layer and the output. */
export const DEFAULT_MODEL_ROWS = DEFAULT_MODEL_LAYERS + 1;

let tokenizer: Promise<Tokenizer> | undefined;

/** How many tokens the default model reads `text` as. */
export async function tokenCount(text: string): Promise<number> {
  tokenizer ??= Tokenizer.fromJson({
    tokenizerJson: JSON.parse(readFileSync(`${DEFAULT_MODEL_DIR}/tokenizer.json`, 'utf8')),
    tokenizerConfig: JSON.parse(readFileSync(`${DEFAULT_MODEL_DIR}/tokenizer_config.json`, 'utf8')),
  });
  return (await tokenizer).encode(text).length;
}
