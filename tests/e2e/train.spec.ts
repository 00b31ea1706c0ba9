/**
 * Training a tuned lens in the page, as a reader does it on the training demo's own page: a few small
 * steps on the bundled sample in the engine Worker, the loss falling, the lens handed to the heatmap
 * below, and the page answering other requests while it trains.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { tokenCount } from './default-model.ts';
import { watchForErrors } from './watch-errors.ts';

const train = (page: Page) => page.locator('#demo-train');
const heatmap = (page: Page) => page.locator('#demo-train-heatmap');
const status = (page: Page) => train(page).locator('.train-status');

/** Opens /demos/train/ with small settings (steps, tokens per step) and waits for the model. */
async function open(page: Page, settings: Record<string, string>) {
  const state = new URLSearchParams(settings).toString();
  await page.goto(`/demos/train/?demo-train=${encodeURIComponent(state)}`);
  await expect(train(page).getByRole('button', { name: 'Start' })).toBeEnabled({ timeout: 45_000 });
}

/** The accessible names of every heatmap cell: what the lens predicts, and how surely, at each one. */
async function cellLabels(figure: Locator): Promise<string[]> {
  return figure.getByRole('gridcell').evaluateAll((cells) => cells.map((c) => c.getAttribute('aria-label') ?? ''));
}

/** The mean KL column of the step-by-step table, first logged step to last. */
async function meanLosses(page: Page): Promise<number[]> {
  await train(page).getByText('The numbers, step by step').click();
  const rows = train(page).getByRole('table').locator('tbody tr');
  return rows.evaluateAll((trs) => trs.map((tr) => Number(tr.querySelector('td')?.textContent)));
}

test.describe('training a tuned lens in the page', () => {
  test('trains a few steps, the loss falls, and the heatmap offers and uses the trained lens', async ({ page }) => {
    test.setTimeout(240_000);
    const errors = watchForErrors(page);
    await open(page, { steps: '4', tokens: '256', init: 'logit' });
    await expect(cellsOf(heatmap(page)).first()).toBeVisible({ timeout: 45_000 });

    await train(page).getByRole('button', { name: 'Start' }).click();
    await expect(status(page)).toContainText('Done: 4 steps', { timeout: 180_000 });
    await expect(train(page).getByRole('img', { name: /after step 4, mean KL/ })).toBeVisible();
    const losses = await meanLosses(page);
    expect(losses).toHaveLength(4);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[3]).toBeLessThan(losses[0]);
    await expect(status(page)).toContainText(`Mean KL went from ${losses[0].toFixed(3)} to ${losses[3].toFixed(3)} nats`);
    await expect(train(page).getByText(/\d+ tokens per second/)).toBeVisible();

    await train(page).getByRole('button', { name: 'Use this lens' }).click();
    await expect(train(page).getByText('Added to every lens menu on this page as “trained in page (4 steps)”.')).toBeVisible();

    // The heatmap below reads the same engine: its menu now offers the trained lens.
    const menu = heatmap(page).getByRole('combobox', { name: 'Lens' });
    await expect(menu.locator('option', { hasText: 'trained in page (4 steps)' })).toHaveCount(1);
    const tuned = await cellLabels(heatmap(page));
    await menu.selectOption('logit');
    await expect.poll(() => cellLabels(heatmap(page))).not.toEqual(tuned);
    const logit = await cellLabels(heatmap(page));
    await menu.selectOption('trained in page (4 steps)');
    await expect(heatmap(page).getByRole('grid', { name: /^trained in page \(4 steps\) lens predictions/ })).toBeVisible();
    await expect.poll(() => cellLabels(heatmap(page))).not.toEqual(logit);
    const trained = await cellLabels(heatmap(page));
    expect(trained).toHaveLength(logit.length);
    // The output row (the first ten cells) is the model's own prediction whatever the lens; the layers read differently.
    expect(trained.slice(0, 10)).toEqual(logit.slice(0, 10));
    expect(trained.slice(10)).not.toEqual(logit.slice(10));
    expect(errors).toEqual([]);
  });

  test('the heatmap still answers while the lens trains, and a paused run can be downloaded and reset', async ({ page }) => {
    test.setTimeout(180_000);
    const errors = watchForErrors(page);
    await open(page, { steps: '40', tokens: '256' });
    await expect(cellsOf(heatmap(page)).first()).toBeVisible({ timeout: 45_000 });

    await train(page).getByRole('button', { name: 'Start' }).click();
    await expect(train(page).locator('.train-readout')).toContainText(/step\s*1 of 40/, { timeout: 60_000 });

    // A new prompt is read between two graph runs of the training, not after the 40 steps.
    const prompt = 'O Romeo, Romeo! wherefore art thou Romeo?';
    await heatmap(page).getByRole('textbox', { name: 'Prompt' }).fill(prompt);
    await expect(heatmap(page)).toContainText(`of ${await tokenCount(prompt)}`, { timeout: 30_000 });
    await expect(heatmap(page).getByRole('gridcell').last()).toHaveAttribute('aria-label', /after “\?”/);
    await expect(status(page)).toContainText('Training on the bundled sample');

    const pause = train(page).getByRole('button', { name: 'Pause' });
    await expect(pause).toHaveAttribute('aria-pressed', 'false');
    await pause.click();
    await expect(pause).toHaveAttribute('aria-pressed', 'true');
    await expect(status(page)).toContainText(/Paused after step \d+ of 40/);
    const download = train(page).getByRole('list', { name: /Download the lens after step \d+/ });
    for (const name of ['params.pt', 'params.safetensors', 'config.json']) {
      await expect(download.getByRole('link', { name })).toHaveAttribute('href', /^blob:/);
    }
    const config = await download.getByRole('link', { name: 'config.json' }).evaluate(async (a) => (await fetch((a as HTMLAnchorElement).href)).json());
    expect(config).toMatchObject({ base_model_name_or_path: 'pd-gpt2-6l', num_hidden_layers: 6, d_model: 256, lens_type: 'linear_tuned_lens' });

    // Paused, with the curves, the table and the downloads showing: nothing serious for axe in the figure.
    await train(page).getByText('The numbers, step by step').click();
    const axe = await new AxeBuilder({ page }).include('#demo-train').analyze();
    expect(
      axe.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    ).toEqual([]);

    await train(page)
      .getByRole('button', { name: /^Reset/ })
      .click();
    await expect(status(page)).toContainText('Ready: 40 steps');
    await expect(pause).toBeDisabled();
    await expect(download).toHaveCount(0);
    expect(errors).toEqual([]);
  });

  test('says what to do when the pasted text is too short for one training chunk', async ({ page }) => {
    const errors = watchForErrors(page);
    await open(page, { steps: '2', tokens: '256' });
    await train(page).getByRole('radio', { name: 'your own text' }).check();
    await train(page)
      .getByRole('textbox', { name: /Your text/ })
      .fill('To be, or not to be, that is the question.');
    await train(page).getByRole('button', { name: 'Start' }).click();
    await expect(train(page).getByRole('alert')).toContainText(/The text is \d+ tokens, but one training chunk of pd-gpt2-6l is 256 tokens/);
    await expect(train(page).getByRole('button', { name: 'Start' })).toBeEnabled();
    expect(errors).toEqual([]);
  });
});

function cellsOf(figure: Locator): Locator {
  return figure.getByRole('gridcell');
}
