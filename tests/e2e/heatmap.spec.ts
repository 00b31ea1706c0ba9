/**
 * The seed's interactive heatmap as a reader uses it: the figure on the first chapter, run live on
 * the embedded model in the page's engine Worker.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { readTorchStateDict } from '../../src/lens/formats/torch-pickle.ts';
import { writeTorchStateDict } from '../../src/lens/formats/torch-save.ts';
import { DEFAULT_MODEL_CONTEXT, DEFAULT_MODEL_DIR, DEFAULT_MODEL_WIDTH, DEFAULT_MODEL_ROWS as ROWS, tokenCount } from './default-model.ts';
import { watchForErrors } from './watch-errors.ts';

const FIGURE = 'fig-seed-heatmap';
const figure = (page: Page) => page.locator(`#${FIGURE}`);
const grid = (page: Page) => figure(page).getByRole('grid');
const cells = (page: Page) => grid(page).getByRole('gridcell');

/** The embedded model's lens as a params.pt with `key`[row, column] set to NaN. */
function embeddedLensWithNaN(key: string, [row, column]: [number, number]): Uint8Array {
  const tensors = readTorchStateDict(new Uint8Array(readFileSync(`${DEFAULT_MODEL_DIR}/lens/params.pt`)), 'params.pt');
  const tensor = tensors.get(key)!;
  tensor.data[row * tensor.shape[1] + column] = NaN;
  return writeTorchStateDict(tensors);
}

async function openFigure(page: Page, query = '') {
  await page.goto(`/${query}#${FIGURE}`);
  await expect(cells(page).first()).toBeVisible({ timeout: 45_000 });
}

/** The accessible names of every cell: what a screen reader (and this test) reads off the heatmap. */
async function cellLabels(page: Page): Promise<string[]> {
  return cells(page).evaluateAll((elements) => elements.map((e) => e.getAttribute('aria-label') ?? ''));
}

