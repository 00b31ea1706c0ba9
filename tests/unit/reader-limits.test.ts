/**
 * What no checkpoint or lens may carry past load: NaN, ±Infinity or weights beyond ±65,504; and the
 * stated limits (header, tensors, pickle depth, dropped file, views that repeat their storage), each
 * refused with its message before it can cost memory.
 */
import { describe, expect, it } from 'vitest';
import { LensFormatError } from '../../src/lens/errors.ts';
import { checkFiniteWeights } from '../../src/lens/formats/finite-weights.ts';
import { MAX_DROPPED_FILE_BYTES, MAX_HEADER_BYTES, MAX_PICKLE_DEPTH, MAX_TENSORS } from '../../src/lens/formats/limits.ts';
import { readSafetensors, writeSafetensors } from '../../src/lens/formats/safetensors.ts';
import { readTorchStateDict } from '../../src/lens/formats/torch-pickle.ts';
import { writeZip } from '../../src/lens/formats/zip.ts';
import { FilesSource } from '../../src/lens/io/files-source.ts';
import { parseLensConfig } from '../../src/lens/lens/lens-config.ts';
import { TunedLens } from '../../src/lens/lens/tuned-lens.ts';
import { GPT2Checkpoint } from '../../src/lens/model/gpt2-checkpoint.ts';
import { parseGPT2Config } from '../../src/lens/model/gpt2-config.ts';
import { folderSource, readFixture, readFixtureJson } from '../helpers/fixtures.ts';

const noNotice = () => undefined;

async function refusal(load: () => unknown): Promise<string> {
  try {
    await load();
  } catch (e) {
    expect(e).toBeInstanceOf(LensFormatError);
    return (e as Error).message;
  }
  throw new Error('it loaded, but it should have been refused');
}

/** The tiny GPT-2's tensors with `value` written at `index` of `name`. */
function tinyGpt2With(name: string, index: number, value: number) {
  const tensors = readSafetensors(readFixture('tiny-gpt2/model.safetensors'), 'model.safetensors');
  tensors.get(name)!.data[index] = value;
  return tensors;
}

describe('non-finite and huge weights', () => {
  it('refuses a lens that torch.save wrote with a NaN, naming the tensor and the first bad index', async () => {
    const message = await refusal(() => TunedLens.load(folderSource('lenses/nonfinite'), { onNotice: noNotice }));
    expect(message).toBe(
      "tests/fixtures/lenses/nonfinite/params.pt: tensor '1.weight' holds NaN at [2, 5] (element 69) — weights must be finite; the file is corrupted or was saved from a diverged run",
    );
  });

  it('refuses a safetensors lens with -Infinity in a bias, and one with a weight of 1e30', async () => {
    const config = readFixtureJson('lenses/current-safetensors/config.json');
    const lensWith = async (key: string, index: number, value: number) => {
      const tensors = readSafetensors(readFixture('lenses/current-safetensors/params.safetensors'), 'params.safetensors');
      tensors.get(key)!.data[index] = value;
      const files = new Map([
        ['config.json', new Blob([JSON.stringify(config)])],
        ['params.safetensors', new Blob([writeSafetensors(tensors) as Uint8Array<ArrayBuffer>])],
      ]);
      return refusal(() => TunedLens.load(new FilesSource('dropped files', files), { onNotice: noNotice }));
    };
    expect(await lensWith('2.bias', 7, -Infinity)).toMatch(/^params\.safetensors: tensor '2\.bias' holds -Infinity at \[7\] \(element 7\)/);
    expect(await lensWith('0.weight', 33, 1e30)).toMatch(
      /^params\.safetensors: tensor '0\.weight' holds 1\.000e\+30 at \[1, 1\] \(element 33\) — weights beyond ±65504 would overflow float32 arithmetic/,
    );
  });

  it('refuses a GPT-2 checkpoint with Infinity in one weight, naming it; the same file without it loads', () => {
    const config = parseGPT2Config(readFixtureJson('tiny-gpt2/config.json'));
    expect(() => GPT2Checkpoint.fromTensors(config, tinyGpt2With('h.2.mlp.c_fc.weight', 130, Infinity), 'model.safetensors')).toThrow(
      "model.safetensors: tensor 'h.2.mlp.c_fc.weight' holds Infinity at [1, 2] (element 130)",
    );
    expect(GPT2Checkpoint.fromTensors(config, tinyGpt2With('h.2.mlp.c_fc.weight', 130, 65_504), 'model.safetensors').names()).toHaveLength(12 * 3 + 4);
  });

  it('lets every real weight we ship through: the embedded model and its lens', async () => {
    const model = readFixture('../../public/models/pd-gpt2-6l/model.safetensors');
    const config = parseGPT2Config(readFixtureJson('../../public/models/pd-gpt2-6l/config.json'));
    expect(() => GPT2Checkpoint.fromTensors(config, readSafetensors(model, 'model.safetensors'), 'model.safetensors')).not.toThrow();
    await expect(TunedLens.load(folderSource('../../public/models/pd-gpt2-6l/lens'), { onNotice: noNotice })).resolves.toBeInstanceOf(TunedLens);
  });

  it('names a bad element of a 3-d tensor by its index in each dimension', () => {
    const data = new Float32Array(2 * 3 * 4);
    data[1 * 12 + 2 * 4 + 3] = NaN;
    expect(() => checkFiniteWeights({ shape: [2, 3, 4], data }, 'w', 'f')).toThrow("f: tensor 'w' holds NaN at [1, 2, 3] (element 23)");
  });
});

