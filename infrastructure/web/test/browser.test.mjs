// The web page in a real browser against the local runner: headless Debian Chromium driven by
// playwright-core. Starts `infrastructure/bin/run --no-build` (built by the test command) on a
// free port, uses the page as a person would, and stops the runner the way Ctrl-C does.
// Screenshots: infrastructure/target/browser/*.png
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const shots = path.join(root, "infrastructure/target/browser");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

let runner;
let output = "";
let base;
let motoPid;
let browser;
let context; // one browser profile for all tests: local storage (recent jobs) carries over

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
  // The page of test 5 is served from the other loopback name: the API allows that origin, as a
  // deployment allows its page's with CorsAllowOrigin.
  runner = spawn("bash", [path.join(root, "infrastructure/bin/run"), "--no-build",
    "CorsAllowOrigin=http://127.0.0.1:" + port, "MaxSendRate=5000"], {
    cwd: root,
    env: { ...process.env, PORT: String(port), RETRY_BASE_SECONDS: "1", RETRY_MAX_SECONDS: "2" },
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
  context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
});

after(async () => {
  if (browser) await browser.close();
  if (runner && runner.exitCode === null) runner.kill("SIGKILL");
});

// Signs in as a person would on the local run: the account panel, a name, "Sign in locally".
async function signIn(page, name = "alice") {
  if (!(await page.$eval("#account", (d) => d.open))) await page.click("#account summary");
  await page.fill("#signin-name", name);
  await page.click("#signin-local button[type=submit]");
  await page.waitForFunction((who) => document.getElementById("account-summary").textContent === "Signed in as " + who, name);
}

async function fillBatch(page, emails, subject) {
  // as a paste does: the whole list at once (typing 10,000 lines key by key would take minutes)
  await page.$eval("#emails", (e, value) => { e.value = value; e.dispatchEvent(new Event("input")); }, emails.join("\n"));
  await page.fill("#subject", subject);
  await page.fill("#text", "Hello from the browser test.");
  await page.click("#submit");
}

async function waitForState(page, states, timeoutMs) {
  await page.waitForFunction((s) => s.includes(document.getElementById("job-state").textContent), states, { timeout: timeoutMs, polling: 250 });
}

async function setSink(page, latencyMs, failureRate, failureStatus) {
  await page.fill("#sink-latency", String(latencyMs));
  await page.fill("#sink-rate", String(failureRate));
  await page.fill("#sink-status", String(failureStatus));
  await page.fill("#sink-loss", "0");
  await page.click("#sink-form button[type=submit]");
  await page.waitForFunction((want) => {
    const applied = document.getElementById("sink-form").dataset.applied;
    return applied && JSON.stringify(JSON.parse(applied)) === want;
  }, JSON.stringify({ latencyMs, failureRate, failureStatus, lossRate: 0 }));
}

test("a batch sent from the page: the bar reaches 100 %, the outbox shows the emails", async () => {
  await json("DELETE", base + "/_local/outbox");
  const page = await context.newPage();
  await page.goto(base + "/");
  await signIn(page);
  await page.waitForSelector("#outbox:not([hidden])");
  const emails = Array.from({ length: 25 }, (_, i) => "reader" + i + "@example.com");
  await fillBatch(page, [...emails, "READER0@example.com"], "Browser batch");
  await waitForState(page, ["SUCCEEDED"], 60000);
  assert.equal(await page.getAttribute("#bar", "aria-valuenow"), "100");
  assert.match(await page.textContent("#job-counts"), /sent 25 · failed 0 · pending 0 of 25/);
  await page.waitForFunction(() => /^25 emails accepted/.test(document.getElementById("outbox-counts").textContent));
  const outbox = await json("GET", base + "/_local/outbox?limit=100");
  assert.deepEqual(outbox.items.map((e) => e.to).sort(), emails.slice().sort());
  assert.equal(outbox.duplicateDeliveries, 0);
  assert.match(await page.textContent("#recent-jobs"), /Browser batch — 25 recipients/);
  await page.screenshot({ path: path.join(shots, "succeeded.png"), fullPage: true });
  await page.close();
});

test("the outbox pages and searches: by recipient, subject and job, with counts", async () => {
  await json("DELETE", base + "/_local/outbox");
  const page = await context.newPage();
  await page.goto(base + "/");
  await signIn(page);
  await page.waitForSelector("#outbox:not([hidden])");
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
  await page.screenshot({ path: path.join(shots, "outbox.png"), fullPage: true });

  await page.fill("#outbox-job", "no-such-job");
  await page.click("#outbox-search button[type=submit]");
  await page.waitForFunction(() => document.getElementById("outbox-matching").textContent === "No email matches.");
  assert.equal(await page.isDisabled("#outbox-older"), true);
  await page.close();
});

