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
    expect(sentence).toContain(
      `mean prediction depth on this prompt is ${mean(first)} of ${LAYERS} layers in the first copy and ${mean(second)} in the second`,
    );
    const comparison =
      Number(mean(second)) < Number(mean(first))
        ? 'lower in the second copy'
        : Number(mean(second)) > Number(mean(first))
          ? 'higher in the second copy'
          : 'the same in both copies';
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

test.describe('follow a token', () => {
  const FOLLOW_FIGURE = 'fig-follow-token';
  const ROWS = LAYERS + 1;
  const cell = (page: Page, figure: string, row: number, position: number) => page.locator(`#${figure} [data-cell="${row}:${position}"]`);

  test('the chapter’s sentence states what the figure shows where the followed token comes next', async ({ page }) => {
    const errors = watchForErrors(page);
    await page.goto(`/#${FOLLOW_FIGURE}`);
    const figure = page.locator(`figure.heatmap#${FOLLOW_FIGURE}`);
    await expect(figure.getByRole('gridcell').first()).toBeVisible({ timeout: 45_000 });
    const tokens = await tokenTexts(SEED);
    const followed = tokens[2];
    await expect(figure.getByRole('group', { name: /^Following/ })).toContainText(`Following ${followed}`);
    // Where the followed token is the next input token (its text, as the tokenizer splits the prompt).
    const where = tokens.flatMap((_, t) => (t + 1 < tokens.length && tokens[t + 1] === followed ? [t] : []));
    expect(where.length).toBeGreaterThanOrEqual(2);
    const [first, last] = [where[0], where.at(-1)!];
    const probabilityAt = async (t: number) =>
      (await cell(page, FOLLOW_FIGURE, ROWS - 1, t).getAttribute('aria-label'))!.match(/probability of “.*?” (\S+%)/)![1];
    const sentence = (await page.locator(`[data-follow-sentence="${FOLLOW_FIGURE}"]`).textContent())!;
    expect(sentence).toContain(`comes next ${where.length} times`);
    expect(sentence).toContain(`the model’s output gives it ${await probabilityAt(first)} and`);
    expect(sentence).toContain(`the output gives it ${await probabilityAt(last)} and`);

    // The same cells as ranks: the lowest layer from which the token is first all the way up.
    await figure.getByRole('combobox', { name: /followed token/ }).selectOption('rank');
    await expect(cell(page, FOLLOW_FIGURE, 0, 0)).toHaveAttribute('aria-label', /rank of “.*?” rank \d/);
    const firstTop = async (t: number): Promise<number | null> => {
      let layer: number | null = null;
      for (let r = ROWS - 1; r >= 0; r--) {
        const rank = Number((await cell(page, FOLLOW_FIGURE, r, t).getAttribute('aria-label'))!.match(/rank of “.*?” rank ([\d,]+)/)![1].replace(/,/g, ''));
        if (rank !== 1) break;
        layer = r;
      }
      return layer;
    };
    for (const t of [first, last]) {
      const layer = await firstTop(t);
      const words =
        layer === null
          ? 'it is not the model’s top guess there'
          : layer === LAYERS
            ? 'no layer of the tuned lens below the output ranks it first'
            : `ranks it first at every layer from layer ${layer} up`;
      expect(sentence).toContain(words);
    }
    expect(errors).toEqual([]);
  });

  test('is chosen from a readout, named in the legend, kept in the link and cleared with one click', async ({ page }) => {
    const errors = watchForErrors(page);
    await page.goto('/#fig-seed-heatmap');
    const figure = page.locator('figure.heatmap#fig-seed-heatmap');
    await expect(figure.getByRole('gridcell').first()).toBeVisible({ timeout: 45_000 });
    await figure.getByRole('gridcell').first().focus();
    await page.keyboard.press('Enter'); // pin the readout, so that it stays while the pointer moves to it
    const second = figure.locator('.heatmap-topk li').nth(1);
    const token = (await second.locator('code').textContent())!;
    await second.getByRole('button', { name: /^Follow “.*” through every cell$/ }).click();
    const bar = figure.getByRole('group', { name: /^Following/ });
    await expect(bar).toContainText(`Following ${token}`);
    await expect(figure.locator('.heatmap-legend').first()).toContainText(`Probability of “${token}”`);
    await expect(figure.getByRole('gridcell').first()).toHaveAttribute('aria-label', new RegExp(`probability of “${escape(token)}” `));
    await expect.poll(() => new URL(page.url()).searchParams.get('fig-seed-heatmap') ?? '').toMatch(/follow=\d+/);

    await page.goto(page.url());
    await expect(figure.getByRole('group', { name: /^Following/ })).toContainText(`Following ${token}`, { timeout: 45_000 });
    await figure.getByRole('button', { name: 'Stop following' }).click();
    await expect(figure.getByRole('group', { name: /^Following/ })).toHaveCount(0);
    await expect(figure.getByRole('gridcell').first()).toHaveAttribute('aria-label', /entropy/);
    await expect.poll(() => new URL(page.url()).searchParams.get('fig-seed-heatmap') ?? '').not.toContain('follow=');
    expect(errors).toEqual([]);
  });
});

