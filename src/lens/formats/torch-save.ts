/**
 * Writes a state dict of float32 tensors as `torch.save` does, so Python's `torch.load` reads it back
 * as an OrderedDict of float32 CPU tensors (checked with torch 1.13 and 2.11, `weights_only=True` and
 * `mmap=True` included; see tools/formats/check_torch_save.py and check_torch2.py):
 *
 *   <folder>/data.pkl    a protocol-2 pickle:
 *                        OrderedDict() then SETITEMS of
 *                        key → _rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())
 *                        with storage = persistent id ('storage', torch.FloatStorage, '<i>', 'cpu', numel)
 *   <folder>/byteorder   "little" (torch ≥ 2.1 writes it; older versions ignore it)
 *   <folder>/data/<i>    tensor i's values, little-endian float32, 64-byte aligned
 *   <folder>/version     "3\n", the serialization format version
 *
 * The output is deterministic: the same tensors give the same bytes.
 */
import { LensFormatError } from '../errors.ts';
import { formatShape, numel, type Tensor32 } from '../tensor.ts';
import { writeZip } from './zip.ts';

export function writeTorchStateDict(tensors: Map<string, Tensor32>, folder = 'archive'): Uint8Array {
  if (!/^[^/\\]+$/.test(folder)) throw new RangeError(`writeTorchStateDict: folder '${folder}' must be one path segment`);
  const pickle = new PickleWriter();
  const storages: Uint8Array[] = [];

  pickle.proto(2);
  pickle.global('collections', 'OrderedDict', MEMO.orderedDict);
  pickle.op(EMPTY_TUPLE).op(REDUCE);
  pickle.op(MARK);
  for (const [name, tensor] of tensors) {
    const count = numel(tensor.shape);
    if (!tensor.shape.every((n) => Number.isSafeInteger(n) && n >= 0) || tensor.data.length !== count) {
      throw new LensFormatError(
        `tensor '${name}' has shape ${formatShape(tensor.shape)} (${count} values) but ${tensor.data.length} values of data — cannot save it`,
      );
    }
    const key = String(storages.length);
    storages.push(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));

    pickle.unicode(name);
    pickle.global('torch._utils', '_rebuild_tensor_v2', MEMO.rebuildTensor);
    pickle.op(MARK);
    //   ('storage', torch.FloatStorage, key, 'cpu', numel) as a persistent id
    pickle.op(MARK).unicode('storage');
    pickle.global('torch', 'FloatStorage', MEMO.floatStorage);
    pickle.unicode(key).unicode('cpu').int(count);
    pickle.op(TUPLE).op(BINPERSID);
    //   storage offset, size, stride (row-major contiguous), requires_grad, backward hooks
    pickle.int(0);
    pickle.tuple(tensor.shape);
    pickle.tuple(contiguousStrides(tensor.shape));
    pickle.op(NEWFALSE);
    pickle.global('collections', 'OrderedDict', MEMO.orderedDict);
    pickle.op(EMPTY_TUPLE).op(REDUCE);
    pickle.op(TUPLE).op(REDUCE);
  }
  pickle.op(SETITEMS);
  pickle.op(STOP);

  const text = new TextEncoder();
  return writeZip([
    [`${folder}/data.pkl`, pickle.bytes()],
    [`${folder}/byteorder`, text.encode('little')],
    ...storages.map((bytes, i): [string, Uint8Array] => [`${folder}/data/${i}`, bytes]),
    [`${folder}/version`, text.encode('3\n')],
  ]);
}

function contiguousStrides(shape: number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}

// Pickle opcodes, as CPython's pickle module names them.
const MARK = 0x28;
const STOP = 0x2e;
const BININT = 0x4a;
const BININT1 = 0x4b;
const BININT2 = 0x4d;
const LONG1 = 0x8a;
const BINUNICODE = 0x58;
const EMPTY_TUPLE = 0x29;
const TUPLE = 0x74;
const TUPLE1 = 0x85;
const TUPLE2 = 0x86;
const TUPLE3 = 0x87;
const NEWFALSE = 0x89;
const GLOBAL = 0x63;
const REDUCE = 0x52;
const BINPERSID = 0x51;
const SETITEMS = 0x75;
const BINPUT = 0x71;
const BINGET = 0x68;
const PROTO = 0x80;

/** Memo slots for the globals, so each is spelled out once, as Python's pickler does. */
const MEMO = { orderedDict: 0, rebuildTensor: 1, floatStorage: 2 } as const;

class PickleWriter {
  private chunks: number[] = [];
  private stored = new Set<number>();
  private encoder = new TextEncoder();

  op(code: number): this {
    this.chunks.push(code);
    return this;
  }

  proto(version: number): this {
    return this.op(PROTO).op(version);
  }

  /** GLOBAL the first time, BINGET from the memo after. */
  global(module: string, name: string, memo: number): this {
    if (this.stored.has(memo)) return this.op(BINGET).op(memo);
    this.stored.add(memo);
    this.op(GLOBAL).raw(this.encoder.encode(`${module}\n${name}\n`));
    return this.op(BINPUT).op(memo);
  }

  unicode(text: string): this {
    const utf8 = this.encoder.encode(text);
    return this.op(BINUNICODE).u32(utf8.byteLength).raw(utf8);
  }

  /** A non-negative integer with the smallest opcode Python's pickler would use. */
  int(value: number): this {
    if (value < 0x100) return this.op(BININT1).op(value);
    if (value < 0x10000)
      return this.op(BININT2)
        .op(value & 0xff)
        .op(value >>> 8);
    if (value < 0x80000000) return this.op(BININT).u32(value);
    // LONG1: little-endian two's complement, with a zero byte on top if the high bit is set.
    const bytes: number[] = [];
    for (let v = BigInt(value); v > 0n; v >>= 8n) bytes.push(Number(v & 0xffn));
    if (bytes[bytes.length - 1] & 0x80) bytes.push(0);
    return this.op(LONG1).op(bytes.length).raw(bytes);
  }

  tuple(values: number[]): this {
    if (values.length === 0) return this.op(EMPTY_TUPLE);
    if (values.length > 3) this.op(MARK);
    for (const v of values) this.int(v);
    return this.op([TUPLE1, TUPLE2, TUPLE3][values.length - 1] ?? TUPLE);
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }

  private u32(value: number): this {
    return this.op(value & 0xff)
      .op((value >>> 8) & 0xff)
      .op((value >>> 16) & 0xff)
      .op(value >>> 24);
  }

  private raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.chunks.push(bytes[i]);
    return this;
  }
}
