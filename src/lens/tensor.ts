/** A float32 tensor as plain data: row-major `data` with its `shape`. */
export interface Tensor32 {
  data: Float32Array;
  shape: number[];
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
