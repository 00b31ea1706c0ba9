/**
 * The figures drawn at build time: without JavaScript every live figure is there as a static figure,
 * showing what the embedded model computes for the settings it shows; with JavaScript the live figure
 * takes its place once the model has loaded, and until then the static one stands in for it.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { buildTrajectory, buildTranslatorStats, embeddedModel } from '../../src/node/embedded-model.ts';
import { layerCurves } from '../../demos/curves/curves-data.ts';
import { heatmapCells } from '../../demos/heatmap/heatmap-plot.ts';
import type { Statistic } from '../../src/lens/trajectory/prediction-trajectory.ts';
import { DEFAULT_MODEL_LAYERS as LAYERS, DEFAULT_MODEL_ROWS as ROWS, tokenCount } from './default-model.ts';
import { chapterPaths } from './figures.ts';

/** The chapters without a live figure of their own. */
const NO_LIVE_FIGURES = ['/model-or-lens/', '/reference/'];

/** "showing tokens 39–48 of 48" → the shown slice [from, to) and the prompt's length. */
async function shownRange(figure: Locator): Promise<{ from: number; to: number; T: number }> {
  const [, a, b, T] = (await figure.getByText(/^showing tokens \d+–\d+ of \d+$/).textContent())!.match(/(\d+)–(\d+) of (\d+)/)!.map(Number);
  return { from: a - 1, to: b, T };
}

/** What one heatmap panel draws: its cells and the top-1 token written in each, in drawing order. */
async function drawnCells(panel: Locator): Promise<{ cells: number; texts: string[]; rowLabels: string[] }> {
  const svg = panel.locator('svg');
  return {
    cells: await svg.locator('g[aria-label="cell"] > rect').count(),
    texts: await svg.locator('g[aria-label="text"] > text').allTextContents(),
    rowLabels: await svg.locator('g[aria-label="y-axis tick label"] > text').allTextContents(),
  };
}

/** What the embedded model says a heatmap with these settings shows. */
async function expectedCells(text: string, lens: string, statistic: Statistic, stride: number, from: number, to: number, sublayers = false) {
  const shown = (await buildTrajectory(text, lens, 10, { sublayers })).slice(from, to).stride(stride);
  return {
    cells: shown.rows.length * shown.numPositions,
    texts: heatmapCells(shown, statistic).map((c) => c.top1),
    // A layer row is drawn as "layer ℓ"; "output" and a sub-layer row ("ℓ · after attention") as themselves.
    rowLabels: shown.rows.map((r) => (r === 'output' || r.endsWith('after attention') ? r : `layer ${r}`)).reverse(),
    numPositions: shown.numPositions,
  };
}

