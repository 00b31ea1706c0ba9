/**
 * Sub-layer rows as a reader uses them on the embedded model: the logit-lens chapter's figure and the
 * sentence beside it, the switch on the seed heatmap (by keyboard, kept in the link, with the tuned
 * lens saying which lens reads those rows), and the figure drawn at build time.
 */
import { expect, test, type Page } from '@playwright/test';
import { DEFAULT_MODEL_LAYERS as LAYERS } from './default-model.ts';
import { watchForErrors } from './watch-errors.ts';

const FIGURE = 'fig-logit-sublayers';
/** Layers 0…L-1 each with its after-attention row, and the output. */
const ROWS_WITH_SUBLAYERS = 2 * LAYERS + 1;

const cells = (page: Page, figure: string) => page.locator(`#${figure}`).getByRole('gridcell');
const rows = (page: Page, figure: string) => page.locator(`#${figure}`).getByRole('row');

/** A grid cell's input token and top-1 token, from its accessible name ("layer 0, after “x”: predicts “y” …"). */
async function cellTokens(page: Page, figure: string, row: number, position: number): Promise<{ input: string; predicted: string; label: string }> {
  const label = (await page.locator(`#${figure} [data-cell="${row}:${position}"]`).getAttribute('aria-label'))!;
  const match = label.match(/, after “(.*)”: predicts “(.*)” /)!;
  return { input: match[1], predicted: match[2], label };
}

test.describe('sub-layer rows', () => {
  test('the chapter’s figure reads each block’s stream after attention, and its sentence states what the rows show', async ({ page }) => {
    const errors = watchForErrors(page);
    await page.goto(`/logit-lens/#${FIGURE}`);
    await expect(cells(page, FIGURE).first()).toBeVisible({ timeout: 45_000 });
    await expect(rows(page, FIGURE)).toHaveCount(ROWS_WITH_SUBLAYERS);
    await expect(page.locator(`#${FIGURE} .heatmap-sublayer-note`)).toContainText('block ℓ’s residual stream after its attention, before its MLP');
    // Data rows bottom up: 0 = layer 0, 1 = "0 · after attention", 2 = layer 1.
    const T = Number(await page.locator(`#${FIGURE}`).getByRole('grid').getAttribute('aria-colcount'));
    const echoes = [0, 0, 0];
    for (let row = 0; row < 3; row++) {
      for (let t = 0; t < T; t++) {
        const cell = await cellTokens(page, FIGURE, row, t);
        if (row === 1) expect(cell.label).toMatch(/^layer 0 · after attention, /);
        if (cell.input === cell.predicted) echoes[row]++;
      }
    }
    const sentence = (await page.locator(`[data-reading-for="${FIGURE}"]`).textContent())!;
    expect(sentence).toContain(
      `reads the input token itself in ${echoes[0]} of the ${T} columns at layer 0, still in ${echoes[1]} after block 0’s attention, and in ${echoes[2]} after its MLP (layer 1)`,
    );
    expect(errors).toEqual([]);
  });

  test('are switched on from the keyboard, kept in the link, and read by the logit lens under the tuned lens', async ({ page }) => {
    const errors = watchForErrors(page);
    await page.goto('/#fig-seed-heatmap');
    const figure = page.locator('#fig-seed-heatmap');
    await expect(cells(page, 'fig-seed-heatmap').first()).toBeVisible({ timeout: 45_000 });
    await expect(rows(page, 'fig-seed-heatmap')).toHaveCount(LAYERS + 1);
    const toggle = figure.getByRole('checkbox', { name: 'Sub-layer rows' });
    await toggle.focus();
    await page.keyboard.press('Space');
    await expect(rows(page, 'fig-seed-heatmap')).toHaveCount(ROWS_WITH_SUBLAYERS, { timeout: 45_000 });
    await expect.poll(() => new URL(page.url()).searchParams.get('fig-seed-heatmap') ?? '').toContain('sub=1');
    // The seed heatmap shows the tuned lens: the figure says the sub-layer rows are the logit lens's.
    await expect(figure.locator('.heatmap-sublayer-note')).toContainText('The logit lens reads them, not the tuned lens');
    const after = await cellTokens(page, 'fig-seed-heatmap', 2 * LAYERS - 1, 0);
    expect(after.label).toMatch(new RegExp(`^layer ${LAYERS - 1} · after attention, `));

    await page.goto(page.url());
    await expect(rows(page, 'fig-seed-heatmap')).toHaveCount(ROWS_WITH_SUBLAYERS, { timeout: 45_000 });
    await expect(toggle).toBeChecked();
    await toggle.uncheck();
    await expect(rows(page, 'fig-seed-heatmap')).toHaveCount(LAYERS + 1);
    await expect(figure.locator('.heatmap-sublayer-note')).toHaveCount(0);
    expect(errors).toEqual([]);
  });
});

test.describe('sub-layer rows without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the static figure draws and lists the after-attention rows', async ({ page }) => {
    await page.goto(`/logit-lens/#${FIGURE}`);
    const figure = page.locator(`#${FIGURE}[data-static-figure]`);
    await expect(figure.locator('.heatmap-sublayer-note')).toContainText('The logit lens reads them');
    await expect(figure.getByRole('checkbox', { name: 'Sub-layer rows' })).toBeChecked();
    const headers = await figure.locator('tbody th[scope="row"]').allTextContents();
    expect(headers).toHaveLength(ROWS_WITH_SUBLAYERS);
    expect(headers).toContain(`layer ${LAYERS - 1} · after attention`);
    await expect(figure.locator('svg text', { hasText: '0 · after attention' }).first()).toBeVisible();
  });
});
