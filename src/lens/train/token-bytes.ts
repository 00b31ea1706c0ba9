/**
 * How many bytes of text each token stands for, for bits per byte.
 *
 * In a byte-level BPE tokenizer (GPT-2's: `decoder.type` "ByteLevel") every character of a vocabulary
 * entry stands for exactly one byte (the 256 bytes are mapped to 256 printable characters), so a
 * token's byte count is its entry's length in code points — exact even for tokens that hold part
 * of a multi-byte character, which decoding one token at a time would turn into U+FFFD. Added
 * tokens (`<|endoftext|>`) count the UTF-8 bytes of their text, as tuned-lens does when it measures
 * the joined text (documents joined with the EOS string) in bytes.
 *
 * For any other tokenizer, `decode` gives the UTF-8 length of each token decoded alone
 * (approximate where a token splits a character).
 */
import { LensFormatError } from '../errors.ts';

export function tokenByteLengths(tokenizerJson: unknown, vocabSize: number, decode?: (ids: number[]) => string): Uint32Array {
  const json = tokenizerJson as {
    model?: { vocab?: Record<string, number> };
    decoder?: { type?: string };
    added_tokens?: { id: number; content: string }[];
  };
  const lengths = new Uint32Array(vocabSize);
  const utf8 = new TextEncoder();
  const byteLevel = json.decoder?.type === 'ByteLevel' && typeof json.model?.vocab === 'object';
  if (byteLevel) {
    for (const [token, id] of Object.entries(json.model!.vocab!)) {
      if (id >= 0 && id < vocabSize) lengths[id] = [...token].length;
    }
  } else if (decode) {
    for (let id = 0; id < vocabSize; id++) lengths[id] = utf8.encode(decode([id])).length;
  } else {
    throw new LensFormatError('tokenizer.json: not a byte-level BPE tokenizer, and no decoder was given to count bytes per token');
  }
  for (const added of json.added_tokens ?? []) {
    if (added.id >= 0 && added.id < vocabSize) lengths[added.id] = utf8.encode(added.content).length;
  }
  return lengths;
}

/**
 * Bits per byte, the one definition this site uses everywhere (the live curves, `lens eval`, the
 * chapters): the cross-entropy summed over the tokens that were predicted, in nats, over ln 2 and
 * over the UTF-8 bytes of exactly those tokens. The first token of a text (or of an evaluation
 * chunk) is context only: it is neither predicted nor counted. tuned-lens computes the same ratio
 * over a whole corpus as mean cross-entropy × (tokens / bytes) / ln 2; on long text the two agree
 * to within one token per chunk.
 */
export function bitsPerByte(crossEntropyNats: number, predictedBytes: number): number {
  return predictedBytes > 0 ? crossEntropyNats / Math.LN2 / predictedBytes : NaN;
}
