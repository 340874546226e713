// make demo: opens a reveal link in Debian's Chromium, clicks Reveal and saves
// a screenshot of the revealed page. Usage: node screenshot.mjs LINK FILE.png
import { chromium } from "playwright-core";

const [link, file] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  await page.goto(link);
  await page.locator("#reveal").click();
  await page.locator("#revealed").waitFor({ state: "visible", timeout: 15000 });
  await page.screenshot({ path: file, fullPage: true });
  console.log(`    revealed for user ${await page.locator("#username").textContent()}; the link no longer works`);
} finally {
  await browser.close();
}
