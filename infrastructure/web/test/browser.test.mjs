// The web page in a real browser against the local runner: headless Debian Chromium driven by
// playwright-core, with axe-core run on every screen (WCAG 2.0/2.1/2.2 A and AA, and axe's best
// practices: 0 violations). Starts `infrastructure/bin/run --no-build` (built by the test command)
// on a free port, uses the page as a person would, at 1280×800 and at 390×844, and stops the
// runner the way Ctrl-C does. Screenshots: infrastructure/target/browser/*.png
import { test, before, after, afterEach } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const shots = path.join(root, "infrastructure/target/browser");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const DESKTOP = { width: 1280, height: 800 };
const MOBILE = { width: 390, height: 844 };

let runner;
let output = "";
let base;
let motoPid;
let browser;
let context; // one browser profile for all tests: local storage (recent jobs) carries over
let mobile; // the same at a phone's size, with touch
const checkedScreens = [];

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error("timed out waiting for " + what + "\n--- runner output ---\n" + output.slice(-4000));
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function json(method, url, body) {
  const r = await fetch(url, { method, headers: body ? { "content-type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined });
  return r.status === 204 ? null : r.json();
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  const port = await freePort();
  base = "http://localhost:" + port;
  // The page of the CORS test is served from the other loopback name: the API allows that
  // origin, as a deployment allows its page's with CorsAllowOrigin. Retries are quick and few, so
  // a job whose provider keeps failing ends within seconds, yet not before 9 (1 + 4 × 2 s, the
  // shortest equal-jittered delays): long enough for the page to see it stall and say why.
  runner = spawn("bash", [path.join(root, "infrastructure/bin/run"), "--no-build",
    "CorsAllowOrigin=http://127.0.0.1:" + port, "MaxSendRate=5000", "MaxDeliveries=6", "RetryBaseSeconds=2", "RetryMaxSeconds=4"], {
    cwd: root,
    // A held email waits at the outbox for as long as a test holds it, never long enough to time out.
    env: { ...process.env, PORT: String(port), PROVIDER_TIMEOUT_MS: "45000" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  runner.stdout.on("data", (d) => { output += d; });
  runner.stderr.on("data", (d) => { output += d; });
  await waitFor("the runner to start", () => output.includes("Ctrl-C stops everything") || runner.exitCode !== null, 180000);
  assert.equal(runner.exitCode, null, "the runner exited:\n" + output);
  motoPid = Number(/pid (\d+)/.exec(output)[1]);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  context = await browser.newContext({ viewport: DESKTOP, locale: "en-US", acceptDownloads: true });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  mobile = await browser.newContext({ viewport: MOBILE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: "en-US" });
});

after(async () => {
  if (browser) await browser.close();
  if (runner && runner.exitCode === null) runner.kill("SIGKILL");
  if (checkedScreens.length) console.log("axe-core: 0 violations on " + checkedScreens.length + " screens: " + checkedScreens.join(", "));
});

// Whatever a test did to the outbox, the next one starts with a healthy one.
afterEach(async () => {
  if (runner && runner.exitCode === null && runner.signalCode === null) {
    await json("PUT", base + "/_local/sink", { latencyMs: 0, failureRate: 0, failureStatus: 503, lossRate: 0, hold: false }).catch(() => null);
  }
});

/**
 * axe-core on the page as it is now: WCAG 2.0, 2.1 and 2.2 at A and AA, and axe's best
 * practices. Injected through the DevTools protocol, which the page's CSP does not govern.
 */
async function axe(page, screen) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    resultTypes: ["violations"],
  }));
  const found = result.violations.map((v) => v.id + " (" + v.impact + "): " + v.help + "\n    "
    + v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " — " + n.failureSummary.replace(/\s+/g, " ")).join("\n    "));
  assert.deepEqual(found, [], "axe-core on " + screen + ":\n" + found.join("\n"));
  checkedScreens.push(screen);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, name + ".png"), fullPage: false });
}

// Signs in as a person would on the local run: the account panel, a name, "Sign in locally".
async function signIn(page, name = "alice") {
  // The page opens the account menu itself when the API refuses it (a job in the URL, read before
  // signing in): open it only while it is closed, until the sign-in form shows.
  for (let tries = 0; !(await page.isVisible("#signin-name")); tries++) {
    assert.ok(tries < 5, "the account menu shows the sign-in form");
    if (!(await page.$eval("#account", (d) => d.open))) await page.click("#account summary");
    await page.waitForSelector("#signin-name", { state: "visible", timeout: 1000 }).catch(() => {});
  }
  await page.fill("#signin-name", name);
  await page.click("#signin-local button[type=submit]");
  await page.waitForFunction((who) => document.getElementById("account-summary").textContent === "Signed in as " + who, name);
}

/** A new page of the local run, signed in as alice. */
async function signedInPage(ctx) {
  const page = await ctx.newPage();
  await page.goto(base + "/");
  await signIn(page);
  return page;
}

async function fillForm(page, emails, subject) {
  // as a paste does: the whole list at once (typing 10,000 lines key by key would take minutes)
  await page.$eval("#emails", (e, value) => { e.value = value; e.dispatchEvent(new Event("input")); }, emails.join("\n"));
  await page.fill("#subject", subject);
  await page.fill("#text", "Hello from the browser test.");
}

