/**
 * The training data pipeline: text and JSON-lines files → documents joined with EOS → fixed-length
 * chunks → a seeded shuffle with a held-out split; token byte counts for bits per byte; packing
 * positions into graph batches; checkpoints.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileCorpus, folderStore } from '../../src/cli/data.ts';
import { PathSource } from '../../src/node/path-source.ts';
import { writeSafetensors } from '../../src/lens/formats/safetensors.ts';
import { readJson } from '../../src/lens/io/source.ts';
import { Tokenizer } from '../../src/lens/tokenizer.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/lens/train/checkpoint.ts';
import {
  heldOutChunks,
  isHeldOut,
  mulberry32,
  safeCut,
  shuffleBuffer,
  tokenChunks,
  trainingChunks,
  type Corpus,
  type TextPiece,
  type TokenChunk,
} from '../../src/lens/train/data.ts';
import { RowBatcher, tokensPerRun } from '../../src/lens/train/row-batches.ts';
import { tokenByteLengths } from '../../src/lens/train/token-bytes.ts';
import { fixturePath } from '../helpers/fixtures.ts';
import { GPT2_TOKENIZER_DIR } from '../helpers/trajectory.ts';

/** One token per character (its code), so chunks are easy to read. */
const chars = { encode: (text: string) => Array.from(text, (c) => c.codePointAt(0)!) };
const EOS = 0;

function corpusOf(...documents: string[]): Corpus {
  return async function* () {
    for (const text of documents) yield { text, startsDocument: true };
  };
}

async function collect<T>(items: AsyncIterable<T>, limit = Infinity): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) {
    out.push(item);
    if (out.length >= limit) break;
  }
  return out;
}

let gpt2: Tokenizer;
let tokenizerJson: unknown;
beforeAll(async () => {
  const source = new PathSource(GPT2_TOKENIZER_DIR);
  tokenizerJson = await readJson(source, 'tokenizer.json');
  gpt2 = await Tokenizer.fromJson({ tokenizerJson, tokenizerConfig: await readJson(source, 'tokenizer_config.json') });
});

describe('chunking', () => {
  it('puts EOS before every document and cuts exact context-length chunks, dropping the partial tail', async () => {
    const chunks = await collect(tokenChunks(corpusOf('abc', 'defgh', 'ij')(), chars, { context: 4, eosId: EOS }));
    const c = (s: string) => Array.from(s, (ch) => (ch === '|' ? EOS : ch.codePointAt(0)!));
    // |abc |def gh|i j  → the last "j" alone is dropped
    expect(chunks).toEqual([c('|abc'), c('|def'), c('gh|i')]);
  });

  it('continues a document across pieces without another EOS', async () => {
    const pieces: TextPiece[] = [
      { text: 'ab', startsDocument: true },
      { text: 'cd', startsDocument: false },
      { text: 'e', startsDocument: true },
    ];
    const chunks = await collect(
      tokenChunks(
        (async function* () {
          yield* pieces;
        })(),
        chars,
        { context: 3, eosId: EOS },
      ),
    );
    expect(chunks).toEqual([
      [EOS, 97, 98],
      [99, 100, EOS],
    ]);
  });

  it('cuts long text only where GPT-2 tokenizes the parts exactly as the whole', async () => {
    const text = (await import('node:fs')).readFileSync(fixturePath('train/shakespeare-train.txt'), 'utf8').slice(0, 6000);
    const whole = gpt2.encode(text);
    const parts: number[] = [];
    let rest = text;
    while (rest.length > 500) {
      const cut = safeCut(rest, 500);
      expect(cut).toBeGreaterThan(0);
      expect(rest[cut - 1]).toBe('\n');
      parts.push(...gpt2.encode(rest.slice(0, cut)));
      rest = rest.slice(cut);
    }
    parts.push(...gpt2.encode(rest));
    expect(parts).toEqual(whole);
    expect(safeCut('no newline here')).toBe(-1);
    expect(safeCut('a\n\n b')).toBe(-1); // "\n " and "\n\n" are not safe: whitespace runs merge
  });
});