test.describe('the seed heatmap', () => {
  test('shows one row per layer plus the output and one column per shown token', async ({ page }) => {
    const errors = watchForErrors(page);
    await openFigure(page);
    await expect(grid(page).getByRole('row')).toHaveCount(ROWS);
    // start_pos -10: the last ten tokens of the seed prompt.
    await expect(cells(page)).toHaveCount(ROWS * 10);
    const T = await tokenCount('82U*N#c4t^koK%a5*S3qrfBi 82U*N#c4t^koK%a5*S3qrfBi');
    await expect(figure(page)).toContainText(`showing tokens ${T - 9}–${T} of ${T}`);
    await expect(figure(page).locator('figcaption')).toContainText(/Computed in \d+ ms on WASM/);
    expect(errors).toEqual([]);
  });

  test('predicts the second copy of the seed string from the first: the output row copies it (induction)', async ({ page }) => {
    await openFigure(page);
    // The first row is the output; its ten cells are the last ten positions, all in the second copy.
    const output = (await cellLabels(page)).slice(0, 10);
    const after = output.map((label) => /after “(.*?)”:/.exec(label)![1]);
    const predicts = output.map((label) => /predicts “(.*?)”/.exec(label)![1]);
    const copied = predicts.slice(0, -1).filter((token, i) => token === after[i + 1]).length;
    expect(copied, output.join('\n')).toBeGreaterThanOrEqual(7);
  });

  test('recomputes as the reader types a new prompt', async ({ page }) => {
    const errors = watchForErrors(page);
    await openFigure(page);
    const before = await cellLabels(page);
    const prompt = figure(page).getByRole('textbox', { name: 'Prompt' });
    const text = 'And God said, Let there be light';
    const T = await tokenCount(text);
    await prompt.fill(text);
    await expect(figure(page)).toContainText(`of ${T}`);
    await expect(cells(page)).toHaveCount(ROWS * Math.min(10, T));
    expect(await cellLabels(page)).not.toEqual(before.slice(0, ROWS * Math.min(10, T)));
    await expect(cells(page).last()).toHaveAttribute('aria-label', /after “␣light”/);
    expect(errors).toEqual([]);
  });

  test('switching the lens or the statistic changes what the cells say', async ({ page }) => {
    await openFigure(page);
    const tuned = await cellLabels(page);
    await figure(page).getByRole('combobox', { name: 'Lens' }).selectOption('logit');
    await expect.poll(() => cellLabels(page)).not.toEqual(tuned);
    const logit = await cellLabels(page);
    // The output row is the model's own prediction whatever the lens.
    expect(logit.slice(0, 10)).toEqual(tuned.slice(0, 10));
    await figure(page).getByRole('combobox', { name: 'Statistic' }).selectOption('rank');
    await expect(cells(page).first()).toHaveAttribute('aria-label', /; rank rank [\d,]+$/);
    await expect(figure(page).locator('.heatmap-legend')).toContainText('Rank');
  });

  test('hovering or moving with the arrow keys shows the top-k for that cell', async ({ page }) => {
    await openFigure(page);
    const readout = figure(page).getByRole('group', { name: 'Cell details' });
    await cells(page).nth(0).hover();
    await expect(readout).toContainText('model output');
    await expect(readout.getByRole('listitem')).toHaveCount(10);
    await grid(page)
      .getByRole('gridcell')
      .nth((ROWS - 1) * 10 + 5)
      .click(); // layer 0, pins the readout
    await expect(readout).toContainText('layer 0');
    await page.keyboard.press('Enter'); // unpin
    await page.keyboard.press('ArrowUp');
    await expect(readout).toContainText('layer 1');
    await expect(grid(page).locator('[tabindex="0"]')).toBeFocused();
    await page.keyboard.press('End');
    await expect(readout).not.toContainText('next is');
    await figure(page).getByRole('combobox', { name: 'Top-k' }).selectOption('5');
    await expect(readout.getByRole('listitem')).toHaveCount(5);
  });

  test('a copied link reopens the same figure in the same state', async ({ page, context }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await openFigure(page);
    await figure(page).getByRole('textbox', { name: 'Prompt' }).fill('To be, or not to be');
    await figure(page).getByRole('combobox', { name: 'Lens' }).selectOption('logit');
    await figure(page).getByRole('combobox', { name: 'Statistic' }).selectOption('forwardKl');
    await expect(figure(page)).toContainText(`of ${await tokenCount('To be, or not to be')}`);
    const labels = await cellLabels(page);
    await figure(page).getByRole('button', { name: 'Copy link to this view' }).click();
    await expect(figure(page).getByRole('button', { name: 'Link copied' })).toBeVisible();
    const url = await page.evaluate(() => navigator.clipboard.readText());
    expect(url).toContain(`#${FIGURE}`);

    const second = await context.newPage();
    await second.goto(url);
    await expect(cells(second).first()).toBeVisible({ timeout: 45_000 });
    await expect(figure(second).getByRole('textbox', { name: 'Prompt' })).toHaveValue('To be, or not to be');
    await expect(figure(second).getByRole('combobox', { name: 'Lens' })).toHaveValue('logit');
    await expect(figure(second).getByRole('combobox', { name: 'Statistic' })).toHaveValue('forwardKl');
    await expect.poll(() => cellLabels(second)).toEqual(labels);
  });

  test('a prompt that looks like HTML is shown as text and never run', async ({ page }) => {
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    const xss = '<img src=x onerror=alert(1)>';
    await openFigure(page, `?${FIGURE}=${encodeURIComponent(new URLSearchParams({ text: xss, start: '0' }).toString())}`);
    await expect(figure(page).getByRole('textbox', { name: 'Prompt' })).toHaveValue(xss);
    // The first token is "<" itself, shown as text on the axis and in the cell's name.
    expect((await cellLabels(page)).some((label) => label.includes('after “<”'))).toBe(true);
    await expect(figure(page).locator('.heatmap-canvas svg')).toContainText('<');
    await expect(page.locator('img[src="x"]')).toHaveCount(0);
    expect(dialogs).toEqual([]);
  });

  test('an empty prompt says what to do and keeps the page working', async ({ page }) => {
    await openFigure(page);
    await figure(page).getByRole('textbox', { name: 'Prompt' }).fill('');
    await expect(figure(page).getByRole('alert')).toContainText('The prompt is empty');
    await figure(page).getByRole('textbox', { name: 'Prompt' }).fill('Hello world');
    await expect(figure(page).getByRole('alert')).toHaveCount(0);
    await expect(figure(page)).toContainText(`of ${await tokenCount('Hello world')}`);
  });

  test('a prompt longer than the model reads says by how much, and a shorter one works again', async ({ page }) => {
    const errors = watchForErrors(page);
    await openFigure(page);
    const long = 'the cat sat on the mat. '.repeat(60);
    const T = await tokenCount(long);
    expect(T).toBeGreaterThan(DEFAULT_MODEL_CONTEXT);
    const prompt = figure(page).getByRole('textbox', { name: 'Prompt' });
    await prompt.fill(long);
    await expect(figure(page).getByRole('alert')).toContainText(
      `The prompt is ${T} tokens but pd-gpt2-6l reads at most ${DEFAULT_MODEL_CONTEXT} — shorten it by ${T - DEFAULT_MODEL_CONTEXT} tokens.`,
    );
    await expect(prompt).toHaveValue(long); // the reader's text is kept, to be shortened
    await prompt.fill('the cat sat on the mat.');
    await expect(figure(page).getByRole('alert')).toHaveCount(0);
    await expect(figure(page)).toContainText(`of ${await tokenCount('the cat sat on the mat.')}`);
    expect(errors).toEqual([]);
  });

  test('a lens file that is broken, hostile, holds a NaN or is for another model is refused with the reason; a good one is added', async ({ page }) => {
    const errors = watchForErrors(page);
    await openFigure(page);
    await figure(page).getByText('Use your own lens file…').click();
    const input = figure(page).getByLabel('config.json with params.pt or params.safetensors');
    const lensMenu = figure(page).getByRole('combobox', { name: 'Lens' });
    const lensesBefore = await lensMenu.locator('option').allTextContents();
    const labelsBefore = await cellLabels(page);
    const alert = figure(page).locator('.lens-upload').getByRole('alert');
    const fixture = (name: string) => [`tests/fixtures/lenses/${name}/config.json`, `tests/fixtures/lenses/${name}/params.pt`];

    // Made for the tiny test model (d_model 32), not for the embedded one.
    await input.setInputFiles(fixture('current'));
    await expect(alert).toContainText(`has d_model ${DEFAULT_MODEL_WIDTH} — is this lens for another model?`);
    // Cut short in the middle of its zip archive.
    await input.setInputFiles(fixture('truncated'));
    await expect(alert).toHaveText(
      'params.pt: the zip has no end-of-central-directory record — the file is truncated or not a zip (a torch.save file is a zip); download it again',
    );
    // A pickle that would call os.system: refused by name, never run.
    await input.setInputFiles(fixture('malicious'));
    await expect(alert).toHaveText('params.pt: the pickle names os.system, which is not allowed in a lens file — refusing to load it (nothing was executed)');
    // The embedded model's own lens, which fits it, with one NaN in translator 1: refused at load, named.
    await input.setInputFiles([
      { name: 'config.json', mimeType: 'application/json', buffer: readFileSync(`${DEFAULT_MODEL_DIR}/lens/config.json`) },
      { name: 'params.pt', mimeType: 'application/octet-stream', buffer: Buffer.from(embeddedLensWithNaN('1.weight', [2, 5])) },
    ]);
    await expect(alert).toHaveText(
      `params.pt: tensor '1.weight' holds NaN at [2, 5] (element ${2 * DEFAULT_MODEL_WIDTH + 5}) — weights must be finite; the file is corrupted or was saved from a diverged run`,
    );
    // Only one of the two files.
    await input.setInputFiles(`${DEFAULT_MODEL_DIR}/lens/params.pt`);
    await expect(alert).toContainText('Choose config.json together with params.pt or params.safetensors');

    await expect(lensMenu.locator('option')).toHaveText(lensesBefore);
    expect(await cellLabels(page)).toEqual(labelsBefore);

    // The embedded model's own lens, as files from disk: added to the menu and usable.
    await input.setInputFiles([`${DEFAULT_MODEL_DIR}/lens/config.json`, `${DEFAULT_MODEL_DIR}/lens/params.pt`]);
    await expect(figure(page).locator('.lens-upload').getByRole('status')).toContainText('Loaded the lens as');
    await expect(lensMenu.locator('option')).toHaveCount(lensesBefore.length + 1);
    const added = (await lensMenu.locator('option').allTextContents()).find((t) => !lensesBefore.includes(t))!;
    await lensMenu.selectOption({ label: added });
    // The same weights as the built-in tuned lens: the same cells.
    await lensMenu.selectOption('tuned');
    const tunedLabels = await cellLabels(page);
    await lensMenu.selectOption({ label: added });
    await expect.poll(() => cellLabels(page)).toEqual(tunedLabels);
    expect(errors).toEqual([]);
  });

  test('runs on WebGPU when asked, on the software adapter', async ({ page }) => {
    test.setTimeout(150_000);
    const errors = watchForErrors(page);
    // A two-token prompt keeps SwiftShader's share of the work small.
    await page.goto(`/?backend=webgpu&${FIGURE}=${encodeURIComponent('text=Hi there&lens=tuned&stat=entropy')}#${FIGURE}`);
    await expect(cells(page).first()).toBeVisible({ timeout: 120_000 });
    await expect(cells(page)).toHaveCount(ROWS * (await tokenCount('Hi there')));
    await expect(figure(page).locator('figcaption')).toContainText('on WebGPU');
    await page.getByText('Model', { exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: 'WebGPU was asked for' })).toBeVisible();
    expect(errors).toEqual([]);
  });
});