/** Presses Send and, when the confirmation opens, confirms it; returns the dialog's title. */
async function send(page) {
  await page.click("#submit");
  await page.waitForSelector("#confirm[open]");
  const title = await page.textContent("#confirm-title");
  await page.click("#confirm-ok");
  return title;
}

async function fillBatch(page, emails, subject) {
  await fillForm(page, emails, subject);
  return send(page);
}

const jobData = (page) => page.$eval("#job", (j) => ({ ...j.dataset }));

async function waitForState(page, states, timeoutMs) {
  await page.waitForFunction((s) => s.includes(document.getElementById("job").dataset.state)
    && (document.getElementById("job").dataset.pending === "0" || !["SUCCEEDED", "FAILED", "COMPLETED_WITH_FAILURES"].includes(document.getElementById("job").dataset.state)),
  states, { timeout: timeoutMs, polling: 250 });
}

async function openOutbox(page) {
  await page.waitForSelector("#outbox:not([hidden])");
  if (!(await page.$eval("#outbox-details", (d) => d.open))) await page.click("#outbox-details summary");
}

async function setSink(page, latencyMs, failureRate, failureStatus, hold = false) {
  await openOutbox(page);
  await page.fill("#sink-latency", String(latencyMs));
  await page.fill("#sink-rate", String(failureRate));
  await page.fill("#sink-status", String(failureStatus));
  await page.fill("#sink-loss", "0");
  await page.setChecked("#sink-hold", hold);
  await page.click("#sink-form button[type=submit]");
  await page.waitForFunction((want) => {
    const applied = document.getElementById("sink-form").dataset.applied;
    return applied && JSON.stringify(JSON.parse(applied)) === want;
  }, JSON.stringify({ latencyMs, failureRate, failureStatus, lossRate: 0, hold }));
}

/**
 * What the outbox holds of one job: its emails accepted and those waiting at the gate now. A test
 * counts its own job's only: a job of an earlier test may still be retrying (a job reads FAILED
 * once its last deliveries marked it so, and their sends may still succeed).
 */
async function outboxOf(jobId) {
  return json("GET", base + "/_local/outbox?limit=0&job=" + encodeURIComponent(jobId));
}

/** The job shown on the page. */
async function shownJob(page) {
  await page.waitForFunction(() => /^[0-9a-f-]{36}$/.test(document.getElementById("job-id").textContent));
  return page.textContent("#job-id");
}

/** The page's job's emails waiting at the outbox's gate (the sink holds them), once there are some. */
async function heldAtTheOutbox(page) {
  const jobId = await shownJob(page);
  return waitFor("emails held at the outbox", async () => (await outboxOf(jobId)).held, 60000);
}

/** How an address cell wraps: its lines, and the parts between break opportunities split across lines. */
function addressLines(page, selector) {
  return page.$eval(selector, (td) => {
    const tops = (node) => {
      const range = document.createRange();
      range.selectNodeContents(node);
      return [...range.getClientRects()].filter((r) => r.width > 0).map((r) => r.top);
    };
    const parts = [...td.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE);
    const lines = (ys) => ys.sort((a, b) => a - b).filter((y, i) => i === 0 || y - ys[i - 1] > 4).length; // tops within 4 px: one line
    return { lines: lines(parts.flatMap(tops)), brokenParts: parts.filter((p) => lines(tops(p)) > 1).map((p) => p.textContent) };
  });
}

/**
 * The page has no horizontal scroll: nothing is wider than the screen. Compared with the screen's
 * own width: on a phone the layout viewport (innerWidth) grows to what overflows it.
 */
async function fitsWidth(page) {
  const screen = page.viewportSize().width;
  const wide = await page.evaluate((width) => [...document.querySelectorAll("body *")]
    .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > width + 0.5
      && !e.closest(".visually-hidden")) // clipped to nothing: not seen
    .map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + String(e.className).split(" ")[0] : "")
      + " to " + Math.round(e.getBoundingClientRect().right) + " px").slice(0, 5), screen);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= screen && wide.length === 0, "the page is " + width + " px wide on a " + screen + " px screen: " + wide.join(", "));
}

test("the first screen: signed out, then signed in, at both sizes", async () => {
  for (const [ctx, size] of [[context, "desktop"], [mobile, "mobile"]]) {
    const page = await ctx.newPage();
    await page.goto(base + "/");
    await page.waitForSelector("#outbox:not([hidden])");
    await axe(page, size + " signed out");
    await signIn(page);
    await axe(page, size + " signed in");
    await fitsWidth(page);
    await page.close();
  }
});

