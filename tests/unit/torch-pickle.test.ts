import { existsSync, readFileSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LensFormatError } from '../../src/lens/errors.ts';
import { readTorchStateDict } from '../../src/lens/formats/torch-pickle.ts';
import { readZip, writeZip } from '../../src/lens/formats/zip.ts';
import type { Tensor32 } from '../../src/lens/tensor.ts';

const FIXTURES = 'tests/fixtures/formats';
/** The file the malicious fixtures would create if anything ran them (see make_format_fixtures.py). */
const MARKER = '/tmp/tuned-lens-malicious-pickle-ran';

interface TorchFixture {
  torch: string;
  folder: string;
  tensors: { name: string; dtype: string; shape: number[]; values: number[] }[];
}

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${FIXTURES}/${name}`));
}

function expected(name: string): TorchFixture {
  return JSON.parse(readFileSync(`${FIXTURES}/${name}`, 'utf8'));
}

/** Same keys in the same order, same shapes, and values within `tolerance` of what PyTorch read. */
function expectMatchesTorch(actual: Map<string, Tensor32>, reference: TorchFixture, tolerance = 0): void {
  expect([...actual.keys()]).toEqual(reference.tensors.map((t) => t.name));
  let worst = 0;
  let where = 'nowhere';
  for (const t of reference.tensors) {
    const got = actual.get(t.name)!;
    expect(got.shape, `shape of '${t.name}'`).toEqual(t.shape);
    expect(got.data.length, `length of '${t.name}'`).toBe(t.values.length);
    for (let i = 0; i < t.values.length; i++) {
      const difference = Math.abs(got.data[i] - t.values[i]);
      if (!(difference <= worst)) {
        worst = difference;
        where = `'${t.name}'[${i}]: ${got.data[i]} vs torch ${t.values[i]}`;
      }
    }
  }
  expect(worst, `worst difference from PyTorch (torch ${reference.torch}) is ${worst} at ${where}`).toBeLessThanOrEqual(tolerance);
}

function loadError(bytes: Uint8Array, fileName = 'params.pt'): LensFormatError {
  try {
    readTorchStateDict(bytes, fileName);
  } catch (error) {
    expect(error).toBeInstanceOf(LensFormatError);
    return error as LensFormatError;
  }
  throw new Error('expected readTorchStateDict to refuse the file');
}

/** A torch.save-shaped zip around a hand-written pickle. */
function zipWithPickle(pickle: number[] | Uint8Array, extra: [string, Uint8Array][] = []): Uint8Array {
  return writeZip([['archive/data.pkl', Uint8Array.from(pickle)], ...extra, ['archive/version', new TextEncoder().encode('3\n')]]);
}

const ascii = (text: string) => [...new TextEncoder().encode(text)];
const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];

describe('readTorchStateDict', () => {
  it('reads a ModuleList state dict saved to a path, whose zip folder is the file stem', () => {
    expect([...readZip(fixture('linear2.pt'), 'linear2.pt').keys()][0]).toBe('linear2/data.pkl');
    const reference = expected('linear2.json');
    expect(reference.folder).toBe('linear2');
    expectMatchesTorch(readTorchStateDict(fixture('linear2.pt'), 'linear2.pt'), reference);
  });

  it('reads the same state dict saved to a buffer, whose zip folder is "archive"', () => {
    const reference = expected('linear2-buffer.json');
    expect(reference.folder).toBe('archive');
    const tensors = readTorchStateDict(fixture('linear2-buffer.pt'), 'params.pt');
    expectMatchesTorch(tensors, reference);
    expectMatchesTorch(tensors, expected('linear2.json'));
    expect([...tensors.keys()]).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
  });

  it('widens a float16 lens to float32 exactly as PyTorch does', () => {
    const reference = expected('half.json');
    expect(reference.tensors.every((t) => t.dtype === 'float16')).toBe(true);
    expectMatchesTorch(readTorchStateDict(fixture('half.pt'), 'half.pt'), reference);
  });

  it('widens a bfloat16 lens to float32 exactly as PyTorch does', () => {
    const reference = expected('bfloat16.json');
    expect(reference.tensors.every((t) => t.dtype === 'bfloat16')).toBe(true);
    expectMatchesTorch(readTorchStateDict(fixture('bfloat16.pt'), 'bfloat16.pt'), reference);
  });

  it('reads views saved directly (transposed, sliced, expanded, scalar, empty, a Parameter) from their storages and strides', () => {
    const tensors = readTorchStateDict(fixture('strided.pt'), 'strided.pt');
    expectMatchesTorch(tensors, expected('strided.json'));
    expect(tensors.get('transposed')!.shape).toEqual([4, 3]);
    expect(tensors.get('scalar')!.shape).toEqual([]);
  });

  it('reads files saved by PyTorch 2.x, which add byteorder, .format_version, .storage_alignment and a serialization id', () => {
    // check_torch2.py re-saved the 1.13 fixtures with torch 2.11; the values must not change.
    for (const name of ['linear2', 'half', 'strided']) {
      const bytes = fixture(`${name}-torch2.pt`);
      expect([...readZip(bytes, 'x').keys()]).toContain(`${name}-torch2/.storage_alignment`);
      expectMatchesTorch(readTorchStateDict(bytes, `${name}-torch2.pt`), expected(`${name}.json`));
    }
  });

  it('returns tensors that own their memory, not views of the file', () => {
    const bytes = fixture('linear2.pt');
    const weight = readTorchStateDict(bytes, 'linear2.pt').get('0.weight')!;
    expect(weight.data.buffer).not.toBe(bytes.buffer);
    expect(weight.data.byteOffset).toBe(0);
  });

  it('says a truncated download is truncated', () => {
    expect(loadError(fixture('truncated.pt')).message).toMatch(/^params\.pt: .*truncated or not a zip/);
  });

  it('refuses a zip whose entries are compressed and names the entry', () => {
    const { message } = loadError(fixture('compressed.pt'));
    expect(message).toMatch(/^params\.pt: zip entry 'linear2\/data\.pkl' is compressed \(deflate\)/);
  });

  it('refuses a pickle that names os.system and runs nothing', () => {
    rmSync(MARKER, { force: true });
    const { message } = loadError(fixture('malicious.pt'));
    expect(message).toBe('params.pt: the pickle names os.system, which is not allowed in a lens file — refusing to load it (nothing was executed)');
    expect(existsSync(MARKER)).toBe(false);
  });

  it('refuses a protocol-4 pickle that reaches builtins.exec through STACK_GLOBAL and runs nothing', () => {
    rmSync(MARKER, { force: true });
    const { message } = loadError(fixture('malicious-stack-global.pt'));
    expect(message).toMatch(/the pickle names builtins\.exec, which is not allowed .* \(nothing was executed\)$/);
    expect(existsSync(MARKER)).toBe(false);
  });

  it('refuses torch.storage._load_from_bytes, which would unpickle arbitrary bytes', () => {
    const pickle = [0x80, 0x02, 0x63, ...ascii('torch.storage\n_load_from_bytes\n'), 0x29, 0x52, 0x2e];
    expect(loadError(zipWithPickle(pickle)).message).toMatch(/names torch\.storage\._load_from_bytes, which is not allowed/);
  });

  it('refuses a global even when the pickle never calls it', () => {
    const pickle = [0x80, 0x02, 0x7d, 0x63, ...ascii('subprocess\nPopen\n'), 0x30, 0x2e];
    expect(loadError(zipWithPickle(pickle)).message).toMatch(/names subprocess\.Popen, which is not allowed/);
  });

  it('refuses opcodes a state dict never uses, such as NEWOBJ', () => {
    const pickle = [0x80, 0x02, 0x63, ...ascii('collections\nOrderedDict\n'), 0x29, 0x81, 0x2e];
    expect(loadError(zipWithPickle(pickle)).message).toMatch(/opcode NEWOBJ \(0x81\) .* \(nothing was executed\)$/);
  });

  it('explains that a tensor stored as int64 is not a lens tensor', () => {
    const pickle = [0x80, 0x02, 0x63, ...ascii('torch\nLongStorage\n'), 0x2e];
    expect(loadError(zipWithPickle(pickle)).message).toMatch(/stored as torch\.LongStorage; a lens holds float32, float16 or bfloat16/);
  });

  it('names the tensor whose storage is shorter than its numel, before reading it', () => {
    const entries = [...readZip(fixture('linear2-buffer.pt'), 'x')].map(([name, data]): [string, Uint8Array] =>
      name === 'archive/data/2' ? [name, data.subarray(0, data.byteLength - 4)] : [name, data],
    );
    const { message } = loadError(writeZip(entries));
    expect(message).toBe(
      "params.pt: tensor '1.weight' is stored in 'archive/data/2', which should hold 16 float32 values (64 bytes) but has 60 bytes — the file is corrupted",
    );
  });

  it('names the tensor whose storage is missing from the zip', () => {
    const entries = [...readZip(fixture('linear2-buffer.pt'), 'x')].filter(([name]) => name !== 'archive/data/1');
    expect(loadError(writeZip(entries)).message).toMatch(/tensor '0\.bias' is stored in 'archive\/data\/1', which is missing from the zip/);
  });

  it('names the tensor whose strides reach past its storage', () => {
    // {'w': _rebuild_tensor_v2(('storage', FloatStorage, '0', 'cpu', 4), 1, (2, 2), (2, 1), False, None)}
    const pickle = [
      0x80,
      0x02,
      0x7d,
      0x58,
      ...u32(1),
      ...ascii('w'),
      0x63,
      ...ascii('torch._utils\n_rebuild_tensor_v2\n'),
      0x28,
      0x28,
      0x58,
      ...u32(7),
      ...ascii('storage'),
      0x63,
      ...ascii('torch\nFloatStorage\n'),
      0x58,
      ...u32(1),
      ...ascii('0'),
      0x58,
      ...u32(3),
      ...ascii('cpu'),
      0x4b,
      4,
      0x74,
      0x51,
      0x4b,
      1,
      0x4b,
      2,
      0x4b,
      2,
      0x86,
      0x4b,
      2,
      0x4b,
      1,
      0x86,
      0x89,
      0x4e,
      0x74,
      0x52,
      0x73,
      0x2e,
    ];
    const bytes = zipWithPickle(pickle, [['archive/data/0', new Uint8Array(16)]]);
    expect(loadError(bytes).message).toMatch(/tensor 'w' \[2, 2\] at offset 1 with strides \[2, 1\] reaches element 4 of a storage of 4/);
  });

  it('says a pre-1.6 torch.save file needs re-saving', () => {
    const legacy = Uint8Array.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
    expect(loadError(legacy).message).toMatch(/legacy \(pre-1\.6, non-zip\) format/);
  });

  it('says a zip without data.pkl is not a torch.save file', () => {
    const bytes = writeZip([['config.json', new TextEncoder().encode('{}')]]);
    expect(loadError(bytes).message).toBe('params.pt: the zip has no <folder>/data.pkl (it has config.json) — is this a torch.save file?');
  });

  it('says a pickle of something other than a dict is not a state dict', () => {
    expect(loadError(zipWithPickle([0x80, 0x02, 0x4b, 0x07, 0x2e])).message).toMatch(/data\.pkl holds 7, not a state dict/);
  });

  it('says a pickle cut short is corrupted', () => {
    const pickle = [0x80, 0x02, 0x7d, 0x58, ...u32(100), ...ascii('short')];
    expect(loadError(zipWithPickle(pickle)).message).toMatch(/data\.pkl is corrupted \(the pickle ends in the middle of an opcode/);
  });
});