describe('stated limits', () => {
  it('refuses a safetensors header over 100 MB by its declared size, before reading it', async () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(MAX_HEADER_BYTES + 1), true);
    expect(await refusal(() => readSafetensors(bytes, 'model.safetensors'))).toBe(
      `model.safetensors: the header says it is ${MAX_HEADER_BYTES + 1} bytes, more than the 100000000 a safetensors header may be — the file is corrupted or not safetensors`,
    );
  });

  it(`refuses a safetensors file listing more than ${MAX_TENSORS} tensors`, async () => {
    const header: Record<string, unknown> = {};
    for (let i = 0; i <= MAX_TENSORS; i++) header[`t${i}`] = { dtype: 'F32', shape: [0], data_offsets: [0, 0] };
    const json = new TextEncoder().encode(JSON.stringify(header));
    const bytes = new Uint8Array(8 + json.byteLength);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.byteLength), true);
    bytes.set(json, 8);
    expect(await refusal(() => readSafetensors(bytes, 'model.safetensors'))).toMatch(/lists 65537 tensors, more than the 65536 a file may hold/);
  });

  it('refuses safetensors offsets that overlap, leave a gap, or shapes that are negative', async () => {
    const file = (header: object, dataBytes: number) => {
      const json = new TextEncoder().encode(JSON.stringify(header));
      const bytes = new Uint8Array(8 + json.byteLength + dataBytes);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(json.byteLength), true);
      bytes.set(json, 8);
      return bytes;
    };
    const a = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
    expect(await refusal(() => readSafetensors(file({ a, b: a }, 8), 'x'))).toMatch(/tensor '[ab]' starts at byte 0 of the data section, where 8 was expected/);
    expect(await refusal(() => readSafetensors(file({ a }, 12), 'x'))).toMatch(/the tensors need 8 bytes of data but the data section has 12/);
    expect(await refusal(() => readSafetensors(file({ a: { dtype: 'F32', shape: [-1, -2], data_offsets: [0, 8] } }, 8), 'x'))).toMatch(
      /tensor 'a' has a malformed header entry/,
    );
  });

  it(`refuses a pickle nested more than ${MAX_PICKLE_DEPTH} deep, and one that opens too many MARKs`, async () => {
    const zipped = (ops: number[]) => writeZip([['archive/data.pkl', Uint8Array.from([0x80, 2, ...ops, 0x2e])]]);
    expect(await refusal(() => readTorchStateDict(zipped([0x4e, ...new Array(MAX_PICKLE_DEPTH + 1).fill(0x85)]), 'params.pt'))).toMatch(
      /^params\.pt: data\.pkl nests values more than 32 deep/,
    );
    expect(await refusal(() => readTorchStateDict(zipped([...new Array(MAX_PICKLE_DEPTH + 1).fill(0x28)]), 'params.pt'))).toMatch(
      /^params\.pt: data\.pkl opens more than 32 MARKs at once/,
    );
    // A list that holds itself: refused as it deepens, never walked forever.
    expect(await refusal(() => readTorchStateDict(zipped([0x5d, ...new Array(40).fill([0x32, 0x61]).flat()]), 'params.pt'))).toMatch(
      /nests values more than 32 deep/,
    );
  });

  it('refuses a tensor whose zero strides would repeat a 4-byte storage a billion times', async () => {
    const text = (s: string) => [...new TextEncoder().encode(s)];
    const int = (n: number) => [0x4a, ...new Uint8Array(Int32Array.of(n).buffer)];
    // {'w': _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 1), 0, (32768, 32768), (0, 0))}
    const pickle = [
      0x7d,
      0x8c,
      1,
      ...text('w'),
      ...text('ctorch._utils\n_rebuild_tensor_v2\n'),
      0x28,
      0x28,
      0x8c,
      7,
      ...text('storage'),
      ...text('ctorch\nFloatStorage\n'),
      0x8c,
      1,
      ...text('0'),
      0x8c,
      3,
      ...text('cpu'),
      0x4b,
      1,
      0x74,
      0x51,
      0x4b,
      0,
      ...int(32768),
      ...int(32768),
      0x86,
      0x4b,
      0,
      0x4b,
      0,
      0x86,
      0x74,
      0x52,
      0x73,
    ];
    const file = writeZip([
      ['archive/data.pkl', Uint8Array.from([0x80, 2, ...pickle, 0x2e])],
      ['archive/data/0', new Uint8Array(4)],
    ]);
    expect(await refusal(() => readTorchStateDict(file, 'params.pt'))).toMatch(
      /^params\.pt: tensor 'w' \[32768, 32768\] would bring the tensors past 4× the file's size as float32 \(its strides repeat its storage\)/,
    );
  });

  it('refuses a dropped file over 1 GiB by its size, without reading it', async () => {
    const huge = { size: MAX_DROPPED_FILE_BYTES + 1, arrayBuffer: () => Promise.reject(new Error('read')) } as unknown as Blob;
    const source = new FilesSource('dropped files', new Map([['params.pt', huge]]));
    expect(await refusal(() => source.read('params.pt'))).toBe(
      `params.pt: ${MAX_DROPPED_FILE_BYTES + 1} bytes is more than the 1073741824 bytes (1 GiB) a file picked here may be — a lens for a model this page can run is smaller; is it the right file?`,
    );
  });

  it('allocates nothing for a lens config that claims d_model 1,000,000 before the weights show it', async () => {
    const config = { ...readFixtureJson<Record<string, unknown>>('lenses/current/config.json'), d_model: 1_000_000 };
    const files = new Map([
      ['config.json', new Blob([JSON.stringify(config)])],
      ['params.pt', new Blob([readFixture('lenses/current/params.pt') as Uint8Array<ArrayBuffer>])],
    ]);
    // 3 × 10¹² floats would be 12 TB; the shapes of the file's translators refuse it first.
    await expect(TunedLens.load(new FilesSource('dropped files', files), { onNotice: noNotice })).rejects.toThrow(
      "params.pt: translator 0 ('0.weight') has shape [32, 32] but config.json says [1000000, 1000000]",
    );
    const legacyWithoutTranslators = { d_model: 1_000_000, num_layers: 1, include_input: false };
    const lens = parseLensConfig(legacyWithoutTranslators, 'config.json', noNotice);
    expect(() => TunedLens.fromStateDict(lens, new Map(), 'params.pt', noNotice)).toThrow('params.pt: config.json leaves no translator to read');
  });

  it('refuses configs that claim more layers than a file may hold tensors', () => {
    const model = { ...readFixtureJson<Record<string, unknown>>('tiny-gpt2/config.json'), n_layer: 1e9 };
    expect(() => parseGPT2Config(model, 'config.json')).toThrow(
      'config.json: n_layer 1000000000 needs 12000000000 tensors, more than the 65536 a checkpoint may hold',
    );
    const lens = { ...readFixtureJson<Record<string, unknown>>('lenses/current/config.json'), num_hidden_layers: 1e9 };
    expect(() => parseLensConfig(lens, 'config.json', noNotice)).toThrow("config.json: 'num_hidden_layers' is 1000000000, more than the 65536 tensors");
  });
});
