/**
 * Comparing numbers with the reference fixtures: a combined tolerance |actual − expected| ≤
 * abs + rel·|expected|, and on failure a message that names the worst element (its index, both
 * values, the difference and what was allowed) — not just the first one that failed.
 */
export interface Tolerance {
  abs: number;
  rel: number;
}

export interface Worst {
  /** Multi-index of the worst element (by difference / allowed). */
  index: number[];
  actual: number;
  expected: number;
  difference: number;
  allowed: number;
  /** difference / allowed: ≤ 1 passes. */
  ratio: number;
  /** How many elements were compared (nulls in `expected` are skipped) and how many failed. */
  compared: number;
  failed: number;
}

type Nested = number | null | undefined | bigint | Nested[];

/** Flattens nested arrays (row-major), keeping nulls. */
export function flatten(values: Nested): (number | null)[] {
  const out: (number | null)[] = [];
  const walk = (v: Nested) => {
    if (Array.isArray(v)) v.forEach(walk);
    else out.push(v === null || v === undefined ? null : Number(v));
  };
  walk(values);
  return out;
}

/** The shape of a nested array (from its first elements). */
export function shapeOf(values: Nested): number[] {
  const shape: number[] = [];
  let v: Nested = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const index: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) {
    index.unshift(flat % shape[i]);
    flat = Math.floor(flat / shape[i]);
  }
  return index;
}

export function worstDifference(
  actual: ArrayLike<number | bigint>,
  expected: ArrayLike<number | null>,
  tolerance: Tolerance,
  shape: readonly number[] = [expected.length],
): Worst {
  if (actual.length !== expected.length) {
    throw new Error(`${actual.length} values where ${expected.length} were expected`);
  }
  let worst: Worst = { index: [], actual: NaN, expected: NaN, difference: 0, allowed: 0, ratio: 0, compared: 0, failed: 0 };
  let worstAt = -1;
  let compared = 0;
  let failed = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    if (e === null) continue;
    const a = Number(actual[i]);
    compared++;
    const difference = Math.abs(a - e);
    const allowed = tolerance.abs + tolerance.rel * Math.abs(e);
    const ratio = Number.isNaN(difference) ? Infinity : difference / allowed;
    if (ratio > 1) failed++;
    if (worstAt < 0 || ratio > worst.ratio) {
      worstAt = i;
      worst = { index: [], actual: a, expected: e, difference, allowed, ratio, compared: 0, failed: 0 };
    }
  }
  if (worstAt >= 0) worst.index = unravel(worstAt, shape);
  worst.compared = compared;
  worst.failed = failed;
  return worst;
}

export function describeWorst(label: string, worst: Worst): string {
  return (
    `${label}: worst element [${worst.index.join(', ')}] is ${worst.actual}, expected ${worst.expected} ` +
    `(difference ${worst.difference.toExponential(3)}, allowed ${worst.allowed.toExponential(3)}; ` +
    `${worst.failed} of ${worst.compared} out of tolerance)`
  );
}

/** Throws (with the worst element) unless every non-null expected value is within tolerance. */
export function expectClose(
  label: string,
  actual: ArrayLike<number | bigint>,
  expected: ArrayLike<number | null>,
  tolerance: Tolerance,
  shape?: readonly number[],
): Worst {
  const worst = worstDifference(actual, expected, tolerance, shape);
  if (worst.failed > 0) {
    throw new Error(describeWorst(label, worst));
  }
  return worst;
}

/** Throws, naming the first mismatch and the count, unless the integers are identical. */
export function expectSameIds(
  label: string,
  actual: ArrayLike<number | bigint>,
  expected: ArrayLike<number | null>,
  shape: readonly number[] = [expected.length],
): void {
  if (actual.length !== expected.length) throw new Error(`${label}: ${actual.length} ids where ${expected.length} were expected`);
  let first = -1;
  let count = 0;
  for (let i = 0; i < expected.length; i++) {
    if (expected[i] === null) continue;
    if (Number(actual[i]) !== expected[i]) {
      count++;
      if (first < 0) first = i;
    }
  }
  if (count > 0) {
    throw new Error(
      `${label}: ${count} of ${expected.length} differ; first at [${unravel(first, shape).join(', ')}]: ${Number(actual[first])}, expected ${expected[first]}`,
    );
  }
}
