// The release console in a real browser (Debian's headless chromium through playwright-core) against a
// live loopback mesh: the lane map shows what the traffic did, a weight is moved, green is rolled back,
// an invalid weight is refused on the page, and a screenshot is saved. (launch() gives the browser a
// fresh temporary profile of its own, removed on close.)
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { rulesWithWeights, startConsoleMesh, type ConsoleMesh } from '../support/console-mesh.js';

// The functions handed to waitForFunction run in the page; this project compiles without the DOM library.
declare const document: { querySelector(selector: string): { textContent: string | null; className?: string; disabled?: boolean } | null };

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const SCREENSHOT = process.env['CONSOLE_SCREENSHOT'] ?? path.join(os.tmpdir(), 'colormesh-console-test.png');
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

const present = existsSync(CHROMIUM);
// CI installs chromium (apt-get install chromium): missing there is a failure, not a skip.
const mustRun = process.env['CI'] === 'true' || process.env['CI'] === '1';
if (!present && !mustRun) process.stdout.write(`SKIP console-browser: no chromium at ${CHROMIUM} (CI=true makes this a failure)\n`);

describe('the release console in a browser', { timeout: 180_000, skip: !present && !mustRun ? `no chromium at ${CHROMIUM}` : false }, () => {
  let mesh: ConsoleMesh;
  let browser: Browser;
  let page: Page;
  const rules = (): string => readFileSync(mesh.rulesFile, 'utf8');
  const message = (): Promise<string> => page.locator('#message').innerText();

  before(async () => {
    assert.ok(present, `chromium is required under CI but missing at ${CHROMIUM} (apt-get install chromium)`);
    mesh = await startConsoleMesh(150);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, timeout: 30_000 });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    await page.goto(mesh.consoleUrl);
  });
  after(async () => {
    await browser?.close().catch(() => undefined);
    await mesh?.close();
  });

  test('the lane map shows the services, colors and fallbacks the traffic produced', async () => {
    await page.waitForFunction(() => {
      const rps = document.querySelector('[data-service="base-service"][data-lane="blue"] [data-rps]');
      return rps !== null && parseFloat(rps.textContent ?? '0') > 0;
    });
    assert.deepEqual(await page.locator('[data-row]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-row'))), ['frontend', 'base-service']);
    const heads = await page.locator('[data-lane-head]').allInnerTexts();
    assert.deepEqual(heads.map((h) => h.split(' ')[0]), ['blue', 'green', 'untagged']);
    // green has no base-service version: its requests are drawn leaving the green lane for untagged
    const arrow = page.locator('[data-fallback-from="green"][data-fallback-to="untagged"][data-service="base-service"]');
    await arrow.waitFor({ state: 'visible' });
    assert.match(await arrow.innerText(), /green → untagged: [\d.]+ req\/s fell back \(via untagged\)/);
    assert.equal(await page.locator('[data-fallback-from="blue"][data-service="base-service"]').count(), 0, 'blue stays in its lane');
    // blue's version answers 500 to one request in ten
    await page.waitForFunction(() => /5xx [1-9]/.test(document.querySelector('[data-service="base-service"][data-lane="blue"] [data-errors]')?.textContent ?? ''));
    assert.match(await page.locator('[data-service="base-service"][data-lane="blue"]').innerText(), /1 healthy/);
    assert.match(await page.locator('#splitbar').innerText(), /blue 50 %[\s\S]*green 50 %/);
  });

  test('moving a weight rewrites only the weights in the rule file', async () => {
    await page.locator('#weight-blue').fill('80');
    await page.locator('#weight-green').fill('20');
    await page.locator('#apply').click();
    await page.waitForFunction(() => document.querySelector('#message')?.textContent?.startsWith('Weights written') === true);
    assert.equal(rules(), rulesWithWeights(mesh.initialRules, { blue: 80, green: 20 }));
    await page.waitForFunction(() => /green 20 %/.test(document.querySelector('#splitbar')?.textContent ?? ''));
  });

  test('rollback gives green\'s users back to blue', async () => {
    await page.getByRole('button', { name: /^rollback green/i }).click();
    await page.waitForFunction(() => document.querySelector('#message')?.textContent?.startsWith('Rolled back green') === true);
    assert.equal(rules(), rulesWithWeights(mesh.initialRules, { blue: 100, green: 0 }));
    await page.waitForFunction(() => document.querySelector('[data-rollback="green"]')?.disabled === true);
    assert.equal(await page.locator('#weight-green').inputValue(), '0');
  });

  test('past 50 % the candidate is the stable color: the rollout section sends its users back', async () => {
    await page.locator('#weight-blue').fill('20');
    await page.locator('#weight-green').fill('80');
    await page.locator('#apply').click();
    await page.waitForFunction(() => document.querySelector('#message')?.textContent?.startsWith('Weights written') === true);
    const abort = page.getByRole('button', { name: /^Abort: send green.s users back to blue$/ });
    await abort.click();
    await page.waitForFunction(() => document.querySelector('#message')?.textContent?.startsWith('Rolled back green to blue') === true);
    assert.equal(rules(), rulesWithWeights(mesh.initialRules, { blue: 100, green: 0 }));
  });

  test('an invalid weight is refused with its reason on the page; nothing is written', async () => {
    const text = rules();
    for (const bad of ['-5', 'abc']) {
      await page.locator('#weight-green').fill(bad);
      await page.locator('#apply').click();
      await page.waitForFunction(() => document.querySelector('#message')?.className === 'error');
      const shown = await message();
      assert.match(shown, /^Refused: /);
      assert.equal(await page.getByRole('alert').innerText(), shown, 'a refusal is announced');
      assert.ok(shown.includes(bad), `the message names the bad value: ${shown}`);
      assert.equal(rules(), text, 'the rule file is unchanged');
      await page.locator('#reset').click();
    }
  });

  test('an invalid rule file saved by hand is shown as such; the last good rules stay on the page', async () => {
    const good = rules();
    writeFileSync(mesh.rulesFile, good.replace('version: 1', 'version: 1\nbogus: true'));
    try {
      await page.getByText('The rules cannot be read or are not valid').waitFor();
      assert.match(await page.locator('#banner').innerText(), /bogus/);
      assert.match(await page.locator('#splitbar').innerText(), /blue 100 %/);
    } finally {
      writeFileSync(mesh.rulesFile, good);
    }
    await page.locator('#banner').waitFor({ state: 'hidden' });
  });

  test('a screenshot of the page', async () => {
    await page.locator('#weight-green').fill('25');
    await page.locator('#weight-blue').fill('75');
    await page.locator('#apply').click();
    await page.waitForFunction(() => document.querySelector('#message')?.textContent?.startsWith('Weights written') === true);
    await page.waitForTimeout(2500); // a few refreshes with traffic in the new split
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(existsSync(SCREENSHOT));
    process.stdout.write(`console screenshot: ${SCREENSHOT}\n`);
  });
});
