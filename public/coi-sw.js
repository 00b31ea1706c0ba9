/*
 * Cross-origin isolation for hosts that cannot send headers (GitHub Pages and most free static
 * hosts). onnxruntime-web's WASM threads need SharedArrayBuffer, which the browser grants only to a
 * cross-origin-isolated page, i.e. one served with COOP: same-origin and COEP: require-corp. This
 * service worker answers the site's own requests with those headers added (the known pattern of
 * coi-serviceworker). BaseLayout registers it only when the page is not isolated already, so a host
 * that sends the headers never runs it.
 *
 * Requests to other origins (the Hugging Face hub) are left to the browser: they are CORS fetches,
 * which a require-corp page may make.
 */
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (new URL(request.url).origin !== self.location.origin) return;
  // Chromium throws on this combination (devtools' requests); let the browser handle it.
  if (request.cache === 'only-if-cached' && request.mode !== 'same-origin') return;
  event.respondWith(
    fetch(request).then((response) => {
      // Opaque answers (redirects of navigations) cannot be rebuilt; the browser follows them.
      if (response.status === 0) return response;
      const headers = new Headers(response.headers);
      headers.set('Cross-Origin-Opener-Policy', 'same-origin');
      headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
      headers.set('Cross-Origin-Resource-Policy', 'same-origin');
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    }),
  );
});
