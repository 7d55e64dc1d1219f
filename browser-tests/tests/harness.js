// Starts a real `harbour demo` and a real headless Chromium (Debian's chromium and
// chromium-driver), and gives tests small helpers: open a page, run axe-core in it,
// save a screenshot under target/browser-screenshots/ for a person to look at.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { Builder, By, until } from 'selenium-webdriver';
import chrome from 'selenium-webdriver/chrome.js';

const require = createRequire(import.meta.url);
const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
export const screenshotDir = join(repo, 'target', 'browser-screenshots');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const harbourBin = process.env.HARBOUR_BIN ?? join(repo, 'target', 'debug', 'harbour');
const chromiumBin = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const chromedriverBin = process.env.CHROMEDRIVER_BIN ?? '/usr/bin/chromedriver';

/** Starts `harbour demo` on a free port; resolves with { baseUrl, stop }. */
export async function startDemo() {
  const dataDir = mkdtempSync(join(tmpdir(), 'harbour-browser-'));
  const demoDir = join(dataDir, 'demo');
  const child = spawn(harbourBin, ['demo', '--bind', '127.0.0.1:0', '--data-dir', demoDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HARBOUR_LOG: 'warn' },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const baseUrl = await new Promise((resolvePromise, reject) => {
    let stdout = '';
    // A bound on a hang, not a measure of speed: the demo imports a synthetic county as it
    // starts, which took 45 s on a loaded two-core machine.
    const timer = setTimeout(() => reject(new Error(`harbour demo did not start in 240 s:\n${stdout}\n${stderr}`)), 240_000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const match = stdout.match(/running at (http:\/\/[^\s]+?)\/?\s/);
      if (match) { clearTimeout(timer); resolvePromise(match[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`harbour demo exited with ${code}:\n${stderr}`)); });
  });
  return {
    baseUrl,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A headless Chromium with a fresh profile; nothing leaves the machine. */
export async function startBrowser({ width = 1280, height = 900 } = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'harbour-chromium-'));
  const options = new chrome.Options()
    .setChromeBinaryPath(chromiumBin)
    .addArguments(
      '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic',
      '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--user-data-dir=${profile}`, `--window-size=${width},${height}`,
    );
  // Naming the driver keeps Selenium Manager from trying to download one.
  const service = new chrome.ServiceBuilder(chromedriverBin);
  const driver = await new Builder().forBrowser('chrome').setChromeOptions(options).setChromeService(service).build();
  return {
    driver,
    async quit() {
      await driver.quit();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Runs axe-core in the page; fails on any serious or critical violation. */
export async function assertAccessible(driver, name) {
  await driver.executeScript(axeSource);
  const results = await driver.executeAsyncScript(`
    const done = arguments[arguments.length - 1];
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } })
      .then((r) => done({ violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })) }))
      .catch((e) => done({ error: String(e) }));
  `);
  assert.equal(results.error, undefined, `axe failed on ${name}: ${results.error}`);
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious, [], `${name}: accessibility violations:\n${JSON.stringify(serious, null, 2)}`);
  return results.violations;
}

export async function screenshot(driver, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const png = await driver.takeScreenshot();
  writeFileSync(join(screenshotDir, `${name}.png`), png, 'base64');
}

/** Opens a page, checks accessibility and saves a screenshot. */
export async function visit(driver, url, name) {
  await driver.get(url);
  await driver.wait(until.elementLocated(By.css('main')), 10_000);
  await assertAccessible(driver, name);
  await screenshot(driver, name);
}

/** Clicks something that loads a new page, and waits until the old page has gone. */
export async function clickAndLoad(driver, locator) {
  // Mark the page we are leaving; the new one will not carry the mark.
  await driver.executeScript('window.__harbourLeaving = true;');
  await driver.findElement(locator).click();
  await driver.wait(async () => {
    try {
      return await driver.executeScript(
        'return window.__harbourLeaving !== true && document.readyState === "complete";',
      );
    } catch {
      return false; // mid-navigation: ask again
    }
  }, 10_000, 'the next page did not load');
  await driver.wait(until.elementLocated(By.css('main')), 10_000);
}

export async function text(driver, css = 'body') {
  return driver.findElement(By.css(css)).getText();
}

/** Signs in on the demo chooser as the account with this email. */
export async function signInAs(driver, baseUrl, email) {
  await driver.get(`${baseUrl}/sign-in`);
  await clickAndLoad(driver, By.css(`button[data-email="${email}"]`));
  await driver.wait(until.elementLocated(By.css('.header__user-name')), 10_000);
}

export async function signOut(driver) {
  await clickAndLoad(driver, By.css('.header__sign-out button'));
  await driver.wait(until.urlContains('/sign-in'), 10_000);
}

export { By, until };
