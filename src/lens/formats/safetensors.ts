/**
 * safetensors: 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`, then the data.
 * Every tensor is returned as float32 (F16 and BF16 are widened) because all our graphs run in fp32.
 */
import { LensFormatError } from '../errors.ts';
import type { RandomAccessFile } from '../io/source.ts';
import { formatShape, lazyTensor, numel, type Tensor32 } from '../tensor.ts';
import { float16ToFloat32, bfloat16ToFloat32 } from './half.ts';
import { MAX_HEADER_BYTES, MAX_TENSORS } from './limits.ts';

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

export interface SafetensorsHeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/**
 * Every tensor of a safetensors file, validated as the safetensors library validates before it
 * touches any data: the header within MAX_HEADER_BYTES and UTF-8 JSON, at most MAX_TENSORS entries,
 * each with a known dtype, a shape of non-negative integers and data offsets that tile the data
 * section exactly (in order, no gaps, no overlaps, nothing left over). Each tensor is a copy, aligned.
 */
export function readSafetensors(bytes: Uint8Array, fileName: string): Map<string, Tensor32> {
  const file = { size: bytes.byteLength, read: (offset: number, length: number) => bytes.subarray(offset, offset + length) };
  const out = new Map<string, Tensor32>();
  for (const { name, shape, read } of safetensorsEntries(file, fileName)) out.set(name, { shape, data: read(true) });
  return out;
}

/**
 * The same tensors, from a file read piece by piece: each is read when its data is asked for, and
 * again at each ask (lazyTensor), so a model's weights need not all be in memory at once.
 */
export function openSafetensors(file: RandomAccessFile, fileName: string): Map<string, Tensor32> {
  const out = new Map<string, Tensor32>();
  for (const { name, shape, read, readAsync } of safetensorsEntries(file, fileName)) {
    const rowLength = numel(shape.slice(1));
    const rows = async (indices: readonly number[]) => {
      const out = new Float32Array(indices.length * rowLength);
      const pieces = await Promise.all(indices.map((i) => readAsync(i * rowLength, rowLength)));
      pieces.forEach((piece, j) => out.set(piece, j * rowLength));
      return out;
    };
    out.set(
      name,
      lazyTensor(shape, () => read(false), rows),
    );
  }
  return out;
}

/**
 * The header's tensors, checked, each with a reader of its data (`copy`: the file's bytes may be a
 * shared buffer), and of `count` of its elements from element `from`, without waiting where the file can.
 */
function safetensorsEntries(file: RandomAccessFile, fileName: string) {
  if (file.size < 8) throw new LensFormatError(`${fileName}: ${file.size} bytes is too short for a safetensors file`);
  const start = file.read(0, 8);
  const declared = new DataView(start.buffer, start.byteOffset, 8).getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    throw new LensFormatError(
      `${fileName}: the header says it is ${declared} bytes, more than the ${MAX_HEADER_BYTES} a safetensors header may be — the file is corrupted or not safetensors`,
    );
  }
  const headerLength = Number(declared);
  if (headerLength > file.size - 8) {
    throw new LensFormatError(`${fileName}: header says ${headerLength} bytes but the file has ${file.size} — is the file truncated or not safetensors?`);
  }
  const header = parseHeader(file.read(8, headerLength), fileName);
  const dataStart = 8 + headerLength;
  const dataLength = file.size - dataStart;
  const entries = Object.entries(header).filter(([name]) => name !== '__metadata__');
  if (entries.length > MAX_TENSORS) {
    throw new LensFormatError(`${fileName}: the header lists ${entries.length} tensors, more than the ${MAX_TENSORS} a file may hold — the file is corrupted`);
  }
  const tensors = entries.map(([name, entry]) => checkEntry(name, entry, fileName));
  // The data offsets must tile the data section: sorted by where they begin, each starts where the
  // previous one ended and the last ends at the end of the file (safetensors' own `validate`).
  const byOffset = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  for (const t of byOffset) {
    if (t.begin !== expectedBegin) {
      throw new LensFormatError(
        `${fileName}: tensor '${t.name}' starts at byte ${t.begin} of the data section, where ${expectedBegin} was expected — the offsets overlap or leave a gap; the file is corrupted`,
      );
    }
    expectedBegin = t.end;
  }
  if (expectedBegin !== dataLength) {
    throw new LensFormatError(
      `${fileName}: the tensors need ${expectedBegin} bytes of data but the data section has ${dataLength} — the file is ${expectedBegin > dataLength ? 'truncated' : 'corrupted'}`,
    );
  }

  return tensors.map(({ name, dtype, shape, begin, end }) => ({
    name,
    shape,
    read: (copy: boolean) => toFloat32(file.read(dataStart + begin, end - begin), dtype, copy),
    readAsync: async (from: number, count: number) => {
      const at = dataStart + begin + from * BYTES[dtype];
      const length = count * BYTES[dtype];
      return toFloat32(file.readAsync ? await file.readAsync(at, length) : file.read(at, length), dtype, false);
    },
  }));
}

function parseHeader(raw: Uint8Array, fileName: string): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    throw new LensFormatError(`${fileName}: the safetensors header is not valid JSON — the file is corrupted or not safetensors`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new LensFormatError(`${fileName}: the safetensors header is not a JSON object of tensors — the file is corrupted or not safetensors`);
  }
  return header as Record<string, unknown>;
}

interface CheckedEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

function checkEntry(name: string, entry: unknown, fileName: string): CheckedEntry {
  const malformed = () => new LensFormatError(`${fileName}: tensor '${name}' has a malformed header entry (${JSON.stringify(entry)?.slice(0, 80)})`);
  if (typeof entry !== 'object' || entry === null) throw malformed();
  const { dtype, shape, data_offsets } = entry as Partial<SafetensorsHeaderEntry>;
  if (typeof dtype !== 'string') throw malformed();
  const width = BYTES[dtype];
  if (width === undefined) {
    throw new LensFormatError(`${fileName}: tensor '${name}' has dtype ${dtype}; only F32, F16 and BF16 are supported`);
  }
  if (!Array.isArray(shape) || !shape.every(isIndex) || !Array.isArray(data_offsets) || data_offsets.length !== 2 || !data_offsets.every(isIndex)) {
    throw malformed();
  }
  const [begin, end] = data_offsets;
  const expected = numel(shape) * width;
  if (end - begin !== expected) {
    throw new LensFormatError(
      `${fileName}: tensor '${name}' ${dtype}${formatShape(shape)} needs ${expected} bytes but its data offsets [${begin}, ${end}) hold ${end - begin} — the file is corrupted`,
    );
  }
  return { name, dtype, shape: [...shape], begin, end };
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** `raw` as float32; with `copy`, or where `raw` is not 4-byte aligned (the data section has no alignment guarantee), into a buffer of its own. */
function toFloat32(raw: Uint8Array, dtype: string, copy: boolean): Float32Array {
  if (dtype === 'F32' && !copy && raw.byteOffset % 4 === 0) return new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4);
  const aligned = new Uint8Array(raw.byteLength);
  aligned.set(raw);
  if (dtype === 'F32') return new Float32Array(aligned.buffer);
  const halves = new Uint16Array(aligned.buffer);
  return dtype === 'F16' ? float16ToFloat32(halves) : bfloat16ToFloat32(halves);
}

/** Writes float32 tensors (sorted by name, as the Python library does). */
export function writeSafetensors(tensors: Map<string, Tensor32>, metadata?: Record<string, string>): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    header[name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header so the data section starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const name of names) {
    const t = tensors.get(name)!;
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}