test("a batch sent from the page: confirmed with its count, the bar reaches 100 %, the outbox shows the emails", async () => {
  await json("DELETE", base + "/_local/outbox");
  const page = await signedInPage(context);
  const emails = Array.from({ length: 25 }, (_, i) => "reader" + i + "@example.com");
  await fillForm(page, [...emails, "READER0@example.com"], "Browser batch");
  await page.waitForFunction(() => document.getElementById("emails-count").textContent === "25 recipients · 1 duplicate left out");
  assert.equal(await page.$eval("#submit", (b) => b.getBoundingClientRect().bottom <= innerHeight), true, "Send is above the fold");
  await page.click("#submit");
  await page.waitForSelector("#confirm[open]");
  assert.equal(await page.textContent("#confirm-title"), "Send \u201cBrowser batch\u201d to 25 recipients?");
  assert.match(await page.textContent("#confirm-body"), /1 duplicate address is left out/);
  assert.equal(await page.evaluate(() => document.activeElement.id), "confirm-ok");
  await axe(page, "desktop send confirmation");
  await shot(page, "desktop-send");
  await page.click("#confirm-ok");
  await waitForState(page, ["SUCCEEDED"], 60000);
  assert.equal(await page.textContent("#job-heading"), "Browser batch");
  assert.equal(await page.textContent("#job-state"), "Sent");
  assert.equal(await page.getAttribute("#bar", "aria-valuenow"), "100");
  assert.equal(await page.getAttribute("#bar", "aria-valuetext"), "25 of 25 done (100 %)");
  assert.deepEqual(await page.$$eval(".legend b", (bs) => bs.map((b) => b.textContent)), ["25", "0", "0", "0"]);
  assert.match(await page.textContent("#job-timing"), /^Took \d/);
  await page.waitForFunction(() => document.getElementById("job-announce").textContent === "Sent: 25 sent, 0 failed.");
  await page.waitForFunction(() => /^25 emails accepted/.test(document.getElementById("outbox-counts").textContent));
  const outbox = await json("GET", base + "/_local/outbox?limit=100&job=" + await shownJob(page));
  assert.deepEqual(outbox.items.map((e) => e.to).sort(), emails.slice().sort());
  assert.equal(outbox.duplicateDeliveries, 0);
  assert.match(await page.textContent("#recent-jobs"), /Browser batch · 25 recipients · Sent/);
  // the sent recipients are listed too, page by page, with counts
  await page.waitForFunction(() => document.getElementById("recipients-heading").textContent === "Recipients: sent (25)");
  assert.equal(await page.textContent("#recipients-range"), "1–20 of 25");
  await page.click("#recipients-next");
  await page.waitForFunction(() => document.getElementById("recipients-range").textContent === "21–25 of 25");
  await axe(page, "desktop succeeded");
  // the check can fail: the progress bar without its name (as the page had it) is a violation
  await page.$eval("#bar", (bar) => bar.removeAttribute("aria-labelledby"));
  await assert.rejects(axe(page, "a progress bar without a name"), /aria-progressbar-name/);
  await page.close();
});

test("the outbox pages and searches: by recipient, subject and job, with counts", async () => {
  await json("DELETE", base + "/_local/outbox");
  const page = await signedInPage(context);
  await openOutbox(page);
  const emails = Array.from({ length: 45 }, (_, i) => "pager" + i + "@example.com");
  await fillBatch(page, emails, "Paging batch");
  await waitForState(page, ["SUCCEEDED"], 60000);
  await fillBatch(page, ["second1@example.org", "second2@example.org", "second3@example.org"], "Second batch");
  await page.waitForFunction(() => /^48 emails accepted/.test(document.getElementById("outbox-counts").textContent), null, { timeout: 60000 });
  const matching = () => page.textContent("#outbox-matching");
  assert.equal(await matching(), "Emails 1–20 of 48, newest first");
  assert.equal(await page.isDisabled("#outbox-newer"), true);
  await page.click("#outbox-older");
  await page.waitForFunction(() => document.getElementById("outbox-matching").textContent.startsWith("Emails 21–40 of 48"));
  await page.click("#outbox-older");
  await page.waitForFunction(() => document.getElementById("outbox-matching").textContent.startsWith("Emails 41–48 of 48"));
  assert.equal(await page.isDisabled("#outbox-older"), true);
  assert.equal(await page.locator("#outbox-rows tr").count(), 8);
  await page.click("#outbox-newer");
  await page.waitForFunction(() => document.getElementById("outbox-matching").textContent.startsWith("Emails 21–40 of 48"));

  await page.fill("#outbox-q", "PAGER7@");
  await page.click("#outbox-search button[type=submit]");
  await page.waitForFunction(() => document.getElementById("outbox-matching").textContent === "Emails 1–1 of 1 matching, newest first");
  assert.equal(await page.textContent("#outbox-rows tr td"), "pager7@example.com");

  await page.fill("#outbox-q", "second batch");
  await page.click("#outbox-search button[type=submit]");
  await page.waitForFunction(() => document.getElementById("outbox-matching").textContent === "Emails 1–3 of 3 matching, newest first");

  const listed = await json("GET", base + "/_local/outbox?q=pager0%40");
  const job = listed.items[0].jobId;
  assert.match(job, /^[0-9a-f-]{36}$/);
  await page.fill("#outbox-q", "");
  await page.fill("#outbox-job", job);
  await page.click("#outbox-search button[type=submit]");
  await page.waitForFunction(() => document.getElementById("outbox-matching").textContent === "Emails 1–20 of 45 matching, newest first");
  await axe(page, "desktop outbox");
  await page.screenshot({ path: path.join(shots, "outbox.png"), fullPage: true });

  await page.fill("#outbox-job", "no-such-job");
  await page.click("#outbox-search button[type=submit]");
  await page.waitForFunction(() => document.getElementById("outbox-matching").textContent === "No email matches.");
  assert.equal(await page.isDisabled("#outbox-older"), true);
  await page.close();
});

