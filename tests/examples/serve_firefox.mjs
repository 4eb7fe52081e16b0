// brain_tumor serve's page in headless Firefox (Debian's firefox-esr), driven by puppeteer-core
// over WebDriver BiDi: the same path as serve_browser.py takes in Chromium, shorter. The model
// card loads with its disclaimer; a scan's probability shown equals `brain_tumor predict`'s; the
// opacity slider moves the heat map; a corrupt file shows an error and the page still works;
// nothing scrolls sideways at a 640-pixel-wide window.
//
// usage: NODE_PATH=DIR/node_modules node serve_firefox.mjs URL SCAN EXPECTED CORRUPT SHOTS
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const puppeteer = require('puppeteer-core');
const [url, scan, expected, corrupt, shots] = process.argv.slice(2);
const failures = [];
const check = (ok, what) => {
  console.log((ok ? 'ok: ' : 'FAIL: ') + what);
  if (!ok) failures.push(what);
};

const browser = await puppeteer.launch({
  browser: 'firefox',
  executablePath: '/usr/bin/firefox-esr',
  headless: true,
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 1000 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await page.waitForSelector('#card dl', { timeout: 30000 });
  const card = await page.$eval('#card', (e) => e.textContent);
  check(card.includes('not a medical device'), 'the model card says it is not a medical device');

  const input = await page.$('#files');
  await input.uploadFile(path.resolve(scan));
  await page.waitForFunction(
    () => document.querySelector('#results .exact')?.textContent, { timeout: 60000 });
  const shown = await page.$eval('#results .exact', (e) => e.textContent);
  check(shown === 'p = ' + expected, `the page shows '${shown}', predict says ${expected}`);
  await page.waitForFunction(() => document.querySelector('#results canvas').width > 1);

  const opacity = () => page.$eval('#results img.heat', (e) => getComputedStyle(e).opacity);
  const before = Number(await opacity());
  await page.focus('#results input[type=range]');
  for (let i = 0; i < 10; ++i) await page.keyboard.press('ArrowRight');
  const after = Number(await opacity());
  check(after > before, `the slider changes the heat map's opacity (${before} -> ${after})`);
  await page.screenshot({ path: path.join(shots, 'firefox-result.png') });

  await input.uploadFile(path.resolve(corrupt));
  await page.waitForSelector('#results .error .message', { timeout: 60000 });
  const message = await page.$eval('#results .error .message', (e) => e.textContent);
  check(message.includes(path.basename(corrupt)), `the error names the file: '${message}'`);
  await input.uploadFile(path.resolve(scan));
  await page.waitForFunction(
    () => document.querySelectorAll('#results .exact').length === 2, { timeout: 60000 });
  const again = await page.$$eval('#results .exact', (all) => all[1].textContent);
  check(again === shown, 'after the error the page analyses the next scan alike');

  await page.setViewport({ width: 640, height: 1000 });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 0, `no sideways scrolling at 640 px (${overflow} px over)`);
  await page.screenshot({ path: path.join(shots, 'firefox-narrow.png') });
  check(errors.length === 0, `no script errors ${JSON.stringify(errors)}`);
} finally {
  await browser.close();
}
console.log(failures.length ? `${failures.length} Firefox check(s) failed` : 'Firefox checks passed');
process.exit(failures.length ? 1 : 0);
