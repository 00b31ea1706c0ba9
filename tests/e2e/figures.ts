/** Shared by the chapter tests: the chapters in order, and waiting until every live figure has drawn. */
import { expect, type Page } from '@playwright/test';

/** The chapters in reading order, as the table of contents lists them (read on a page of its own). */
export async function chapterPaths(page: Page): Promise<string[]> {
  const toc = await page.context().newPage();
  await toc.goto('/');
  const hrefs = await toc.locator('#sidebar .toc-chapter > a').evaluateAll((links) => links.map((a) => a.getAttribute('href') ?? ''));
  await toc.close();
  return hrefs;
}

/**
 * Waits until every live figure on the page has drawn: each demo figure (heatmap, comparison, curves,
 * translators) shows its plot, and each island inside a static figure has rendered its chart.
 */
export async function expectFiguresDrawn(page: Page): Promise<number> {
  // Astro removes an island's `ssr` attribute once it has hydrated; islands below the fold hydrate
  // when they come into view, so bring each one into view first.
  const islands = page.locator('astro-island');
  for (let i = 0; i < (await islands.count()); i++) await islands.nth(i).evaluate((e) => e.scrollIntoView());
  await expect(page.locator('astro-island[ssr]')).toHaveCount(0, { timeout: 20_000 });
  const live = page.locator('figure.heatmap');
  const count = await live.count();
  for (let i = 0; i < count; i++) {
    const figure = live.nth(i);
    await figure.scrollIntoViewIfNeeded();
    await expect(figure.locator('.heatmap-frame svg').first(), `figure #${await figure.getAttribute('id')} draws`).toBeVisible({ timeout: 45_000 });
    await expect(figure.getByRole('alert')).toHaveCount(0);
  }
  const charts = page.locator('.figure [data-plot]');
  for (let i = 0; i < (await charts.count()); i++) {
    await charts.nth(i).scrollIntoViewIfNeeded();
    await expect(charts.nth(i).locator('svg')).toBeVisible({ timeout: 20_000 });
  }
  return count;
}