test("invalid input is caught before sending: lines named, fields marked, focus on the first; the API's own errors land by their fields", async () => {
  const page = await signedInPage(context);
  let posts = 0;
  page.on("request", (r) => { if (r.method() === "POST" && r.url().endsWith("/emails")) posts++; });
  await page.$eval("#emails", (e) => { e.value = "fine@example.com\nnot-an-address\n\"Carl\" <carl@example.com>, ada@example"; e.dispatchEvent(new Event("input")); });
  await page.waitForFunction(() => document.getElementById("emails-count").textContent === "2 recipients · 2 entries are not an address");
  assert.deepEqual(await page.$$eval("#emails-problem-list li", (lis) => lis.map((li) => li.textContent)), [
    "Line 2: not-an-address — must look like local-part@domain", "Line 3: ada@example — has a domain without a dot"]);
  await page.click("#submit"); // subject and text left empty too
  await page.waitForSelector("#form-error:not(:empty)");
  assert.equal(await page.isVisible("#confirm"), false, "no confirmation for a batch that can not be sent");
  assert.equal(await page.textContent("#form-error"), "Fix the 3 fields marked below, then send.");
  assert.equal(await page.evaluate(() => document.activeElement.id), "emails", "focus moves to the first field in error");
  for (const field of ["emails", "subject", "text"]) {
    assert.equal(await page.getAttribute("#" + field, "aria-invalid"), "true", field);
    assert.match(await page.getAttribute("#" + field, "aria-describedby"), new RegExp(field + "-error"));
    assert.notEqual((await page.textContent("#" + field + "-error")).trim(), "", field);
  }
  await axe(page, "desktop form errors");
  await page.click("#remove-invalid");
  await page.waitForFunction(() => document.getElementById("emails-count").textContent === "2 recipients");
  assert.equal(await page.inputValue("#emails"), "fine@example.com\n\"Carl\" <carl@example.com>");
  assert.equal(await page.getAttribute("#emails", "aria-invalid"), null);

  // Enter in Subject asks first; Escape goes back and sends nothing
  await page.fill("#text", "Body");
  await page.fill("#subject", "Entered");
  await page.press("#subject", "Enter");
  await page.waitForSelector("#confirm[open]");
  assert.equal(await page.textContent("#confirm-title"), "Send \u201cEntered\u201d to 2 recipients?");
  await page.keyboard.press("Escape");
  await page.waitForFunction(() => !document.getElementById("confirm").open);
  assert.equal(posts, 0);

  // what only the API knows: the sender is not one of the deployment's
  await page.fill("#from", "someone@elsewhere.example");
  await send(page);
  await page.waitForSelector("#from-error:not(:empty)");
  assert.equal(posts, 1);
  assert.equal(await page.getAttribute("#from", "aria-invalid"), "true");
  assert.equal(await page.evaluate(() => document.activeElement.id), "from");
  assert.equal(await page.isHidden("#job"), true);

  // an address the API refuses for a reason of its own is named by its line, not "emails[1]"
  await page.fill("#from", "");
  await page.route("**/emails", (route) => route.fulfill({ status: 400, contentType: "application/json",
    body: JSON.stringify({ error: { code: "INVALID_REQUEST", message: "The batch is not valid.", details: [{ field: "emails[1]", message: "is refused" }] } }) }));
  await send(page);
  await page.waitForSelector("#emails-error:not(:empty)");
  assert.equal(await page.textContent("#emails-error"), "Line 2 (carl@example.com) is refused");
  assert.equal(await page.textContent("#form-error"), "The batch is not valid.");
  assert.equal(await page.evaluate(() => document.activeElement.id), "emails");
  await page.close();
});

