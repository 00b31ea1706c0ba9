/**
 * Checks that the default model's tokenizer.json encodes identically in our TypeScript loader
 * (src/lens/tokenizer.ts -> @huggingface/transformers) and in the Python encoder that made the
 * training data (tools/default-model/bpe.py): a list of tricky sentences plus every held-out document.
 *
 *   cd /work/main && npx tsx tools/default-model/check_tokenizer.ts [tokenizer dir] [heldout.txt]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tokenizer } from '../../src/lens/tokenizer.ts';

const here = dirname(fileURLToPath(import.meta.url));
const dir = process.argv[2] ?? join(here, 'tokenizer');
const heldout = process.argv[3] ?? '/tmp/default-model/heldout.txt';
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

const sentences = [
  'And God said, Let there be',
  'And God said, Let there be light: and there was light.',
  'To be, or not to',
  'In the beginning',
  'First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.',
  "It's, we'll, you're, they've, I'm, he'd, don't -- 'tis THE END'S",
  '  leading spaces,   inner runs\tof\ttabs\n\n\nand newlines  ',
  'Numbers 1234567 3.14159 1,000,000 and 2nd 3rd 10th',
  'Unicode: café naïve Ø £5 — “quotes” 日本語 🙂 emoji',
  '82U*N#c4t^koK%a5*S3qrfBi 82U*N#c4t^koK%a5*S3qrfBi',
  ' ',
  '',
  '\n',
  "Hello world!  It's   a\n\n test",
];
const docs = existsSync(heldout) ? readFileSync(heldout, 'utf8').split('\n<|endoftext|>\n') : [];
const texts = [...sentences, ...docs];

const tokenizer = await Tokenizer.fromJson({
  tokenizerJson: JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')),
  tokenizerConfig: JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')),
});
const expected: number[][] = JSON.parse(
  execFileSync(python, [join(here, 'bpe.py'), join(dir, 'tokenizer.json')], {
    input: JSON.stringify(texts),
    maxBuffer: 1 << 28,
  }).toString(),
);

let failures = 0;
let tokens = 0;
texts.forEach((text, i) => {
  const ids = tokenizer.encode(text);
  tokens += ids.length;
  const same = ids.length === expected[i].length && ids.every((id, k) => id === expected[i][k]);
  const roundTrip = ids.length === 0 ? text === '' : tokenizer.decode(ids) === text;
  if (!same || !roundTrip) {
    failures++;
    if (failures <= 5) {
      console.error(`MISMATCH #${i} ${JSON.stringify(text.slice(0, 80))} same=${same} roundTrip=${roundTrip}`);
      console.error(`  ts: ${ids.slice(0, 40).join(' ')}`);
      console.error(`  py: ${expected[i].slice(0, 40).join(' ')}`);
    }
  }
});
const probe = tokenizer.encode('And God said, Let there be');
console.log(`"And God said, Let there be" -> [${probe.join(', ')}] = ${JSON.stringify(tokenizer.tokenTexts(probe))}`);
console.log(`" light" -> [${tokenizer.encode(' light').join(', ')}]; "<|endoftext|>" -> [${tokenizer.encode('<|endoftext|>').join(', ')}]`);
console.log(
  `${texts.length} texts (${sentences.length} sentences + ${docs.length} held-out documents), ${tokens} tokens: ${failures === 0 ? 'all identical to the Python encoder, all round-trip' : `${failures} MISMATCHES`}`,
);
process.exit(failures === 0 ? 0 : 1);
