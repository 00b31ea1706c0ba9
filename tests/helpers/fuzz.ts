/**
 * The fuzz suite's machinery: mutations of real files (as fast-check arbitraries, so failures shrink to
 * a small counterexample), the property every reader must keep, and the tally the README quotes.
 *
 * The property: a reader given any bytes either returns, or throws one of our typed errors
 * (LensFormatError, ModelMismatchError) whose message names the file; nothing else escapes, and no
 * call takes longer than HANG_MS.
 *
 * The seed is fixed (FUZZ_SEED, default 16) so `npm test` tries the same inputs every time;
 * FUZZ_RUNS=<n> multiplies every reader's count by n for a long run (README, "Reliability").
 */
import fc from 'fast-check';
import { LensFormatError, ModelMismatchError } from '../../src/lens/errors.ts';

export const SEED = Number(process.env.FUZZ_SEED ?? 16);
export const RUN_FACTOR = Math.max(1, Number(process.env.FUZZ_RUNS ?? 1));

/** A reader that takes longer than this on one input has hung (the inputs are all under a few MB). */
export const HANG_MS = 5000;

export interface Tally {
  tried: number;
  loaded: number;
  refused: number;
  /** Inputs on which the reader broke the property; any makes the suite fail. */
  unhandled: number;
  /** The longest one input took, in ms. */
  slowestMs: number;
  totalMs: number;
}

export const tallies = new Map<string, Tally>();

function tally(reader: string): Tally {
  let t = tallies.get(reader);
  if (!t) tallies.set(reader, (t = { tried: 0, loaded: 0, refused: 0, unhandled: 0, slowestMs: 0, totalMs: 0 }));
  return t;
}

/**
 * Runs `read` on one input, records the outcome under `reader`, and throws (failing the property)
 * unless it returned or refused with a typed error naming one of `labels`. Returns what `read`
 * returned, or undefined when the input was refused.
 */
export async function tryReader<T>(reader: string, labels: string[], read: () => T | Promise<T>): Promise<T | undefined> {
  const t = tally(reader);
  t.tried++;
  const start = performance.now();
  let result: T | undefined;
  try {
    result = await read();
    t.loaded++;
  } catch (e) {
    if (!(e instanceof LensFormatError || e instanceof ModelMismatchError)) {
      t.unhandled++;
      throw new Error(`${reader}: unhandled ${(e as Error)?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)}`, { cause: e });
    }
    if (!labels.some((label) => e.message.startsWith(`${label}:`))) {
      t.unhandled++;
      throw new Error(`${reader}: the refusal does not name the file (${labels.join(' or ')}): ${e.message}`, { cause: e });
    }
    t.refused++;
  }
  const ms = performance.now() - start;
  t.slowestMs = Math.max(t.slowestMs, ms);
  t.totalMs += ms;
  if (ms > HANG_MS) t.unhandled++;
  if (ms > HANG_MS) throw new Error(`${reader}: one input took ${ms.toFixed(0)} ms (bound ${HANG_MS} ms)`);
  return result;
}

/** fast-check's parameters for a reader: the fixed seed, and `runs` scaled by FUZZ_RUNS. */
export function params(runs: number): fc.Parameters<unknown> {
  return { seed: SEED, numRuns: runs * RUN_FACTOR, endOnFailure: true };
}

// ---------------------------------------------------------------------------------------------
// Byte-level mutations

/** Values that break length and offset arithmetic: zero, sign bits, all ones, past 2^53. */
const EDGE_U32 = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; keep: number }
  | { kind: 'overwrite'; at: number; bytes: number[] }
  | { kind: 'u32'; at: number; value: number }
  | { kind: 'u64'; at: number; value: bigint }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number; to: number };

const position = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: position, bit: fc.integer({ min: 0, max: 7 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), keep: position }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('overwrite' as const),
      at: position,
      bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('u32' as const), at: position, value: fc.oneof(fc.constantFrom(...EDGE_U32), fc.nat()) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('u64' as const),
      at: position,
      value: fc.oneof(fc.constantFrom(2n ** 62n, 2n ** 53n, 2n ** 64n - 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: position, length: fc.integer({ min: 1, max: 64 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), at: position, length: fc.integer({ min: 1, max: 256 }), to: position }) },
);

