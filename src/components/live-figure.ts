/**
 * The handover from a static figure to its live island (LiveFigure.astro). The static figure, drawn at
 * build time, is what the reader sees first, and all they see without JavaScript. The island renders
 * in the same grid cell, invisible, while the model loads; once it has drawn (its `data-drawn`
 * selector matches) the static figure is removed and the island shown in its place. The figure's id —
 * the target of links to it — moves to the island's own figure as soon as that exists, so there is
 * never more than one element with it once the island is up. If the model fails to load, the island
 * (with its error and retry) is shown under the static figure, which stays.
 */

export function initLiveFigures(): void {
  for (const wrapper of document.querySelectorAll<HTMLElement>('[data-live-figure]')) handOver(wrapper);
}

function handOver(wrapper: HTMLElement): void {
  const staticFigure = wrapper.querySelector<HTMLElement>(':scope > [data-static-figure]');
  const island = wrapper.querySelector<HTMLElement>(':scope > astro-island');
  const drawn = wrapper.dataset.drawn ?? 'svg';
  if (!staticFigure || !island) return;

  const check = () => {
    const live = island.querySelector('figure');
    if (live?.id && live.id === staticFigure.id) staticFigure.removeAttribute('id');
    if (island.querySelector(drawn)) {
      observer.disconnect();
      staticFigure.remove();
      wrapper.dataset.state = 'live';
    } else if (island.querySelector('.engine-status-error')) {
      wrapper.dataset.state = 'failed';
    } else if (wrapper.dataset.state === 'failed') {
      delete wrapper.dataset.state; // retrying
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(island, { childList: true, subtree: true });
  check();
}
