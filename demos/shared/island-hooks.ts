/**
 * The plumbing the live figures share: the page's engine state, an element's width, and the
 * figure's state in the page URL (`?<figure id>=<encoded state>`).
 */
import type { RefObject } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { engine, type EngineState } from '../../src/engine/client.ts';
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
