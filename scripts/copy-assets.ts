/**
 * Copies into public/ what the site serves but git does not keep: ONNX Runtime's WASM (our one pinned
 * copy, so the engine never reaches a CDN) and, until the embedded default model lands, the tiny
 * fixture model with its lens.
 */
import { cpSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const ortDist = join(dirname(require.resolve('onnxruntime-web/package.json')), 'dist');
const publicDir = join(process.cwd(), 'public');

mkdirSync(join(publicDir, 'ort'), { recursive: true });
const ortFiles = readdirSync(ortDist).filter((f) => /^ort-wasm-simd-threaded\.(jsep|asyncify)\.(mjs|wasm)$/.test(f));
for (const file of ortFiles) cpSync(join(ortDist, file), join(publicDir, 'ort', file));

const tiny = join(publicDir, 'models', 'tiny-gpt2');
mkdirSync(join(tiny, 'lens'), { recursive: true });
for (const file of ['config.json', 'model.safetensors']) cpSync(join('tests/fixtures/tiny-gpt2', file), join(tiny, file));
for (const file of ['config.json', 'params.pt']) cpSync(join('tests/fixtures/lenses/current', file), join(tiny, 'lens', file));
console.log(`copy-assets: ${ortFiles.length} ONNX Runtime files and the tiny model into ${publicDir}`);
