/**
 * Every reader of files a reader can drop on a figure or a URL can serve, fed mutated real files and
 * generated ones: each input loads (and then reads what a correct reader would) or is refused with
 * our typed error naming the file. Seeded (FUZZ_SEED, default 16) so `npm test` tries the same inputs
 * every time; FUZZ_RUNS=<n> multiplies the counts for a long run. FUZZ_README=1 writes the tally into
 * README.md's reliability section.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../../src/lens/formats/safetensors.ts';
import { MAX_WEIGHT_MAGNITUDE } from '../../src/lens/formats/limits.ts';
import { readTorchStateDict, unpickle } from '../../src/lens/formats/torch-pickle.ts';
import { writeTorchStateDict } from '../../src/lens/formats/torch-save.ts';
import { readZip, writeZip } from '../../src/lens/formats/zip.ts';
import { FilesSource } from '../../src/lens/io/files-source.ts';
import { readJson } from '../../src/lens/io/source.ts';
import { parseLensConfig } from '../../src/lens/lens/lens-config.ts';
import { TunedLens } from '../../src/lens/lens/tuned-lens.ts';
import { GPT2Checkpoint, expectedGPT2Tensors } from '../../src/lens/model/gpt2-checkpoint.ts';
import { parseModelConfig } from '../../src/lens/model/architectures.ts';
import { parseGPT2Config } from '../../src/lens/model/gpt2-config.ts';
import { numel, type Tensor32 } from '../../src/lens/tensor.ts';
import { Tokenizer } from '../../src/lens/tokenizer.ts';
import { readFixture, readFixtureJson } from '../helpers/fixtures.ts';
import { concat, deepJsonText, editedJson, mutated, params, RUN_FACTOR, summary, tallies, tryReader } from '../helpers/fuzz.ts';

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const noNotice = () => undefined;
/** A dropped file, as the page hands it to the engine. */
const blob = (bytes: Uint8Array) => new Blob([bytes as Uint8Array<ArrayBuffer>]);

/** Whether every weight of `data` is one the loaders let through. */
function allFiniteAndBounded(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) if (!(Math.abs(data[i]) <= MAX_WEIGHT_MAGNITUDE)) return false;
  return true;
}

/** A loaded state dict is well formed: integer shapes, data that fills them, and no more than `maxBytes` in all. */
function expectWellFormed(tensors: Map<string, Tensor32>, maxBytes: number): void {
  let total = 0;
  for (const [name, t] of tensors) {
    if (!t.shape.every((n) => Number.isSafeInteger(n) && n >= 0)) throw new Error(`oracle: '${name}' has shape [${t.shape}]`);
    if (t.data.length !== numel(t.shape)) throw new Error(`oracle: '${name}' has ${t.data.length} values for shape [${t.shape}]`);
    total += t.data.byteLength;
  }
  if (total > maxBytes) throw new Error(`oracle: the tensors take ${total} bytes, more than ${maxBytes}`);
}

/** Same names, shapes and bit-for-bit values (NaN equal to NaN). */
function sameTensors(a: Map<string, Tensor32>, b: Map<string, Tensor32>): boolean {
  if (a.size !== b.size) return false;
  for (const [name, t] of a) {
    const u = b.get(name);
    if (!u || u.shape.join() !== t.shape.join() || u.data.length !== t.data.length) return false;
    for (let i = 0; i < t.data.length; i++) if (!Object.is(t.data[i], u.data[i]) && !(t.data[i] === u.data[i])) return false;
  }
  return true;
}

/** Random float32 tensors, shapes of rank 0–3 with zero-size dimensions allowed. */
const tensors = fc
  .uniqueArray(
    fc.record({
      name: fc.string({ minLength: 1, maxLength: 12 }),
      shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
      seed: fc.integer(),
    }),
    { maxLength: 6, selector: (t) => t.name },
  )
  .map((list) => {
    const out = new Map<string, Tensor32>();
    for (const { name, shape, seed } of list) {
      const data = new Float32Array(numel(shape));
      for (let i = 0; i < data.length; i++) data[i] = Math.fround(Math.sin(seed + i) * 10);
      out.set(name, { shape, data });
    }
    return out;
  });

