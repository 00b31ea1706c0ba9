/// <reference lib="webworker" />
/**
 * profile-core.ts in a browser Worker on onnxruntime-web's WASM backend (page: browser/index.html
 * with ?mode=profile; driver: browser.ts). CPU time per run comes from the renderer's /proc schedstat,
 * read by the driver. Messages: browser-worker.ts.
 */
import './wasm-memory-probe.ts';
import * as ort from 'onnxruntime-web/webgpu';
import { profileHead } from './profile-core.ts';
import { hook, log, post, schedstat, serve, setUpWasm } from './browser-worker.ts';

async function start(message: { type: 'start'; threads: number; lengths: number[]; runs: number }): Promise<void> {
  setUpWasm(message.threads);
  await hook('reset'); // lets the driver find the renderer
  const perT = await profileHead(
    {
      ort,
      sessionOptions: { executionProviders: ['wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 3 },
      schedstat,
      log,
    },
    message.lengths,
    message.runs,
  );
  post({
    type: 'done',
    result: {
      date: new Date().toISOString(),
      runtime: 'onnxruntime-web (wasm)',
      threads: message.threads,
      ortVersion: ort.env.versions.web,
      runs: message.runs,
      perT,
    },
  });
}

serve(start);
