/**
 * Pythia (GPT-NeoX) from the Hugging Face hub, as a reader gets it: picked in the model picker, its
 * weights, its own tokenizer.json and the tuned-lens Space's lens downloaded with sizes and progress
 * and kept in Cache Storage, then the comparison chapter's cross-family figure computed on it. The hub
 * cannot be reached from the test machine, so its addresses are answered with local files of exactly
 * the formats it serves: the tiny GPT-NeoX in GPTNeoXForCausalLM layout (partial rotary, parallel
 * residual, a padded vocabulary) with its NeoX-kind tokenizer.json, and a current-format lens. The
 * numbers the page shows are checked against the PyTorch reference (tools/reference/gptneox_reference.py)
 * on WASM and on WebGPU (the software adapter here).
 */
import { readFileSync, statSync } from 'node:fs';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { formatBytes } from '../../src/lens/format-bytes.ts';
import { watchForErrors } from './watch-errors.ts';

const REPO = '/EleutherAI/pythia-70m-deduped/resolve/main';
const LENS = '/spaces/AlignmentResearch/tuned-lens/resolve/main/lens/EleutherAI/pythia-70m-deduped';
const HUB_FILES: Record<string, string> = {
  [`${REPO}/config.json`]: 'tests/fixtures/tiny-neox/config.json',
  [`${REPO}/model.safetensors`]: 'tests/fixtures/tiny-neox/model.safetensors',
  [`${REPO}/tokenizer.json`]: 'tests/fixtures/tiny-neox/tokenizer.json',
  [`${REPO}/tokenizer_config.json`]: 'tests/fixtures/tiny-neox/tokenizer_config.json',
  [`${LENS}/config.json`]: 'tests/fixtures/tiny-neox-lens/config.json',
  [`${LENS}/params.pt`]: 'tests/fixtures/tiny-neox-lens/params.pt',
};
const FIGURE = 'fig-family';
const CHAPTER = '/logit-vs-tuned/';

interface ExpectedPrompt {
  name: string;
  text: string;
  input_ids: number[];
  lenses: Record<'logit' | 'tuned', { cross_entropy: (number | null)[][] }>;
}
const EXPECTED = JSON.parse(readFileSync('tests/fixtures/expected/tiny-neox.json', 'utf8')) as { prompts: ExpectedPrompt[] };
const ENGLISH = EXPECTED.prompts.find((p) => p.name === 'english')!;

/**
 * The reference's bits per byte per row, by the site's one definition: Σ cross-entropy (nats) / ln 2 /
 * UTF-8 bytes of the predicted tokens, which are every token but the first. The tokenizer is
 * byte-level BPE, so the first token's vocabulary entry has one character per byte.
 */
function referenceBitsPerByte(lens: 'logit' | 'tuned'): number[] {
  const vocab = (JSON.parse(readFileSync('tests/fixtures/tiny-neox/tokenizer.json', 'utf8')) as { model: { vocab: Record<string, number> } }).model.vocab;
  const first = Object.keys(vocab).find((entry) => vocab[entry] === ENGLISH.input_ids[0])!;
  const bytes = new TextEncoder().encode(ENGLISH.text).length - [...first].length;
  return ENGLISH.lenses[lens].cross_entropy.map((row) => row.reduce<number>((sum, v) => sum + (v ?? 0), 0) / Math.LN2 / bytes);
}

/** Answers huggingface.co like the hub does (CORS, sizes) from `files`; anything else is a 404. */
async function serveHub(context: BrowserContext, files: Record<string, string> = HUB_FILES): Promise<void> {
  await context.route('https://huggingface.co/**', async (route) => {
    const path = new URL(route.request().url()).pathname;
    const cors = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-length, etag' };
    const file = files[path];
    if (!file) return route.fulfill({ status: 404, headers: cors, body: 'Entry not found' });
    return route.fulfill({ status: 200, headers: { ...cors, 'content-type': 'application/octet-stream' }, body: readFileSync(file) });
  });
}

/** The live numbers table of the cross-family figure (under "The numbers"): each row's label and cells. */
async function familyNumbers(page: Page): Promise<string[][]> {
  const figure = page.locator(`#${FIGURE}`);
  await expect(figure.locator('.curves-numbers tbody tr')).toHaveCount(4);
  return figure.locator('.curves-numbers tbody tr').evaluateAll((rows) => rows.map((row) => [...row.children].map((cell) => cell.textContent ?? '')));
}

function expectReferenceNumbers(rows: string[][]): void {
  const logit = referenceBitsPerByte('logit');
  const tuned = referenceBitsPerByte('tuned');
  expect(rows.map((r) => r[0])).toEqual(['0', '1', '2', 'output']);
  rows.forEach((cells, r) => {
    expect(Math.abs(Number(cells[1]) - logit[r]), `logit lens at row ${cells[0]}: page ${cells[1]}, reference ${logit[r]}`).toBeLessThanOrEqual(0.0015);
    expect(Math.abs(Number(cells[2]) - tuned[r]), `tuned lens at row ${cells[0]}: page ${cells[2]}, reference ${tuned[r]}`).toBeLessThanOrEqual(0.0015);
  });
}

