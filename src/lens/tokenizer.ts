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
  private constructor(
    private readonly inner: HfTokenizer,
    /** tokenizer.json as read, for what the HF class does not expose (each token's bytes). */
    readonly json: unknown,
    /** tokenizer_config.json's `eos_token`, when it names one. */
    private readonly eosToken: string | undefined,
  ) {}

  static async fromJson({ tokenizerJson, tokenizerConfig }: TokenizerFiles, fileName = 'tokenizer.json'): Promise<Tokenizer> {
    if (typeof tokenizerJson !== 'object' || tokenizerJson === null || !('model' in tokenizerJson)) {
      throw new LensFormatError(`${fileName}: not a Hugging Face tokenizer.json (it has no "model" section)`);
    }
    const config = (tokenizerConfig ?? {}) as Record<string, unknown>;
    const transformers = (await import('@huggingface/transformers')) as unknown as Record<string, new (json: unknown, config: unknown) => HfTokenizer>;
    const className = typeof config.tokenizer_class === 'string' ? config.tokenizer_class.replace(/Fast$/, '') : '';
    const Class = transformers[className] ?? transformers.PreTrainedTokenizer;
    try {
      return new Tokenizer(new Class(tokenizerJson, config), tokenizerJson, eosTokenOf(config.eos_token));
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

  /**
   * The id joined before every training document: tokenizer_config.json's `eos_token` when it is one
   * token (GPT-2's and Pythia's `<|endoftext|>`), else the vocabulary's last id, where GPT-2 places it.
   */
  endOfTextId(vocabSize: number): number {
    const ids = this.eosToken === undefined ? [] : this.encode(this.eosToken);
    return ids.length === 1 ? ids[0] : vocabSize - 1;
  }

  /** The text of each token on its own (byte-level pieces may be partial UTF-8 and show as U+FFFD). */
  tokenTexts(ids: number[]): string[] {
    return ids.map((id) => this.decode([id]));
  }
}

/** `eos_token` is a string, or an AddedToken object `{ content, … }` in older configs. */
function eosTokenOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string')
    return (value as { content: string }).content;
  return undefined;
}
