// Errors next to their fields: marked aria-invalid, counted in the form's summary, focus on the
// first; the API's refusals land the same way.
import { $, fmt } from "./common.js";

const FIELDS = ["emails", "from", "subject", "text", "html"];

export function setFieldError(field, message) {
  const target = $(field + "-error");
  target.textContent = message;
  if (message) {
    $(field).setAttribute("aria-invalid", "true");
    if (field === "html") $("html-details").open = true;
  } else {
    $(field).removeAttribute("aria-invalid");
  }
}

export function clearErrors() {
  for (const field of FIELDS) setFieldError(field, "");
  $("form-error").textContent = "";
}

/** Shows errors by field, says how many in the summary, and moves focus to the first. */
export function showFieldErrors(errors, message) {
  for (const [field, text] of Object.entries(errors)) setFieldError(field, text);
  const first = FIELDS.find((f) => errors[f]);
  const count = Object.keys(errors).length;
  $("form-error").textContent = message
    || (count === 1 ? "Fix the field marked below, then send." : "Fix the " + count + " fields marked below, then send.");
  if (first) $(first).focus();
}

/** The API's error, each detail next to its field; "emails[3]" becomes the line and the address. */
export function showApiError(error, sent) {
  const errors = {};
  const unplaced = [];
  for (const d of (error && error.details) || []) {
    const field = String(d.field || "").replace(/\[.*$/, "");
    const index = /^emails\[(\d+)\]$/.exec(d.field || "");
    let text = d.message;
    if (index && sent[Number(index[1])]) {
      const entry = sent[Number(index[1])];
      text = "Line " + fmt(entry.line) + " (" + entry.address + ") " + d.message;
    }
    if (FIELDS.includes(field)) errors[field] = (errors[field] ? errors[field] + " " : "") + text;
    else unplaced.push((d.field ? d.field + ": " : "") + d.message);
  }
  showFieldErrors(errors, [error && error.message, ...unplaced].filter(Boolean).join(" "));
}
