/**
 * The tokenizer, from a local or downloaded `tokenizer.json` through @huggingface/transformers.
 * We construct the class that AutoTokenizer would pick (by `tokenizer_class`) ourselves, from JSON read
 * through our own `Source`, so loading shares our progress reporting and cache and never reaches the hub.
 */
import { LensFormatError } from './errors.ts';

export interface TokenizerFiles {
  tokenizerJson: unknown;
  tokenizerConfig?: unknown;
}

interface HfTokenizer {
  encode(text: string, options?: { add_special_tokens?: boolean }): number[];
  decode(ids: number[], options?: { skip_special_tokens?: boolean; clean_up_tokenization_spaces?: boolean }): string;
}

export class Tokenizer {
  private constructor(private readonly inner: HfTokenizer) {}

  static async fromJson({ tokenizerJson, tokenizerConfig }: TokenizerFiles, fileName = 'tokenizer.json'): Promise<Tokenizer> {
    if (typeof tokenizerJson !== 'object' || tokenizerJson === null || !('model' in tokenizerJson)) {
      throw new LensFormatError(`${fileName}: not a Hugging Face tokenizer.json (it has no "model" section)`);
    }
    const config = (tokenizerConfig ?? {}) as Record<string, unknown>;
    const transformers = (await import('@huggingface/transformers')) as unknown as Record<
      string,
      new (json: unknown, config: unknown) => HfTokenizer
    >;
    const className = typeof config.tokenizer_class === 'string' ? config.tokenizer_class.replace(/Fast$/, '') : '';
    const Class = transformers[className] ?? transformers.PreTrainedTokenizer;
    try {
      return new Tokenizer(new Class(tokenizerJson, config));
    } catch (e) {
      throw new LensFormatError(`${fileName}: could not build a tokenizer from it (${(e as Error).message})`);
    }
  }

  encode(text: string): number[] {
    return this.inner.encode(text, { add_special_tokens: false });
  }

  decode(ids: number[]): string {
    return this.inner.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  /** The text of each token on its own (byte-level pieces may be partial UTF-8 and show as U+FFFD). */
  tokenTexts(ids: number[]): string[] {
    return ids.map((id) => this.decode([id]));
  }
}
