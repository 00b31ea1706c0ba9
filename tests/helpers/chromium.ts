/**
 * Debian's Chromium, as the end-to-end tests and the browser benches launch it (Playwright's own
 * browser download is not available here). WebGPU is on so the engine can be asked for it.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
