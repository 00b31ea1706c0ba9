/**
 * `torch.save` files (`params.pt`): a zip holding `<folder>/data.pkl`, a pickle (protocol 2) of the
 * state dict, and `<folder>/data/<key>`, the raw little-endian bytes of each storage. The folder is
 * `archive` for saves to a buffer and the file's stem for saves to a path.
 *
 * The pickle is read by a *subset* interpreter that executes nothing. It knows the opcodes a state
 * dict uses and an allowlist of globals, each implemented here as a data constructor:
 *
 *   collections.OrderedDict          → an empty dict (a state dict's `_metadata`, set by BUILD, is ignored)
 *   torch._utils._rebuild_tensor_v2  → a view of a storage: (storage, offset, size, stride, …)
 *   torch._utils._rebuild_parameter  → its tensor
 *   torch.FloatStorage | HalfStorage | BFloat16Storage → the dtype in a persistent id
 *                                      ('storage', <type>, key, location, numel)
 *
 * Any other global (`os.system`, `builtins.eval`, `torch.storage._load_from_bytes`, …) or opcode is
 * refused before anything could run. Tensors come back as float32, contiguous, row-major.
 */
import { LensFormatError } from '../errors.ts';
import { formatShape, type Tensor32 } from '../tensor.ts';
import { bfloat16ToFloat32, float16ToFloat32 } from './half.ts';
import { MAX_EXPANSION, MAX_PICKLE_DEPTH, MAX_TENSORS } from './limits.ts';
import { readZip } from './zip.ts';

/** The state dict in `bytes`, a `torch.save` zip, as float32 tensors in the pickle's key order. */
export function readTorchStateDict(bytes: Uint8Array, fileName: string): Map<string, Tensor32> {
  if (isLegacyTorchSave(bytes)) {
    throw new LensFormatError(
      `${fileName}: this is torch.save's legacy (pre-1.6, non-zip) format, which is not supported — ` +
        `re-save it with a current torch: torch.save(torch.load(path), path)`,
    );
  }
  const entries = readZip(bytes, fileName);
  const folder = findArchiveFolder(entries, fileName);
  const byteorder = entries.get(`${folder}byteorder`);
  if (byteorder && new TextDecoder().decode(byteorder).trim() !== 'little') {
    throw new LensFormatError(`${fileName}: the tensors were saved big-endian; re-save the lens on a little-endian machine`);
  }
  const root = unpickle(entries.get(`${folder}data.pkl`)!, fileName, (pid) => storageFromPersistentId(pid, fileName));
  if (!(root instanceof PickleDict)) {
    throw new LensFormatError(`${fileName}: data.pkl holds ${describe(root)}, not a state dict — is this a lens's params.pt?`);
  }
  if (root.items.size > MAX_TENSORS) {
    throw new LensFormatError(
      `${fileName}: the state dict has ${root.items.size} entries, more than the ${MAX_TENSORS} a file may hold — the file is corrupted`,
    );
  }
  const storages = new Map<string, Float32Array>();
  const out = new Map<string, Tensor32>();
  // What the tensors may take as float32, set from the file's real size (see MAX_EXPANSION).
  const budget = { elements: (MAX_EXPANSION * bytes.byteLength) / 4 };
  for (const [key, value] of root.items) {
    if (typeof key !== 'string') throw new LensFormatError(`${fileName}: the state dict has a key ${describe(key)}; keys are strings`);
    if (!(value instanceof TensorView)) {
      throw new LensFormatError(`${fileName}: state dict entry '${key}' is ${describe(value)}, not a tensor`);
    }
    out.set(key, materialize(value, key, entries, folder, storages, budget, fileName));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Values of the pickle subset

/** A global the pickle named, by module and name; only allowlisted ones are ever created. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A dict or OrderedDict, keys in insertion order; `attributes` holds what BUILD set (`_metadata`). */
export class PickleDict {
  readonly items = new Map<PickleValue, PickleValue>();
  attributes: PickleValue = null;
}

/** `('storage', torch.FloatStorage, key, location, numel)` as a reference, not yet read. */
export class StorageRef {
  constructor(
    readonly dtype: StorageDtype,
    readonly key: string,
    readonly location: string,
    readonly numel: number,
  ) {}
}

/** `_rebuild_tensor_v2(storage, offset, size, stride, …)`: a strided view, read when materialized. */
export class TensorView {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {}
}

export type PickleValue = null | boolean | number | string | PickleValue[] | PickleDict | PickleGlobal | StorageRef | TensorView;

type StorageDtype = 'float32' | 'float16' | 'bfloat16';
const STORAGE_TYPES: Record<string, { dtype: StorageDtype; bytes: number }> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
};
const ALLOWED_GLOBALS = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  ...Object.keys(STORAGE_TYPES).map((name) => `torch.${name}`),
]);
const OTHER_TORCH_STORAGES = new Set([
  'DoubleStorage',
  'LongStorage',
  'IntStorage',
  'ShortStorage',
  'CharStorage',
  'ByteStorage',
  'BoolStorage',
  'ComplexFloatStorage',
  'ComplexDoubleStorage',
  'QInt8Storage',
  'QUInt8Storage',
  'QInt32Storage',
  'UntypedStorage',
]);

