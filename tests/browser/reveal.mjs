// Drives Debian's Chromium (/usr/bin/chromium, never a downloaded build) through
// the reveal page served by the function under `cargo lambda watch`. Called by
// tests/it/reveal_browser.rs with one JSON argument:
//   {screenshots, fresh: {link, password, username}, expired: {link},
//    mangled: [{link, password}], replaced: {link}, resent: {link, password}}
// Exits non-zero on the first failed check; prints one JSON line of what it saw.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const cases = JSON.parse(process.argv[2]);
mkdirSync(cases.screenshots, { recursive: true });

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const problems = [];
const seen = {};

// Chromium logs every non-2xx fetch; the 410 of a used link is the one expected.
const GONE = "Failed to load resource: the server responded with a status of 410 (Gone)";

async function page(name, { gone = false } = {}) {
  const context = await browser.newContext();
  const tab = await context.newPage();
  tab.on("console", (message) => {
    if (gone && message.text() === GONE) return;
    if (message.type() === "error" || /Content.Security.Policy/i.test(message.text())) {
      problems.push(`${name}: console ${message.type()}: ${message.text()}`);
    }
  });
  tab.on("pageerror", (error) => problems.push(`${name}: page error: ${error.message}`));
  tab.on("requestfailed", (request) => problems.push(`${name}: request failed: ${request.url()}`));
  await tab.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`Content-Security-Policy violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  return { context, tab };
}

async function shot(tab, file) {
  await tab.screenshot({ path: join(cases.screenshots, file), fullPage: true });
}

async function visible(tab, id) {
  await tab.locator(`#${id}`).waitFor({ state: "visible", timeout: 15000 });
}

async function reveal(tab) {
  await tab.locator("#reveal").click();
  await tab.waitForFunction(() => !document.getElementById("working") || document.getElementById("working").hidden, null, { timeout: 15000 });
}

// 1. The fresh link: no password before the click; the right one after; key gone.
{
  const { context, tab } = await page("fresh");
  await tab.goto(cases.fresh.link);
  await visible(tab, "ready");
  const before = await tab.content();
  assert.ok(!before.includes(cases.fresh.password), "the page holds the password before the click");
  assert.equal(await tab.locator("#password").textContent(), "");
  await shot(tab, "1-before-reveal.png");
  await reveal(tab);
  await visible(tab, "revealed");
  const password = await tab.locator("#password").textContent();
  assert.equal(password, cases.fresh.password, "the revealed password is the one IAM got");
  assert.equal(await tab.locator("#username").textContent(), cases.fresh.username);
  assert.match(await tab.locator("#signin").getAttribute("href"), /^https:\/\/.+\.signin\.aws\.amazon\.com\/console$/);
  assert.match(await tab.locator(".next").textContent(), /change it when you first sign in/);
  assert.match(await tab.locator(".next").textContent(), /MFA/);
  const location = await tab.evaluate(() => ({ hash: location.hash, href: location.href }));
  assert.equal(location.hash, "", "the fragment is still in the address bar");
  assert.ok(!location.href.includes(cases.fresh.link.split("#")[1]), "the key is still in the URL");
  seen.freshHref = location.href;
  await shot(tab, "2-revealed.png");
  // A reload: the key is gone from this tab's address and history.
  await tab.reload();
  await visible(tab, "nokey");
  await shot(tab, "3-reloaded.png");
  await context.close();
}

// 2. The same link in a second browser: already viewed.
{
  const { context, tab } = await page("second-browser", { gone: true });
  await tab.goto(cases.fresh.link);
  await visible(tab, "ready");
  await reveal(tab);
  await visible(tab, "gone");
  assert.match(await tab.locator("#gone-title").textContent(), /already revealed/);
  assert.match(await tab.locator("#gone-detail").textContent(), /UTC/);
  assert.match(await tab.locator("#gone").textContent(), /resend/);
  assert.equal(await tab.evaluate(() => location.hash), "");
  await shot(tab, "4-already-viewed.png");
  await context.close();
}

// 3. A record past its expiresAt that TTL has not removed yet.
{
  const { context, tab } = await page("expired", { gone: true });
  await tab.goto(cases.expired.link);
  await reveal(tab);
  await visible(tab, "gone");
  assert.match(await tab.locator("#gone-title").textContent(), /expired/);
  await shot(tab, "5-expired.png");
  await context.close();
}

// 4. Links whose "#" a mail gateway rewrote (%23, %2523): still work, path cleaned.
for (const [index, mangled] of cases.mangled.entries()) {
  const { context, tab } = await page(`mangled-${index}`);
  await tab.goto(mangled.link);
  await visible(tab, "ready");
  await reveal(tab);
  await visible(tab, "revealed");
  assert.equal(await tab.locator("#password").textContent(), mangled.password);
  const path = await tab.evaluate(() => location.pathname + location.hash);
  assert.match(path, /\/reveal\/[A-Za-z0-9_-]{22}$/, `the path still carries the key: ${path}`);
  await shot(tab, `6-mangled-${index}.png`);
  await context.close();
}

// 5. resend: the old link is replaced, the new one shows the new password.
{
  const { context, tab } = await page("replaced", { gone: true });
  await tab.goto(cases.replaced.link);
  await reveal(tab);
  await visible(tab, "gone");
  assert.match(await tab.locator("#gone-title").textContent(), /replaced/);
  await shot(tab, "7-replaced.png");
  await tab.goto(cases.resent.link);
  await visible(tab, "ready");
  await reveal(tab);
  await visible(tab, "revealed");
  assert.equal(await tab.locator("#password").textContent(), cases.resent.password);
  await shot(tab, "8-resent.png");
  await context.close();
}

await browser.close();
assert.deepEqual(problems, [], "console errors, CSP violations or failed requests");
console.log(JSON.stringify({ ok: true, ...seen }));
