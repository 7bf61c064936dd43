// The page's reading of recipients, files and failure reasons (public/modules/recipients.js), without a
// browser. The API's own address rules are EmailAddressTest's; these check the page agrees.
import { test } from "node:test";
import assert from "node:assert/strict";
import { entriesOf, readRecipients, readFile, checkAddress, reasonOf, duration, toCsv } from "../public/modules/recipients.js";

test("entries: lines, and commas or semicolons outside quotes and angle brackets", () => {
  assert.deepEqual(entriesOf("a@x.org, b@x.org\n\n\"Hopper, Grace\" <grace@x.org>; c@x.org\r\nd@x.org"), [
    { raw: "a@x.org", line: 1 }, { raw: "b@x.org", line: 1 }, { raw: "\"Hopper, Grace\" <grace@x.org>", line: 3 },
    { raw: "c@x.org", line: 3 }, { raw: "d@x.org", line: 4 }]);
});

test("a named address is its address; duplicates are found case-insensitively, the first spelling kept", () => {
  const read = readRecipients("\"Carl\" <carl@example.com>\nAda@Example.com\nada@example.COM\nnot-an-address\ncarl@EXAMPLE.com");
  assert.deepEqual(read.valid.map((v) => [v.address, v.line]), [["carl@example.com", 1], ["Ada@Example.com", 2]]);
  assert.deepEqual(read.duplicates.map((d) => [d.line, d.firstLine]), [[3, 2], [5, 1]]);
  assert.deepEqual(read.invalid.map((i) => [i.line, i.raw, i.error]), [[4, "not-an-address", "must look like local-part@domain"]]);
});

test("addresses are checked as the API checks them", () => {
  const cases = {
    "ada@example.com": null,
    "\"ada lovelace\"@example.com": null,
    "o'brien+tag@sub.example.co.uk": null,
    "ada@bücher.example": null,
    "ada@example": "has a domain without a dot",
    "ada@example.123": "has an invalid domain",
    "ada@-bad.example": "has an invalid domain",
    "ada@exa_mple.com": "has an invalid domain",
    ".ada@example.com": "has a local part with a misplaced dot",
    "ad a@example.com": "has a character not allowed in a local part",
    "\"unclosed@example.com": "has an invalid quoted local part",
    [("x".repeat(65)) + "@example.com"]: "has a local part longer than 64 characters",
    "@example.com": "must look like local-part@domain",
  };
  for (const [address, error] of Object.entries(cases)) {
    assert.equal(checkAddress(address).error || null, error, address);
  }
  assert.equal(checkAddress("\"ada\"@Example.com").key, "ada@example.com", "needless quotes are the same mailbox");
  assert.equal(checkAddress("ada@BÜCHER.example").key, "ada@xn--bcher-kva.example", "an IDN domain compares as punycode");
});

test("a CSV file: its email column, rows without an address and broken rows reported by number", () => {
  const csv = "name,email,team\nAda,ada@example.com,eng\n\"Hopper, Grace\",grace@example.org,navy\nNoMail,,ops\n\"Broken,x@example.com\n\nCarl,\"Carl\" <carl@example.net>,eng\n";
  const read = readFile(csv);
  assert.deepEqual(read.addresses, ["ada@example.com", "grace@example.org", "Carl <carl@example.net>"]);
  assert.equal(read.column, "email");
  assert.deepEqual(read.skipped, [{ row: 4, why: "has no email cell" }, { row: 5, why: "has a quote that is not closed" }]);
  const plain = readFile("x@example.com\nhello\ny@example.com; z@example.com\n");
  assert.deepEqual(plain.addresses, ["x@example.com", "y@example.com", "z@example.com"]);
  assert.deepEqual(plain.skipped, [{ row: 2, why: "has no address" }]);
});

test("failure reasons: a short category and the detail", () => {
  assert.equal(reasonOf("provider answered 422: unknown mailbox").category, "Rejected by the provider (HTTP 422)");
  assert.equal(reasonOf("provider answered 503").category, "Provider error (HTTP 503)");
  assert.equal(reasonOf("provider answered 429").category, "Rate limited by the provider (HTTP 429)");
  assert.equal(reasonOf("provider timed out").category, "Provider timed out");
  assert.equal(reasonOf("SES: MessageRejected").category, "Rejected by SES");
  assert.equal(reasonOf("SES: TooManyRequestsException").category, "Rate limited by SES");
  assert.equal(reasonOf("not sent by delivery 5 of 5 (earlier deliveries failed or did not finish)").category, "Out of attempts");
  assert.deepEqual(reasonOf("something new"), { category: "Other", detail: "something new" });
  assert.deepEqual(reasonOf(null), { category: "", detail: "" });
});

test("durations as people say them, CSV as RFC 4180 writes it", () => {
  assert.equal(duration(800), "0.8 s");
  assert.equal(duration(42_400), "42 s");
  assert.equal(duration(111_000), "1 min 51 s");
  assert.equal(duration(7_500_000), "2 h 5 min");
  assert.equal(toCsv([["a", "b,c", "say \"hi\""], [1, null, "x\ny"]]), "a,\"b,c\",\"say \"\"hi\"\"\"\r\n1,,\"x\ny\"\r\n");
});