// ---------------------------------------------------------------------------------------------
// The interpreter

/**
 * Runs the pickle subset over `bytes` and returns the value STOP leaves. `persistentLoad` turns a
 * persistent id (BINPERSID) into a value. Nothing named by the pickle is ever called.
 */
export function unpickle(bytes: Uint8Array, fileName: string, persistentLoad: (pid: PickleValue) => PickleValue): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let stack: PickleValue[] = [];
  const marks: PickleValue[][] = [];
  const memo = new Map<number, PickleValue>();
  // How deeply each tuple, list and dict nests others, so that nesting past MAX_PICKLE_DEPTH is
  // refused as it is built (a few bytes of TUPLE1s could otherwise nest a million deep).
  const depths = new WeakMap<object, number>();
  const depthOf = (value: PickleValue): number => (typeof value === 'object' && value !== null ? (depths.get(value) ?? 0) : 0);
  let at = 0;

  const corrupt = (what: string) => new LensFormatError(`${fileName}: data.pkl is corrupted (${what} at byte ${at}) — download the file again`);
  const need = (n: number) => {
    if (at + n > bytes.byteLength) throw corrupt('the pickle ends in the middle of an opcode');
  };
  const pop = (): PickleValue => {
    if (stack.length === 0) throw corrupt('pop from an empty stack');
    return stack.pop()!;
  };
  const top = (): PickleValue => {
    if (stack.length === 0) throw corrupt('an empty stack');
    return stack[stack.length - 1];
  };
  const nest = <T extends PickleValue[] | PickleDict>(container: T, items: PickleValue[]): T => {
    let depth = depthOf(container);
    for (const item of items) depth = Math.max(depth, depthOf(item) + 1);
    if (depth > MAX_PICKLE_DEPTH) {
      throw new LensFormatError(
        `${fileName}: data.pkl nests values more than ${MAX_PICKLE_DEPTH} deep (at byte ${at}); a state dict is 4 deep — refusing to load it (nothing was executed)`,
      );
    }
    depths.set(container, depth);
    return container;
  };
  const popMark = (): PickleValue[] => {
    const items = stack;
    const outer = marks.pop();
    if (!outer) throw corrupt('no MARK to pop to');
    stack = outer;
    return items;
  };
  const readLine = (): string => {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) throw corrupt('a line without its newline');
    const line = new TextDecoder('utf-8').decode(bytes.subarray(at, end));
    at = end + 1;
    return line;
  };
  const readText = (length: number): string => {
    need(length);
    try {
      return utf8.decode(bytes.subarray(at, (at += length)));
    } catch {
      throw corrupt('a string that is not UTF-8');
    }
  };
  const global = (module: string, name: string): PickleGlobal => {
    const qualified = `${module}.${name}`;
    if (ALLOWED_GLOBALS.has(qualified)) return new PickleGlobal(module, name);
    if (module === 'torch' && OTHER_TORCH_STORAGES.has(name)) {
      throw new LensFormatError(
        `${fileName}: a tensor is stored as torch.${name}; a lens holds float32, float16 or bfloat16 tensors — convert it with .float() and re-save`,
      );
    }
    throw new LensFormatError(`${fileName}: the pickle names ${qualified}, which is not allowed in a lens file — refusing to load it (nothing was executed)`);
  };
  const setItems = (dict: PickleValue, items: PickleValue[]) => {
    if (!(dict instanceof PickleDict)) throw corrupt(`SETITEM on ${describe(dict)}`);
    if (items.length % 2) throw corrupt('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i];
      if (typeof key !== 'string' && typeof key !== 'number') throw corrupt(`a dict key that is ${describe(key)}`);
      dict.items.set(key, items[i + 1]);
    }
    nest(dict, items);
  };
  const append = (list: PickleValue, items: PickleValue[]) => {
    if (!Array.isArray(list)) throw corrupt(`APPEND to ${describe(list)}`);
    for (const item of items) list.push(item); // not push(...items): a long APPENDS would overflow the call stack
    nest(list, items);
  };

  while (true) {
    need(1);
    const op = bytes[at++];
    switch (op) {
      case 0x80: // PROTO
        need(1);
        if (bytes[at++] > 5) throw corrupt('an unknown pickle protocol');
        break;
      case 0x95: // FRAME: an 8-byte length; frames are only a hint for buffered readers
        need(8);
        at += 8;
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) throw corrupt('STOP with a stack that is not one value');
        return stack[0];

      case 0x28: // MARK
        if (marks.length >= MAX_PICKLE_DEPTH) {
          throw new LensFormatError(
            `${fileName}: data.pkl opens more than ${MAX_PICKLE_DEPTH} MARKs at once (at byte ${at - 1}); a state dict needs 3 — refusing to load it (nothing was executed)`,
          );
        }
        marks.push(stack);
        stack = [];
        break;
      case 0x30: // POP
        pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        stack.push(top());
        break;

      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x4b: // BININT1
        need(1);
        stack.push(bytes[at]);
        at += 1;
        break;
      case 0x4d: // BININT2
        need(2);
        stack.push(view.getUint16(at, true));
        at += 2;
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(view.getInt32(at, true));
        at += 4;
        break;
      case 0x8a: {
        // LONG1: a little-endian two's-complement integer of n bytes
        need(1);
        const n = bytes[at++];
        need(n);
        let value = 0n;
        for (let i = n - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[at + i]);
        if (n > 0 && bytes[at + n - 1] & 0x80) value -= 1n << BigInt(8 * n);
        at += n;
        if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) throw corrupt(`an integer ${value} too large for a lens`);
        stack.push(Number(value));
        break;
      }
      case 0x47: // BINFLOAT: big-endian float64
        need(8);
        stack.push(view.getFloat64(at, false));
        at += 8;
        break;
      case 0x58: // BINUNICODE
        need(4);
        at += 4;
        stack.push(readText(view.getUint32(at - 4, true)));
        break;
      case 0x8c: // SHORT_BINUNICODE
        need(1);
        at += 1;
        stack.push(readText(bytes[at - 1]));
        break;
      case 0x8d: {
        // BINUNICODE8
        need(8);
        const length = view.getBigUint64(at, true);
        at += 8;
        if (length > BigInt(bytes.byteLength)) throw corrupt('a string longer than the pickle');
        stack.push(readText(Number(length)));
        break;
      }

      case 0x29: // EMPTY_TUPLE
        stack.push([]);
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3: the top 1, 2 or 3 items, in stack order
        const items: PickleValue[] = [];
        for (let n = op - 0x84; n > 0; n--) items.unshift(pop());
        stack.push(nest(items, items));
        break;
      }
      case 0x74: // TUPLE
      case 0x6c: {
        // LIST (popMark swaps the stack, so pop before naming it)
        const items = popMark();
        stack.push(nest(items, items));
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x61: {
        // APPEND
        const item = pop();
        append(top(), [item]);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        append(top(), items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new PickleDict());
        break;
      case 0x64: {
        // DICT
        const dict = new PickleDict();
        setItems(dict, popMark());
        stack.push(dict);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }

      case 0x71: // BINPUT
        need(1);
        memo.set(bytes[at++], top());
        break;
      case 0x72: // LONG_BINPUT
        need(4);
        memo.set(view.getUint32(at, true), top());
        at += 4;
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const width = op === 0x68 ? 1 : 4;
        need(width);
        const index = width === 1 ? bytes[at] : view.getUint32(at, true);
        at += width;
        if (!memo.has(index)) throw corrupt(`a memo lookup of ${index}, which was never stored`);
        stack.push(memo.get(index)!);
        break;
      }

      case 0x63: {
        // GLOBAL: "module\nname\n"
        const module = readLine();
        const name = readLine();
        stack.push(global(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw corrupt('STACK_GLOBAL without two strings');
        stack.push(global(module, name));
        break;
      }
      case 0x52: {
        // REDUCE: "call" an allowlisted global, which here only builds data
        const args = pop();
        const callable = pop();
        stack.push(reduce(callable, args, fileName, corrupt));
        break;
      }
      case 0x62: {
        // BUILD: an OrderedDict's state is {'_metadata': …}; keep it, never call __setstate__
        const state = pop();
        const target = top();
        if (!(target instanceof PickleDict)) throw corrupt(`BUILD on ${describe(target)}`);
        target.attributes = state;
        break;
      }
      case 0x51: // BINPERSID
        stack.push(persistentLoad(pop()));
        break;

      default:
        throw new LensFormatError(
          `${fileName}: the pickle uses opcode ${OPCODE_NAMES[op] ?? 'unknown'} (0x${op.toString(16).padStart(2, '0')}) at byte ${at - 1}, ` +
            `which a lens file never needs — refusing to load it (nothing was executed)`,
        );
    }
  }
}

