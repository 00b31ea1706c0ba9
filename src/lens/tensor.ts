/** A float32 tensor as plain data: row-major `data` with its `shape`. */
export interface Tensor32 {
  data: Float32Array;
  shape: number[];
  /** The rows `indices` of the first axis, [n, …], read alone, where the tensor is read from a file (lazyTensor). */
  rows?(indices: readonly number[]): Promise<Float32Array>;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** The elements of all the tensors of an architecture's expected-tensor table. */
export function countParameters(expected: ReadonlyMap<string, { shape: readonly number[] }>): number {
  let total = 0;
  for (const { shape } of expected.values()) total += numel(shape);
  return total;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Buffers made by a lazy tensor's read: whoever asked holds the only reference. */
const readBuffers = new WeakSet<ArrayBufferLike>();

/**
 * A tensor whose data is made each time it is asked for (`read`), and kept by nobody here: a model's
 * weights can then be held in JavaScript one part at a time (LensModel's parts) rather than all at
 * once. Read `data` once into a local: each access reads again.
 */
export function lazyTensor(shape: number[], read: () => Float32Array, rows?: (indices: readonly number[]) => Promise<Float32Array>): Tensor32 {
  return {
    shape,
    get data() {
      const data = read();
      readBuffers.add(data.buffer);
      return data;
    },
    ...(rows ? { rows } : {}),
  };
}

/**
 * Frees the memory of `data` at once, where it is a lazy tensor's read (nobody else holds it) and the
 * platform can (`ArrayBuffer.prototype.transfer`); anything else is left to the collector.
 */
export function releaseTensorData(data: ArrayBufferView): void {
  const buffer = data.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (!readBuffers.delete(buffer)) return;
  buffer.transfer?.(0);
}