describe('shuffling and the held-out split', () => {
  const corpus = corpusOf(...Array.from({ length: 40 }, (_, i) => String.fromCharCode(65 + (i % 26)).repeat(7)));
  const options = { context: 8, eosId: EOS, seed: 42, heldOutFraction: 0.25, shuffleBuffer: 16 };

  it('holds out a fixed fraction of chunks by index, the same on every pass', async () => {
    const held = await collect(heldOutChunks(corpus, chars, options));
    expect(held.map((c) => c.index)).toEqual(Array.from({ length: 40 }, (_, i) => i).filter((i) => isHeldOut(i, 0.25, 42)));
    expect(held.length).toBeGreaterThan(4);
    expect(held.length).toBeLessThan(18);
    const counted = Array.from({ length: 100_000 }, (_, i) => isHeldOut(i, 0.05, 7)).filter(Boolean).length;
    expect(counted / 100_000).toBeCloseTo(0.05, 2);
    expect(isHeldOut(3, 0, 42)).toBe(false);
  });

  it('shuffles the training chunks with a seed, each epoch anew, never yielding held-out ones', async () => {
    const train = (seed: number) => collect(trainingChunks(corpus, chars, { ...options, seed }), 2 * (40 - 0));
    const a = await train(42);
    const b = await train(42);
    expect(b.map((c) => c.index)).toEqual(a.map((c) => c.index));
    const held = new Set((await collect(heldOutChunks(corpus, chars, options))).map((c) => c.index));
    const perEpoch = 40 - held.size;
    const epoch0 = a.filter((c) => c.epoch === 0);
    const epoch1 = a.filter((c: TokenChunk) => c.epoch === 1);
    expect(epoch0).toHaveLength(perEpoch);
    expect(epoch0.some((c) => held.has(c.index))).toBe(false);
    expect([...epoch0.map((c) => c.index)].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i).filter((i) => !held.has(i)));
    expect(epoch1.slice(0, perEpoch).map((c) => c.index)).not.toEqual(epoch0.map((c) => c.index));
    expect(epoch0.map((c) => c.index)).not.toEqual([...epoch0.map((c) => c.index)].sort((x, y) => x - y));
    const other = await collect(trainingChunks(corpus, chars, { ...options, seed: 43 }), perEpoch);
    expect(other.map((c) => c.index)).not.toEqual(epoch0.map((c) => c.index));
  });

  it('refuses data with no training chunk', async () => {
    await expect(collect(trainingChunks(corpusOf('ab'), chars, { ...options, context: 8 }), 1)).rejects.toThrow(/no 8-token chunk/);
  });

  it('shuffles with a bounded buffer into a permutation', async () => {
    const items = (async function* () {
      for (let i = 0; i < 100; i++) yield i;
    })();
    const out = await collect(shuffleBuffer(items, 10, mulberry32(1)));
    expect([...out].sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(out).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});

describe('bytes per token', () => {
  it('counts exactly the UTF-8 bytes of the text, multi-byte characters split across tokens included', () => {
    const lengths = tokenByteLengths(tokenizerJson, 50257);
    const text = 'Héllo wörld — 日本語のテキスト 😀🎉 naïve café\n\n';
    const ids = gpt2.encode(text);
    expect(ids.reduce((s, id) => s + lengths[id], 0)).toBe(new TextEncoder().encode(text).length);
    expect(lengths[50256]).toBe('<|endoftext|>'.length);
  });
});

describe('reading files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lens-data-'));
  it('reads JSON lines one document per line, and names the line of a bad record', async () => {
    const good = join(dir, 'docs.jsonl');
    writeFileSync(good, '{"text": "first"}\n\n{"text": "second\\nline", "meta": 1}\n{"body": "third"}');
    const pieces = await collect(fileCorpus([good], { textKey: 'text' })(), 2);
    expect(pieces).toEqual([
      { text: 'first', startsDocument: true },
      { text: 'second\nline', startsDocument: true },
    ]);
    await expect(collect(fileCorpus([good])())).rejects.toThrow(/docs.jsonl:4: has no string field "text"/);
    const body = await collect(fileCorpus([join(dir, 'docs.jsonl')], { textKey: 'body' })()).catch((e: Error) => e.message);
    expect(body).toMatch(/docs.jsonl:1: has no string field "body"/);
  });

  it('reads a large text file as one document in pieces cut at safe points', async () => {
    const line = 'To be, or not to be, that is the question: — ünïcödé 😀\n';
    const text = line.repeat(80_000); // ≈ 4.9 MB
    const path = join(dir, 'big.txt');
    writeFileSync(path, text);
    const pieces = await collect(fileCorpus([path])());
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces.map((p) => p.startsDocument)).toEqual([true, ...Array(pieces.length - 1).fill(false)]);
    expect(pieces.map((p) => p.text).join('')).toBe(text);
    for (const p of pieces.slice(0, -1)) expect(p.text.endsWith('\n')).toBe(true);
  });

  it('saves files into a folder atomically and reads them back', async () => {
    const store = folderStore(join(dir, 'out', 'nested'));
    await store.save('a.bin', Uint8Array.of(1, 2, 3));
    expect(Array.from((await store.load('a.bin'))!)).toEqual([1, 2, 3]);
    expect(await store.load('missing.bin')).toBeUndefined();
  });
});