/** The two statistics of change between layers, as the menu, the URL, a cell's name and the chapter say them. */
const LAYER_CHANGES = [
  {
    label: 'Change per layer',
    urlName: 'change_per_layer',
    // A signed change of the output's top-1 log-probability.
    value: /change per layer ([+−]\d+\.\d\d) nats$/,
    figure: 'fig-change-per-layer',
    sentence: /rises most at (.+?) \(([+−][\d.]+) nats\) and least at (.+?) \(([+−][\d.]+) nats\)/,
  },
  {
    label: 'KL from layer below',
    urlName: 'consecutive_kl',
    value: /kl from layer below (\d+\.\d\d) nats$/,
    figure: 'fig-consecutive-kl',
    sentence: /moves furthest from the layer below at (.+?) \(([\d.]+) nats\) and least at (.+?) \(([\d.]+) nats\)/,
  },
];

/** A number as the figures write it, with a true minus sign or a plus. */
const signed = (text: string) => Number(text.replace('−', '-'));

for (const change of LAYER_CHANGES) {
  test.describe(change.label, () => {
    test('is a statistic in the menu, kept in the URL: no value at layer 0, nats above it', async ({ page }) => {
      const errors = watchForErrors(page);
      await page.goto('/#fig-seed-heatmap');
      const figure = page.locator('figure.heatmap#fig-seed-heatmap');
      await expect(figure.getByRole('gridcell').first()).toBeVisible({ timeout: 45_000 });
      await figure.getByRole('combobox', { name: 'Statistic' }).selectOption({ label: change.label });
      await expect(figure.locator('[data-cell="0:0"]')).toHaveAttribute('aria-label', new RegExp(`${change.label.toLowerCase()} not defined at layer 0`));
      await expect(figure.locator('[data-cell="1:0"]')).toHaveAttribute('aria-label', change.value);
      await expect(figure.locator('.heatmap-legend').first()).toContainText(`${change.label} (nats)`);
      await expect.poll(() => new URL(page.url()).searchParams.get('fig-seed-heatmap') ?? '').toContain(`stat=${change.urlName}`);
      expect(errors).toEqual([]);
    });

    test('the chapter’s sentence names the layers whose mean the live figure shows as largest and smallest', async ({ page }) => {
      const ROWS = LAYERS + 1;
      await page.goto(`/#${change.figure}`);
      const figure = page.locator(`figure.heatmap#${change.figure}`);
      await expect(figure.locator(`[data-cell="1:0"]`)).toHaveAttribute('aria-label', change.value, { timeout: 45_000 });
      const columns = await figure.getByRole('grid').getAttribute('aria-colcount').then(Number);
      // Each row's mean over the shown tokens, from the cells' own (2-decimal) values.
      const means: number[] = [];
      for (let r = 1; r < ROWS; r++) {
        const labels = await figure.locator(`[data-cell^="${r}:"]`).evaluateAll((cells) => cells.map((c) => c.getAttribute('aria-label') ?? ''));
        const values = labels.map((label) => signed(label.match(change.value)![1]));
        expect(values).toHaveLength(columns);
        means.push(values.reduce((a, b) => a + b, 0) / values.length);
      }
      const sentence = (await page.locator(`[data-change-sentence="${change.figure}"]`).textContent())!;
      const [, most, mostValue, least, leastValue] = sentence.match(change.sentence)!;
      const row = (name: string) => (name.startsWith('the step') ? ROWS - 1 : Number(name.replace('layer ', '')));
      // Rounded cell values move a mean by at most 0.005; the sentence's rows are the extremes of these means.
      expect(Math.abs(means[row(most) - 1] - signed(mostValue))).toBeLessThanOrEqual(0.011);
      expect(Math.abs(means[row(least) - 1] - signed(leastValue))).toBeLessThanOrEqual(0.011);
      expect(Math.max(...means) - means[row(most) - 1]).toBeLessThanOrEqual(0.011);
      expect(means[row(least) - 1] - Math.min(...means)).toBeLessThanOrEqual(0.011);
    });
  });
}

