import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LensFormatError } from '../../src/lens/errors.ts';
import { readTorchStateDict } from '../../src/lens/formats/torch-pickle.ts';
import { writeTorchStateDict } from '../../src/lens/formats/torch-save.ts';
import { readZip } from '../../src/lens/formats/zip.ts';
import type { Tensor32 } from '../../src/lens/tensor.ts';
import { torchSaveSample } from '../../tools/formats/torch-save-sample.ts';

const FIXTURES = 'tests/fixtures/formats';

/** What PyTorch read from torch-save-sample.pt (tools/formats/check_torch_save.py). */
interface Roundtrip {
  torch: string;
  bytes: number;
  entries: string[];
  loaded_type: string;
  tensors: { name: string; shape: number[]; bits: number[]; values: number[] }[];
}
const roundtrip: Roundtrip = JSON.parse(readFileSync(`${FIXTURES}/torch-save-roundtrip.json`, 'utf8'));

function bits(data: Float32Array): number[] {
  return [...new Uint32Array(data.buffer, data.byteOffset, data.length)];
}

/** Same keys in order, same shapes, bit-identical values; the failure names the worst difference. */
function expectSameTensors(actual: Map<string, Tensor32>, expected: { name: string; shape: number[]; bits: number[]; values: number[] }[]): void {
  expect([...actual.keys()]).toEqual(expected.map((t) => t.name));
  let worst = 0;
  let mismatchedBits = 0;
  let where = 'nowhere';
  for (const t of expected) {
    const got = actual.get(t.name)!;
    expect(got.shape, `shape of '${t.name}'`).toEqual(t.shape);
    expect(got.data.length, `length of '${t.name}'`).toBe(t.values.length);
    const gotBits = bits(got.data);
    for (let i = 0; i < t.values.length; i++) {
      const difference = Math.abs(got.data[i] - t.values[i]);
      if (gotBits[i] !== t.bits[i]) mismatchedBits++;
      if (!(difference <= worst) || (gotBits[i] !== t.bits[i] && where === 'nowhere')) {
        worst = Math.max(worst, difference || 0);
        where = `'${t.name}'[${i}]: ${got.data[i]} (0x${gotBits[i].toString(16)}) vs ${t.values[i]} (0x${t.bits[i].toString(16)})`;
      }
    }
  }
  expect(
    { worst, mismatchedBits },
    `worst difference from PyTorch (torch ${roundtrip.torch}) is ${worst}, ${mismatchedBits} values differ in bits, e.g. at ${where}`,
  ).toEqual({ worst: 0, mismatchedBits: 0 });
}

function fromFixture(): Map<string, Tensor32> {
  return new Map(roundtrip.tensors.map((t) => [t.name, { shape: t.shape, data: new Float32Array(new Uint32Array(t.bits).buffer) }]));
}

describe('writeTorchStateDict', () => {
  it('writes, byte for byte, the file PyTorch loaded as an OrderedDict of float32 tensors', () => {
    const written = writeTorchStateDict(torchSaveSample());
    const loadedByTorch = new Uint8Array(readFileSync(`${FIXTURES}/torch-save-sample.pt`));
    expect(roundtrip.loaded_type).toBe('collections.OrderedDict');
    expect(written.byteLength).toBe(roundtrip.bytes);
    expect(Buffer.from(written).equals(Buffer.from(loadedByTorch)), 'writer output differs from the file PyTorch read — rerun tools/formats/').toBe(true);
  });

  it('writes the keys, shapes and values PyTorch read back', () => {
    // The sample is what we wrote; the fixture is what torch.load returned for it.
    expectSameTensors(torchSaveSample(), roundtrip.tensors);
  });

  it('round-trips through readTorchStateDict bit for bit', () => {
    const read = readTorchStateDict(writeTorchStateDict(torchSaveSample()), 'params.pt');
    expectSameTensors(read, roundtrip.tensors);
    expectSameTensors(readTorchStateDict(writeTorchStateDict(fromFixture()), 'params.pt'), roundtrip.tensors);
  });

  it('lays the zip out as torch.save does: data.pkl first, byteorder, one aligned entry per tensor, version', () => {
    const bytes = writeTorchStateDict(torchSaveSample(), 'params');
    const entries = readZip(bytes, 'params.pt');
    expect([...entries.keys()]).toEqual(roundtrip.entries.map((name) => name.replace(/^archive\//, 'params/')));
    expect(new TextDecoder().decode(entries.get('params/version'))).toBe('3\n');
    expect(new TextDecoder().decode(entries.get('params/byteorder'))).toBe('little');
    for (const [name, data] of entries) expect(data.byteOffset % 64, name).toBe(0);
    expect([...readTorchStateDict(bytes, 'params.pt').keys()]).toEqual([...torchSaveSample().keys()]);
  });

  it('writes an empty state dict that reads back empty', () => {
    expect(readTorchStateDict(writeTorchStateDict(new Map()), 'params.pt').size).toBe(0);
  });

  it('refuses a tensor whose data does not match its shape', () => {
    const tensors = new Map<string, Tensor32>([['0.weight', { shape: [2, 3], data: new Float32Array(5) }]]);
    expect(() => writeTorchStateDict(tensors)).toThrow(LensFormatError);
    expect(() => writeTorchStateDict(tensors)).toThrow("tensor '0.weight' has shape [2, 3] (6 values) but 5 values of data — cannot save it");
  });
});
