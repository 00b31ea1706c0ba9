/**
 * Copies into public/ what the site serves but git does not keep: until the embedded default model
 * lands, the tiny fixture model with its lens.
 */
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const tiny = join(process.cwd(), 'public', 'models', 'tiny-gpt2');
mkdirSync(join(tiny, 'lens'), { recursive: true });
for (const file of ['config.json', 'model.safetensors']) cpSync(join('tests/fixtures/tiny-gpt2', file), join(tiny, file));
for (const file of ['config.json', 'params.pt']) cpSync(join('tests/fixtures/lenses/current', file), join(tiny, 'lens', file));
console.log(`copy-assets: the tiny model into ${tiny}`);