function reduce(callable: PickleValue, args: PickleValue, fileName: string, corrupt: (what: string) => LensFormatError): PickleValue {
  if (!(callable instanceof PickleGlobal) || !Array.isArray(args)) throw corrupt(`REDUCE of ${describe(callable)}`);
  switch (callable.qualifiedName) {
    case 'collections.OrderedDict':
      if (args.length !== 0) throw corrupt('OrderedDict with arguments');
      return new PickleDict();
    case 'torch._utils._rebuild_tensor_v2': {
      const [storage, offset, size, stride] = args;
      if (
        args.length < 4 ||
        !(storage instanceof StorageRef) ||
        !isIndex(offset) ||
        !isIndexList(size) ||
        !isIndexList(stride) ||
        size.length !== stride.length
      ) {
        throw new LensFormatError(
          `${fileName}: _rebuild_tensor_v2 got (${args
            .slice(0, 4)
            .map((arg) => describe(arg))
            .join(', ')}); expected (storage, offset, size, stride)`,
        );
      }
      return new TensorView(storage, offset, size, stride);
    }
    case 'torch._utils._rebuild_parameter': {
      const [data] = args;
      if (!(data instanceof TensorView)) throw new LensFormatError(`${fileName}: _rebuild_parameter got ${describe(data)}, not a tensor`);
      return data;
    }
    default:
      throw new LensFormatError(`${fileName}: the pickle calls ${callable.qualifiedName}, which only names a type — the file is corrupted`);
  }
}

