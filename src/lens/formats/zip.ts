/**
 * The zip container of `torch.save` files (`params.pt`): STORED entries only.
 *
 * Reading goes through the central directory (zip64 included, which torch's writer always emits
 * at the end and uses for entries or offsets past 4 GB); local headers are only used to find where
 * an entry's data starts, because torch writes zero sizes and CRCs there (it streams and puts them
 * in a data descriptor after the data). Every entry's CRC-32 is checked.
 *
 * Writing mirrors torch's `PyTorchStreamWriter`: each entry's data starts on a 64-byte boundary
 * (padding goes in an extra field with id "FB", filled with 'Z'), so `torch.load(mmap=True)` can
 * map it. No zip64: the writer refuses archives past 4 GB.
 */
import { LensFormatError } from '../errors.ts';

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const ZIP64_END_OF_CENTRAL_DIRECTORY = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EXTRA = 0x0001;
/** torch's alignment of entry data, `kFieldAlignment` in caffe2/serialize/inline_container.cc. */
export const ZIP_DATA_ALIGNMENT = 64;
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;

const METHODS: Record<number, string> = { 8: 'deflate', 9: 'deflate64', 12: 'bzip2', 14: 'lzma', 93: 'zstd', 95: 'xz' };

/**
 * The entries of a zip made of STORED (uncompressed) files, by full name (`archive/data.pkl`).
 * The values are views into `bytes`, not copies. Directory entries are skipped.
 */
export function readZip(bytes: Uint8Array, fileName: string): Map<string, Uint8Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const notAZip = (what: string) =>
    new LensFormatError(`${fileName}: ${what} — the file is truncated or not a zip (a torch.save file is a zip); download it again`);

  const eocd = findEndOfCentralDirectory(view);
  if (eocd < 0) {
    const looksLikeZip = bytes.byteLength >= 4 && view.getUint32(0, true) === LOCAL_HEADER;
    throw notAZip(looksLikeZip ? 'the zip has no end-of-central-directory record' : 'no zip end-of-central-directory record');
  }
  let entryCount = view.getUint16(eocd + 10, true);
  let directorySize = view.getUint32(eocd + 12, true);
  let directoryOffset = view.getUint32(eocd + 16, true);
  const locator = eocd - 20;
  if (locator >= 0 && view.getUint32(locator, true) === ZIP64_LOCATOR) {
    const zip64 = readU64(view, locator + 8, fileName);
    if (zip64 + 56 > locator || view.getUint32(zip64, true) !== ZIP64_END_OF_CENTRAL_DIRECTORY) {
      throw notAZip('the zip64 end-of-central-directory record is missing');
    }
    entryCount = readU64(view, zip64 + 32, fileName);
    directorySize = readU64(view, zip64 + 40, fileName);
    directoryOffset = readU64(view, zip64 + 48, fileName);
  } else if (entryCount === U16_MAX || directorySize === U32_MAX || directoryOffset === U32_MAX) {
    throw notAZip('the zip needs a zip64 record that is not there');
  }
  if (directoryOffset + directorySize > eocd) {
    throw notAZip(`the central directory [${directoryOffset}, +${directorySize}) runs past the end record at ${eocd}`);
  }

  const names = new TextDecoder('utf-8');
  const entries = new Map<string, Uint8Array>();
  let at = directoryOffset;
  const directoryEnd = directoryOffset + directorySize;
  for (let i = 0; i < entryCount; i++) {
    if (at + 46 > directoryEnd || view.getUint32(at, true) !== CENTRAL_HEADER) {
      throw notAZip(`central directory entry ${i} of ${entryCount} is damaged`);
    }
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    let compressedSize: number = view.getUint32(at + 20, true);
    let size: number = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let localOffset: number = view.getUint32(at + 42, true);
    const next = at + 46 + nameLength + extraLength + commentLength;
    if (next > directoryEnd) throw notAZip(`central directory entry ${i} of ${entryCount} is damaged`);
    const name = names.decode(bytes.subarray(at + 46, at + 46 + nameLength));

    // zip64 extended information: only the fields whose 32-bit slot is 0xFFFFFFFF, in this order.
    if (size === U32_MAX || compressedSize === U32_MAX || localOffset === U32_MAX) {
      const extra = findExtraField(view, at + 46 + nameLength, extraLength, ZIP64_EXTRA);
      if (!extra) throw notAZip(`entry '${name}' needs a zip64 extra field that is not there`);
      let field = extra.start;
      const take = () => {
        if (field + 8 > extra.end) throw notAZip(`entry '${name}' has a short zip64 extra field`);
        const value = readU64(view, field, fileName);
        field += 8;
        return value;
      };
      if (size === U32_MAX) size = take();
      if (compressedSize === U32_MAX) compressedSize = take();
      if (localOffset === U32_MAX) localOffset = take();
    }
    at = next;

    if (name.endsWith('/')) continue;
    if (flags & 0x1) {
      throw new LensFormatError(`${fileName}: zip entry '${name}' is encrypted; a lens file must not be — re-save it with torch.save`);
    }
    if (method !== 0) {
      throw new LensFormatError(
        `${fileName}: zip entry '${name}' is compressed (${METHODS[method] ?? `method ${method}`}); ` +
          `torch.save stores entries uncompressed and so must a lens file — re-save it with torch.save, or re-zip it with no compression (zip -0)`,
      );
    }
    if (compressedSize !== size) throw notAZip(`stored entry '${name}' says ${compressedSize} bytes stored for ${size} bytes of data`);
    if (localOffset + 30 > bytes.byteLength || view.getUint32(localOffset, true) !== LOCAL_HEADER) {
      throw notAZip(`the local header of entry '${name}' is missing at offset ${localOffset}`);
    }
    const dataStart = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataStart + size > bytes.byteLength) {
      throw notAZip(`entry '${name}' needs bytes [${dataStart}, ${dataStart + size}) but the file has ${bytes.byteLength}`);
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    const actual = crc32(data);
    if (actual !== crc) {
      throw new LensFormatError(
        `${fileName}: zip entry '${name}' fails its CRC-32 check (expected ${hex(crc)}, found ${hex(actual)}) — the file is corrupted; download it again`,
      );
    }
    if (entries.has(name)) {
      // Readers disagree on which copy wins (Python's zipfile takes the last, others the first).
      throw new LensFormatError(`${fileName}: the zip has two entries named '${name}' — the file is corrupted; download it again`);
    }
    entries.set(name, data);
  }
  return entries;
}

