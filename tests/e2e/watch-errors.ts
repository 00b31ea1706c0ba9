import type { Page, Request } from '@playwright/test';

/** Console errors, uncaught exceptions and failed requests, collected while a test runs. */
export function watchForErrors(page: Page): string[] {
  const errors: string[] = [];
  const inFlight = new Set<Request>();
  // Requests still pending when the page navigates away are cancelled by the browser, by design.
  const leftBehind = new WeakSet<Request>();
  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) {
      for (const pending of inFlight) leftBehind.add(pending);
      inFlight.clear();
    }
    inFlight.add(request);
  });
  page.on('requestfinished', (request) => inFlight.delete(request));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('requestfailed', (request) => {
    inFlight.delete(request);
    const aborted = request.failure()?.errorText === 'net::ERR_ABORTED';
    if (aborted && leftBehind.has(request)) return;
    // Chromium reports every HEAD fetch from a Worker as aborted once the headers arrive, though the
    // fetch resolves normally; the engine asks file sizes with HEAD before downloading.
    if (aborted && request.method() === 'HEAD') return;
    errors.push(`requestfailed: ${request.url()} (${request.failure()?.errorText})`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return errors;
}