function storageFromPersistentId(pid: PickleValue, fileName: string): StorageRef {
  if (Array.isArray(pid) && pid.length === 5 && pid[0] === 'storage') {
    const [, type, key, location, numel] = pid;
    const known = type instanceof PickleGlobal && type.module === 'torch' ? STORAGE_TYPES[type.name] : undefined;
    if (known && typeof key === 'string' && typeof location === 'string' && isIndex(numel)) {
      return new StorageRef(known.dtype, key, location, numel);
    }
  }
  throw new LensFormatError(
    `${fileName}: a persistent id is ${describe(pid)}; expected ('storage', <storage type>, key, location, numel) as torch.save writes`,
  );
}

// ---------------------------------------------------------------------------------------------
// Storages to tensors

function materialize(
  tensor: TensorView,
  name: string,
  entries: Map<string, Uint8Array>,
  folder: string,
  storages: Map<string, Float32Array>,
  budget: { elements: number },
  fileName: string,
): Tensor32 {
  const { storage, offset, shape, stride } = tensor;
  const entryName = `${folder}data/${storage.key}`;
  const width = storage.dtype === 'float32' ? 4 : 2;
  const raw = entries.get(entryName);
  if (!raw) {
    throw new LensFormatError(`${fileName}: tensor '${name}' is stored in '${entryName}', which is missing from the zip — the file is incomplete`);
  }
  if (raw.byteLength !== storage.numel * width) {
    throw new LensFormatError(
      `${fileName}: tensor '${name}' is stored in '${entryName}', which should hold ${storage.numel} ${storage.dtype} values ` +
        `(${storage.numel * width} bytes) but has ${raw.byteLength} bytes — the file is corrupted`,
    );
  }

  let count = 1;
  let last = offset; // the largest storage index the view reaches
  for (let d = 0; d < shape.length; d++) {
    count *= shape[d];
    last += (shape[d] - 1) * stride[d];
  }
  if (count > 0 && last >= storage.numel) {
    throw new LensFormatError(
      `${fileName}: tensor '${name}' ${formatShape(shape)} at offset ${offset} with strides ${formatShape(stride)} reaches element ${last} ` +
        `of a storage of ${storage.numel} — the file is corrupted`,
    );
  }
  if (count > MAX_ELEMENTS) {
    throw new LensFormatError(`${fileName}: tensor '${name}' ${formatShape(shape)} has ${count} elements, more than a lens can hold — the file is corrupted`);
  }
  if (count > budget.elements) {
    throw new LensFormatError(
      `${fileName}: tensor '${name}' ${formatShape(shape)} would bring the tensors past ${MAX_EXPANSION}× the file's size as float32 ` +
        `(its strides repeat its storage) — the file is corrupted or a memory bomb`,
    );
  }
  budget.elements -= count;
  const data = new Float32Array(count);
  if (count === 0) return { data, shape: [...shape] };
  const contiguous = isContiguous(shape, stride);
  if (contiguous && storage.dtype === 'float32') {
    // The common case, a lens's weights: one copy straight from the file's bytes.
    new Uint8Array(data.buffer).set(raw.subarray(offset * 4, (offset + count) * 4));
    return { data, shape: [...shape] };
  }
  const cacheKey = `${storage.dtype} ${storage.key}`;
  let values = storages.get(cacheKey);
  if (!values) storages.set(cacheKey, (values = toFloat32(raw, storage.dtype)));
  if (contiguous) {
    data.set(values.subarray(offset, offset + count));
    return { data, shape: [...shape] };
  }
  // General strides: walk the output in row-major order with an odometer over the indices.
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let source = offset;
  for (let i = 0; i < count; i++) {
    data[i] = values[source];
    for (let d = rank - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) {
        source += stride[d];
        break;
      }
      source -= (shape[d] - 1) * stride[d];
      index[d] = 0;
    }
  }
  return { data, shape: [...shape] };
}

