/**
 * The instruments beyond the heatmap's statistics, as a reader uses them on the embedded model:
 * the prediction-depth strip (live, by keyboard, in the URL, at build time) and the chapter's
 * sentence about it, which must say what the strip shows.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { Tokenizer } from '../../src/lens/tokenizer.ts';
import { DEFAULT_MODEL_DIR, DEFAULT_MODEL_LAYERS as LAYERS } from './default-model.ts';
import { watchForErrors } from './watch-errors.ts';

const SEED = '82U*N#c4t^koK%a5*S3qrfBi 82U*N#c4t^koK%a5*S3qrfBi';
const DEPTH_FIGURE = 'fig-prediction-depth';

const strip = (page: Page, figure: string) => page.locator(`#${figure}`).getByRole('grid', { name: /^Prediction depth of the/ });

/** Each strip cell's depth, read from its accessible name ("… prediction depth 3 — …"). */
async function stripDepths(page: Page, figure: string): Promise<number[]> {
  const labels = await strip(page, figure)
    .getByRole('gridcell')
    .evaluateAll((cells) => cells.map((c) => c.getAttribute('aria-label') ?? ''));
  return labels.map((label) => Number(label.match(/prediction depth (\d+)/)![1]));
}

/** The default model's tokens of `text`, as text: the character span of each position. */
async function tokenTexts(text: string): Promise<string[]> {
  const tokenizer = await Tokenizer.fromJson({
    tokenizerJson: JSON.parse(readFileSync(`${DEFAULT_MODEL_DIR}/tokenizer.json`, 'utf8')),
    tokenizerConfig: JSON.parse(readFileSync(`${DEFAULT_MODEL_DIR}/tokenizer_config.json`, 'utf8')),
  });
  return tokenizer.encode(text).map((id) => tokenizer.decode([id]));
}

test.describe('prediction depth', () => {
  test('the chapter’s sentence states the mean depths the live strip shows for each copy of the seed prompt', async ({ page }) => {
    const errors = watchForErrors(page);
    await page.goto(`/logit-vs-tuned/#${DEPTH_FIGURE}`);
    await expect(strip(page, DEPTH_FIGURE).getByRole('gridcell').first()).toBeVisible({ timeout: 45_000 });
    const depths = await stripDepths(page, DEPTH_FIGURE);
    const tokens = await tokenTexts(SEED);
    expect(depths).toHaveLength(tokens.length);
    for (const d of depths) expect(d >= 0 && d <= LAYERS, `depth ${d} within 0..${LAYERS}`).toBe(true);

    // The copies by character span, as a reader would split the prompt: tokens wholly in "X" and from " X" on.
    const half = (SEED.length - 1) / 2;
    const first: number[] = [];
    const second: number[] = [];
    let start = 0;
    tokens.forEach((token, t) => {
      const end = start + token.length;
      if (end <= half) first.push(depths[t]);
      else if (start >= half) second.push(depths[t]);
      start = end;
    });
    const mean = (v: number[]) => (v.reduce((s, x) => s + x, 0) / v.length).toFixed(1);
    const sentence = (await page.locator(`[data-depth-sentence="${DEPTH_FIGURE}"]`).textContent())!;
    expect(sentence).toContain(`mean prediction depth on this prompt is ${mean(first)} of ${LAYERS} layers in the first copy and ${mean(second)} in the second`);
    const comparison = Number(mean(second)) < Number(mean(first)) ? 'lower in the second copy' : Number(mean(second)) > Number(mean(first)) ? 'higher in the second copy' : 'the same in both copies';
    expect(sentence).toContain(comparison);
    // The readout under the strip gives the same mean over every shown token.
    await expect(page.locator(`#${DEPTH_FIGURE} .depth-strip-readout`)).toContainText(
      `over these ${depths.length} tokens: ${mean(depths)} of ${LAYERS} layers`,
    );
    expect(errors).toEqual([]);
  });

  test('is read cell by cell with the keyboard', async ({ page }) => {
    await page.goto(`/logit-vs-tuned/#${DEPTH_FIGURE}`);
    const cells = strip(page, DEPTH_FIGURE).getByRole('gridcell');
    await expect(cells.first()).toBeVisible({ timeout: 45_000 });
    const readout = page.locator(`#${DEPTH_FIGURE} .depth-strip-readout`);
    await cells.first().focus();
    await page.keyboard.press('ArrowRight');
    await expect(cells.nth(1)).toBeFocused();
    const second = (await cells.nth(1).getAttribute('aria-label'))!;
    await expect(readout).toContainText(second);
    await page.keyboard.press('End');
    await expect(cells.last()).toBeFocused();
    await expect(readout).toContainText((await cells.last().getAttribute('aria-label'))!);
  });

  test('is switched on and off from the menu and kept in the link', async ({ page }) => {
    const errors = watchForErrors(page);
    await page.goto('/#fig-seed-heatmap');
    const figure = page.locator('#fig-seed-heatmap');
    await expect(figure.getByRole('gridcell').first()).toBeVisible({ timeout: 45_000 });
    await expect(strip(page, 'fig-seed-heatmap')).toHaveCount(0);
    await figure.getByRole('checkbox', { name: 'Prediction depth' }).check();
    await expect(strip(page, 'fig-seed-heatmap').getByRole('gridcell')).toHaveCount(10);
    await expect.poll(() => new URL(page.url()).searchParams.get('fig-seed-heatmap') ?? '').toContain('depth=1');
    await page.goto(page.url());
    await expect(strip(page, 'fig-seed-heatmap').getByRole('gridcell')).toHaveCount(10, { timeout: 45_000 });
    await expect(figure.getByRole('checkbox', { name: 'Prediction depth' })).toBeChecked();
    await figure.getByRole('checkbox', { name: 'Prediction depth' }).uncheck();
    await expect(strip(page, 'fig-seed-heatmap')).toHaveCount(0);
    expect(errors).toEqual([]);
  });

  test('the comparison gives each lens’s mean prediction depth', async ({ page }) => {
    await page.goto('/logit-vs-tuned/#fig-compare');
    const figure = page.locator('figure.heatmap#fig-compare');
    await expect(figure.getByRole('gridcell').first()).toBeVisible({ timeout: 45_000 });
    for (const lens of ['Logit lens', 'Tuned lens']) {
      await expect(figure.locator('.compare-panel-title', { hasText: lens })).toContainText(new RegExp(`mean prediction depth \\d\\.\\d of ${LAYERS}`));
    }
  });
});

test.describe('prediction depth without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the static figure draws the strip and lists every depth in its numbers', async ({ page }) => {
    await page.goto(`/logit-vs-tuned/#${DEPTH_FIGURE}`);
    const figure = page.locator(`#${DEPTH_FIGURE}[data-static-figure]`);
    const tokens = await tokenTexts(SEED);
    await expect(figure.locator('.depth-strip-canvas svg g[aria-label="cell"] > rect')).toHaveCount(tokens.length);
    const row = figure.locator('tr', { has: page.locator('th', { hasText: 'prediction depth' }) });
    const depths = (await row.locator('td').allTextContents()).map(Number);
    expect(depths).toHaveLength(tokens.length);
    // The numbers drawn in the strip are the table's.
    expect((await figure.locator('.depth-strip-canvas svg g[aria-label="text"] > text').allTextContents()).map(Number)).toEqual(depths);
    const mean = (depths.reduce((s, x) => s + x, 0) / depths.length).toFixed(1);
    await expect(figure.locator('.depth-strip-readout')).toContainText(`${mean} of ${LAYERS} layers`);
  });
});