export function applyMutation(bytes: Uint8Array, m: Mutation): Uint8Array {
  const n = bytes.byteLength;
  const at = (fraction: number) => Math.floor(fraction * n);
  switch (m.kind) {
    case 'flip': {
      if (n === 0) return bytes;
      const out = bytes.slice();
      out[at(m.at)] ^= 1 << m.bit;
      return out;
    }
    case 'truncate':
      return bytes.slice(0, at(m.keep));
    case 'overwrite': {
      const out = bytes.slice();
      m.bytes.forEach((b, i) => {
        if (at(m.at) + i < n) out[at(m.at) + i] = b;
      });
      return out;
    }
    case 'u32':
    case 'u64': {
      const width = m.kind === 'u32' ? 4 : 8;
      if (n < width) return bytes;
      const out = bytes.slice();
      const view = new DataView(out.buffer);
      const where = Math.min(at(m.at), n - width);
      if (m.kind === 'u32') view.setUint32(where, m.value, true);
      else view.setBigUint64(where, m.value, true);
      return out;
    }
    case 'delete':
      return concat(bytes.subarray(0, at(m.at)), bytes.subarray(Math.min(n, at(m.at) + m.length)));
    case 'duplicate': {
      const piece = bytes.subarray(at(m.at), Math.min(n, at(m.at) + m.length));
      return concat(bytes.subarray(0, at(m.to)), piece, bytes.subarray(at(m.to)));
    }
  }
}

/** One to three mutations of `seed`, applied in order. */
export function mutated(seed: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.array(mutation, { minLength: 1, maxLength: 3 }).map((ms) => ms.reduce(applyMutation, seed));
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// JSON-level mutations

/** JSON values that readers mishandle: wrong types, huge and negative sizes, deep nesting. */
export const evilJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, -0, 2 ** 31, 2 ** 53, 2 ** 62, 1e308, '', '7', 'gpt2', [], {}, [1, 2], { a: 1 }),
  fc.integer(),
  fc.string({ maxLength: 12 }),
  fc.integer({ min: 1, max: 300 }).map((depth) => deepNesting(depth)),
  fc.jsonValue({ maxDepth: 3 }),
);

function deepNesting(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/**
 * JSON text nested up to 20,000 deep (arrays or objects), as bytes: deeper than any value the
 * edits above build, which must stay shallow enough for structuredClone and JSON.stringify.
 */
export const deepJsonText: fc.Arbitrary<Uint8Array> = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.boolean())
  .map(([depth, objects]) => new TextEncoder().encode(objects ? '{"a":'.repeat(depth) + '1' + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth)));

export type JsonEdit = { kind: 'set'; path: number[]; key: string | undefined; value: unknown } | { kind: 'delete'; path: number[] };

/**
 * Edits of a parsed JSON document: replace or delete a value found by `path` (each number picks a
 * child by index, modulo the count), or add a key.
 */
export const jsonEdit: fc.Arbitrary<JsonEdit> = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    path: fc.array(fc.nat(), { maxLength: 4 }),
    key: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
    value: evilJson,
  }),
  fc.record({ kind: fc.constant('delete' as const), path: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }) }),
);

/** `doc` (not modified) with `edit` applied to a deep copy. */
export function applyJsonEdit(doc: unknown, edit: JsonEdit): unknown {
  const root = structuredClone(doc);
  let parent: unknown = undefined;
  let key: string | number | undefined;
  let node: unknown = root;
  for (const step of edit.path) {
    if (typeof node !== 'object' || node === null) break;
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    parent = node;
    key = Array.isArray(node) ? step % node.length : keys[step % keys.length];
    node = (node as Record<string | number, unknown>)[key];
  }
  if (edit.kind === 'delete') {
    if (parent === undefined || key === undefined) return root;
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete (parent as Record<string, unknown>)[key];
    return root;
  }
  if (edit.key !== undefined && typeof node === 'object' && node !== null && !Array.isArray(node)) {
    (node as Record<string, unknown>)[edit.key] = edit.value;
    return root;
  }
  if (parent === undefined || key === undefined) return edit.value;
  (parent as Record<string | number, unknown>)[key] = edit.value;
  return root;
}

/** One to three edits of `doc`. */
export function editedJson(doc: unknown): fc.Arbitrary<unknown> {
  return fc.array(jsonEdit, { minLength: 1, maxLength: 3 }).map((edits) => edits.reduce(applyJsonEdit, doc));
}

/** The summary line the test prints, counted as the inputs ran. */
export function summary(): string {
  const parts = [...tallies].map(
    ([reader, t]) =>
      `${reader} ${t.tried} (${t.loaded} loaded, ${t.refused} refused, ${t.unhandled} unhandled, slowest ${t.slowestMs.toFixed(0)} ms, ${(t.totalMs / 1000).toFixed(1)} s in all)`,
  );
  return `fuzz (seed ${SEED}, FUZZ_RUNS ${RUN_FACTOR}): ${parts.join('; ')}`;
}
