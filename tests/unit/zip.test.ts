import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LensFormatError } from '../../src/lens/errors.ts';
import { crc32, readZip, writeZip } from '../../src/lens/formats/zip.ts';

const FIXTURES = 'tests/fixtures/formats';

function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${FIXTURES}/${name}`));
}

function zipError(bytes: Uint8Array, fileName = 'params.pt'): string {
  try {
    readZip(bytes, fileName);
  } catch (error) {
    expect(error).toBeInstanceOf(LensFormatError);
    return (error as Error).message;
  }
  throw new Error('expected readZip to refuse the file');
}

const text = (s: string) => new TextEncoder().encode(s);

describe('readZip', () => {
  it('lists the entries torch.save wrote, whose data starts on 64-byte boundaries', () => {
    const bytes = fixture('linear2.pt');
    const entries = readZip(bytes, 'linear2.pt');
    expect([...entries.keys()]).toEqual(['linear2/data.pkl', 'linear2/data/0', 'linear2/data/1', 'linear2/data/2', 'linear2/data/3', 'linear2/version']);
    expect(new TextDecoder().decode(entries.get('linear2/version'))).toBe('3\n');
    expect(entries.get('linear2/data/0')!.byteLength).toBe(16 * 4);
    for (const [name, data] of entries) expect((data.byteOffset - bytes.byteOffset) % 64, name).toBe(0);
  });

  it('reads a central directory that keeps sizes and offsets in zip64 fields', () => {
    const entries = readZip(fixture('zip64.zip'), 'zip64.zip');
    expect(new TextDecoder().decode(entries.get('archive/hello.txt'))).toBe('hello, zip64\n');
    const floats = new Float32Array(entries.get('archive/data/0')!.slice().buffer);
    expect([...floats]).toEqual([1, -2.5, 0.125, Math.fround(3e38)]);
  });

  it('says a file cut short is truncated or not a zip', () => {
    expect(zipError(fixture('truncated.pt'))).toMatch(/^params\.pt: the zip has no end-of-central-directory record — the file is truncated or not a zip/);
  });

  it('says a file that is not a zip at all is truncated or not a zip', () => {
    expect(zipError(text('{"d_model": 768}'), 'config.json')).toMatch(/^config\.json: .* the file is truncated or not a zip/);
    expect(zipError(new Uint8Array(0))).toMatch(/truncated or not a zip/);
  });

  it('says a zip with a stretch of bytes missing from the middle is truncated', () => {
    const whole = fixture('linear2.pt');
    const damaged = new Uint8Array(whole.byteLength - 128);
    damaged.set(whole.subarray(0, 512));
    damaged.set(whole.subarray(640), 512);
    expect(zipError(damaged)).toMatch(/^params\.pt: the zip64 end-of-central-directory record is missing — the file is truncated or not a zip/);
  });

  it('refuses compressed entries and names the first one', () => {
    expect(zipError(fixture('compressed.pt'))).toMatch(
      /^params\.pt: zip entry 'linear2\/data\.pkl' is compressed \(deflate\); torch\.save stores entries uncompressed/,
    );
  });

  it('notices a flipped byte through the CRC-32', () => {
    const bytes = fixture('linear2.pt').slice();
    const offset = readZip(bytes, 'x').get('linear2/data/1')!.byteOffset;
    bytes[offset + 2] ^= 0x10;
    expect(zipError(bytes)).toMatch(/^params\.pt: zip entry 'linear2\/data\/1' fails its CRC-32 check .* the file is corrupted/);
  });
});

describe('writeZip', () => {
  it('computes the standard CRC-32 check value', () => {
    expect(crc32(text('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it('writes entries that read back unchanged, each starting on a 64-byte boundary', () => {
    const entries: [string, Uint8Array][] = [
      ['archive/data.pkl', text('pickle')],
      ['archive/data/0', Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 0xff)],
      ['archive/empty', new Uint8Array(0)],
      ['archive/ünïcödé', text('names are UTF-8')],
      ['archive/version', text('3\n')],
    ];
    const bytes = writeZip(entries);
    const read = readZip(bytes, 'written.pt');
    expect([...read.keys()]).toEqual(entries.map(([name]) => name));
    for (const [name, data] of entries) {
      expect([...read.get(name)!], name).toEqual([...data]);
      expect(read.get(name)!.byteOffset % 64, name).toBe(0);
    }
  });

  it('writes the same bytes for the same entries', () => {
    const entries: [string, Uint8Array][] = [['a/b', text('x')]];
    expect(writeZip(entries)).toEqual(writeZip(entries));
  });

  it('writes an empty archive as a bare end record', () => {
    const bytes = writeZip([]);
    expect(bytes.byteLength).toBe(22);
    expect(readZip(bytes, 'empty.zip').size).toBe(0);
  });
});
