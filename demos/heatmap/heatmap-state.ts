/**
 * A heatmap figure's whole state, and its encoding in the page URL: `?<figure id>=<state>#<figure id>`,
 * so a copied link reopens the same figure, scrolled to it. Unknown or malformed values fall back
 * to the figure's own defaults rather than breaking the page.
 */
import { MENU_STATISTIC_JSON_NAMES, MENU_STATISTICS, statisticRequest, type MenuStatistic, type Quantity } from './statistic-scales.ts';
import type { TrajectoryRequest } from '../../src/engine/protocol.ts';
import { sliceRange } from '../../src/lens/trajectory/prediction-trajectory.ts';

export interface HeatmapState {
  text: string;
  lens: string;
  statistic: MenuStatistic;
  /** Python-style slice of positions: negative counts from the end; `end` null means "to the end". */
  start: number;
  end: number | null;
  stride: number;
  topk: number;
  /** Show the prediction-depth strip under the heatmap. */
  depth: boolean;
  /** Add each block's after-attention state as a row "ℓ · after attention" (read by the logit lens). */
  sublayers: boolean;
  /** A token id whose probability (or rank) every cell shows instead of the statistic; null for none. */
  follow: number | null;
  followAs: FollowAs;
}

export type FollowAs = 'probability' | 'rank';

/** What the cells are coloured by: the followed token when there is one, else the menu's statistic. */
export function shownQuantity(state: Pick<HeatmapState, 'statistic' | 'follow' | 'followAs'>): Quantity {
  if (state.follow === null) return state.statistic;
  return state.followAs === 'rank' ? 'followRank' : 'followProbability';
}

/** The followed id a figure can show: one from a link made on a model with a larger vocabulary is dropped. */
export function followable(follow: number | null, vocabSize: number | undefined): number | null {
  return follow !== null && (vocabSize === undefined || follow < vocabSize) ? follow : null;
}

/**
 * What the engine is asked for to draw `state` through `lens`, following `follow` (followable's). Its
 * values, in a fixed order, are what a new run depends on: the menu's other statistics need none.
 */
export function trajectoryRequest(state: HeatmapState, lens: string, follow: number | null): TrajectoryRequest {
  return {
    text: state.text,
    lens,
    topk: state.topk,
    follow: follow ?? undefined,
    ...statisticRequest(state.statistic),
    start: state.start,
    end: state.end ?? undefined,
  };
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
  depth: false,
  sublayers: false,
  follow: null,
  followAs: 'probability',
};

export const TOPK_CHOICES = [5, 10, 20];
export const STRIDE_CHOICES = [1, 2, 3, 4];

/** How the stride menu names a choice: "every layer", "every 2nd", "every 3rd", "every 4th". */
export function strideLabel(n: number): string {
  if (n === 1) return 'every layer';
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th');
  return `every ${n}${suffix}`;
}

const byJsonName = new Map(MENU_STATISTICS.map((s) => [MENU_STATISTIC_JSON_NAMES[s], s] as const));

export function encodeState(state: HeatmapState): string {
  const params = new URLSearchParams({
    text: state.text,
    lens: state.lens,
    stat: MENU_STATISTIC_JSON_NAMES[state.statistic],
    start: String(state.start),
    stride: String(state.stride),
    k: String(state.topk),
  });
  if (state.end !== null) params.set('end', String(state.end));
  // Written either way, so a link can turn off a strip that the figure shows by default.
  params.set('depth', state.depth ? '1' : '0');
  params.set('sub', state.sublayers ? '1' : '0');
  if (state.follow !== null) {
    params.set('follow', String(state.follow));
    params.set('as', state.followAs);
  }
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
    depth: params.has('depth') ? params.get('depth') === '1' : defaults.depth,
    sublayers: params.has('sub') ? params.get('sub') === '1' : defaults.sublayers,
    // A link without `follow` follows nothing, so that clearing it is kept in the link too.
    follow: followId(params.get('follow')),
    followAs: params.get('as') === 'rank' ? 'rank' : 'probability',
  };
}

function followId(value: string | null): number | null {
  const n = value === null ? NaN : Number(value);
  return Number.isInteger(n) && n >= 0 ? n : null;
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
