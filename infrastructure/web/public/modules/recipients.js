// What the page reads and writes as text, with no DOM (the page and test/recipients.test.mjs use
// it): recipients as typed, pasted or in a file, each address checked as the API checks it
// (EmailAddress.java) and duplicates found the way the API finds them (the address lower-cased);
// a failure reason's category; a duration as people say it; CSV.

export const MAX_RECIPIENTS = 10000;
const ATEXT = "!#$%&'*+-/=?^_`{|}~";

/**
 * The entries of a recipients text with the line each starts on: lines, and commas or semicolons
 * outside double quotes and angle brackets, so `"Hopper, Grace" <grace@example.org>` is one.
 */
export function entriesOf(text) {
  const entries = [];
  let cell = "";
  let line = 1;
  let startLine = 1;
  let quoted = false;
  let angle = false;
  const push = () => {
    const raw = cell.trim();
    if (raw) entries.push({ raw, line: startLine });
    cell = "";
    startLine = line;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      line++;
      push();
      quoted = false;
      angle = false;
    } else if (quoted) {
      if (c === "\\" && i + 1 < text.length && text[i + 1] !== "\n") { cell += c + text[i + 1]; i++; continue; }
      if (c === '"') quoted = false;
      cell += c;
    } else if (c === '"') {
      quoted = true;
      cell += c;
    } else if ((c === "," || c === ";") && !angle) {
      push();
    } else {
      if (c === "<") angle = true;
      else if (c === ">") angle = false;
      cell += c;
    }
  }
  push();
  return entries;
}

/** The address of an entry: the part in angle brackets of `Name <address>`, else the entry. */
export function addressOf(raw) {
  const m = /^(.*)<([^<>]*)>\s*$/s.exec(raw);
  return (m ? m[2] : raw).trim();
}

/**
 * One address checked as the API checks it: {address, key} (address: as it will be sent; key:
 * lower-cased, for finding duplicates) or {error} with the API's wording.
 */
export function checkAddress(raw) {
  if (!raw) return { error: "must not be empty" };
  if (raw.length > 4 * 254) return { error: "is longer than 254 characters" };
  const at = raw.lastIndexOf("@");
  if (at <= 0 || at === raw.length - 1) return { error: "must look like local-part@domain" };
  const local = raw.slice(0, at);
  const localError = checkLocal(local);
  if (localError) return { error: localError };
  const domain = asciiDomain(raw.slice(at + 1));
  if (domain === null) return { error: "has an invalid domain" };
  const lastDot = domain.lastIndexOf(".");
  if (lastDot < 0) return { error: "has a domain without a dot" };
  if (/^\d+$/.test(domain.slice(lastDot + 1))) return { error: "has an invalid domain" };
  const address = unquoted(local) + "@" + domain.toLowerCase();
  if (address.length > 254) return { error: "is longer than 254 characters" };
  return { address: local + "@" + raw.slice(at + 1), key: address.toLowerCase() };
}

function checkLocal(local) {
  if (local.length > 64) return "has a local part longer than 64 characters";
  if (local.startsWith('"')) return quotedLocalIsValid(local) ? null : "has an invalid quoted local part";
  if (local.startsWith(".") || local.endsWith(".") || local.includes("..")) return "has a local part with a misplaced dot";
  for (const c of local) {
    if (!(/[A-Za-z0-9.]/.test(c) || ATEXT.includes(c))) return "has a character not allowed in a local part";
  }
  return null;
}

function quotedLocalIsValid(local) {
  if (local.length < 3 || !local.endsWith('"')) return false;
  for (let i = 1; i < local.length - 1; i++) {
    const code = local.charCodeAt(i);
    if (code < 0x20 || code > 0x7e) return false;
    if (local[i] === "\\") {
      i++;
      if (i >= local.length - 1 || local.charCodeAt(i) < 0x20 || local.charCodeAt(i) > 0x7e) return false;
    } else if (local[i] === '"') {
      return false;
    }
  }
  return true;
}

/** A quoted local part that needs no quotes is the same mailbox unquoted (RFC 5321 4.1.2). */
function unquoted(local) {
  if (local.length < 3 || !local.startsWith('"') || !local.endsWith('"')) return local;
  const inner = local.slice(1, -1);
  const dotAtom = !inner.startsWith(".") && !inner.endsWith(".") && !inner.includes("..")
    && [...inner].every((c) => /[A-Za-z0-9.]/.test(c) || ATEXT.includes(c));
  return dotAtom ? inner : local;
}

/** The domain in ASCII (an internationalised one as punycode, as the URL parser writes it), or null. */
function asciiDomain(domain) {
  let ascii = domain;
  if (/[^\x00-\x7f]/.test(domain)) {
    try {
      ascii = new URL("http://" + domain + "/").hostname;
    } catch {
      return null;
    }
  }
  const labels = ascii.split(".");
  if (ascii.endsWith(".") || labels.some((l) => !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l))) return null;
  return ascii;
}

