/**
 * The demos on their own pages, used as a reader uses them: the comparison's linked highlight, the
 * layer curves (one line per lens, bits per byte computed as architecture.md §3 says), and the translator
 * spectra computed in the engine Worker.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { layerCurves, predictedBytes, utf8Bytes } from '../../demos/curves/curves-data.ts';
import { PredictionTrajectory, STATISTICS, type Statistic } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { watchForErrors } from './watch-errors.ts';

/** "layer 2, after “␣to”" — which cell a grid cell is, without what the lens predicts there. */
async function cellPlace(cell: Locator): Promise<string> {
  const label = (await cell.getAttribute('aria-label')) ?? '';
  return label.slice(0, label.indexOf(':'));
}

test.describe('the demos index', () => {
  test('lists every demo with a link to its full page', async ({ page }) => {
    const errors = watchForErrors(page);
    await page.goto('/demos/');
    for (const name of ['The lens heatmap', 'Logit lens versus tuned lens', 'Layer-by-layer curves', 'Inside the translators', 'Train a tuned lens']) {
      await expect(page.getByRole('heading', { level: 2, name })).toBeVisible();
    }
    await expect(page.getByRole('link', { name: 'Open full page' })).toHaveCount(5);
    await page.getByRole('link', { name: 'Inside the translators' }).first().click();
    await expect(page).toHaveURL(/\/demos\/translator\/$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Inside the translators' })).toBeVisible();
    expect(errors).toEqual([]);
  });
});

test.describe('logit lens versus tuned lens, side by side', () => {
  const logitGrid = (page: Page) => page.getByRole('grid', { name: /^Logit lens predictions/ });
  const tunedGrid = (page: Page) => page.getByRole('grid', { name: /^Tuned lens predictions/ });
  const selected = (grid: Locator) => grid.locator('[role="gridcell"][aria-selected="true"]');

  async function open(page: Page) {
    await page.goto('/demos/compare/');
    await expect(logitGrid(page).getByRole('gridcell').first()).toBeVisible({ timeout: 45_000 });
    await expect(tunedGrid(page).getByRole('gridcell').first()).toBeVisible();
  }

  test('draws both lenses on the same cells', async ({ page }) => {
    const errors = watchForErrors(page);
    await open(page);
    const n = await logitGrid(page).getByRole('gridcell').count();
    expect(n).toBeGreaterThan(0);
    await expect(tunedGrid(page).getByRole('gridcell')).toHaveCount(n);
    // The output row is the model's own prediction: the same whichever lens reads the layers.
    const outputRow = (grid: Locator) =>
      grid
        .getByRole('row')
        .first()
        .getByRole('gridcell')
        .evaluateAll((cells) => cells.map((c) => c.getAttribute('aria-label')));
    expect(await outputRow(tunedGrid(page))).toEqual(await outputRow(logitGrid(page)));
    expect(errors).toEqual([]);
  });

  test('hovering a cell in one heatmap highlights the same cell in both, with one readout for both lenses', async ({ page }) => {
    await open(page);
    const readout = page.getByRole('group', { name: 'Cell details, both lenses' });
    // Hover the bottom-left cell of the logit lens: layer 0, the first shown token.
    const rows = await logitGrid(page).getByRole('row').count();
    const target = logitGrid(page)
      .getByRole('row')
      .nth(rows - 1)
      .getByRole('gridcell')
      .nth(2);
    await target.hover();
    const place = await cellPlace(target);
    expect(place).toMatch(/^layer 0, after “/);
    await expect(selected(logitGrid(page))).toHaveCount(1);
    await expect(selected(tunedGrid(page))).toHaveCount(1);
    expect(await cellPlace(selected(logitGrid(page)))).toBe(place);
    expect(await cellPlace(selected(tunedGrid(page)))).toBe(place);
    await expect(readout).toContainText('layer 0');
    await expect(readout.getByRole('region', { name: 'Logit lens: top predictions' }).getByRole('listitem')).toHaveCount(10);
    await expect(readout.getByRole('region', { name: 'Tuned lens: top predictions' }).getByRole('listitem')).toHaveCount(10);

    // Hovering the other heatmap moves the highlight in both.
    const other = tunedGrid(page).getByRole('row').first().getByRole('gridcell').nth(1);
    await other.hover();
    const otherPlace = await cellPlace(other);
    expect(otherPlace).toMatch(/^model output, after “/);
    expect(await cellPlace(selected(logitGrid(page)))).toBe(otherPlace);
    expect(await cellPlace(selected(tunedGrid(page)))).toBe(otherPlace);
    await expect(readout).toContainText('model output');
  });

  test('a link that carries the figure’s state reopens it in that state', async ({ page }) => {
    const state = new URLSearchParams({ text: 'To be, or not to be', stat: 'rank', start: '0' });
    await page.goto(`/demos/compare/?demo-compare=${encodeURIComponent(state.toString())}#demo-compare`);
    await expect(logitGrid(page).getByRole('gridcell').first()).toBeVisible({ timeout: 45_000 });
    await expect(page.getByRole('textbox', { name: 'Prompt' })).toHaveValue('To be, or not to be');
    await expect(page.getByRole('combobox', { name: 'Statistic' })).toHaveValue('rank');
    await expect(logitGrid(page).getByRole('gridcell').last()).toHaveAttribute('aria-label', /after “␣be”/);
    await expect(tunedGrid(page).getByRole('gridcell').first()).toHaveAttribute('aria-label', /; rank (rank [\d,]+|not defined)/);
  });

  test('moving with the arrow keys in one heatmap moves the highlight in both', async ({ page }) => {
    await open(page);
    const rows = await logitGrid(page).getByRole('row').count();
    await logitGrid(page)
      .getByRole('row')
      .nth(rows - 1)
      .getByRole('gridcell')
      .first()
      .click(); // pins layer 0
    await page.keyboard.press('Enter'); // unpin, keep the keyboard's cell
    await page.mouse.move(0, 0);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowRight');
    const place = await cellPlace(selected(logitGrid(page)));
    expect(place).toMatch(/^layer 1, after “/);
    expect(await cellPlace(selected(tunedGrid(page)))).toBe(place);
    await expect(page.getByRole('group', { name: 'Cell details, both lenses' })).toContainText('layer 1');
  });
});

test.describe('layer-by-layer curves', () => {
  test('draws one line per lens for the KL, the cross-entropy and the bias, and recomputes for new text', async ({ page }) => {
    const errors = watchForErrors(page);
    await page.goto('/demos/curves/');
    const figure = page.locator('figure.heatmap#demo-curves'); // the live figure, not its static stand-in
    const kl = figure.getByRole('img', { name: /Mean KL divergence/ });
    const ce = figure.getByRole('img', { name: /cross-entropy on your text/ });
    const bias = figure.getByRole('img', { name: /bias/ });
    await expect(kl.locator('svg')).toBeVisible({ timeout: 45_000 });
    await expect(figure.getByRole('list', { name: 'Lenses' }).getByRole('listitem')).toHaveText(['logit lens', 'tuned lens']);
    await expect(kl.locator('g[aria-label="line"] > path')).toHaveCount(2);
    await expect(ce.locator('g[aria-label="line"] > path')).toHaveCount(2);
    await expect(bias.locator('g[aria-label="line"] > path')).toHaveCount(2);
    // The model's own cross-entropy, the same through both lenses, as a dashed reference line.
    await expect(ce.locator('g[aria-label="rule"] line')).toHaveCount(1);

    await figure.getByRole('textbox', { name: 'Your text' }).fill('To be, or not to be, that is the question.');
    await expect(figure).toContainText(/\d+ tokens, 42 bytes/);
    await expect(kl.locator('g[aria-label="line"] > path')).toHaveCount(2);
    await figure.getByRole('combobox', { name: 'Cross-entropy in' }).selectOption('nats');
    await expect(ce).toHaveAttribute('aria-label', /nats per token/);
    expect(errors).toEqual([]);
  });

  test('shows the paper’s GPT-2 numbers as quoted, not computed', async ({ page }) => {
    await page.goto('/demos/curves/');
    const paper = page.locator('#demo-paper-bpb');
    await expect(paper).toContainText('Numbers quoted from the paper (Belrose et al. 2023, Pile, GPT-2 small)');
    const table = paper.getByRole('table', { name: /Bits per byte on the Pile, GPT-2 small/ });
    await expect(table.getByRole('row', { name: /^0 20\.91 3\.23$/ })).toBeVisible();
    await expect(table.getByRole('row', { name: /^11 1\.74 1\.29$/ })).toBeVisible();
    await expect(paper.locator('[data-plot="paper"] g[aria-label="line"] > path')).toHaveCount(2);
  });

  test('computes bits per byte as Σ cross-entropy (nats) / ln 2 / UTF-8 bytes of the predicted tokens, per layer', () => {
    // Two rows (layer 0, output) × three positions; the last position has no next token.
    const stats = (values: number[]) => Float32Array.from(values);
    const statistics = Object.fromEntries(STATISTICS.map((s) => [s, stats([0, 0, 0, 0, 0, 0])])) as Record<Statistic, Float32Array>;
    statistics.crossEntropy = stats([Math.LN2, 3 * Math.LN2, NaN, Math.LN2, Math.LN2, NaN]);
    statistics.forwardKl = stats([1, 2, 3, 0, 0, 0]);
    const trajectory = new PredictionTrajectory({
      inputIds: [1, 2, 3],
      tokens: ['a', 'é', 'b'],
      rows: ['0', 'output'],
      k: 1,
      topkIds: Int32Array.from([0, 0, 0, 0, 0, 0]),
      topkProbs: Float32Array.from([1, 1, 1, 1, 1, 1]),
      topkTokens: ['x', 'x', 'x', 'x', 'x', 'x'],
      statistics,
    });
    const text = 'aéb'; // 4 UTF-8 bytes: é takes two
    expect(utf8Bytes(text)).toBe(4);
    // The first token is context only: the predicted tokens "é" and "b" are 3 bytes.
    expect(predictedBytes(trajectory, text)).toBe(3);
    const [layer0, output] = layerCurves('tuned', trajectory, text);
    // Layer 0: (1 + 3) bits over 3 bytes; mean KL (1 + 2 + 3) / 3; mean cross-entropy over the two positions with a target.
    expect(layer0.bitsPerByte).toBeCloseTo(4 / 3, 6);
    expect(layer0.meanKl).toBeCloseTo(2, 6);
    expect(layer0.meanCrossEntropy).toBeCloseTo(2 * Math.LN2, 6);
    expect(output).toMatchObject({ lens: 'tuned', layer: 1, row: 'output', meanKl: 0 });
    expect(output.bitsPerByte).toBeCloseTo(2 / 3, 6);
  });
});

test.describe('the translators of the loaded lens', () => {
  test('draws every singular value of I + A for every layer, and the logit lens as the identity', async ({ page }) => {
    const errors = watchForErrors(page);
    await page.goto('/demos/translator/');
    const figure = page.locator('figure.heatmap#demo-translator'); // the live figure, not its static stand-in
    const spectrum = figure.getByRole('img', { name: /Singular-value spectrum of I \+ A/ });
    await expect(spectrum.locator('svg')).toBeVisible({ timeout: 45_000 });
    const [, layers, d] = (await figure.getByText(/\d+ translators of \d+ × \d+/).textContent())!.match(/(\d+) translators of (\d+)/)!;
    const ticks = spectrum.locator('g[aria-label="tick"] > line');
    await expect(ticks).toHaveCount(Number(layers) * Number(d));
    // A trained (or random) lens is not the identity: its singular values spread out.
    const xs = async () => new Set(await ticks.evaluateAll((lines) => lines.map((l) => Number(l.getAttribute('x1')).toFixed(1))));
    expect((await xs()).size).toBeGreaterThan(1);
    await expect(figure.getByRole('img', { name: /Norms of A and b/ }).locator('g[aria-label="line"] > path')).toHaveCount(2);

    await figure.getByRole('combobox', { name: 'Lens' }).selectOption('logit');
    await expect(spectrum).toHaveAttribute('aria-label', /logit lens/);
    await expect(ticks).toHaveCount(Number(layers) * Number(d));
    // The logit lens's translators are all zero: every singular value of I + 0 is exactly 1.
    await expect.poll(async () => (await xs()).size).toBe(1);
    await figure.getByText('The numbers').click();
    await expect(figure.getByRole('row', { name: /^0 0\.000 0\.000 1\.000 1\.000$/ })).toBeVisible();
    expect(errors).toEqual([]);
  });
});