/** The safetensors header of `bytes` (a valid file), parsed, and its data section. */
function splitSafetensors(bytes: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))), data: bytes.subarray(8 + length) };
}

function joinSafetensors(header: Uint8Array, data: Uint8Array, declared = BigInt(header.byteLength)): Uint8Array {
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, declared, true);
  return concat(prefix, header, data);
}

/** A safetensors file of F16 and BF16 tensors, which our writer (F32 only) cannot make. */
function halfSafetensors(): Uint8Array {
  const header = {
    __metadata__: { format: 'pt' },
    a: { dtype: 'F16', shape: [2, 3], data_offsets: [0, 12] },
    b: { dtype: 'BF16', shape: [4], data_offsets: [12, 20] },
  };
  const data = Uint8Array.from({ length: 20 }, (_, i) => (i * 37) & 0x7b);
  return joinSafetensors(json(header), data);
}

const SAFETENSORS_SEEDS = [
  readFixture('lenses/current-safetensors/params.safetensors'),
  halfSafetensors(),
  writeSafetensors(
    new Map([
      ['x', { shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
      ['', { shape: [], data: Float32Array.of(7) }],
    ]),
  ),
];

/**
 * legacy/params.pt carries a 6 MB copy of the unembedding; the same legacy layout without it, saved
 * to a path (folder "params/") as that file was, keeps each input small enough to try thousands.
 */
function smallLegacyLens(): Uint8Array {
  const tensors = readTorchStateDict(readFixture('lenses/legacy/params.pt'), 'legacy');
  tensors.delete('unembedding.weight');
  return writeTorchStateDict(tensors, 'params');
}

const TORCH_SEEDS = [
  smallLegacyLens(),
  ...[
    'lenses/current/params.pt',
    'lenses/legacy-probe/params.pt',
    'lenses/current-half/params.pt',
    'formats/bfloat16.pt',
    'formats/strided.pt',
    'formats/strided-torch2.pt',
    'formats/half-torch2.pt',
    'formats/linear2-buffer.pt',
  ].map(readFixture),
];

const ZIP_SEEDS = [...TORCH_SEEDS.slice(0, 3), readFixture('formats/zip64.zip'), readFixture('formats/compressed.pt')];

// A long run (FUZZ_RUNS) gets the time it needs: the config's 60 s per test, times the factor.
describe('fuzzing every reader', { timeout: 60_000 * RUN_FACTOR }, () => {
  afterAll(() => {
    const line = summary();
    console.log(line);
    if (process.env.FUZZ_README) writeReadme();
  });

  it('safetensors: mutated real files and edited headers load as the format says or are refused by name', async () => {
    const headerEdits = fc.tuple(fc.constantFrom(...SAFETENSORS_SEEDS), fc.nat()).chain(([seed]) => {
      const { header, data } = splitSafetensors(seed);
      return fc.oneof(
        editedJson(header).map((h) => joinSafetensors(json(h), data)),
        // A declared header length that is off by a little or by 2^62.
        fc.oneof(fc.integer({ min: -16, max: 16 }).map(BigInt), fc.constant(2n ** 62n)).map((delta) => {
          const h = json(header);
          const declared = BigInt(h.byteLength) + delta;
          return joinSafetensors(h, data, declared < 0n ? 0n : declared);
        }),
        // The same tensor twice (JSON keeps the last), and entries in another order.
        fc.nat().map((k) => {
          const entries = Object.entries(header);
          const [name, entry] = entries[k % entries.length];
          const text = JSON.stringify(header).replace(/^\{/, `{${JSON.stringify(name)}:${JSON.stringify(entry)},`);
          return joinSafetensors(new TextEncoder().encode(text), data);
        }),
        fc.shuffledSubarray(Object.entries(header), { minLength: 0 }).map((entries) => joinSafetensors(json(Object.fromEntries(entries)), data)),
        // Names that are not UTF-8.
        fc.nat().map((k) => {
          const h = json(header);
          const quotes = [...h.keys()].filter((i) => h[i] === 0x22);
          const out = h.slice();
          out[quotes[k % quotes.length] + 1] = 0xff;
          return joinSafetensors(out, data);
        }),
      );
    });
    const input = fc.oneof(fc.constantFrom(...SAFETENSORS_SEEDS).chain(mutated), headerEdits);
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        await tryReader('safetensors', ['model.safetensors'], () => expectWellFormed(readSafetensors(bytes, 'model.safetensors'), 2 * bytes.byteLength));
      }),
      params(800),
    );
  });

  it('safetensors: generated files read back exactly, and a bit flipped in the data changes one value', async () => {
    await fc.assert(
      fc.asyncProperty(tensors, fc.nat(), fc.integer({ min: 0, max: 7 }), async (written, at, bit) => {
        const bytes = writeSafetensors(written);
        await tryReader('safetensors', ['x.safetensors'], () => {
          if (!sameTensors(readSafetensors(bytes, 'x.safetensors'), written)) throw new Error('oracle: a generated file did not read back as written');
        });
        const { data } = splitSafetensors(bytes);
        if (data.byteLength === 0) return;
        const flipped = bytes.slice();
        flipped[bytes.byteLength - data.byteLength + (at % data.byteLength)] ^= 1 << bit;
        await tryReader('safetensors', ['x.safetensors'], () => {
          const read = readSafetensors(flipped, 'x.safetensors');
          let differing = 0;
          for (const [name, t] of read) t.data.forEach((v, i) => (differing += Object.is(v, written.get(name)!.data[i]) ? 0 : 1));
          if (differing !== 1) throw new Error(`oracle: one flipped data bit changed ${differing} values`);
        });
      }),
      params(250),
    );
  });

  it('zip: mutated archives, edited central directories, duplicated and non-UTF-8 names load as written or are refused by name', async () => {
    const rebuilt = fc.tuple(fc.constantFrom(...ZIP_SEEDS.slice(0, 3)), fc.nat(), fc.nat(), fc.boolean()).map(([seed, pick, other, nonUtf8]) => {
      const entries = [...readZip(seed, 'seed')];
      const copy = entries[pick % entries.length];
      // A duplicated entry, inserted at another position.
      entries.splice(other % (entries.length + 1), 0, copy);
      const bytes = writeZip(entries);
      if (!nonUtf8) return bytes;
      const out = bytes.slice();
      const view = new DataView(out.buffer);
      // The first byte of some central directory name made 0xFF (not UTF-8).
      const headers = [...out.keys()].filter((i) => i + 46 <= out.byteLength && view.getUint32(i, true) === 0x02014b50);
      out[headers[pick % headers.length] + 46] = 0xff;
      return out;
    });
    const input = fc.oneof(fc.constantFrom(...ZIP_SEEDS).chain(mutated), rebuilt);
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        await tryReader('zip', ['params.pt'], () => {
          for (const [name, data] of readZip(bytes, 'params.pt')) {
            const inside =
              data.buffer === bytes.buffer && data.byteOffset >= bytes.byteOffset && data.byteOffset + data.byteLength <= bytes.byteOffset + bytes.byteLength;
            if (!inside) throw new Error(`oracle: entry '${name}' is not a view into the file`);
          }
        });
      }),
      params(800),
    );
  });

  it("zip: generated archives read back exactly, each entry matching zlib's CRC-32", async () => {
    const entries = fc.uniqueArray(
      fc.tuple(
        fc.string({ minLength: 1, maxLength: 20 }).filter((n) => !n.endsWith('/')),
        fc.uint8Array({ maxLength: 300 }),
      ),
      {
        maxLength: 8,
        selector: ([name]) => name,
      },
    );
    await fc.assert(
      fc.asyncProperty(entries, async (written) => {
        const bytes = writeZip(written);
        await tryReader('zip', ['x.zip'], () => {
          const read = readZip(bytes, 'x.zip');
          if (read.size !== written.length) throw new Error(`oracle: ${read.size} entries read of ${written.length}`);
          for (const [name, data] of written) {
            const got = read.get(name);
            if (!got || zlibCrc32(got) !== zlibCrc32(data) || got.join() !== data.join()) throw new Error(`oracle: entry '${name}' differs`);
          }
        });
      }),
      params(250),
    );
  });

  it('pickle subset: generated opcode streams and mutated state dicts run nothing and end in a value or a refusal', async () => {
    const PKL = (seed: Uint8Array) => [...readZip(seed, 'seed')].find(([name]) => name.endsWith('data.pkl'))![1].slice();
    const pickles = TORCH_SEEDS.map(PKL);
    const text = fc.string({ maxLength: 12 }).map((s) => new TextEncoder().encode(s));
    const u32 = (n: number) => Array.from(new Uint8Array(Uint32Array.of(n).buffer));
    // One opcode with arguments of the right width (or a plausible wrong one), as a writer would emit it.
    const op: fc.Arbitrary<readonly number[]> = fc.oneof(
      fc.constantFrom<number[]>(
        [0x28],
        [0x29],
        [0x2e],
        [0x30],
        [0x31],
        [0x32],
        [0x4e],
        [0x5d],
        [0x61],
        [0x64],
        [0x65],
        [0x6c],
        [0x73],
        [0x74],
        [0x75],
        [0x7d],
        [0x85],
        [0x86],
        [0x87],
        [0x88],
        [0x89],
        [0x93],
        [0x94],
        [0x52],
        [0x62],
        [0x51],
      ),
      fc.integer({ min: 0, max: 255 }).map((b) => [0x4b, b]),
      fc.nat().map((n) => [0x4a, ...u32(n)]),
      fc.integer({ min: 0, max: 255 }).map((b) => [0x68, b]),
      fc.integer({ min: 0, max: 255 }).map((b) => [0x71, b]),
      fc.tuple(fc.integer({ min: 0, max: 12 }), fc.uint8Array({ maxLength: 12 })).map(([n, b]) => [0x8a, n, ...b]),
      text.map((t) => [0x8c, t.byteLength, ...t]),
      fc.tuple(text, fc.constantFrom(0, 1, 2, 0xffffffff)).map(([t, wrong]) => [0x58, ...u32(wrong ? t.byteLength + wrong : t.byteLength), ...t]),
      fc.constantFrom(
        [...new TextEncoder().encode('ccollections\nOrderedDict\n')],
        [...new TextEncoder().encode('ctorch._utils\n_rebuild_tensor_v2\n')],
        [...new TextEncoder().encode('ctorch\nFloatStorage\n')],
        [...new TextEncoder().encode('cos\nsystem\n')],
        [...new TextEncoder().encode('cbuiltins\neval\n')],
      ),
      fc.integer({ min: 0, max: 255 }).map((b) => [b]),
    );
    const generated = fc.array(op, { maxLength: 60 }).map((ops) => Uint8Array.from([0x80, 2, ...ops.flat(), 0x2e]));
    // Deep nesting, lists that hold themselves, and one APPENDS of up to 200,000 items, a few bytes each.
    const nested = fc.tuple(fc.integer({ min: 1, max: 200_000 }), fc.constantFrom(0x85, 0x28, 0x5d, 0x65)).map(([n, kind]) => {
      const bytes = new Uint8Array(n * 2 + 8);
      let at = 0;
      const put = (...b: number[]) => b.forEach((x) => (bytes[at++] = x));
      put(0x80, 2);
      if (kind === 0x85) {
        put(0x4e);
        for (let i = 0; i < n; i++) put(0x85);
      } else if (kind === 0x28) {
        for (let i = 0; i < n; i++) put(0x28);
        put(0x29);
      } else if (kind === 0x5d) {
        put(0x5d);
        for (let i = 0; i < n; i++) put(0x32, 0x61);
      } else {
        put(0x5d, 0x28);
        for (let i = 0; i < n; i++) put(0x4e);
        put(0x65);
      }
      put(0x2e);
      return bytes.slice(0, at);
    });
    const input = fc.oneof(generated, nested, fc.constantFrom(...pickles).chain(mutated));
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        await tryReader('pickle subset', ['data.pkl'], () => unpickle(bytes, 'data.pkl', (pid) => pid));
        // The same pickle as a torch.save file's data.pkl: persistent ids, tensors and messages about the values.
        const file = writeZip([
          ['archive/data.pkl', bytes],
          ['archive/version', new TextEncoder().encode('3\n')],
        ]);
        await tryReader('torch.save', ['params.pt'], () => readTorchStateDict(file, 'params.pt'));
      }),
      params(1000),
    );
  });

  it('torch.save: lens files in every layout, with mutated, dropped, duplicated and resized entries, load as well-formed tensors or are refused by name', async () => {
    const entryEdits = fc.tuple(fc.constantFrom(...TORCH_SEEDS), fc.nat(), fc.nat(), fc.array(fc.nat(), { maxLength: 2 })).chain(([seed, pick, kind]) => {
      const entries = [...readZip(seed, 'seed')];
      const index = pick % entries.length;
      const [name, data] = entries[index];
      const rezip = (replacement: [string, Uint8Array][]) => writeZip([...entries.slice(0, index), ...replacement, ...entries.slice(index + 1)]);
      switch (kind % 5) {
        case 0: // the entry's bytes mutated, with a correct CRC, so the pickle or storage reader sees them
          return mutated(data.slice()).map((bytes) => rezip([[name, bytes]]));
        case 1: // the entry gone
          return fc.constant(rezip([]));
        case 2: // the entry under another folder as well: two data.pkl, or storages of a folder that does not exist
          return fc.constant(
            rezip([
              [name, data],
              [name.replace(/^[^/]+\//, 'other/'), data],
            ]),
          );
        case 3: // a storage shorter or longer than its numel says
          return fc
            .integer({ min: -8, max: 8 })
            .map((delta) => rezip([[name, delta < 0 ? data.slice(0, Math.max(0, data.byteLength + delta)) : concat(data, new Uint8Array(delta))]]));
        default: // big-endian
          return fc.constant(rezip([[name.replace(/[^/]+$/, 'byteorder'), new TextEncoder().encode('big')]]));
      }
    });
    const input = fc.oneof(fc.constantFrom(...TORCH_SEEDS).chain(mutated), entryEdits);
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        await tryReader('torch.save', ['params.pt'], () => expectWellFormed(readTorchStateDict(bytes, 'params.pt'), 4 * bytes.byteLength));
      }),
      params(500),
    );
  });

  it('torch.save: generated state dicts read back exactly', async () => {
    await fc.assert(
      fc.asyncProperty(tensors, async (written) => {
        const bytes = writeTorchStateDict(written);
        await tryReader('torch.save', ['params.pt'], () => {
          if (!sameTensors(readTorchStateDict(bytes, 'params.pt'), written)) throw new Error('oracle: a generated state dict did not read back as written');
        });
      }),
      params(200),
    );
  });

  it("lens folders (config.json + params.pt or params.safetensors) as dropped files: a lens that loads has finite weights of its config's shape", async () => {
    const folders = ['current', 'legacy', 'legacy-probe', 'current-half', 'current-safetensors'].map((name) => {
      const weights = name === 'current-safetensors' ? 'params.safetensors' : 'params.pt';
      const bytes = name === 'legacy' ? TORCH_SEEDS[0] : readFixture(`lenses/${name}/${weights}`);
      return { config: readFixtureJson(`lenses/${name}/config.json`), weights, bytes };
    });
    const input = fc.constantFrom(...folders).chain((f) =>
      fc.oneof(
        editedJson(f.config).map((config) => ({ ...f, configBytes: json(config) })),
        mutated(f.bytes).map((bytes) => ({ ...f, configBytes: json(f.config), bytes })),
        mutated(json(f.config)).map((configBytes) => ({ ...f, configBytes })),
      ),
    );
    await fc.assert(
      fc.asyncProperty(input, async ({ configBytes, weights, bytes }) => {
        const source = new FilesSource(
          'dropped files',
          new Map([
            ['config.json', blob(configBytes)],
            [weights, blob(bytes)],
          ]),
        );
        await tryReader('lens folder', ['config.json', weights], async () => {
          const lens = await TunedLens.load(source, { onNotice: noNotice });
          const { numLayers: L, dModel: d } = lens;
          if (lens.translatorWeight.length !== L * d * d || lens.translatorBias.length !== L * d) throw new Error('oracle: translators of the wrong size');
          if (!allFiniteAndBounded(lens.translatorWeight) || !allFiniteAndBounded(lens.translatorBias))
            throw new Error('oracle: a non-finite or huge weight loaded');
        });
      }),
      params(400),
    );
  });

  it('config.json of models and lenses: what loads says what the file says', async () => {
    const models = [
      readFixtureJson('tiny-gpt2/config.json'),
      JSON.parse(readFileSync('public/models/pd-gpt2-6l/config.json', 'utf8')),
      readFixtureJson('tiny-neox/config.json'),
    ];
    const lenses = ['current', 'legacy'].map((name) => readFixtureJson(`lenses/${name}/config.json`));
    const docs = fc.oneof(
      fc
        .constantFrom(...models)
        .chain(editedJson)
        .map((doc) => ({ kind: 'model' as const, bytes: json(doc) })),
      fc
        .constantFrom(...models)
        .chain((doc) => mutated(json(doc)))
        .map((bytes) => ({ kind: 'model' as const, bytes })),
      fc
        .constantFrom(...lenses)
        .chain(editedJson)
        .map((doc) => ({ kind: 'lens' as const, bytes: json(doc) })),
      fc
        .constantFrom(...lenses)
        .chain((doc) => mutated(json(doc)))
        .map((bytes) => ({ kind: 'lens' as const, bytes })),
      fc.tuple(fc.constantFrom('model' as const, 'lens' as const), deepJsonText).map(([kind, bytes]) => ({ kind, bytes })),
    );
    await fc.assert(
      fc.asyncProperty(docs, async ({ kind, bytes }) => {
        const source = new FilesSource('dropped files', new Map([['config.json', blob(bytes)]]));
        await tryReader('config.json', ['config.json'], async () => {
          const doc = (await readJson(source, 'config.json')) as Record<string, unknown>;
          if (kind === 'model') {
            // Through the registry, as every loader reads a model's config.
            const { config: c } = parseModelConfig(doc, 'config.json');
            const expected =
              c.modelType === 'gpt2'
                ? [doc.n_embd, doc.n_layer, doc.n_head, doc.vocab_size, doc.n_positions ?? doc.n_ctx]
                : [doc.hidden_size, doc.num_hidden_layers, doc.num_attention_heads, doc.vocab_size, doc.max_position_embeddings];
            if (c.modelType !== doc.model_type || [c.dModel, c.numLayers, c.numHeads, c.vocabSize, c.nPositions].some((v, i) => v !== expected[i])) {
              throw new Error(`oracle: read ${JSON.stringify(c)} from ${JSON.stringify(doc).slice(0, 200)}`);
            }
            if (c.dModel % c.numHeads !== 0) throw new Error('oracle: the width is not a multiple of the head count');
          } else {
            const c = parseLensConfig(doc, 'config.json', noNotice);
            if (c.dModel !== doc.d_model || c.numLayers !== (doc.num_hidden_layers ?? doc.num_layers))
              throw new Error(`oracle: read ${JSON.stringify(c)} from ${JSON.stringify(doc).slice(0, 200)}`);
          }
        });
      }),
      params(800),
    );
  });

  it("GPT-2 checkpoints (config.json + model.safetensors): one that loads has finite weights of its config's shapes", async () => {
    // A GPT-2 small enough to read hundreds of times, written as the hub's files are.
    const config = { model_type: 'gpt2', n_embd: 8, n_head: 2, n_layer: 2, n_positions: 6, vocab_size: 11 };
    const weights = new Map<string, Tensor32>();
    for (const [name, { shape }] of expectedGPT2Tensors(parseGPT2Config(config))) {
      weights.set(name, { shape, data: Float32Array.from({ length: numel(shape) }, (_, i) => Math.fround(Math.cos(i + name.length) * 0.1)) });
    }
    const file = writeSafetensors(weights);
    const input = fc.oneof(
      mutated(file).map((bytes) => ({ config, bytes })),
      editedJson(config).map((c) => ({ config: c, bytes: file })),
    );
    await fc.assert(
      fc.asyncProperty(input, async ({ config: c, bytes }) => {
        await tryReader('GPT-2 checkpoint', ['config.json', 'model.safetensors'], () => {
          const checkpoint = GPT2Checkpoint.fromTensors(parseGPT2Config(c, 'config.json'), readSafetensors(bytes, 'model.safetensors'), 'model.safetensors');
          for (const name of checkpoint.names())
            if (!allFiniteAndBounded(checkpoint.get(name).data)) throw new Error(`oracle: '${name}' loaded with a non-finite or huge weight`);
        });
      }),
      params(400),
    );
  });

  it('tokenizer.json: edited and mutated tokenizers build one that encodes and decodes, or are refused by name', async () => {
    const tokenizerJson = JSON.parse(readFileSync('public/models/pd-gpt2-6l/tokenizer.json', 'utf8'));
    const tokenizerConfig = JSON.parse(readFileSync('public/models/pd-gpt2-6l/tokenizer_config.json', 'utf8'));
    // Edits aimed at the sections the tokenizer is built from, as well as anywhere.
    const sections = ['model', 'pre_tokenizer', 'decoder', 'added_tokens', 'post_processor', 'normalizer'];
    const aimed = fc
      .tuple(fc.constantFrom(...sections), fc.nat())
      .chain(([section]) => editedJson(tokenizerJson[section] ?? null).map((edited) => ({ ...tokenizerJson, [section]: edited })));
    const input = fc.oneof(
      aimed.map((doc) => json(doc)),
      editedJson(tokenizerJson).map((doc) => json(doc)),
      mutated(json(tokenizerJson)),
      deepJsonText,
    );
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        const source = new FilesSource('dropped files', new Map([['tokenizer.json', blob(bytes)]]));
        await tryReader('tokenizer.json', ['tokenizer.json'], async () => {
          const tokenizer = await Tokenizer.fromJson({ tokenizerJson: await readJson(source, 'tokenizer.json'), tokenizerConfig }, 'tokenizer.json');
          const ids = tokenizer.encode('And God said, Let there be light');
          if (!ids.every((id) => Number.isInteger(id))) throw new Error(`oracle: encode gave ${ids}`);
          if (typeof tokenizer.decode(ids) !== 'string') throw new Error('oracle: decode gave no text');
        });
      }),
      params(50),
    );
  });
});

/** Rewrites the block between the fuzz markers in README.md with this run's tally. */
function writeReadme(): void {
  const sum = (key: 'tried' | 'unhandled') => [...tallies.values()].reduce((n, t) => n + t[key], 0);
  const rows = [...tallies].map(([reader, t]) => `| ${reader} | ${t.tried} | ${t.loaded} | ${t.refused} | ${t.unhandled} |`);
  const block = [
    '<!-- fuzz:begin (FUZZ_README=1 npx vitest run tests/unit/fuzz-readers.test.ts rewrites this part) -->',
    `Inputs tried per reader by \`npm test\` (seed ${process.env.FUZZ_SEED ?? 16}${process.env.FUZZ_RUNS ? `, FUZZ_RUNS ${process.env.FUZZ_RUNS}` : ''}):`,
    '',
    '| reader | inputs tried | loaded | refused with our typed error | unhandled |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `In all ${sum('tried')} inputs, ${sum('unhandled')} unhandled.`,
    '<!-- fuzz:end -->',
  ].join('\n');
  const readme = readFileSync('README.md', 'utf8');
  writeFileSync('README.md', readme.replace(/<!-- fuzz:begin[\s\S]*?<!-- fuzz:end -->/, block));
}