test("invalid input: the API's errors are shown next to the fields and no job is opened", async () => {
  const page = await context.newPage();
  await page.goto(base + "/");
  await signIn(page);
  await fillBatch(page, ["fine@example.com", "not-an-address"], "");
  await page.waitForSelector('.field-error[data-field="emails"]:not(:empty)');
  assert.match(await page.textContent('.field-error[data-field="emails"]'), /emails\[1\]/);
  assert.notEqual((await page.textContent('.field-error[data-field="subject"]')).trim(), "");
  assert.equal(await page.isHidden("#job"), true);
  await page.close();
});

test("the outbox told to fail: the job ends FAILED and lists each recipient with the reason", async () => {
  const page = await context.newPage();
  await page.goto(base + "/");
  await signIn(page);
  await page.waitForSelector("#outbox:not([hidden])");
  await setSink(page, 0, 1, 422);
  const emails = Array.from({ length: 12 }, (_, i) => "bounce" + i + "@example.com");
  await fillBatch(page, emails, "Doomed batch");
  await waitForState(page, ["FAILED"], 60000);
  assert.match(await page.textContent("#job-counts"), /sent 0 · failed 12 · pending 0 of 12/);
  await page.waitForSelector("#failures:not([hidden])");
  await page.waitForFunction(() => document.querySelectorAll("#failures-rows tr").length === 10);
  assert.match(await page.textContent("#failures-rows"), /provider answered 422/);
  const firstPage = await page.textContent("#failures-rows");
  await page.click("#failures-next");
  await page.waitForFunction(() => document.querySelectorAll("#failures-rows tr").length === 2);
  const secondPage = await page.textContent("#failures-rows");
  const listed = [...(firstPage + secondPage).matchAll(/bounce\d+@example\.com/g)].map((m) => m[0]);
  assert.deepEqual(listed.sort(), emails.slice().sort());
  await page.screenshot({ path: path.join(shots, "failed.png"), fullPage: true });
  await setSink(page, 0, 0, 503);
  await page.close();
});

