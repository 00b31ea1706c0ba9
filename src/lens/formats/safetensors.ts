/**
 * safetensors: 8-byte little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`, then the data.
 * Every tensor is returned as float32 (F16 and BF16 are widened) because all our graphs run in fp32.
 */
import { LensFormatError } from '../errors.ts';
import { numel, type Tensor32 } from '../tensor.ts';
import { float16ToFloat32, bfloat16ToFloat32 } from './half.ts';

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

export interface SafetensorsHeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export function readSafetensors(bytes: Uint8Array, fileName: string): Map<string, Tensor32> {
  if (bytes.byteLength < 8) throw new LensFormatError(`${fileName}: ${bytes.byteLength} bytes is too short for a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.byteLength - 8 || headerLength > 100_000_000) {
    throw new LensFormatError(
      `${fileName}: header says ${headerLength} bytes but the file has ${bytes.byteLength} — is the file truncated or not safetensors?`,
    );
  }
  let header: Record<string, SafetensorsHeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw new LensFormatError(`${fileName}: the safetensors header is not valid JSON — the file is corrupted or not safetensors`);
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const out = new Map<string, Tensor32>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets } = entry as SafetensorsHeaderEntry;
    const width = BYTES[dtype];
    if (width === undefined) {
      throw new LensFormatError(`${fileName}: tensor '${name}' has dtype ${dtype}; only F32, F16 and BF16 are supported`);
    }
    if (!Array.isArray(shape) || !Array.isArray(data_offsets) || data_offsets.length !== 2) {
      throw new LensFormatError(`${fileName}: tensor '${name}' has a malformed header entry`);
    }
    const [begin, end] = data_offsets;
    const expected = numel(shape) * width;
    if (end - begin !== expected || begin < 0 || end > dataLength) {
      throw new LensFormatError(
        `${fileName}: tensor '${name}' ${dtype}[${shape.join(', ')}] needs ${expected} bytes at [${begin}, ${end}) but the data section has ${dataLength} — the file is truncated or corrupted`,
      );
    }
    const raw = bytes.subarray(dataStart + begin, dataStart + end);
    out.set(name, { shape: [...shape], data: toFloat32(raw, dtype) });
  }
  return out;
}

function toFloat32(raw: Uint8Array, dtype: string): Float32Array {
  // Copy into an aligned buffer: the data section has no alignment guarantee.
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
