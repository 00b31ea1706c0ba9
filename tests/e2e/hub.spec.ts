/**
 * GPT-2 from the Hugging Face hub, as a reader picks it in the model picker. The hub cannot be reached
 * from the test machine, so its addresses are answered with local files of exactly the formats the hub
 * serves — the tiny GPT-2 fixture in Hugging Face layout for `openai-community/gpt2`, a current-format
 * tuned lens for the Space's `lens/gpt2/` — and the site's own download code runs unchanged: sizes asked
 * with HEAD, CORS, progress, Cache Storage.
 */
import { readFileSync, statSync } from 'node:fs';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { formatBytes } from '../../src/lens/format-bytes.ts';
import { parseModelConfig } from '../../src/lens/model/architectures.ts';
import { memoryEstimate } from '../../src/lens/model/memory-estimate.ts';
import { watchForErrors } from './watch-errors.ts';

const HUB_FILES: Record<string, string> = {
  '/openai-community/gpt2/resolve/main/config.json': 'tests/fixtures/tiny-gpt2/config.json',
  '/openai-community/gpt2/resolve/main/model.safetensors': 'tests/fixtures/tiny-gpt2/model.safetensors',
  '/spaces/AlignmentResearch/tuned-lens/resolve/main/lens/gpt2/config.json': 'tests/fixtures/lenses/current/config.json',
  '/spaces/AlignmentResearch/tuned-lens/resolve/main/lens/gpt2/params.pt': 'tests/fixtures/lenses/current/params.pt',
};
const TINY = JSON.parse(readFileSync('tests/fixtures/tiny-gpt2/config.json', 'utf8')) as { n_layer: number; n_embd: number; vocab_size: number };
const FIGURE = 'fig-seed-heatmap';

/** Answers huggingface.co like the hub does (CORS, sizes), from HUB_FILES; anything else is a 404. */
async function serveHub(context: BrowserContext, fail: (method: string, path: string) => boolean = () => false): Promise<void> {
  await context.route('https://huggingface.co/**', async (route) => {
    const path = new URL(route.request().url()).pathname;
    const cors = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-length, etag' };
    if (fail(route.request().method(), path)) return route.abort('failed');
    const file = HUB_FILES[path];
    if (!file) return route.fulfill({ status: 404, headers: cors, body: 'Entry not found' });
    return route.fulfill({ status: 200, headers: { ...cors, 'content-type': 'application/octet-stream' }, body: readFileSync(file) });
  });
}

async function pickGpt2(page: Page): Promise<void> {
  await page.goto(`/#${FIGURE}`);
  await expect(page.locator(`#${FIGURE}`).getByRole('gridcell').first()).toBeVisible({ timeout: 45_000 });
  await page.locator('.model-picker summary').click();
  await page.getByRole('radio', { name: /GPT-2 small \(Hugging Face hub\)/ }).check();
}

test('picking GPT-2 says what it will download, downloads it from the hub with its lens, and the figures run on it', async ({ page, context }) => {
  const errors = watchForErrors(page);
  await serveHub(context);
  await pickGpt2(page);
  const weights = statSync(HUB_FILES['/openai-community/gpt2/resolve/main/model.safetensors']).size;
  const lens = statSync(HUB_FILES['/spaces/AlignmentResearch/tuned-lens/resolve/main/lens/gpt2/params.pt']).size;
  const picker = page.locator('.model-picker');
  await expect(picker).toContainText(
    `GPT-2 weights: ${formatBytes(weights)} · tuned lens: ${formatBytes(lens)} — ${formatBytes(weights + lens)} in all, kept in your browser’s cache for next time.`,
  );
  // Headless Chromium reports this machine's memory, which holds the tiny model many times over: no warning.
  await expect(picker).toContainText(`Needs about ${formatBytes(memoryEstimate(parseModelConfig(TINY)).peakBytes)} of memory while it loads`);
  await expect(picker.getByRole('note')).toHaveCount(0);
  await picker.getByRole('button', { name: `Download and load (${formatBytes(weights + lens)})` }).click();

  await expect(picker.getByRole('status').filter({ hasText: 'Loaded:' })).toContainText(
    `Loaded: ${TINY.n_layer} layers, dmodel ${TINY.n_embd}, vocabulary ${TINY.vocab_size.toLocaleString('en')}`,
    { timeout: 45_000 },
  );
  await expect(picker.locator('summary')).toContainText('GPT-2 small (Hugging Face hub) · WASM');
  const figure = page.locator(`#${FIGURE}`);
  await expect(figure.getByRole('grid').getByRole('row')).toHaveCount(TINY.n_layer + 1, { timeout: 45_000 });
  await expect(figure.getByRole('combobox', { name: 'Lens' }).locator('option')).toHaveText(['logit lens', 'tuned lens']);
  // Downloaded once, then kept: the weights are in Cache Storage.
  const cached = await page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
    return urls;
  });
  expect(cached).toEqual(
    expect.arrayContaining([
      'https://huggingface.co/openai-community/gpt2/resolve/main/model.safetensors',
      'https://huggingface.co/spaces/AlignmentResearch/tuned-lens/resolve/main/lens/gpt2/params.pt',
    ]),
  );
  expect(errors).toEqual([]);
});

test('the picker warns, without blocking, when the device reports less memory than the model needs', async ({ page, context }) => {
  const errors = watchForErrors(page);
  // Less than even the tiny model's estimate (about 15 MB), as a phone reports less than GPT-2's.
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'deviceMemory', { get: () => 0.0078125 }));
  await serveHub(context);
  await pickGpt2(page);
  const picker = page.locator('.model-picker');
  const needed = formatBytes(memoryEstimate(parseModelConfig(TINY)).peakBytes);
  await expect(picker.getByRole('note')).toHaveText(
    `This device reports about 0.0078125 GB of memory, less than the ${needed} this model needs: the tab may run out of memory and close. You can still try.`,
  );
  await picker.getByRole('button', { name: /Download and load/ }).click();
  await expect(picker.getByRole('status').filter({ hasText: 'Loaded:' })).toContainText(`Loaded: ${TINY.n_layer} layers`, { timeout: 45_000 });
  expect(errors).toEqual([]);
});

test('a failed hub download says so in the picker, and Retry loads it once the network is back', async ({ page, context }) => {
  let offline = true;
  // The sizes arrive; the download itself fails (the connection drops).
  await serveHub(context, (method, path) => offline && method === 'GET' && path.endsWith('model.safetensors'));
  await pickGpt2(page);
  const picker = page.locator('.model-picker');
  await picker.getByRole('button', { name: /Download and load/ }).click();
  await expect(picker.getByRole('alert')).toBeVisible({ timeout: 30_000 });
  await expect(picker.getByRole('alert')).toContainText('model.safetensors');
  await expect(picker.locator('summary')).toContainText('GPT-2 small (Hugging Face hub) failed to load');

  offline = false;
  await picker.getByRole('button', { name: 'Retry' }).click();
  await expect(picker.getByRole('status').filter({ hasText: 'Loaded:' })).toContainText(`Loaded: ${TINY.n_layer} layers`, { timeout: 45_000 });
  await expect(picker.getByRole('alert')).toHaveCount(0);
  await expect(page.locator(`#${FIGURE}`).getByRole('grid').getByRole('row')).toHaveCount(TINY.n_layer + 1, { timeout: 45_000 });
});
