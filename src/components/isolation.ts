/**
 * Where the page's cross-origin isolation (and with it WASM threads) comes from, for the engine's
 * status line: the host's headers, the site's service worker (public/coi-sw.js, for hosts that
 * cannot send headers), or nowhere.
 */
export const ISOLATION_WORKER = 'coi-sw.js';

export type Isolation = 'headers' | 'service-worker' | 'none';

export function isolation(): Isolation {
  if (!globalThis.crossOriginIsolated) return 'none';
  const controller = globalThis.navigator?.serviceWorker?.controller;
  return controller && new URL(controller.scriptURL).pathname.endsWith(`/${ISOLATION_WORKER}`) ? 'service-worker' : 'headers';
}

export const ISOLATION_TEXT: Record<Isolation, string> = {
  headers: 'The page is cross-origin isolated by the server’s headers.',
  'service-worker': 'The page is cross-origin isolated by this site’s service worker (the host sends no isolation headers).',
  none: 'The page is not cross-origin isolated, so WASM runs on one thread.',
};
