/**
 * A heatmap figure's whole state, and its encoding in the page URL: `?<figure id>=<state>#<figure id>`,
 * so a copied link reopens the same figure, scrolled to it. Unknown or malformed values fall back
 * to the figure's own defaults rather than breaking the page.
 */
import { sliceRange, STATISTIC_JSON_NAMES, STATISTICS, type Statistic } from '../../src/lens/trajectory/prediction-trajectory.ts';

export interface HeatmapState {
  text: string;
  lens: string;
  statistic: Statistic;
  /** Python-style slice of positions: negative counts from the end; `end` null means "to the end". */
  start: number;
  end: number | null;
  stride: number;
  topk: number;
}

export const SEED_PROMPT = '82U*N#c4t^koK%a5*S3qrfBi 82U*N#c4t^koK%a5*S3qrfBi';

export const DEFAULT_STATE: HeatmapState = {
  text: SEED_PROMPT,
  lens: 'tuned',
  statistic: 'entropy',
  start: -10,
  end: null,
  stride: 1,
  topk: 10,
};

export const TOPK_CHOICES = [5, 10, 20];
export const STRIDE_CHOICES = [1, 2, 3, 4];

/** How the stride menu names a choice: "every layer", "every 2nd", "every 3rd", "every 4th". */
export function strideLabel(n: number): string {
  if (n === 1) return 'every layer';
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `every ${n}${suffix}`;
}

const byJsonName = new Map(STATISTICS.map((s) => [STATISTIC_JSON_NAMES[s], s] as const));

export function encodeState(state: HeatmapState): string {
  const params = new URLSearchParams({
    text: state.text,
    lens: state.lens,
    stat: STATISTIC_JSON_NAMES[state.statistic],
    start: String(state.start),
    stride: String(state.stride),
    k: String(state.topk),
  });
  if (state.end !== null) params.set('end', String(state.end));
  return params.toString();
}

export function decodeState(encoded: string | null, defaults: HeatmapState): HeatmapState {
  if (!encoded) return defaults;
  const params = new URLSearchParams(encoded);
  const int = (key: string, fallback: number, ok: (n: number) => boolean = () => true) => {
    const value = params.get(key);
    const n = value === null ? NaN : Number(value);
    return Number.isInteger(n) && ok(n) ? n : fallback;
  };
  const end = params.get('end');
  return {
    text: params.get('text') ?? defaults.text,
    lens: params.get('lens') || defaults.lens,
    statistic: byJsonName.get(params.get('stat') ?? '') ?? defaults.statistic,
    start: int('start', defaults.start),
    end: end === null ? defaults.end : int('end', defaults.end ?? 0),
    stride: int('stride', defaults.stride, (n) => n >= 1 && n <= 12),
    topk: int('k', defaults.topk, (n) => n >= 1 && n <= 50),
  };
}

/** The URL that opens this figure in this state. */
export function shareUrl(figureId: string, state: HeatmapState, location: { origin: string; pathname: string; search: string }): string {
  const params = new URLSearchParams(location.search);
  params.set(figureId, encodeState(state));
  return `${location.origin}${location.pathname}?${params.toString()}#${figureId}`;
}

/** Python slice bounds → the [from, to) positions shown, for T tokens. */
export function visibleRange(state: Pick<HeatmapState, 'start' | 'end'>, T: number): [number, number] {
  return sliceRange(T, state.start, state.end ?? undefined);
}