test('picking Pythia-70m-deduped downloads it with its tokenizer and lens, and the cross-family figure runs on it', async ({ page, context }) => {
  test.setTimeout(150_000);
  const errors = watchForErrors(page);
  await serveHub(context);
  await page.goto(`${CHAPTER}?${FIGURE}=${encodeURIComponent(`text=${ENGLISH.text}`)}#${FIGURE}`);
  const figure = page.locator(`#${FIGURE}`);
  // On the embedded GPT-2 the figure says how to get a Pythia model.
  await expect(figure.getByRole('status').filter({ hasText: 'This figure runs on a Pythia model' })).toContainText('the page is running pd-gpt2-6l now', {
    timeout: 60_000,
  });

  await page.locator('.model-picker summary').click();
  await page.getByRole('radio', { name: /Pythia-70m-deduped \(Hugging Face hub\)/ }).check();
  const size = (path: string) => statSync(HUB_FILES[path]).size;
  const [weights, tokenizer, lens] = [size(`${REPO}/model.safetensors`), size(`${REPO}/tokenizer.json`), size(`${LENS}/params.pt`)];
  const picker = page.locator('.model-picker');
  await expect(picker).toContainText(
    `Pythia weights: ${formatBytes(weights)} · tokenizer: ${formatBytes(tokenizer)} · tuned lens: ${formatBytes(lens)} — ${formatBytes(weights + tokenizer + lens)} in all, kept in your browser’s cache for next time.`,
  );
  await picker.getByRole('button', { name: `Download and load (${formatBytes(weights + tokenizer + lens)})` }).click();
  await expect(picker.getByRole('status').filter({ hasText: 'Loaded:' })).toContainText('Loaded: 3 layers, dmodel 64, vocabulary 448', { timeout: 60_000 });
  await expect(picker.locator('summary')).toContainText('Pythia-70m-deduped (Hugging Face hub) · WASM');

  // The figure now computes both lenses on the text, through the repo's own tokenizer, as the reference does.
  await expect(figure.locator('.curves-legend')).toContainText('tuned lens, your text', { timeout: 60_000 });
  await expect(figure.getByRole('status').filter({ hasText: 'The quoted numbers are for 6 layers' })).toContainText('pythia-70m-deduped as loaded has 3');
  expectReferenceNumbers(await familyNumbers(page));

  const cached = await page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
    return urls;
  });
  expect(cached).toEqual(
    expect.arrayContaining([`${REPO}/model.safetensors`, `${REPO}/tokenizer.json`, `${LENS}/params.pt`].map((p) => `https://huggingface.co${p}`)),
  );
  expect(errors).toEqual([]);
});

test('Pythia on WebGPU (software adapter) shows the numbers the reference computes', async ({ page, context }) => {
  test.setTimeout(180_000);
  const errors = watchForErrors(page);
  await serveHub(context);
  await page.goto(`${CHAPTER}?model=pythia-70m&backend=webgpu&${FIGURE}=${encodeURIComponent(`text=${ENGLISH.text}`)}#${FIGURE}`);
  const picker = page.locator('.model-picker');
  await expect(picker.locator('summary')).toContainText('Pythia-70m-deduped (Hugging Face hub) · WebGPU', { timeout: 150_000 });
  await expect(page.locator(`#${FIGURE} .curves-legend`)).toContainText('tuned lens, your text', { timeout: 60_000 });
  expectReferenceNumbers(await familyNumbers(page));
  expect(errors).toEqual([]);
});

test("a lens for another model in Pythia's place is refused with the usual message, and the logit lens still runs", async ({ page, context }) => {
  test.setTimeout(150_000);
  await serveHub(context, {
    ...HUB_FILES,
    [`${LENS}/config.json`]: 'tests/fixtures/lenses/current/config.json',
    [`${LENS}/params.pt`]: 'tests/fixtures/lenses/current/params.pt',
  });
  await page.goto(`${CHAPTER}?model=pythia-70m&${FIGURE}=${encodeURIComponent(`text=${ENGLISH.text}`)}#${FIGURE}`);
  const figure = page.locator(`#${FIGURE}`);
  await expect(figure.getByRole('status').filter({ hasText: 'did not load' })).toContainText(
    'The tuned lens for pythia-70m-deduped did not load (lens: translator 0 has shape [32, 32] but pythia-70m-deduped has d_model 64 — is this lens for another model?)',
    { timeout: 120_000 },
  );
  const rows = await familyNumbers(page);
  const logit = referenceBitsPerByte('logit');
  expect(rows.map((r) => Math.abs(Number(r[1]) - logit[rows.indexOf(r)]) <= 0.0015)).toEqual([true, true, true, true]);
});