test.describe('layer transfer', () => {
  test('draws the L × L matrix live, keeps its text in the URL, and the chapter’s sentence matches its numbers', async ({ page }) => {
    const FIGURE = 'fig-layer-transfer';
    const errors = watchForErrors(page);
    await page.goto(`/model-or-lens/#${FIGURE}`);
    const figure = page.locator(`figure.heatmap#${FIGURE}`);
    const table = figure.getByRole('group', { name: 'Mean KL to the output, by translator and hidden state', includeHidden: true }).locator('table');
    await expect(table).toHaveCount(1, { timeout: 45_000 });
    const kl = await table.locator('tbody tr').evaluateAll((rows) => rows.map((row) => [...row.querySelectorAll('td')].map((td) => Number(td.textContent))));
    expect(kl).toHaveLength(LAYERS);
    expect(kl.every((row) => row.length === LAYERS)).toBe(true);
    // The reading's facts, recounted from the live numbers.
    // The table rounds to 3 decimals, so a near-tie may go either way: the sentence's count lies between
    // the columns whose diagonal is surely lowest and those where it may be.
    const others = (j: number) => Math.min(...kl.filter((_, i) => i !== j).map((row) => row[j]));
    const surely = Array.from({ length: LAYERS }, (_, j) => j).filter((j) => kl[j][j] < others(j) - 1e-3).length;
    const maybe = Array.from({ length: LAYERS }, (_, j) => j).filter((j) => kl[j][j] <= others(j) + 1e-3).length;
    const diagonal = kl.reduce((s, row, i) => s + row[i], 0) / LAYERS;
    const sentence = (await page.locator(`[data-reading-for="${FIGURE}"]`).textContent())!;
    const [, diagonalText] = sentence.match(/the diagonal is ([\d.]+) nats from the output/)!;
    expect(Math.abs(Number(diagonalText) - diagonal)).toBeLessThanOrEqual(0.006);
    const count = /in every one of the/.test(sentence)
      ? LAYERS
      : /in none of the/.test(sentence)
        ? 0
        : Number(sentence.match(/in (\d+) of the \d+ columns/)![1]);
    expect(count).toBeGreaterThanOrEqual(surely);
    expect(count).toBeLessThanOrEqual(maybe);

    // A new text recomputes, shows progress, and is kept in the URL.
    const text = 'The cat sat on the mat.';
    await figure.getByRole('textbox', { name: 'Text' }).fill(text);
    await expect.poll(() => new URL(page.url()).searchParams.get(FIGURE) ?? '').toContain('text=The+cat');
    const tokens = (await tokenTexts(text)).length;
    await expect(figure.locator('figcaption')).toContainText(`over the text’s ${tokens} tokens`, { timeout: 45_000 });
    expect(errors).toEqual([]);
  });
});

test.describe('follow a token from the comparison', () => {
  test('"follow" in the readout switches both heatmaps to that token, keeps it in the URL, and clears with one click', async ({ page }) => {
    const FIGURE = 'fig-compare';
    const errors = watchForErrors(page);
    await page.goto(`/logit-vs-tuned/#${FIGURE}`);
    const figure = page.locator(`figure.heatmap#${FIGURE}`);
    const follow = figure.getByRole('button', { name: /^Follow “.+” through every cell$/ }).first();
    await expect(follow).toBeVisible({ timeout: 45_000 });
    const token = (await follow.getAttribute('aria-label'))!.match(/^Follow “(.+)” through every cell$/)![1];
    await follow.click();
    await expect(figure.getByRole('group', { name: `Following “${token}”` })).toBeVisible({ timeout: 30_000 });
    for (const panel of ['Logit lens', 'Tuned lens']) {
      await expect(figure.getByRole('region', { name: panel }).locator('[data-cell="0:0"]')).toHaveAttribute(
        'aria-label',
        new RegExp(`probability of “${escape(token)}”`),
      );
    }
    await expect.poll(() => new URL(page.url()).searchParams.get(FIGURE) ?? '').toMatch(/follow=\d+/);
    await figure.getByRole('button', { name: 'Stop following' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get(FIGURE) ?? '').not.toMatch(/follow=/);
    expect(errors).toEqual([]);
  });
});

/** `text` as a literal inside a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