/**
 * What a recipients text holds: the addresses to send (first spelling of each, in order, with
 * their line), the duplicates left out, and the entries that are not addresses, with why.
 */
export function readRecipients(text) {
  const valid = [];
  const duplicates = [];
  const invalid = [];
  const seen = new Map();
  for (const entry of entriesOf(text)) {
    const checked = checkAddress(addressOf(entry.raw));
    if (checked.error) {
      invalid.push({ ...entry, error: checked.error });
    } else if (seen.has(checked.key)) {
      duplicates.push({ ...entry, address: checked.address, firstLine: seen.get(checked.key) });
    } else {
      seen.set(checked.key, entry.line);
      valid.push({ ...entry, address: checked.address, key: checked.key });
    }
  }
  return { valid, duplicates, invalid };
}

/**
 * The addresses of a CSV or text file and what happened to each row: a header naming an "email"
 * (or "e-mail", "address", "email address") column picks that column; otherwise every cell with
 * an @ is one. Rows that give no address are reported by number, never dropped silently.
 */
export function readFile(text) {
  const lines = text.split(/\r?\n/);
  const rows = [];
  const skipped = [];
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const parsed = csvCells(line);
    if (parsed.unclosedQuote) skipped.push({ row: i + 1, why: "has a quote that is not closed" });
    else rows.push({ row: i + 1, cells: parsed.cells });
  });
  if (rows.length === 0) return { addresses: [], rows: 0, skipped, column: null };
  const header = rows[0].cells.map((c) => c.toLowerCase());
  const column = header.findIndex((c) => ["email", "e-mail", "address", "email address"].includes(c));
  const addresses = [];
  if (column >= 0) {
    for (const { row, cells } of rows.slice(1)) {
      const cell = cells[column] || "";
      if (cell) addresses.push(cell);
      else skipped.push({ row, why: "has no " + rows[0].cells[column] + " cell" });
    }
    return { addresses, rows: rows.length - 1, skipped: skipped.sort((a, b) => a.row - b.row), column: rows[0].cells[column] };
  }
  for (const { row, cells } of rows) {
    const found = cells.filter((c) => c.includes("@"));
    if (found.length > 0) addresses.push(...found);
    else skipped.push({ row, why: "has no address" });
  }
  return { addresses, rows: rows.length, skipped: skipped.sort((a, b) => a.row - b.row), column: null };
}

/** One CSV line's cells, split on commas, semicolons or tabs outside double quotes ("" is a quote). */
export function csvCells(line) {
  const cells = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell.trim() === "") quoted = true;
    else if (c === "," || c === ";" || c === "\t") { cells.push(cell.trim()); cell = ""; }
    else cell += c;
  }
  cells.push(cell.trim());
  return { cells, unclosedQuote: quoted };
}

/**
 * A failure reason as a short category and its detail, from the text the worker recorded
 * (HttpProviderSender, SesSender, ChunkProcessor).
 */
export function reasonOf(error) {
  if (!error) return { category: "", detail: "" };
  const text = String(error);
  const http = /^provider answered (\d{3})/.exec(text);
  if (http) {
    const status = Number(http[1]);
    if (status === 429) return { category: "Rate limited by the provider (HTTP 429)", detail: text };
    if (status >= 500) return { category: "Provider error (HTTP " + status + ")", detail: text };
    if (status === 408 || status === 409) return { category: "Provider busy (HTTP " + status + ")", detail: text };
    return { category: "Rejected by the provider (HTTP " + status + ")", detail: text };
  }
  const rules = [
    [/^provider timed out/, "Provider timed out"],
    [/^provider unreachable/, "Provider unreachable"],
    [/^provider token unavailable/, "Provider credentials unavailable"],
    [/^SES unreachable/, "SES unreachable"],
    [/^SES: (MessageRejected|BadRequest|NotFound|AccountSuspended|SendingPaused|MailFromDomainNotVerified)/, "Rejected by SES"],
    [/^SES: (TooManyRequests|Throttling|LimitExceeded)/, "Rate limited by SES"],
    [/^SES: /, "SES error"],
    [/^not sent by delivery/, "Out of attempts"],
    [/^interrupted/, "Interrupted"],
  ];
  for (const [pattern, category] of rules) {
    if (pattern.test(text)) return { category, detail: text };
  }
  return { category: "Other", detail: text };
}

/** A duration as people say it: "0.8 s", "42 s", "1 min 51 s", "2 h 5 min". */
export function duration(ms) {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return (Math.round(s * 10) / 10) + " s";
  if (s < 60) return Math.round(s) + " s";
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return minutes + " min " + Math.round(s - 60 * minutes) + " s";
  return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
}

/** Rows as CSV text (RFC 4180: a cell with a comma, quote or line break is quoted). */
export function toCsv(rows) {
  const cell = (v) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  return rows.map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n";
}
