/**
 * The plumbing the comparison, curves and translator islands share: the page's engine state, an
 * element's width, and the island's state in the page URL (`?<figure id>=<encoded state>`).
 * (Candidates for demos/shared/, beside EngineStatus, once the heatmap uses them too.)
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
 * replacing (not pushing) the history entry so Back leaves the page as usual.
 */
export function useUrlState(id: string, state: Record<string, string> | string): void {
  const encoded = typeof state === 'string' ? state : new URLSearchParams(state).toString();
  useEffect(() => {
    const timer = setTimeout(() => {
      const params = new URLSearchParams(location.search);
      params.set(id, encoded);
      history.replaceState(history.state, '', `${location.pathname}?${params.toString()}${location.hash}`);
    }, 300);
    return () => clearTimeout(timer);
  }, [encoded]);
}