/**
 * A zip of STORED entries with CRC-32s, each entry's data 64-byte aligned as torch's writer does.
 * Names are written as UTF-8 (general-purpose flag bit 11).
 */
export function writeZip(entries: [string, Uint8Array][]): Uint8Array {
  const encoder = new TextEncoder();
  const layout: { name: Uint8Array; data: Uint8Array; crc: number; offset: number; padding: number }[] = [];
  let cursor = 0;
  for (const [name, data] of entries) {
    const encoded = encoder.encode(name);
    if (encoded.byteLength > U16_MAX) throw new RangeError(`writeZip: entry name '${name.slice(0, 40)}…' is too long`);
    // Extra field "FB" + u16 length + padding, so the data lands on a 64-byte boundary.
    const start = cursor + 30 + encoded.byteLength + 4;
    const padding = (ZIP_DATA_ALIGNMENT - (start % ZIP_DATA_ALIGNMENT)) % ZIP_DATA_ALIGNMENT;
    layout.push({ name: encoded, data, crc: crc32(data), offset: cursor, padding });
    cursor = start + padding + data.byteLength;
  }
  const directoryOffset = cursor;
  const directorySize = layout.reduce((sum, e) => sum + 46 + e.name.byteLength, 0);
  const total = directoryOffset + directorySize + 22;
  if (directoryOffset > U32_MAX || layout.length >= U16_MAX || layout.some((e) => e.data.byteLength >= U32_MAX)) {
    throw new RangeError(`writeZip: ${total} bytes in ${layout.length} entries needs zip64, which this writer does not write`);
  }

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const FLAGS = 0x0800; // names are UTF-8
  const VERSION = 20; // 2.0: plain stored files
  const DOS_DATE = 0x0021; // 1980-01-01, time 00:00, as torch writes (reproducible output)
  // The fields a local header and its central-directory record share, in the same order.
  const writeEntryFields = (at: number, e: (typeof layout)[number]): void => {
    view.setUint16(at, VERSION, true); // needed to extract
    view.setUint16(at + 2, FLAGS, true);
    view.setUint16(at + 4, 0, true); // STORED
    view.setUint16(at + 6, 0, true);
    view.setUint16(at + 8, DOS_DATE, true);
    view.setUint32(at + 10, e.crc, true);
    view.setUint32(at + 14, e.data.byteLength, true);
    view.setUint32(at + 18, e.data.byteLength, true);
    view.setUint16(at + 22, e.name.byteLength, true);
  };
  for (const e of layout) {
    let at = e.offset;
    view.setUint32(at, LOCAL_HEADER, true);
    writeEntryFields(at + 4, e);
    view.setUint16(at + 28, 4 + e.padding, true);
    out.set(e.name, at + 30);
    at += 30 + e.name.byteLength;
    out[at] = 0x46; // 'F'
    out[at + 1] = 0x42; // 'B'
    view.setUint16(at + 2, e.padding, true);
    out.fill(0x5a, at + 4, at + 4 + e.padding); // 'Z'
    out.set(e.data, at + 4 + e.padding);
  }
  let at = directoryOffset;
  for (const e of layout) {
    view.setUint32(at, CENTRAL_HEADER, true);
    view.setUint16(at + 4, VERSION, true); // made by: MS-DOS, 2.0
    writeEntryFields(at + 6, e);
    // extra length, comment length, disk number, internal and external attributes: 0
    view.setUint32(at + 42, e.offset, true);
    out.set(e.name, at + 46);
    at += 46 + e.name.byteLength;
  }
  view.setUint32(at, END_OF_CENTRAL_DIRECTORY, true);
  view.setUint16(at + 8, layout.length, true);
  view.setUint16(at + 10, layout.length, true);
  view.setUint32(at + 12, directorySize, true);
  view.setUint32(at + 16, directoryOffset, true);
  return out;
}

