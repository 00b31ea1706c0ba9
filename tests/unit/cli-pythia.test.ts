/**
 * `lens trajectory --model hub:EleutherAI/pythia-70m-deduped --lens hub:EleutherAI/pythia-70m-deduped`
 * as a user runs it, with the hub answered by a local server (HF_ENDPOINT, as Hugging Face's own tools
 * honour it) from files of the hub's formats: the tiny GPT-NeoX in GPTNeoXForCausalLM layout with its
 * tokenizer.json for the model repo, a current-format lens for the Space's lens/EleutherAI/… folder.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../helpers/fixtures.ts';
import { loadExpected } from '../helpers/tiny-gpt2.ts';
import { expectTrajectoryMatches, type TrajectoryJson } from '../helpers/trajectory.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const PYTHIA = 'EleutherAI/pythia-70m-deduped';
const LENSES = '/spaces/AlignmentResearch/tuned-lens/resolve/main/lens';

/** Hub paths → fixture files; anything else is the hub's 404. */
const HUB_FILES: Record<string, string> = {
  ...Object.fromEntries(
    ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].map((f) => [`/${PYTHIA}/resolve/main/${f}`, `tiny-neox/${f}`]),
  ),
  [`${LENSES}/${PYTHIA}/config.json`]: 'tiny-neox-lens/config.json',
  [`${LENSES}/${PYTHIA}/params.pt`]: 'tiny-neox-lens/params.pt',
  [`${LENSES}/gpt2/config.json`]: 'lenses/current/config.json',
  [`${LENSES}/gpt2/params.pt`]: 'lenses/current/params.pt',
};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function lens(args: string[], endpoint: string): Promise<Run> {
  return new Promise((resolve) => {
    const env = { ...process.env, HF_ENDPOINT: endpoint };
    execFile(TSX, ['src/cli/main.ts', ...args], { cwd: ROOT, env, maxBuffer: 64 << 20, timeout: 50_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

describe('lens trajectory on Pythia from the hub (CLI)', () => {
  const expected = loadExpected('tiny-neox');
  const seed = expected.prompts.find((p) => p.name === 'seed')!;
  const requested: string[] = [];
  let server: Server;
  const runs: Record<string, Promise<Run>> = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      requested.push(`${req.method} ${path}`);
      const file = HUB_FILES[path];
      if (!file) return void res.writeHead(404).end('Entry not found');
      res.writeHead(200, { 'content-length': String(statSync(fixturePath(file)).size) });
      res.end(req.method === 'HEAD' ? undefined : readFileSync(fixturePath(file)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const model = ['--model', `hub:${PYTHIA}`];
    runs.tuned = lens(['trajectory', ...model, '--lens', `hub:${PYTHIA}`, '--text', seed.text!, '--topk', '5', '--json'], endpoint);
    runs.wrongLens = lens(['trajectory', ...model, '--lens', 'hub:gpt2', '--text', 'And God said'], endpoint);
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("downloads the model, its tokenizer.json and the Space's lens, and prints what the reference shows", async () => {
    const run = await runs.tuned;
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as TrajectoryJson;
    // The model repo's own tokenizer, not GPT-2's: the ids are the NeoX tokenizer's.
    expect(json.input_ids).toEqual(seed.input_ids);
    expect(json.tokens.join('')).toBe(seed.text);
    expectTrajectoryMatches('CLI Pythia tuned lens', json, seed.lenses.tuned);
    for (const path of Object.keys(HUB_FILES).filter((p) => !p.includes('/gpt2/'))) expect(requested).toContain(`GET ${path}`);
  });

  it("refuses GPT-2's lens for Pythia with the usual message, naming the model", async () => {
    const run = await runs.wrongLens;
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('lens: translator 0 has shape [32, 32] but pythia-70m-deduped has d_model 64 — is this lens for another model?');
    expect(run.stderr).not.toMatch(/^\s+at /m);
  });
});
