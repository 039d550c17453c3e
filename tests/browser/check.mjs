// A real browser over the website: headless Chromium (the system's, driven by playwright-core)
// loads each page given on the command line at desktop and phone widths, records console
// errors and warnings, page errors, Content-Security-Policy violations and failed requests,
// and saves a full-page screenshot of each. Any request to a host other than 127.0.0.1 (the
// server under test and the test's upstream) is refused, so the test never reaches the
// internet, and counts as a failure.
//
//   node check.mjs <base URL> <screenshot folder> <path>...
//
// Prints a JSON report; exits 1 when anything went wrong.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [base, outDir, ...paths] = process.argv.slice(2);
if (!base || !outDir || paths.length === 0) {
  console.error('usage: node check.mjs <base URL> <screenshot folder> <path>...');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const viewports = [
  { name: 'desktop', width: 1280, height: 900, isMobile: false },
  { name: 'phone', width: 390, height: 844, isMobile: true },
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1'],
});
const report = { pages: [], problems: [] };
try {
  for (const vp of viewports) {
    const context = await browser.newContext({
      viewport: { width: vp.width, height: vp.height },
      isMobile: vp.isMobile,
      deviceScaleFactor: 1,
      locale: 'zh-CN',
    });
    // Nothing leaves the machine: only the server under test is reachable.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('data:') || new URL(url).hostname === '127.0.0.1') {
        return route.continue();
      }
      report.problems.push({ viewport: vp.name, kind: 'off-site request', text: url });
      return route.abort();
    });
    for (const path of paths) {
      const page = await context.newPage();
      const seen = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error' || msg.type() === 'warning') {
          seen.push({ kind: `console ${msg.type()}`, text: msg.text() });
        }
      });
      page.on('pageerror', (err) => seen.push({ kind: 'page error', text: String(err) }));
      page.on('requestfailed', (req) => {
        if (new URL(req.url()).hostname === '127.0.0.1') {
          seen.push({ kind: 'request failed', text: `${req.url()} ${req.failure()?.errorText}` });
        }
      });
      page.on('response', (res) => {
        if (res.status() >= 400 && res.url() !== base + path) {
          seen.push({ kind: 'bad response', text: `${res.status()} ${res.url()}` });
        }
      });
      const response = await page.goto(base + path, { waitUntil: 'load' });
      const status = response ? response.status() : 0;
      if (status !== 200) {
        seen.push({ kind: 'status', text: `${status} for ${path}` });
      }
      const metrics = await page.evaluate(() => ({
        title: document.title,
        width: document.documentElement.scrollWidth,
        stylesheets: document.styleSheets.length,
        scripts: document.scripts.length,
      }));
      if (metrics.stylesheets < 1) seen.push({ kind: 'layout', text: 'the stylesheet did not load' });
      if (metrics.scripts > 0) seen.push({ kind: 'layout', text: 'the page has script elements' });
      if (metrics.width > vp.width + 1) {
        seen.push({ kind: 'layout', text: `the page is ${metrics.width}px wide on a ${vp.width}px screen` });
      }
      const name = `${vp.name}-${path.replace(/[^a-z0-9]+/gi, '_').replace(/^_|_$/g, '') || 'home'}.png`;
      await page.screenshot({ path: join(outDir, name), fullPage: true });
      report.pages.push({ viewport: vp.name, path, status, title: metrics.title, screenshot: name });
      for (const p of seen) report.problems.push({ viewport: vp.name, path, ...p });
      await page.close();
    }
    await context.close();
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify(report, null, 2));
process.exit(report.problems.length === 0 ? 0 : 1);