describe('graph batches and checkpoints', () => {
  it('packs positions of several chunks into batches with their next-token targets', () => {
    const L = 2;
    const d = 3;
    const stream = (T: number, base: number) => ({
      shape: [L + 1, T, d],
      data: Float32Array.from({ length: (L + 1) * T * d }, (_, i) => base + i),
    });
    const batcher = new RowBatcher(L, d, 4);
    const first = [...batcher.add(stream(3, 0), [10, 11, 12])];
    expect(first).toHaveLength(0);
    // A yielded batch is valid until the generator resumes: copy it before asking for more.
    const second = [];
    for (const b of batcher.add(stream(3, 1000), [20, 21, 22])) {
      second.push({ ...b, residual: b.residual.slice(), output: b.output.slice(), targets: b.targets.slice(), hasTarget: b.hasTarget.slice() });
    }
    expect(second).toHaveLength(1);
    const [batch] = second;
    expect(batch.tokens).toBe(4);
    // row 0: chunk 1's three positions, then chunk 2's first
    expect(Array.from(batch.residual.subarray(0, 12))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 1000, 1001, 1002]);
    // row 1 starts at stream row 1 (offset T·d = 9)
    expect(Array.from(batch.residual.subarray(12, 15))).toEqual([9, 10, 11]);
    expect(Array.from(batch.output.subarray(0, 3))).toEqual([18, 19, 20]);
    expect(Array.from(batch.targets, Number)).toEqual([11, 12, 0, 21]);
    expect(Array.from(batch.hasTarget)).toEqual([1, 1, 0, 1]);
    const rest = batcher.flush()!;
    expect(rest.tokens).toBe(2);
    expect(Array.from(rest.residual)).toEqual([1003, 1004, 1005, 1006, 1007, 1008, 1012, 1013, 1014, 1015, 1016, 1017]);
    expect(Array.from(rest.targets, Number)).toEqual([22, 0]);
    expect(batcher.flush()).toBeUndefined();
    expect(tokensPerRun(12, 50257, 2 ** 28, 262144)).toBe(445);
    expect(tokensPerRun(3, 50257, 2 ** 28, 1024)).toBe(1024);
  });

  it('round-trips a checkpoint: translators, momentum, step, data position and settings', () => {
    const L = 2;
    const d = 3;
    const f = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => k + i / 7);
    const saved = {
      step: 5,
      chunksConsumed: 40,
      run: { lr: 1, seed: 42 },
      numLayers: L,
      dModel: d,
      weight: f(L * d * d, 1),
      bias: f(L * d, 2),
      momentumWeight: f(L * d * d, 3),
      momentumBias: f(L * d, 4),
    };
    const back = decodeCheckpoint(encodeCheckpoint(saved));
    expect(back).toEqual(saved);
    expect(() => decodeCheckpoint(writeSafetensors(new Map([['x', { shape: [1], data: Float32Array.of(1) }]]), { format: 'pt' }))).toThrow(
      /not a training checkpoint/,
    );
    expect(() => decodeCheckpoint(new Uint8Array(16))).toThrow(/corrupted/);
  });
});
