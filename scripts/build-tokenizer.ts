/**
 * Writes GPT-2's tokenizer files (src/node/gpt2-tokenizer.ts) to public/tokenizers/gpt2/, where the
 * site's hub models find them. Runs before dev, build and test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gpt2TokenizerFiles } from '../src/node/gpt2-tokenizer.ts';

const outDir = join(process.cwd(), 'public', 'tokenizers', 'gpt2');
mkdirSync(outDir, { recursive: true });
const files = gpt2TokenizerFiles();
for (const [file, text] of Object.entries(files)) writeFileSync(join(outDir, file), text);
const { model } = JSON.parse(files['tokenizer.json']) as { model: { vocab: object; merges: unknown[] } };
console.log(`build-tokenizer: wrote ${Object.keys(model.vocab).length} tokens and ${model.merges.length} merges to ${outDir}`);