/** The figures a chapter draws at build time, each standing where its live island goes. */
const staticFigures = (page: Page) => page.locator('[data-live-figure] > figure');

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('every chapter shows each live figure as a static figure, drawn at build time, with its anchor and caption, and nothing overflows sideways', async ({
    page,
  }) => {
    for (const path of await chapterPaths(page)) {
      await page.goto(path);
      const figures = staticFigures(page);
      const count = await figures.count();
      if (!NO_LIVE_FIGURES.includes(path)) expect(count, `${path} has live figures`).toBeGreaterThan(0);
      // No live figure is mounted, so each static figure is the only thing in its place.
      await expect(page.locator('[data-live-figure]')).toHaveCount(count);
      await expect(page.locator('[data-live-figure] > astro-island > *')).toHaveCount(0);
      for (let i = 0; i < count; i++) {
        const figure = figures.nth(i);
        const id = await figure.getAttribute('id');
        expect(id, `static figure ${i} on ${path} has an id`).toMatch(/^fig-/);
        await expect(page.locator(`[id="${id}"]`)).toHaveCount(1);
        await expect(figure).toBeVisible();
        await expect(figure.locator('svg').filter({ visible: true }).first()).toBeVisible();
        await expect(figure.locator('figcaption')).toContainText('Drawn when this page was built, by the embedded model pd-gpt2-6l');
        await expect(figure.getByRole('link', { name: 'Link to this figure' })).toHaveAttribute('href', `#${id}`);
      }
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 844 });
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `${path} at ${width} px is no wider than the screen`).toBeLessThanOrEqual(0);
      }
    }
  });

  test('each static heatmap has a row per layer plus the output, a column per shown token, and the model’s top-1 token in every cell', async ({ page }) => {
    let checked = 0;
    for (const path of await chapterPaths(page)) {
      await page.goto(path);
      const heatmaps = staticFigures(page).filter({ has: page.getByRole('combobox', { name: 'Top-k' }) });
      for (let i = 0; i < (await heatmaps.count()); i++) {
        const figure = heatmaps.nth(i);
        const where = `${path}#${await figure.getAttribute('id')}`;
        const text = await figure.getByRole('textbox', { name: 'Prompt' }).inputValue();
        const lens = await figure.getByRole('combobox', { name: 'Lens' }).inputValue();
        const statistic = (await figure.getByRole('combobox', { name: 'Statistic' }).inputValue()) as Statistic;
        const stride = Number(await figure.getByRole('combobox', { name: 'Layer stride' }).inputValue());
        const sublayers = await figure.getByRole('checkbox', { name: 'Sub-layer rows' }).isChecked();
        const { from, to, T } = await shownRange(figure);
        expect(T, `${where}: the prompt's length in tokens`).toBe(await tokenCount(text));

        const expected = await expectedCells(text, lens, statistic, stride, from, to, sublayers);
        const drawn = await drawnCells(figure.getByRole('img', { name: /lens predictions by layer and token/ }));
        if (stride === 1) expect(drawn.rowLabels, where).toHaveLength(sublayers ? 2 * LAYERS + 1 : ROWS);
        expect(drawn.rowLabels, where).toEqual(expected.rowLabels);
        expect(drawn.cells, where).toBe(drawn.rowLabels.length * (to - from));
        expect(drawn.texts, `${where}: the top-1 token in each cell`).toEqual(expected.texts);

        // The numbers, as a table, say the same: open it (a <details>, which needs no script).
        await figure.getByText('The numbers').click();
        const table = figure.getByRole('table');
        // A figure with the prediction-depth strip adds that row last.
        const depthRows = await table
          .getByRole('row')
          .filter({ has: page.getByRole('rowheader', { name: 'prediction depth' }) })
          .count();
        expect(depthRows, `${where}: prediction-depth rows`).toBeLessThanOrEqual(1);
        await expect(table.getByRole('row')).toHaveCount(1 + drawn.rowLabels.length + depthRows);
        await expect(table.getByRole('row').nth(1).getByRole('cell').first()).toContainText(expected.texts[expected.texts.length - expected.numPositions]);
        checked++;
      }
    }
    expect(checked, 'static heatmaps checked').toBeGreaterThanOrEqual(5);
  });

  test('the static comparison draws both lenses on the same cells, each with the model’s own top-1 tokens', async ({ page }) => {
    await page.goto('/logit-vs-tuned/');
    const figure = staticFigures(page).filter({ has: page.getByRole('img', { name: /^Logit lens predictions/ }) });
    await expect(figure).toHaveCount(1);
    const text = await figure.getByRole('textbox', { name: 'Prompt' }).inputValue();
    const statistic = (await figure.getByRole('combobox', { name: 'Statistic' }).inputValue()) as Statistic;
    const stride = Number(await figure.getByRole('combobox', { name: 'Layer stride' }).inputValue());
    const { from, to } = await shownRange(figure);
    for (const [lens, name] of [
      ['logit', /^Logit lens predictions/],
      ['tuned', /^Tuned lens predictions/],
    ] as const) {
      const expected = await expectedCells(text, lens, statistic, stride, from, to);
      const drawn = await drawnCells(figure.getByRole('img', { name }));
      expect(drawn.cells).toBe(ROWS * (to - from));
      expect(drawn.rowLabels).toEqual(expected.rowLabels);
      expect(drawn.texts, `${lens} lens: the top-1 token in each cell`).toEqual(expected.texts);
    }
    // The readout is the live figure's first one: layer 0, the first shown token.
    await expect(figure.getByRole('group', { name: 'Cell details, both lenses' })).toContainText('layer 0');
  });

  test('the static layer curves draw one line per lens and list the model’s per-layer numbers', async ({ page }) => {
    await page.goto('/logit-vs-tuned/');
    const figure = staticFigures(page).filter({ has: page.getByRole('textbox', { name: 'Your text' }) });
    await expect(figure).toHaveCount(1);
    await expect(figure.getByRole('list', { name: 'Lenses' }).getByRole('listitem')).toHaveText(['logit lens', 'tuned lens']);
    for (const name of [/Mean KL divergence/, /cross-entropy on your text/, /bias/]) {
      const shown = figure.getByRole('img', { name }).locator('svg').filter({ visible: true });
      await expect(shown).toHaveCount(1);
      await expect(shown.locator('g[aria-label="line"] > path')).toHaveCount(2);
    }
    const text = await figure.getByRole('textbox', { name: 'Your text' }).inputValue();
    const expected = await Promise.all(['logit', 'tuned'].map(async (lens) => layerCurves(lens, await buildTrajectory(text, lens, 1), text)));
    await figure.getByText('The numbers').click();
    const rows = figure.getByRole('table').getByRole('row');
    await expect(rows).toHaveCount(1 + ROWS);
    for (let layer = 0; layer < ROWS; layer++) {
      const [logit, tuned] = expected.map((points) => points[layer]);
      await expect(rows.nth(1 + layer).getByRole('rowheader')).toHaveText(logit.row);
      await expect(rows.nth(1 + layer).getByRole('cell')).toHaveText(
        [logit.meanKl, tuned.meanKl, logit.bitsPerByte, tuned.bitsPerByte, logit.bias, tuned.bias].map((v) => v.toFixed(3)),
      );
    }
  });

  test('the static translator figure draws every singular value of every translator and lists their norms', async ({ page }) => {
    await page.goto('/affine-adapters/');
    const figure = staticFigures(page).filter({ has: page.getByRole('img', { name: /Singular-value spectrum/ }) });
    await expect(figure).toHaveCount(1);
    const { numLayers, dModel } = await embeddedModel();
    await expect(figure).toContainText(`${numLayers} translators of ${dModel} × ${dModel}`);
    const spectrum = figure
      .getByRole('img', { name: /Singular-value spectrum/ })
      .locator('svg')
      .filter({ visible: true });
    await expect(spectrum.locator('g[aria-label="tick"] > line')).toHaveCount(numLayers * dModel);
    const stats = await buildTranslatorStats('tuned');
    await figure.getByText('The numbers').click();
    const rows = figure.getByRole('table').getByRole('row');
    await expect(rows).toHaveCount(1 + numLayers);
    for (const s of stats) {
      const sigma = s.singularValues;
      await expect(rows.nth(1 + s.layer).getByRole('rowheader')).toHaveText(String(s.layer));
      await expect(rows.nth(1 + s.layer).getByRole('cell')).toHaveText([s.weightNorm, s.biasNorm, sigma[0], sigma[sigma.length - 1]].map((v) => v.toFixed(3)));
    }
  });

  test('the static training figure draws a loss curve per layer of a run made at build time, and its table has every step’s losses, falling', async ({
    page,
  }) => {
    await page.goto('/training/');
    const figure = staticFigures(page).filter({ has: page.getByRole('list', { name: 'Layers' }) });
    await expect(figure).toHaveCount(1);
    await expect(figure).toHaveAttribute('id', 'fig-train');
    const layers = Array.from({ length: LAYERS }, (_, l) => `layer ${l}`);
    await expect(figure.getByRole('list', { name: 'Layers' }).getByRole('listitem')).toHaveText(layers);

    // The caption says how long the run was; the disabled controls show the same settings.
    const [, steps, tokens] = (await figure.locator('figcaption').textContent())!.match(
      /training this lens for (\d+) steps × ([\d,]+) tokens of the bundled sample/,
    )!;
    await expect(figure.getByRole('spinbutton', { name: 'Steps' })).toHaveValue(steps);
    await expect(figure.getByRole('spinbutton', { name: 'Tokens per step' })).toHaveValue(tokens.replace(/,/g, ''));
    await expect(figure.getByRole('spinbutton', { name: 'Steps' })).toBeDisabled();

    const plot = figure.getByRole('img', { name: /^Training loss by layer: after step \d+/ });
    await expect(plot).toHaveAttribute('aria-label', new RegExp(`after step ${steps},`));
    const shown = plot.locator('svg').filter({ visible: true });
    await expect(shown).toHaveCount(1);
    await expect(shown.locator('g[aria-label="line"] > path'), 'a curve per layer').toHaveCount(LAYERS);
    await expect(shown.locator('g[aria-label="dot"] > circle'), 'each curve’s last step marked').toHaveCount(LAYERS);

    // The numbers: a row per step, a column per layer; every loss finite and positive, each layer's last below its first.
    await figure.getByText('The numbers, step by step').click();
    const table = figure.getByRole('table');
    await expect(table.locator('thead th')).toHaveText(['step', 'mean KL', ...layers]);
    const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.children].map((c) => Number(c.textContent))));
    expect(rows.map(([step]) => step)).toEqual(Array.from({ length: Number(steps) }, (_, i) => i + 1));
    for (const [step, mean, ...perLayer] of rows) {
      expect(perLayer, `step ${step}: a loss per layer`).toHaveLength(LAYERS);
      for (const loss of [mean, ...perLayer]) expect(Number.isFinite(loss) && loss > 0, `step ${step}: ${loss} is a finite, positive KL`).toBe(true);
      expect(mean, `step ${step}: the mean of the layers`).toBeCloseTo(perLayer.reduce((a, b) => a + b, 0) / LAYERS, 2);
    }
    const [first, last] = [rows[0], rows[rows.length - 1]];
    for (let l = 0; l < LAYERS; l++) expect(last[2 + l], `layer ${l}: the last step's loss is below the first's`).toBeLessThan(first[2 + l]);
    await expect(figure.locator('.train-status')).toContainText(`Mean KL went from ${first[1].toFixed(3)} to ${last[1].toFixed(3)} nats.`);
  });
});