test("a CSV upload: its email column, named addresses, rows skipped with their numbers, the same file twice adds nothing", async () => {
  const page = await signedInPage(context);
  const csv = "name,email,team\nAda,ada@example.com,eng\n\"Hopper, Grace\",\"Grace Hopper <grace@example.org>\",navy\nNobody,,ops\n\"Broken,x@example.com\n";
  const upload = () => page.setInputFiles("#emails-file", { name: "people.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await upload();
  await page.waitForFunction(() => document.getElementById("emails-count").textContent === "2 recipients");
  assert.equal(await page.inputValue("#emails"), "ada@example.com\n\"Grace Hopper\" <grace@example.org>");
  assert.equal(await page.textContent("#import-summary"),
    "people.csv: 3 rows (column \u201cemail\u201d) · 2 addresses added · 2 rows skipped: row 4 has no email cell; row 5 has a quote that is not closed.");
  await upload();
  await page.waitForFunction(() => /0 addresses added · 2 were already in the list/.test(document.getElementById("import-summary").textContent));
  assert.equal(await page.textContent("#emails-count"), "2 recipients");
  await page.setInputFiles("#emails-file", { name: "list.txt", mimeType: "text/plain", buffer: Buffer.from("x@example.com\nADA@example.com\ny@example.com\n") });
  await page.waitForFunction(() => document.getElementById("emails-count").textContent === "4 recipients");
  assert.match(await page.textContent("#import-summary"), /^list\.txt: 3 rows · 2 addresses added · 1 was already in the list\.$/);
  await axe(page, "desktop import summary");
  await page.close();
});

test("the provider refuses every email: the job ends failed, each recipient listed with a category, paged with counts, exported and copied", async () => {
  const page = await signedInPage(context);
  await setSink(page, 0, 1, 422);
  const emails = Array.from({ length: 25 }, (_, i) => "bounce" + String(i).padStart(2, "0") + "@example.com");
  await fillBatch(page, emails, "Doomed batch");
  await waitForState(page, ["FAILED"], 60000);
  assert.equal(await page.textContent("#job-state"), "Failed");
  assert.deepEqual(await page.$$eval(".legend b", (bs) => bs.map((b) => b.textContent)), ["0", "25", "0", "0"]);
  await page.waitForFunction(() => document.getElementById("recipients-heading").textContent === "Recipients: failed (25)");
  await page.waitForFunction(() => document.querySelectorAll("#recipients-rows tr").length === 20);
  assert.equal(await page.textContent("#recipients-range"), "1–20 of 25");
  const firstRow = await page.$$eval("#recipients-rows tr:first-child td", (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(firstRow.slice(0, 2), ["bounce00@example.com", "Failed"]);
  assert.match(firstRow[2], /^Rejected by the provider \(HTTP 422\)provider answered 422/);
  assert.equal(firstRow[3], "No", "a refusal is not retried by a redrive");
  assert.deepEqual(await addressLines(page, "#recipients-rows tr:first-child td:first-child"), { lines: 1, brokenParts: [] });
  await axe(page, "desktop failed");
  await shot(page, "desktop-failure");
  await page.click("#recipients-next");
  await page.waitForFunction(() => document.getElementById("recipients-range").textContent === "21–25 of 25");

  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-csv")]);
  assert.match(download.suggestedFilename(), /^mailbatch-[0-9a-f-]{36}-failed\.csv$/);
  const csv = readFileSync(await download.path(), "utf8").trim().split("\r\n");
  assert.equal(csv[0], "email,status,attempts,category,error,retryable,sentAt,providerMessageId");
  assert.equal(csv.length, 26);
  assert.match(csv[1], /^bounce00@example\.com,FAILED,1,Rejected by the provider \(HTTP 422\),"provider answered 422: \{""error"":""injected failure .*""\}",false,,$/);
  await page.click("#copy-addresses");
  await page.waitForFunction(() => document.getElementById("recipients-note").textContent === "Copied 25 addresses.");
  assert.deepEqual((await page.evaluate(() => navigator.clipboard.readText())).split("\n"), emails);
  await page.selectOption("#recipients-status", "SENT");
  await page.waitForFunction(() => document.getElementById("recipients-note").textContent === "None sent yet.");
  assert.equal(await page.isHidden("#recipients-pager"), true, "no pager without a second page");
  await page.close();
});

test("a provider that keeps failing transiently: the page says what is retried and why, and the failures are marked for a redrive", async () => {
  const page = await signedInPage(context);
  await setSink(page, 0, 1, 503);
  await fillBatch(page, ["flaky1@example.com", "flaky2@example.com", "flaky3@example.com"], "Flaky provider");
  await page.waitForFunction(() => /^Retrying 3 recipients after a failed attempt \(latest: Provider error \(HTTP 503\)\)/
    .test(document.getElementById("job-retrying").textContent), null, { timeout: 60000, polling: 250 });
  assert.equal(await page.isVisible("#job-retrying"), true);
  await axe(page, "desktop retrying");
  await shot(page, "desktop-retrying");
  await waitForState(page, ["FAILED"], 120000);
  await page.waitForFunction(() => document.querySelectorAll("#recipients-rows tr").length === 3);
  const retryable = await page.$$eval("#recipients-rows tr td:nth-child(4)", (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(retryable, ["Yes", "Yes", "Yes"]);
  await page.close();
});

test("a page served from another origin calls the API through CORS; Settings checks the address and applies it without a reload", async () => {
  const page = await context.newPage();
  const otherOrigin = base.replace("localhost", "127.0.0.1");
  await page.goto(otherOrigin + "/");
  await page.evaluate(() => { window.notReloaded = true; });
  await page.click("#settings summary");
  await page.fill("#api-base", "not a url");
  await page.click("#save-settings");
  await page.waitForSelector("#api-base-error:not(:empty)");
  assert.equal(await page.getAttribute("#api-base", "aria-invalid"), "true");
  await axe(page, "desktop settings error");
  await page.fill("#api-base", base);
  await page.click("#save-settings");
  await page.waitForFunction(() => /^Saved: the page calls http:\/\/localhost:\d+\.$/.test(document.getElementById("settings-saved").textContent));
  assert.equal(await page.evaluate(() => window.notReloaded), true, "the page was not reloaded");
  // A page of another origin can not use the local sign-in: a token from elsewhere is pasted in.
  assert.equal(await page.isVisible("#signin-local"), false);
  const minted = await json("POST", base + "/_local/token", { sub: "alice" });
  await page.click("#account summary");
  await page.fill("#signin-token-value", minted.access_token);
  await page.click("#signin-token button[type=submit]");
  await page.waitForFunction(() => document.getElementById("account-summary").textContent === "Signed in as alice");
  await fillBatch(page, ["cors@example.com"], "Cross-origin batch");
  await waitForState(page, ["SUCCEEDED"], 60000);
  assert.equal((await jobData(page)).sent, "1");
  await page.close();
});

test("10,000 recipients with the outbox at 100 ms per email drain; the page shows rate, time left and separated thousands", async () => {
  await json("DELETE", base + "/_local/outbox");
  const page = await signedInPage(context);
  await setSink(page, 100, 0, 503);
  const emails = Array.from({ length: 10000 }, (_, i) => "member" + i + "@example.com");
  const started = Date.now();
  const title = await fillBatch(page, emails, "Ten thousand");
  assert.equal(title, "Send \u201cTen thousand\u201d to 10,000 recipients?");
  await page.waitForFunction(() => /^Elapsed .* · [\d,]+ emails\/s · about .* left\.$/.test(document.getElementById("job-timing").textContent),
    null, { timeout: 60000, polling: 250 });
  assert.equal(await page.textContent("#job-state"), "Sending");
  await axe(page, "desktop progress");
  await shot(page, "desktop-progress");
  await waitForState(page, ["SUCCEEDED", "COMPLETED_WITH_FAILURES", "FAILED"], 600000);
  const seconds = (Date.now() - started) / 1000;
  assert.equal(await page.textContent("#job-counts"), "10,000 of 10,000 recipients done (100 %)");
  assert.equal((await jobData(page)).sent, "10000");
  assert.equal(await page.getAttribute("#bar", "aria-valuenow"), "100");
  const outbox = await outboxOf(await shownJob(page));
  assert.equal(outbox.matching, 10000);
  console.log(`10,000 recipients, 100 ms per email: drained in ${seconds.toFixed(1)} s `
    + `(${(10000 / seconds).toFixed(0)} emails/s); outbox: ${outbox.matching} emails`);
  await page.screenshot({ path: path.join(shots, "ten-thousand.png"), fullPage: true });
  await page.close();
});

test("a batch cancelled from the page while it sends: confirmed, \"Cancelling…\" until nothing is pending, the rest never sent", async () => {
  // Regression (issue 22): the test waited for a first email sent and then cancelled a batch of
  // 300 emails at 200 ms each; on a quicker machine the job finished first and "Cancelling…"
  // never came. Now the outbox holds every email until the test lets them go: the job can not
  // finish before its cancel, and the emails in flight at the cancel are the ones sent.
  await json("DELETE", base + "/_local/outbox");
  const page = await signedInPage(context);
  await setSink(page, 0, 0, 503, true);
  const emails = Array.from({ length: 300 }, (_, i) => "slow" + i + "@example.com");
  await fillBatch(page, emails, "Cancelled batch");
  await heldAtTheOutbox(page);
  await page.waitForFunction(() => document.getElementById("job-state").textContent === "Sending", null, { timeout: 30000 });
  await page.click("#cancel");
  await page.waitForSelector("#confirm[open]");
  assert.equal(await page.textContent("#confirm-title"), "Cancel \u201cCancelled batch\u201d?");
  assert.match(await page.textContent("#confirm-body"), /not been sent yet; they will not be\..*can not be recalled/);
  await axe(page, "desktop cancel confirmation");
  await shot(page, "desktop-cancel");
  await page.click("#confirm-ok");
  await page.waitForFunction(() => document.getElementById("job-state").textContent === "Cancelling…", null, { timeout: 30000 });
  assert.match(await page.textContent("#job-cancel-note"), /^Cancelling: the workers are stopping, and [\d,]+ recipients? (is|are) not settled yet\. Emails already handed to the provider/);
  assert.equal(await page.isHidden("#cancel"), true);
  await axe(page, "desktop cancelling");
  const inFlight = await heldAtTheOutbox(page); // every permit of every worker: nothing else can start
  await setSink(page, 0, 0, 503, false); // the provider answers again
  await page.waitForFunction(() => document.getElementById("job").dataset.pending === "0", null, { timeout: 60000, polling: 250 });
  assert.equal(await page.textContent("#job-state"), "Cancelled");
  const { sent, failed, cancelled } = await jobData(page);
  assert.equal(failed, "0");
  assert.equal(Number(sent), inFlight, "the emails in flight at the cancel are sent, and no other");
  assert.equal(Number(sent) + Number(cancelled), 300);
  assert.equal(await page.textContent("#job-cancel-note"), "Cancelled: " + Number(sent).toLocaleString("en-US") + " emails were sent before the cancel took effect; "
    + Number(cancelled).toLocaleString("en-US") + " were never sent.");
  // pending 0: every chunk recorded its outcomes, and a chunk records only after its sends returned
  const outbox = await outboxOf(await shownJob(page));
  assert.equal(outbox.matching, Number(sent), "the outbox got exactly the emails counted as sent");
  await axe(page, "desktop cancelled");
  await shot(page, "desktop-cancelled");
  await page.close();
});

test("on a phone: send, progress, cancel and failure screens fit the width, tables become cards, axe-core passes", async () => {
  const page = await signedInPage(mobile);
  await setSink(page, 0, 0, 503, true); // held until the test cancels: "Cancelling…" is sure to show
  await fillForm(page, Array.from({ length: 1000 }, (_, i) => "phone" + i + "@example.com"), "Phone batch");
  await page.click("#submit");
  await page.waitForSelector("#confirm[open]");
  await fitsWidth(page); // the page and the dialog, with the outbox open
  await axe(page, "mobile send confirmation");
  await page.evaluate(() => scrollTo(0, 0));
  await shot(page, "mobile-send");
  await page.click("#confirm-ok");
  await heldAtTheOutbox(page);
  await page.waitForFunction(() => document.getElementById("job-state").textContent === "Sending", null, { timeout: 30000 });
  await page.waitForFunction(() => /^Elapsed /.test(document.getElementById("job-timing").textContent), null, { timeout: 30000 });
  await fitsWidth(page);
  await axe(page, "mobile progress");
  await shot(page, "mobile-progress");
  await page.click("#cancel");
  await page.waitForSelector("#confirm[open]");
  await axe(page, "mobile cancel confirmation");
  await page.click("#confirm-ok");
  await page.waitForFunction(() => document.getElementById("job-state").textContent === "Cancelling…", null, { timeout: 30000 });
  await shot(page, "mobile-cancel");
  await setSink(page, 0, 0, 503, false);
  await page.waitForFunction(() => document.getElementById("job").dataset.pending === "0", null, { timeout: 60000, polling: 250 });
  await axe(page, "mobile cancelled");

  await setSink(page, 0, 1, 422);
  await fillBatch(page, ["a.very.long.address.that.needs.room@subdomain.example.org", "short@example.com"], "Phone failures");
  await waitForState(page, ["FAILED"], 60000);
  await page.waitForFunction(() => document.querySelectorAll("#recipients-rows tr").length === 2);
  await page.$eval("#recipients", (e) => e.scrollIntoView());
  await fitsWidth(page);
  // a cell is a card line under its column's name, and an address is never broken inside a word
  const cell = await page.$eval("#recipients-rows tr:first-child td", (td) => ({ display: getComputedStyle(td).display,
    label: getComputedStyle(td, "::before").content, wordBreak: getComputedStyle(td).wordBreak }));
  assert.equal(cell.display, "grid");
  assert.equal(cell.label, "\"Address\"");
  assert.notEqual(cell.wordBreak, "break-all");
  const address = await addressLines(page, "#recipients-rows tr:first-child td:first-child");
  assert.ok(address.lines > 1 && address.brokenParts.length === 0, JSON.stringify(address)); // wraps, after "." or "@" only
  const timeCell = await page.$eval("#outbox-rows tr:first-child td:last-child", (td) => getComputedStyle(td).whiteSpace).catch(() => "nowrap");
  assert.equal(timeCell, "nowrap", "a time is never broken (\"10:54:17 A M\")");
  await axe(page, "mobile failed");
  await shot(page, "mobile-failure");
  await openOutbox(page);
  await fitsWidth(page);
  await axe(page, "mobile outbox");
  await page.close();
});

test("an answer lost on the way back: pressing Send again opens the same job, not a second one", async () => {
  const page = await signedInPage(context);
  let firstJobId = null;
  let posts = 0;
  await page.route("**/emails", async (route) => {
    if (route.request().method() !== "POST") return route.continue();
    posts++;
    if (posts === 1) {
      const response = await route.fetch(); // the API accepts the batch...
      firstJobId = (await response.json()).jobId;
      return route.abort("connectionreset"); // ...and the answer never reaches the page
    }
    return route.continue();
  });
  await fillBatch(page, ["twice@example.com"], "Sent twice");
  await page.waitForSelector("#form-error:not(:empty)");
  assert.match(await page.textContent("#form-error"), /press Send again to retry \(the same batch is never sent twice\)/);
  assert.ok(firstJobId);
  await send(page);
  await waitForState(page, ["SUCCEEDED"], 60000);
  assert.equal(await page.textContent("#job-id"), firstJobId);
  assert.equal(posts, 2);
  const outbox = await json("GET", base + "/_local/outbox?limit=200");
  assert.equal(outbox.items.filter((e) => e.to === "twice@example.com").length, 1);
  await page.close();
});

test("pressing Send again after a success opens the same job; the job is in view, focused, and has a URL", async () => {
  // Regression (issue 14): after a 202 the page made a new Idempotency-Key, so a second press of
  // Send with the form unchanged made a second job and sent the whole batch again.
  await json("DELETE", base + "/_local/outbox");
  const page = await signedInPage(context);
  const emails = ["again1@example.com", "again2@example.com", "again3@example.com"];
  await fillBatch(page, emails, "Pressed twice");
  await waitForState(page, ["SUCCEEDED"], 60000);
  const jobId = await page.textContent("#job-id");
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), "job-heading");
  const top = await page.evaluate(() => document.getElementById("job").getBoundingClientRect().top);
  assert.ok(top > -1 && top < (await page.evaluate(() => innerHeight)), "the job panel is in view, at " + top); // -0.5: sub-pixel scrolling
  assert.equal(await page.evaluate(() => location.hash), "#job=" + jobId);

  const replayed = page.waitForResponse((r) => r.url().endsWith("/emails") && r.request().method() === "POST");
  assert.equal(await send(page), "This batch was sent already");
  const answer = await replayed;
  assert.equal(answer.status(), 202);
  assert.equal(answer.headers()["idempotent-replayed"], "true");
  assert.equal((await answer.json()).jobId, jobId);
  await waitForState(page, ["SUCCEEDED"], 60000);
  assert.equal(await page.textContent("#job-id"), jobId);
  const outbox = await json("GET", base + "/_local/outbox?q=again&limit=100");
  assert.equal(outbox.matching, 3, "each recipient got one email");

  await page.reload();
  await page.waitForFunction((id) => document.getElementById("job-id").textContent === id, jobId);
  await waitForState(page, ["SUCCEEDED"], 30000);
  assert.equal(await page.textContent("#job-heading"), "Pressed twice");
  await page.close();

  // the link in another browser (nothing remembered there): opened once signed in, headed by its subject
  const elsewhere = await browser.newContext({ viewport: DESKTOP, locale: "en-US" });
  const other = await elsewhere.newPage();
  // Regression: the job's read before signing in is answered 401 only after the sign-in (held
  // here); that 401 spoke of no token, so the new one stays and the job opens.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  let heldOne = false;
  await other.route("**/emails/" + jobId, async (route) => {
    if (!heldOne && !route.request().headers().authorization) {
      heldOne = true;
      await held;
    }
    await route.continue();
  });
  const firstRead = other.waitForRequest((r) => r.url().endsWith("/emails/" + jobId));
  await other.goto(base + "/#job=" + jobId);
  await firstRead;
  await signIn(other);
  assert.ok(heldOne, "the page read the job before signing in, without a token");
  const stale = other.waitForResponse((r) => r.url().endsWith("/emails/" + jobId) && r.status() === 401);
  release();
  await stale;
  await other.evaluate(() => new Promise((resolve) => setTimeout(resolve, 50))); // the page has read that answer
  assert.equal(await other.textContent("#account-summary"), "Signed in as alice");
  await waitForState(other, ["SUCCEEDED"], 30000);
  assert.equal(await other.textContent("#job-heading"), "Pressed twice");
  assert.equal(await other.textContent("#account-summary"), "Signed in as alice");
  await elsewhere.close();
});

test("recent jobs are read again on load (none listed stale) and reopen a job", async () => {
  const page = await signedInPage(context);
  // local storage is per origin: the jobs sent from this origin above. One is made stale, as a
  // tab closed while its job ran leaves it.
  await page.waitForFunction(() => /Browser batch/.test(document.getElementById("recent-jobs").textContent));
  await page.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.endsWith(".alice"));
    const jobs = JSON.parse(localStorage.getItem(key));
    const job = jobs.find((j) => j.subject === "Browser batch");
    Object.assign(job, { state: "PENDING", pending: 25 });
    localStorage.setItem(key, JSON.stringify(jobs));
  });
  await page.reload();
  await page.waitForFunction(() => /Browser batch · 25 recipients · Sent/.test(document.getElementById("recent-jobs").textContent), null, { timeout: 10000 });
  await page.click("#recent-jobs button:text-is('Doomed batch')");
  await waitForState(page, ["FAILED"], 10000);
  const top = await page.evaluate(() => document.getElementById("job").getBoundingClientRect().top);
  assert.ok(top > -1 && top < 100, "the reopened job's panel is at the top of the view, at " + top);
  assert.equal(await page.evaluate(() => document.activeElement.id), "job-heading");
  assert.equal((await jobData(page)).failed, "25");
  await page.close();
});

test("signed out, the API refuses the page, which asks to sign in; each user sees only their own recent jobs", async () => {
  const page = await context.newPage();
  await page.goto(base + "/");
  await fillBatch(page, ["nobody@example.com"], "Unsigned batch");
  await page.waitForFunction(() => /Sign in to use the API/.test(document.getElementById("signin-error").textContent));
  assert.equal(await page.isVisible("#job"), false);
  await signIn(page, "bob");
  assert.doesNotMatch(await page.textContent("#recent-jobs"), /Browser batch/); // alice's, not bob's
  await fillBatch(page, ["bob@example.com"], "Bob's batch");
  await waitForState(page, ["SUCCEEDED"], 60000);
  if (!(await page.$eval("#account", (d) => d.open))) await page.click("#account summary");
  await page.click("#signout");
  await signIn(page, "alice");
  assert.doesNotMatch(await page.textContent("#recent-jobs"), /Bob's batch/);
  await page.screenshot({ path: path.join(shots, "signed-in.png"), fullPage: true });
  await page.close();
});

test("stopping the runner (SIGINT, as Ctrl-C) stops moto and frees the port", async () => {
  const port = Number(new URL(base).port);
  runner.kill("SIGINT");
  await waitFor("the runner to exit", () => runner.exitCode !== null || runner.signalCode !== null, 120000);
  assert.match(output, /stopped; port \d+ is free/);
  assert.throws(() => process.kill(motoPid, 0), /ESRCH/, "moto server still running");
  await new Promise((resolve, reject) => {
    const server = net.createServer().once("error", reject).listen(port, "127.0.0.1", () => server.close(resolve));
  });
});