let CRC_TABLES: Uint32Array | undefined;

/**
 * CRC-32 (IEEE 802.3, reflected, as zip and PNG use), slicing by 8 bytes: a GPT-2 lens (28 MB) is
 * checked in tens of milliseconds rather than hundreds.
 */
export function crc32(data: Uint8Array): number {
  const t = (CRC_TABLES ??= makeCrcTables());
  let crc = 0xffffffff;
  let i = 0;
  const end8 = data.length - (data.length % 8);
  for (; i < end8; i += 8) {
    const a = (crc ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24))) >>> 0;
    crc =
      t[1792 + (a & 0xff)] ^
      t[1536 + ((a >>> 8) & 0xff)] ^
      t[1280 + ((a >>> 16) & 0xff)] ^
      t[1024 + (a >>> 24)] ^
      t[768 + data[i + 4]] ^
      t[512 + data[i + 5]] ^
      t[256 + data[i + 6]] ^
      t[data[i + 7]];
  }
  for (; i < data.length; i++) crc = t[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** Table k (at 256·k) advances the CRC over a byte followed by k zero bytes. */
function makeCrcTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) t[256 * k + n] = (t[256 * (k - 1) + n] >>> 8) ^ t[t[256 * (k - 1) + n] & 0xff];
  }
  return t;
}

function findEndOfCentralDirectory(view: DataView): number {
  // The record is 22 bytes plus a comment of at most 65535 bytes, at the very end.
  const last = view.byteLength - 22;
  const first = Math.max(0, last - U16_MAX);
  for (let at = last; at >= first; at--) {
    if (view.getUint32(at, true) === END_OF_CENTRAL_DIRECTORY && at + 22 + view.getUint16(at + 20, true) === view.byteLength) {
      return at;
    }
  }
  return -1;
}

function findExtraField(view: DataView, start: number, length: number, id: number): { start: number; end: number } | undefined {
  const end = start + length;
  for (let at = start; at + 4 <= end;) {
    const size = view.getUint16(at + 2, true);
    if (view.getUint16(at, true) === id) return { start: at + 4, end: Math.min(end, at + 4 + size) };
    at += 4 + size;
  }
  return undefined;
}

function readU64(view: DataView, at: number, fileName: string): number {
  if (at < 0 || at + 8 > view.byteLength) {
    throw new LensFormatError(`${fileName}: a zip64 field points outside the file — the file is truncated or not a zip; download it again`);
  }
  const value = view.getBigUint64(at, true);
  if (value > BigInt(Number.MAX_SAFE_INTEGER))
    throw new LensFormatError(`${fileName}: a zip64 size or offset of ${value} is not plausible — the file is corrupted`);
  return Number(value);
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
