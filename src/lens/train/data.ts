/**
 * Training data for the tuned lens, streamed: text → tokens → fixed-length chunks → a seeded shuffle,
 * with a deterministic held-out split. Nothing here holds more than a shuffle buffer of chunks, so
 * memory stays bounded whatever the corpus size. No DOM and no Node built-ins: text arrives as an
 * async iterable of pieces (the CLI reads files, a page could read a dropped File).
 *
 * Chunking follows tuned-lens's `chunk_and_tokenize`: every document is preceded by EOS (GPT-2's
 * `<|endoftext|>`, id 50256) and the token stream is cut into chunks of exactly `context` tokens;
 * the last, partial chunk is dropped.
 *
 * Chunk `index` is the chunk's position in the corpus (before shuffling). A chunk is held out when a
 * hash of (seed, index) falls below `heldOutFraction`, so the split is the same on every pass and in
 * every process, and needs no list of indices. Training chunks go through a shuffle buffer seeded by
 * (seed, epoch); when the corpus runs out the next epoch starts, reshuffled.
 */

/** Part of a document's text. Long documents may come in several pieces; `startsDocument` marks the first. */
export interface TextPiece {
  text: string;
  startsDocument: boolean;
}

/** A corpus that can be read more than once (one pass per epoch). */
export type Corpus = () => AsyncIterable<TextPiece>;

export interface TextEncoderLike {
  encode(text: string): number[];
}

export interface ChunkOptions {
  /** Tokens per chunk (≤ the model's n_positions). */
  context: number;
  /** The id inserted before every document (50256 for GPT-2). */
  eosId: number;
}

export interface DataOptions extends ChunkOptions {
  seed: number;
  /** Fraction of chunks held out (0 = none). */
  heldOutFraction: number;
  /** Chunks in the shuffle buffer (the whole corpus when it has fewer). */
  shuffleBuffer: number;
}

export const DATA_DEFAULTS = { seed: 42, heldOutFraction: 0.05, shuffleBuffer: 1024 } as const;

/** A context-length run of token ids and where it came from. */
export interface TokenChunk {
  ids: number[];
  /** Position of the chunk in the corpus, counting held-out chunks too. */
  index: number;
  epoch: number;
}

/** Documents joined with EOS (before each) and cut into `context`-token chunks; the partial tail is dropped. */
export async function* tokenChunks(corpus: AsyncIterable<TextPiece>, tokenizer: TextEncoderLike, { context, eosId }: ChunkOptions): AsyncGenerator<number[]> {
  if (!Number.isInteger(context) || context < 2) throw new RangeError(`context must be an integer ≥ 2, not ${context}`);
  let pending: number[] = [];
  for await (const piece of corpus) {
    if (piece.startsDocument) pending.push(eosId);
    const ids = piece.text.length > 0 ? tokenizer.encode(piece.text) : [];
    for (const id of ids) pending.push(id);
    if (pending.length >= context) {
      let at = 0;
      for (; at + context <= pending.length; at += context) yield pending.slice(at, at + context);
      pending = pending.slice(at);
    }
  }
}

/**
 * Where a long text may be cut so that tokenizing the parts separately gives the same ids as
 * tokenizing the whole: just after a newline that is followed by a non-space character. GPT-2's
 * pre-tokenizer never joins a newline with the next non-space character, so no token crosses such
 * a point. Returns the last such cut at or before `limit`, or −1.
 */
export function safeCut(text: string, limit = text.length): number {
  for (let i = Math.min(limit, text.length - 1); i > 0; i--) {
    if (text.charCodeAt(i - 1) === 10 && !/\s/.test(text[i])) return i;
  }
  return -1;
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit mix of two integers (murmur3's finaliser over a ⊕ rotated b). */
export function hash32(a: number, b: number): number {
  let h = (a ^ Math.imul(b ^ 0x9e3779b9, 0x85ebca6b) ^ ((b << 13) | (b >>> 19))) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Whether chunk `index` belongs to the held-out split. */
export function isHeldOut(index: number, fraction: number, seed: number): boolean {
  if (fraction <= 0) return false;
  if (fraction >= 1) return true;
  return hash32(hash32(seed, 0x5eed), index) / 4294967296 < fraction;
}

/** A seeded shuffle buffer: items come out in a random order that depends only on the input order and `random`. */
export async function* shuffleBuffer<T>(items: AsyncIterable<T>, size: number, random: () => number): AsyncGenerator<T> {
  const buffer: T[] = [];
  for await (const item of items) {
    if (buffer.length < size) {
      buffer.push(item);
      continue;
    }
    const j = Math.floor(random() * size);
    yield buffer[j];
    buffer[j] = item;
  }
  for (let i = buffer.length - 1; i >= 0; i--) {
    const j = Math.floor(random() * (i + 1));
    yield buffer[j];
    buffer[j] = buffer[i];
  }
}

async function* indexed(corpus: Corpus, tokenizer: TextEncoderLike, options: ChunkOptions, epoch: number): AsyncGenerator<TokenChunk> {
  let index = 0;
  for await (const ids of tokenChunks(corpus(), tokenizer, options)) yield { ids, index: index++, epoch };
}

/** The held-out chunks, in corpus order (finite). */
export async function* heldOutChunks(corpus: Corpus, tokenizer: TextEncoderLike, options: DataOptions): AsyncGenerator<TokenChunk> {
  for await (const chunk of indexed(corpus, tokenizer, options, 0)) {
    if (isHeldOut(chunk.index, options.heldOutFraction, options.seed)) yield chunk;
  }
}

/** Every chunk, in corpus order (finite) — for evaluating a separate file. */
export async function* allChunks(corpus: Corpus, tokenizer: TextEncoderLike, options: ChunkOptions): AsyncGenerator<TokenChunk> {
  yield* indexed(corpus, tokenizer, options, 0);
}

/**
 * Training chunks, shuffled, epoch after epoch without end (the caller takes what it needs).
 * Throws when the corpus has no training chunk at all.
 */
export async function* trainingChunks(corpus: Corpus, tokenizer: TextEncoderLike, options: DataOptions): AsyncGenerator<TokenChunk> {
  for (let epoch = 0; ; epoch++) {
    const train = async function* () {
      for await (const chunk of indexed(corpus, tokenizer, options, epoch)) {
        if (!isHeldOut(chunk.index, options.heldOutFraction, options.seed)) yield chunk;
      }
    };
    let count = 0;
    for await (const chunk of shuffleBuffer(train(), options.shuffleBuffer, mulberry32(hash32(options.seed, epoch)))) {
      count++;
      yield chunk;
    }
    if (count === 0) {
      throw new RangeError(
        `the training data has no ${options.context}-token chunk outside the held-out split — give more text, a shorter --context or a smaller --heldout-fraction`,
      );
    }
  }
}