test.describe('with JavaScript', () => {
  test('before the model has loaded the static figure stands in, and the live figure then takes its place', async ({ page }) => {
    // Hold the model's weights back until the static figure has been looked at.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.context().route('**/model.safetensors', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto('/#fig-seed-heatmap');
    const wrapper = page.locator('[data-live-figure]').first();
    const standIn = wrapper.locator('[data-static-figure]');
    await expect(standIn).toBeVisible();
    await expect(standIn.getByRole('img', { name: /Tuned lens predictions by layer and token/ })).toBeVisible();
    // The island has mounted (its figure now carries the id) but stays out of sight while the model loads.
    await expect(page.locator('#fig-seed-heatmap')).toHaveCount(1);
    await expect(page.locator('#fig-seed-heatmap')).toBeHidden();
    await expect(page.getByRole('grid')).toHaveCount(0);
    const before = await standIn.evaluate((e) => e.getBoundingClientRect().top + window.scrollY);

    release();
    const live = page.locator('#fig-seed-heatmap');
    await expect(live.getByRole('gridcell').first()).toBeVisible({ timeout: 45_000 });
    await expect(standIn).toHaveCount(0);
    const after = await live.evaluate((e) => e.getBoundingClientRect().top + window.scrollY);
    expect(Math.abs(after - before), 'the live figure appears where the static one was').toBeLessThanOrEqual(1);
  });

  test('the training figure keeps its build-time run until the model is ready, then the live figure, ready to train, takes its place', async ({ page }) => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.context().route('**/model.safetensors', async (route) => {
      await held;
      await route.continue();
    });
    await page.goto('/training/#fig-train');
    const wrapper = page.locator('[data-live-figure]');
    await expect(wrapper).toHaveCount(1);
    const standIn = wrapper.locator('[data-static-figure]');
    await expect(standIn.getByRole('img', { name: /^Training loss by layer: after step \d+/ })).toBeVisible();
    // The island has mounted (it carries the id now), out of sight, with no loss frame yet: nothing to hand over to.
    const live = page.locator('#fig-train');
    await expect(live).toBeHidden();
    await expect(live.getByRole('button', { name: 'Start', includeHidden: true })).toBeDisabled();
    await expect(live.locator('.heatmap-frame svg')).toHaveCount(0);
    await expect(standIn).toBeVisible();

    release();
    await expect(live.getByRole('button', { name: 'Start' })).toBeEnabled({ timeout: 45_000 });
    await expect(live.locator('.heatmap-frame svg')).toBeVisible();
    await expect(standIn).toHaveCount(0);
    await expect(wrapper).toHaveAttribute('data-state', 'live');
    // Until the reader starts a run of their own, the live figure keeps the build's run as an example.
    await expect(live.locator('.train-example-note')).toContainText('the run made when this page was built: 12 steps × 256 tokens');
    await expect(live.getByRole('img', { name: /^Training loss by layer: For example/ }).locator('g[aria-label="line"] > path')).toHaveCount(LAYERS);
  });

  test('if the model cannot load, the static figure stays and the live figure’s error and retry appear under it', async ({ page }) => {
    await page.context().route('**/model.safetensors', (route) => route.abort('failed'));
    await page.goto('/');
    const standIn = page.locator('[data-static-figure]').first();
    const live = page.locator('#fig-seed-heatmap');
    await expect(live.getByRole('alert')).toContainText('Could not load', { timeout: 30_000 });
    await expect(live.getByRole('button', { name: 'Retry' })).toBeVisible();
    await expect(standIn).toBeVisible();
    const [below, above] = await Promise.all([live.boundingBox(), standIn.boundingBox()]);
    expect(below!.y, 'the live figure is under the static one').toBeGreaterThanOrEqual(above!.y + above!.height);
  });

  test('on every chapter each live figure replaces its static version: one figure in its place, and one element with its id', async ({ page }) => {
    test.setTimeout(240_000);
    for (const path of await chapterPaths(page)) {
      await page.goto(path);
      const wrappers = page.locator('[data-live-figure]');
      const islands = page.locator('[data-live-figure] astro-island');
      for (let i = 0; i < (await islands.count()); i++) await islands.nth(i).evaluate((e) => e.scrollIntoView());
      await expect(page.locator('[data-live-figure]:not([data-state="live"])'), `${path}: every figure goes live`).toHaveCount(0, { timeout: 60_000 });
      await expect(page.locator('[data-static-figure]')).toHaveCount(0);
      for (let i = 0; i < (await wrappers.count()); i++) {
        const figures = wrappers.nth(i).locator('figure').filter({ visible: true });
        await expect(figures).toHaveCount(1);
        const id = (await figures.first().getAttribute('id'))!;
        await expect(page.locator(`[id="${id}"]`)).toHaveCount(1);
        await expect(figures.first().locator('.heatmap-frame svg').first()).toBeVisible();
      }
    }
  });
});
