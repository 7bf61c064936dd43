// Settings: where the API is, checked before it is kept, applied without a reload.
import { $ } from "./common.js";
import { apiBase, saveApiBase } from "./api.js";
import { startOutbox } from "./outbox.js";
import { renderRecent } from "./recent.js";
import { showAccount } from "./signin.js";

export function showSettings() {
  $("api-base").value = apiBase();
}

export function saveSettings(event) {
  event.preventDefault();
  const input = $("api-base");
  const value = input.value.trim();
  $("settings-saved").textContent = "";
  if (value !== "") {
    let url = null;
    try { url = new URL(value); } catch { /* not a URL */ }
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.search || url.hash) {
      $("api-base-error").textContent = "Enter the API's address, like https://abc123.execute-api.eu-west-1.amazonaws.com, or leave it empty.";
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
  }
  $("api-base-error").textContent = "";
  input.removeAttribute("aria-invalid");
  saveApiBase(value);
  input.value = apiBase();
  $("settings-saved").textContent = "Saved: the page calls " + (apiBase() || "the server of this page") + ".";
  showAccount();
  renderRecent();
  startOutbox();
}
