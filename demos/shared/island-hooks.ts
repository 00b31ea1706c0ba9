/**
 * The plumbing the live figures share: the page's engine state, the latest of a figure's runs, an
 * element's width, and the figure's state in the page URL (`?<figure id>=<encoded state>`).
 */
import type { RefObject } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { CancelledError, engine, type EngineState } from '../../src/engine/client.ts';
import type { ModelInfo } from '../../src/engine/protocol.ts';

/** The engine's state as it changes, and the loaded model's info once it is ready; starts loading on mount. */
export function useEngine(): { engineState: EngineState; info: ModelInfo | null } {
  const [engineState, setEngineState] = useState<EngineState>(() => engine().state);
  useEffect(() => engine().subscribe(setEngineState), []);
  useEffect(() => {
    engine()
      .whenReady()
      .catch(() => undefined); // shown through engineState
  }, []);
  return { engineState, info: engineState.status === 'ready' ? engineState.info : null };
}

/** A run the engine can stop once it has started (EngineClient.layerTransfer). */
export interface CancellableRun<T> {
  done: Promise<T>;
  cancel: () => void;
}

export interface LatestRun<T> {
  /** The last run's result; it stays while a newer run is on its way. */
  result: T | null;
  running: boolean;
  /** The last run's error message (cancelled runs are not errors). */
  error: string | null;
}

/**
 * Runs `run` again whenever `deps` change, and keeps only the latest run's outcome: a newer run makes
 * every older one stale (its result and error are dropped, and the engine cancels its queued request
 * with a CancelledError, which is not shown). A run waits `debounce` ms first, so typing waits for a
 * pause; with `typed`, only a change of that text waits, and anything else (a slider, a menu) runs
 * at once. `run` is null while there is nothing to run (no model yet); `isStale` lets it drop its own
 * progress reports. A run that is long once started (the layer transfer) returns its `cancel` too,
 * and a newer run, or the figure leaving the page, stops it.
 */
export function useLatestRun<T>(
  run: ((isStale: () => boolean) => Promise<T> | CancellableRun<T>) | null,
  deps: readonly unknown[],
  { debounce = 0, typed }: { debounce?: number; typed?: string } = {},
): LatestRun<T> {
  const [outcome, setOutcome] = useState<LatestRun<T>>({ result: null, running: false, error: null });
  const sentText = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (!run) return;
    let stale = false;
    let cancel: (() => void) | undefined;
    const delay = typed !== undefined && sentText.current === typed ? 0 : debounce;
    sentText.current = typed;
    const timer = setTimeout(() => {
      setOutcome((o) => ({ ...o, running: true }));
      const started = run(() => stale);
      if (!(started instanceof Promise)) cancel = started.cancel;
      (started instanceof Promise ? started : started.done).then(
        (result) => !stale && setOutcome({ result, running: false, error: null }),
        (e: Error) => {
          if (stale) return;
          setOutcome((o) => ({ ...o, running: false, error: e instanceof CancelledError ? o.error : e.message }));
        },
      );
    }, delay);
    return () => {
      stale = true;
      clearTimeout(timer);
      cancel?.();
    };
  }, deps);
  return outcome;
}

/** The content width of the element behind `ref`, in whole pixels, kept up to date. */
export function useWidth(ref: RefObject<HTMLElement>, initial = 640): number {
  const [width, setWidth] = useState(initial);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry.contentRect.width)));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  return width;
}

/** This figure's state as the page URL carries it (empty when it carries none). */
export function urlState(id: string): URLSearchParams {
  return new URLSearchParams(new URLSearchParams(location.search).get(id) ?? '');
}

/**
 * Writes the figure's state (key–value pairs, or already encoded) into the page URL under `id`,
 * replacing (not pushing) the history entry so Back leaves the page as usual. A figure in its
 * default state takes its key out, so an untouched page keeps its plain address.
 */
export function useUrlState(id: string, state: Record<string, string> | string, defaults: Record<string, string> | string): void {
  const encoded = encode(state);
  const encodedDefaults = encode(defaults);
  useEffect(() => {
    const timer = setTimeout(() => {
      const params = new URLSearchParams(location.search);
      if (encoded === encodedDefaults) params.delete(id);
      else params.set(id, encoded);
      const query = params.toString();
      history.replaceState(history.state, '', `${location.pathname}${query ? `?${query}` : ''}${location.hash}`);
    }, 300);
    return () => clearTimeout(timer);
  }, [encoded, encodedDefaults]);
}

function encode(state: Record<string, string> | string): string {
  return typeof state === 'string' ? state : new URLSearchParams(state).toString();
}
