/**
 * The site on a static host that can send no headers, under a base path — a GitHub Pages project
 * site at /tuned-lens/. Built by `npm run build:base` (`npm run build -- --base /tuned-lens/ --outDir
 * dist-base`), served by tests/helpers/static-host.ts, which sends no COOP/COEP/CORP. The page must
 * get its links, model, Worker and WASM from under the base path, and cross-origin isolation (so WASM
 * threads) from the site's service worker. Beside it, the usual server that sends the headers.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { DEFAULT_MODEL_DIR, DEFAULT_MODEL_ROWS as ROWS } from './default-model.ts';
import { startStaticHost, type StaticHost } from '../helpers/static-host.ts';
import { watchForErrors } from './watch-errors.ts';

const ROOT = 'dist-base';
const BASE = '/tuned-lens/';
const MODEL = DEFAULT_MODEL_DIR.replace(/^public\//, '');

let host: StaticHost;
test.beforeAll(async () => {
  expect(existsSync(join(ROOT, 'index.html')), `${ROOT}/ is built (npm run build:base)`).toBe(true);
  host = await startStaticHost(ROOT, BASE);
});
test.afterAll(() => host?.close());

test('every root-relative link, script and image of every built page is under the base path and exists', () => {
  const pages = readdirSync(ROOT, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.html'));
  expect(pages.length).toBeGreaterThan(10);
  let checked = 0;
  for (const page of pages) {
    const html = readFileSync(join(ROOT, page), 'utf8');
    for (const [, url] of html.matchAll(/\s(?:href|src|action|poster)="(\/(?!\/)[^"]*)"/g)) {
      expect(url, `${page}: ${url}`).toMatch(/^\/tuned-lens\//);
      const path = decodeURIComponent(url.slice(BASE.length).replace(/[?#].*$/, ''));
      const file = join(ROOT, path);
      const exists = existsSync(path.endsWith('/') || path === '' ? join(file, 'index.html') : file);
      expect(exists, `${page}: ${url} names a built file`).toBe(true);
      checked++;
    }
  }
  // Each page links the chapters, its stylesheet and scripts: far more than one per page.
  expect(checked).toBeGreaterThan(pages.length * 10);
});

test('without isolation headers, the service worker isolates the page; model, Worker and WASM load under the base path', async ({ page }) => {
  // The page loads twice (once to register the service worker) before the model runs.
  test.slow();
  await page.goto(host.url);
  // The first load registers the worker and loads the page once more through it (which cancels
  // what the first load still had in flight, so errors are collected from then on).
  await expect.poll(() => isolated(page), { timeout: 30_000 }).toBe(true);
  const errors = watchForErrors(page);
  const scriptURL = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
  expect(new URL(scriptURL!).pathname).toBe(`${BASE}coi-sw.js`);

  const figure = page.locator('#fig-seed-heatmap');
  await expect(figure.getByRole('gridcell').first()).toBeVisible({ timeout: 60_000 });
  await expect(figure.getByRole('grid').getByRole('row')).toHaveCount(ROWS);

  await page.locator('.model-picker summary').click();
  const status = page.locator('.model-picker').getByRole('status').filter({ hasText: 'Loaded:' });
  // Threads: min(4, the cores Chromium reports), and more than one only when isolated.
  const threads = await page.evaluate(() => Math.max(1, Math.min(4, navigator.hardwareConcurrency)));
  await expect(status).toContainText(`WASM with ${threads} thread${threads === 1 ? '' : 's'}`);
  await expect(status).toContainText('cross-origin isolated by this site’s service worker (the host sends no isolation headers)');

  // The server saw only requests under the base, every one answered, among them the model, the
  // engine's Worker and ORT's WASM.
  const gets = host.log.filter((r) => r.method === 'GET');
  expect(gets.filter((r) => !r.path.startsWith(BASE) || r.status >= 400)).toEqual([]);
  const paths = gets.map((r) => r.path);
  expect(paths).toContain(`${BASE}${MODEL}/model.safetensors`);
  expect(paths).toContain(`${BASE}${MODEL}/tokenizer.json`);
  expect(paths).toContain(`${BASE}${MODEL}/lens/params.pt`);
  expect(paths.some((p) => p.startsWith(`${BASE}_astro/`) && /worker.*\.js$/.test(p))).toBe(true);
  expect(paths.some((p) => p.startsWith(`${BASE}_astro/`) && p.endsWith('.wasm'))).toBe(true);
  expect(errors).toEqual([]);
});

test('links between chapters stay under the base path, and the next page is isolated from its first load', async ({ page }) => {
  test.slow();
  await page.goto(host.url);
  await expect.poll(() => isolated(page), { timeout: 30_000 }).toBe(true);
  const errors = watchForErrors(page);
  // Leave once the model has loaded, so no download of this page is cut off by the navigation.
  await expect(page.locator('.model-picker summary')).toContainText(/· (WASM|WebGPU)/, { timeout: 90_000 });
  const next = page.locator('a[rel="next"]');
  const href = await next.getAttribute('href');
  expect(href).toMatch(/^\/tuned-lens\/[a-z-]+\/$/);
  await next.click();
  await expect(page).toHaveURL(new URL(href!, host.url).href);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  // The GPT-2 tokenizer the hub models fall back on is served under the base too.
  const tokenizer = await page.evaluate(async (url) => (await fetch(url)).status, `${BASE}tokenizers/gpt2/tokenizer.json`);
  expect(tokenizer).toBe(200);
  expect(errors).toEqual([]);
});

test('a host that sends the isolation headers needs no service worker, and the status says so', async ({ page }) => {
  // The Playwright server (astro preview) sends COOP/COEP/CORP: the page registers nothing.
  const errors = watchForErrors(page);
  await page.goto('/');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  await page.locator('.model-picker summary').click();
  const status = page.locator('.model-picker').getByRole('status').filter({ hasText: 'Loaded:' });
  await expect(status).toContainText('cross-origin isolated by the server’s headers', { timeout: 45_000 });
  expect(await page.evaluate(async () => (await navigator.serviceWorker.getRegistrations()).length)).toBe(0);
  expect(errors).toEqual([]);
});

/** Whether the page is cross-origin isolated; false while the service worker's reload replaces it (the evaluation's context is then destroyed). */
function isolated(page: Page): Promise<boolean> {
  return page.evaluate(() => crossOriginIsolated).catch(() => false);
}