test("a CSV upload fills the recipients from its email column", async () => {
  const page = await context.newPage();
  await page.goto(base + "/");
  await signIn(page);
  const csv = "name,email,team\nAda,ada@example.com,eng\n\"Hopper, Grace\",grace@example.org,navy\n";
  await page.setInputFiles("#emails-file", { name: "people.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.waitForFunction(() => document.getElementById("emails-count").textContent === "2 recipients");
  assert.equal(await page.inputValue("#emails"), "ada@example.com\ngrace@example.org");
  await page.setInputFiles("#emails-file", { name: "list.txt", mimeType: "text/plain", buffer: Buffer.from("x@example.com\ny@example.com\n") });
  await page.waitForFunction(() => document.getElementById("emails-count").textContent === "4 recipients");
  await page.close();
});

test("a page served from another origin calls the API through CORS", async () => {
  const page = await context.newPage();
  const otherOrigin = base.replace("localhost", "127.0.0.1");
  await page.goto(otherOrigin + "/");
  await page.click("#settings summary");
  await page.fill("#api-base", base);
  await page.click("#save-settings");
  await page.waitForLoadState("load");
  // A page of another origin can not use the local sign-in: a token from elsewhere is pasted in.
  assert.equal(await page.isVisible("#signin-local"), false);
  const minted = await json("POST", base + "/_local/token", { sub: "alice" });
  await page.click("#account summary");
  await page.fill("#signin-token-value", minted.access_token);
  await page.click("#signin-token button[type=submit]");
  await page.waitForFunction(() => document.getElementById("account-summary").textContent === "Signed in as alice");
  await fillBatch(page, ["cors@example.com"], "Cross-origin batch");
  await waitForState(page, ["SUCCEEDED"], 60000);
  assert.match(await page.textContent("#job-counts"), /sent 1 · failed 0 · pending 0 of 1/);
  await page.close();
});

test("10,000 recipients with the outbox at 100 ms per email drain, and the page shows the counts", async () => {
  await json("DELETE", base + "/_local/outbox");
  const page = await context.newPage();
  await page.goto(base + "/");
  await signIn(page);
  await page.waitForSelector("#outbox:not([hidden])");
  await setSink(page, 100, 0, 503);
  const emails = Array.from({ length: 10000 }, (_, i) => "member" + i + "@example.com");
  const started = Date.now();
  await fillBatch(page, emails, "Ten thousand");
  await waitForState(page, ["SUCCEEDED", "COMPLETED_WITH_FAILURES", "FAILED"], 600000);
  const seconds = (Date.now() - started) / 1000;
  assert.match(await page.textContent("#job-counts"), /sent 10000 · failed 0 · pending 0 of 10000/);
  assert.equal(await page.getAttribute("#bar", "aria-valuenow"), "100");
  const outbox = await json("GET", base + "/_local/outbox?limit=0");
  assert.equal(outbox.emails, 10000);
  console.log(`10,000 recipients, 100 ms per email: drained in ${seconds.toFixed(1)} s `
    + `(${(10000 / seconds).toFixed(0)} emails/s); outbox: ${outbox.emails} emails, ${outbox.deliveries} deliveries`);
  await page.screenshot({ path: path.join(shots, "ten-thousand.png"), fullPage: true });
  await setSink(page, 0, 0, 503);
  await page.close();
});

test("a slow batch cancelled from the page: the rest is never sent and the counts add up", async () => {
  await json("DELETE", base + "/_local/outbox");
  const page = await context.newPage();
  await page.goto(base + "/");
  await signIn(page);
  await page.waitForSelector("#outbox:not([hidden])");
  await setSink(page, 200, 0, 503);
  const emails = Array.from({ length: 300 }, (_, i) => "slow" + i + "@example.com");
  await fillBatch(page, emails, "Cancelled batch");
  await page.waitForFunction(() => /sent [1-9]/.test(document.getElementById("job-counts").textContent), null, { timeout: 60000 });
  await page.click("#cancel");
  await waitForState(page, ["CANCELLED"], 10000);
  await page.waitForFunction(() => /pending 0 of 300/.test(document.getElementById("job-counts").textContent), null, { timeout: 60000, polling: 250 });
  const counts = await page.textContent("#job-counts");
  const [, sent, cancelled] = /sent (\d+) · failed 0 · cancelled (\d+)/.exec(counts).map(Number);
  assert.ok(cancelled > 0, counts);
  assert.equal(sent + cancelled, 300, counts);
  assert.equal(await page.isHidden("#cancel"), true);
  // pending 0: every chunk recorded its outcomes, and a chunk records only after its sends returned
  const outbox = await json("GET", base + "/_local/outbox?limit=1");
  assert.equal(outbox.emails, sent, "the outbox got exactly the emails counted as sent");
  await page.screenshot({ path: path.join(shots, "cancelled.png"), fullPage: true });
  await setSink(page, 0, 0, 503);
  await page.close();
});

test("an answer lost on the way back: pressing Send again opens the same job, not a second one", async () => {
  const page = await context.newPage();
  await page.goto(base + "/");
  await signIn(page);
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
  assert.ok(firstJobId);
  await page.click("#submit");
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
  const page = await context.newPage();
  await page.goto(base + "/");
  await signIn(page);
  const emails = ["again1@example.com", "again2@example.com", "again3@example.com"];
  await fillBatch(page, emails, "Pressed twice");
  await waitForState(page, ["SUCCEEDED"], 60000);
  const jobId = await page.textContent("#job-id");
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), "job-heading");
  const top = await page.evaluate(() => document.getElementById("job").getBoundingClientRect().top);
  assert.ok(top > -1 && top < (await page.evaluate(() => innerHeight)), "the job panel is in view, at " + top); // -0.5: sub-pixel scrolling
  assert.equal(await page.evaluate(() => location.hash), "#job=" + jobId);

  const replayed = page.waitForResponse((r) => r.url().endsWith("/emails") && r.request().method() === "POST");
  await page.click("#submit");
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
  await page.close();
});

test("recent jobs survive a reload and reopen a job", async () => {
  const page = await context.newPage();
  await page.goto(base + "/");
  await signIn(page);
  // local storage is per origin: the jobs sent from this origin above
  await page.waitForFunction(() => /Browser batch/.test(document.getElementById("recent-jobs").textContent));
  await page.click("text=Doomed batch — 12 recipients");
  await waitForState(page, ["FAILED"], 10000);
  assert.match(await page.textContent("#job-counts"), /failed 12/);
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
