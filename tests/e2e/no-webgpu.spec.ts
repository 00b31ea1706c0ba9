/** A browser without WebGPU: the demos fall back to WASM and say so. */
import { expect, test } from '@playwright/test';
import { watchForErrors } from './watch-errors.ts';

test.use({
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-features=WebGPU', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  },
});

test('without WebGPU the heatmap runs on WASM and the model picker says why', async ({ page }) => {
  const errors = watchForErrors(page);
  await page.goto('/#fig-seed-heatmap');
  await expect(page.locator('#fig-seed-heatmap').getByRole('gridcell').first()).toBeVisible({ timeout: 45_000 });
  expect(await page.evaluate(async () => (await (navigator as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()) ?? null)).toBeNull();
  await expect(page.locator('#fig-seed-heatmap figcaption')).toContainText('on WASM');
  await page.getByText('Model', { exact: true }).click();
  await expect(
    page.getByRole('status').filter({ hasText: /(this browser has no WebGPU|WebGPU found no usable GPU adapter), so the model runs on WASM/ }),
  ).toBeVisible();
  expect(errors).toEqual([]);
});
