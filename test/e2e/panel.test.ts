/**
 * End to end: the real web build of the panel in headless Chromium (Debian's
 * package, driven by playwright-core; never downloaded), against the real
 * daemon on port 0, running a real stylize job with a real model on a real
 * clip, imported into the simulated timeline. Also: a refused token, cancel,
 * and the daemon killed mid-job (the panel says so, reconnects, and the job
 * finishes after the restart).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ensurePanelBuilt } from '../../panel/build.ts';
import { REPO_ROOT, sharedData, sharedModel } from '../helpers/shared-path.ts';
import { DaemonProcess } from './daemon-process.ts';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DANCE = sharedData('video/dance-twirl_854x480_24fps.mp4');
const WALK = sharedData('video/person-walk_768x432_10fps.mp4');
const CANDY = sharedModel('style/candy.onnx');
const OUT_DIR = path.join(REPO_ROOT, 'test-output');

const LAYERS = [
  { name: 'walk', path: WALK, kind: 'footage', firstFrame: 0, lastFrame: 19, fps: 10, width: 768, height: 432, start: 0.5 },
  { name: 'dance', path: DANCE, kind: 'footage', firstFrame: 0, lastFrame: 5, fps: 24, width: 854, height: 480 },
  { name: 'Solid', path: null, kind: 'solid', firstFrame: 0, lastFrame: 3, fps: 24, width: 64, height: 36, color: '#c04a4a' },
];

let tmp: string;
let daemon: DaemonProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const role = (r: string): string => `[data-role="${r}"]`;

async function statusText(p: Page): Promise<string> {
  return (await p.locator(role('status')).textContent()) ?? '';
}

async function waitForStatus(p: Page, re: RegExp, timeout = 30_000): Promise<void> {
  await p.waitForFunction((src) => new RegExp(src).test(document.querySelector('[data-role="status"]')?.textContent ?? ''), re.source, { timeout, polling: 100 });
}

async function phase(p: Page): Promise<string> {
  return (await p.locator(role('progress')).getAttribute('data-phase')) ?? '';
}

/** Polls the progress bar until a phase in `until`, collecting every label it showed. */
async function watchProgress(p: Page, until: string[], timeoutMs: number, onTick?: (label: string, ph: string) => Promise<boolean | void>): Promise<{ labels: string[]; phase: string }> {
  const labels: string[] = [];
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const label = ((await p.locator(role('progress')).textContent()) ?? '').trim();
    const ph = await phase(p);
    if (labels[labels.length - 1] !== label) labels.push(label);
    if (until.includes(ph)) {
      // The label was read before the phase: read it again so the last one matches the phase.
      const last = ((await p.locator(role('progress')).textContent()) ?? '').trim();
      if (labels[labels.length - 1] !== last) labels.push(last);
      return { labels, phase: ph };
    }
    if (onTick && (await onTick(label, ph))) return { labels, phase: ph };
    await p.waitForTimeout(50);
  }
  throw new Error(`no ${until.join('/')} within ${timeoutMs} ms; saw ${JSON.stringify(labels.slice(-8))}; note ${await p.locator(role('job-note')).textContent()}; error ${await p.locator(role('error')).textContent()}`);
}

async function selectLayer(p: Page, name: string): Promise<void> {
  await p.locator(`[data-role="sim-layer"][data-name="${name}"]`).click();
  await expect.poll(() => p.locator(role('layer')).textContent()).toBe(name);
}

function framesIn(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^frame_\d+\.png$/.test(f)).sort() : [];
}

