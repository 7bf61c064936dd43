// The form's Recipients field: what the list holds, checked as the API checks it (read once per
// pause in typing), its invalid entries listed and removable, and addresses added from a file.
// This module owns the list's latest reading and the timer of the next one.
import { $, fmt, plural } from "./common.js";
import { setFieldError } from "./field-errors.js";
import { MAX_RECIPIENTS, readFile, readRecipients } from "./recipients.js";

let recipients = readRecipients("");
let recountTimer = 0;

/** The list as last read: {valid, duplicates, invalid}. */
export function listed() {
  return recipients;
}

export function recount() {
  recipients = readRecipients($("emails").value);
  const { valid, duplicates, invalid } = recipients;
  const parts = [valid.length === 0 && duplicates.length === 0 && invalid.length === 0
    ? "No recipients yet" : plural(valid.length, "recipient", "recipients")];
  if (duplicates.length) parts.push(plural(duplicates.length, "duplicate", "duplicates") + " left out");
  if (invalid.length) parts.push(plural(invalid.length, "entry is", "entries are") + " not an address");
  $("emails-count").textContent = parts.join(" · ");
  const list = $("emails-problem-list");
  list.replaceChildren();
  for (const bad of invalid.slice(0, 10)) {
    const li = document.createElement("li");
    li.textContent = "Line " + fmt(bad.line) + ": " + bad.raw + " — " + bad.error;
    list.appendChild(li);
  }
  if (invalid.length > 10) {
    const li = document.createElement("li");
    li.textContent = "and " + plural(invalid.length - 10, "more", "more");
    list.appendChild(li);
  }
  $("emails-problems").hidden = invalid.length === 0;
  if (invalid.length === 0 && $("emails").getAttribute("aria-invalid") === "true" && valid.length > 0 && valid.length <= MAX_RECIPIENTS) {
    setFieldError("emails", "");
  }
}

export function scheduleRecount() {
  clearTimeout(recountTimer);
  recountTimer = setTimeout(recount, 120); // a paste of 10,000 lines is read once, not per keystroke
}

/** Reads the list now, not at the end of the pause (before it is checked and sent). */
export function recountNow() {
  clearTimeout(recountTimer);
  recount();
}

export function removeInvalid() {
  recount();
  const keep = [...recipients.valid, ...recipients.duplicates].sort((a, b) => a.line - b.line).map((e) => e.raw);
  const removed = recipients.invalid.length;
  $("emails").value = keep.join("\n");
  recount();
  $("import-summary").textContent = "Removed " + plural(removed, "entry", "entries") + " that were not addresses.";
  $("emails").focus();
}

export async function addFile() {
  const file = $("emails-file").files[0];
  if (!file) return;
  const read = readFile(await file.text());
  recount();
  const known = new Set(recipients.valid.map((v) => v.key));
  const fresh = [];
  let already = 0;
  for (const raw of read.addresses) {
    const one = readRecipients(raw);
    const key = one.valid.length ? one.valid[0].key : null;
    if (key && known.has(key)) { already++; continue; }
    if (key) known.add(key);
    fresh.push(asEntry(raw));
  }
  const current = $("emails").value.replace(/\s+$/, "");
  if (fresh.length) $("emails").value = (current ? current + "\n" : "") + fresh.join("\n");
  recount();
  const parts = [file.name + ": " + plural(read.rows, "row", "rows")
    + (read.column ? " (column \u201c" + read.column + "\u201d)" : ""), plural(fresh.length, "address", "addresses") + " added"];
  if (already) parts.push(plural(already, "was", "were") + " already in the list");
  if (read.skipped.length) {
    parts.push(plural(read.skipped.length, "row", "rows") + " skipped: " + read.skipped.slice(0, 5)
      .map((s) => "row " + s.row + " " + s.why).join("; ") + (read.skipped.length > 5 ? "; …" : ""));
  }
  $("import-summary").textContent = parts.join(" · ") + ".";
  $("emails-file").value = ""; // the same file may be chosen again: it adds nothing new
}

/** A file's cell as one entry of the list: a display name with a comma is quoted again. */
function asEntry(cell) {
  const m = /^(.*)<([^<>]*)>\s*$/s.exec(cell);
  if (!m) return cell;
  const name = m[1].trim().replace(/^"|"$/g, "").replace(/["\\]/g, "");
  return name ? '"' + name + '" <' + m[2].trim() + ">" : m[2].trim();
}