const MAX_ELEMENTS = 2 ** 31 - 1;

function isContiguous(shape: number[], stride: number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

function toFloat32(raw: Uint8Array, dtype: StorageDtype): Float32Array {
  const aligned = new Uint8Array(raw.byteLength); // a copy: owned, aligned, and detached from the file
  aligned.set(raw);
  if (dtype === 'float32') return new Float32Array(aligned.buffer);
  const halves = new Uint16Array(aligned.buffer);
  return dtype === 'float16' ? float16ToFloat32(halves) : bfloat16ToFloat32(halves);
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** `<folder>/` holding `data.pkl`: `archive/` for buffer saves, the file's stem for path saves. */
function findArchiveFolder(entries: Map<string, Uint8Array>, fileName: string): string {
  const candidates = [...entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (candidates.length === 1) return candidates[0].slice(0, -'data.pkl'.length);
  const listing = [...entries.keys()].slice(0, 8).join(', ');
  if (candidates.length === 0) {
    throw new LensFormatError(`${fileName}: the zip has no <folder>/data.pkl (it has ${listing || 'nothing'}) — is this a torch.save file?`);
  }
  throw new LensFormatError(`${fileName}: the zip has ${candidates.length} data.pkl files (${candidates.join(', ')}); a torch.save file has one`);
}

function isLegacyTorchSave(bytes: Uint8Array): boolean {
  // Pre-1.6 files are a bare pickle stream starting with the magic number 0x1950a86a20f9469cfc6c.
  return bytes.byteLength > 2 && bytes[0] === 0x80 && bytes[1] <= 5;
}

function isIndex(value: PickleValue): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isIndexList(value: PickleValue): value is number[] {
  return Array.isArray(value) && value.every(isIndex);
}

/** `value` for a message, shown 3 levels deep at most (a pickle can build a list that holds itself). */
function describe(value: PickleValue, depth = 0): string {
  if (value === null) return 'None';
  if (Array.isArray(value)) {
    if (depth >= 3) return '(…)';
    return `(${value
      .slice(0, 6)
      .map((item) => describe(item, depth + 1))
      .join(', ')}${value.length > 6 ? ', …' : ''})`;
  }
  if (value instanceof PickleDict) return `a dict of ${value.items.size}`;
  if (value instanceof PickleGlobal) return value.qualifiedName;
  if (value instanceof StorageRef) return `a ${value.dtype} storage`;
  if (value instanceof TensorView) return `a tensor ${formatShape(value.shape)}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}

const OPCODE_NAMES: Record<number, string> = {
  0x81: 'NEWOBJ',
  0x92: 'NEWOBJ_EX',
  0x69: 'INST',
  0x6f: 'OBJ',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x49: 'INT',
  0x4c: 'LONG',
  0x46: 'FLOAT',
  0x53: 'STRING',
  0x54: 'BINSTRING',
  0x55: 'SHORT_BINSTRING',
  0x56: 'UNICODE',
  0x42: 'BINBYTES',
  0x43: 'SHORT_BINBYTES',
  0x8e: 'BINBYTES8',
  0x96: 'BYTEARRAY8',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
  0x8b: 'LONG4',
  0x50: 'PERSID',
  0x67: 'GET',
  0x70: 'PUT',
  0x8f: 'EMPTY_SET',
  0x90: 'ADDITEMS',
  0x91: 'FROZENSET',
};