describe('panel in a real browser against the real daemon', () => {
  beforeAll(async () => {
    const t0 = Date.now();
    const lap = (what: string) => console.log(`[e2e] ${what} at ${Date.now() - t0} ms`);
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's browser with \`apt-get install -y chromium\` (the test never downloads one).`);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dl-e2e-'));
    for (const d of ['cfg', 'data', 'out']) fs.mkdirSync(path.join(tmp, d));
    await ensurePanelBuilt();
    lap('panel built');
    daemon = new DaemonProcess({ configDir: path.join(tmp, 'cfg'), dataDir: path.join(tmp, 'data'), allow: [tmp, path.dirname(DANCE), path.dirname(CANDY)] });
    const info = await daemon.start(0);
    lap('daemon up');
    const home = await (await fetch(`${info.url}/`)).text();
    if (!home.includes('id="timeline"')) throw new Error('The daemon does not serve the panel web build at /: it must serve panelWebDir() from panel/build.ts (panel/dist/web).');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 900, height: 760 } });
    page = await context.newPage();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await daemon?.stop('SIGTERM');
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses a wrong token in plain words, then pairs with the right one and remembers it', async () => {
    const layers = encodeURIComponent(JSON.stringify(LAYERS));
    await page.goto(`${daemon.info!.url}/?layers=${layers}#token=${'0'.repeat(64)}`);
    await waitForStatus(page, /refused the pairing token/);
    await expect.poll(() => page.locator(role('pairing')).isVisible()).toBe(true);
    const msg = (await page.locator(role('pairing-message')).textContent()) ?? '';
    expect(msg).toMatch(/The pairing token is missing or wrong/);
    expect(msg).toMatch(/dreamlayer serve/); // the daemon's hint
    expect(await page.locator(role('run')).isDisabled()).toBe(true);
    expect(page.url()).not.toContain('token='); // taken out of the address bar

    await page.fill(role('token'), `Pairing token: ${daemon.info!.token}`);
    await page.click(role('pair'));
    await waitForStatus(page, /^Connected · DreamLayer \d+\.\d+\.\d+ · cpu/);
    expect(await page.locator(role('pairing')).isVisible()).toBe(false);

    await page.reload();
    await waitForStatus(page, /^Connected/); // remembered, no token in the URL this time
  }, 60_000);

  it('runs a real stylize job: progress, live preview, result imported above the source', async () => {
    await page.click(role('settings-toggle'));
    await page.fill(role('output-root'), path.join(tmp, 'out'));
    await page.click(role('apply-settings'));
    await waitForStatus(page, /^Connected/);
    await page.click(role('settings-toggle'));
    // Controls come from the effect's parameter specs the daemon sent.
    await expect.poll(() => page.locator(`${role('params')} ${role('param-strength')}`).count()).toBe(1);
    expect(await page.locator(role('param-preserveColors')).evaluate((el) => el.tagName)).toBe('SELECT');
    expect(await page.locator(role('param-temporal')).getAttribute('type')).toBe('range');
    await page.selectOption(role('model'), 'file:');
    await page.fill(role('model-file'), CANDY);
    await page.fill(role('param-width'), '160');
    await page.locator(role('param-width')).dispatchEvent('change');

    await selectLayer(page, 'dance');
    expect(await page.locator(role('layer-info')).textContent()).toMatch(/frames 0–5 · 24 fps/);
    await page.click(role('run'));
    const { labels, phase: end } = await watchProgress(page, ['done', 'failed'], 75_000);
    expect(end, `error: ${await page.locator(role('error')).textContent()}`).toBe('done');
    // Progress was visible while it ran, not just at the end.
    const running = labels.map((l) => /^(\d+)\/6 frames/.exec(l)).filter((m): m is RegExpExecArray => !!m).map((m) => Number(m[1]));
    expect(running.some((n) => n > 0 && n < 6), JSON.stringify(labels)).toBe(true);
    expect(labels[labels.length - 1]).toMatch(/^Done · 6\/6 frames/);
    expect(await page.locator(role('preview')).getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);

    // The simulated timeline: the result sits right above its source, named "<source> – <effect>".
    const rows = page.locator(role('sim-layer'));
    await expect.poll(() => rows.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.name))).toEqual(['walk', 'dance – stylize', 'dance', 'Solid']);
    const result = page.locator('[data-role="sim-layer"][data-name="dance – stylize"]');
    expect(await result.getAttribute('data-result')).toBe('yes');
    expect(await result.locator(role('sim-thumb')).count()).toBe(1);
    const firstFile = ((await result.locator(role('sim-path')).textContent()) ?? '').trim();
    expect(firstFile.startsWith(path.join(tmp, 'out', 'dance-stylize-'))).toBe(true);
    expect(framesIn(path.dirname(firstFile))).toEqual(['frame_000000.png', 'frame_000001.png', 'frame_000002.png', 'frame_000003.png', 'frame_000004.png', 'frame_000005.png']);
    expect(await page.locator(role('job-note')).textContent()).toMatch(/Added "dance – stylize"/);

    fs.mkdirSync(OUT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(OUT_DIR, 'panel-e2e.png') });
    // The README's screenshot (committed): written when missing or when asked, so test runs leave the tree clean.
    const readmeShot = path.join(REPO_ROOT, 'docs', 'panel.png');
    if (!fs.existsSync(readmeShot) || process.env.DREAMLAYER_UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: readmeShot });
  }, 90_000);

  it('cancels a running job', async () => {
    await selectLayer(page, 'walk');
    await page.fill(role('param-width'), '64');
    await page.locator(role('param-width')).dispatchEvent('change');
    await page.click(role('run'));
    let cancelled = false;
    const r = await watchProgress(page, ['cancelled', 'failed', 'done'], 60_000, async (label) => {
      const m = /^(\d+)\/20 frames/.exec(label);
      if (!cancelled && m && Number(m[1]) >= 1) {
        await page.click(role('cancel'));
        cancelled = true;
      }
    });
    expect(r.phase).toBe('cancelled');
    expect(await page.locator(role('job-note')).textContent()).toMatch(/Cancelled/);
    await expect.poll(() => page.locator(`${role('job-row')}[data-state="cancelled"]`).count()).toBeGreaterThanOrEqual(1);
    // Cancelled jobs are not imported.
    expect(await page.locator('[data-role="sim-layer"][data-name="walk – stylize"]').count()).toBe(0);
  }, 60_000);

  it('streams a layer without a file through the daemon’s frames mode', async () => {
    await selectLayer(page, 'Solid');
    expect(await page.locator(role('layer-info')).textContent()).toMatch(/solid \(no file of its own\)/);
    await page.click(role('run'));
    const r = await watchProgress(page, ['done', 'failed'], 60_000);
    expect(r.phase, `error: ${await page.locator(role('error')).textContent()}`).toBe('done');
    const result = page.locator('[data-role="sim-layer"][data-name="Solid – stylize"]');
    await expect.poll(() => result.count()).toBe(1);
    const firstFile = ((await result.locator(role('sim-path')).textContent()) ?? '').trim();
    expect(framesIn(path.dirname(firstFile))).toHaveLength(4);
  }, 60_000);

  it('says when the daemon dies mid-job, reconnects when it is back, and finishes the job', async () => {
    await selectLayer(page, 'walk');
    await page.click(role('run'));
    await watchProgress(page, ['failed', 'done'], 60_000, async (label) => {
      const m = /^(\d+)\/20 frames/.exec(label);
      return !!m && Number(m[1]) >= 2;
    });
    const port = daemon.info!.port;
    const t0 = Date.now();
    await daemon.stop('SIGKILL');

    await waitForStatus(page, /not reachable/, 15_000);
    expect(await page.locator(role('status-dot')).getAttribute('class')).toContain('dot-disconnected');
    await expect.poll(() => page.locator(role('job-note')).textContent()).toMatch(/stopped answering.*resumes/);
    expect(await page.locator(role('run')).isDisabled()).toBe(true);

    console.log(`[e2e] panel noticed at ${Date.now() - t0} ms`);
    await daemon.start(port);
    console.log(`[e2e] daemon back at ${Date.now() - t0} ms`);
    await waitForStatus(page, /^Connected/, 30_000);
    console.log(`[e2e] reconnected at ${Date.now() - t0} ms`);
    const r = await watchProgress(page, ['done', 'failed'], 90_000);
    console.log(`[e2e] done at ${Date.now() - t0} ms`);
    expect(r.phase, `error: ${await page.locator(role('error')).textContent()}`).toBe('done');
    const result = page.locator('[data-role="sim-layer"][data-name="walk – stylize"]');
    await expect.poll(() => result.count()).toBe(1);
    const firstFile = ((await result.locator(role('sim-path')).textContent()) ?? '').trim();
    expect(framesIn(path.dirname(firstFile))).toHaveLength(20);
    await page.screenshot({ path: path.join(OUT_DIR, 'panel-e2e-after-restart.png') });
  }, 120_000);
});
