// Signing in: a bearer token for the API (the local run mints one; a deployed stack's comes from
// its identity provider), shown in the account menu. The token itself is api.js's.
import { $ } from "./common.js";
import { apiBase, claimsOf, forgetToken, keepToken, token } from "./api.js";
import { forgetBatch } from "./form.js";
import { openJob, jobInUrl } from "./job.js";
import { refreshRecent, renderRecent } from "./recent.js";

function signedIn(value) {
  if (!claimsOf(value) || !claimsOf(value).sub) {
    $("signin-error").textContent = "That is not a token this page can use (a JWT with a subject).";
    return;
  }
  keepToken(value);
  forgetBatch(); // another user's batch is another batch: a new Idempotency-Key
  showAccount();
  renderRecent();
  refreshRecent();
  $("account").open = false;
  if (jobInUrl()) openJob(jobInUrl()); // a link opened before signing in: its job, now readable
}

export function showAccount() {
  const who = token();
  $("account-summary").textContent = who ? "Signed in as " + who.subject : "Sign in";
  $("signout").hidden = !who;
  $("signin-local").hidden = !!who || apiBase() !== "";
  $("signin-token").hidden = !!who;
  $("signin-error").textContent = "";
}

/** The API refused the token (api.js has forgotten it): the account menu asks to sign in. */
export function askToSignIn() {
  showAccount();
  $("account").open = true;
  $("signin-error").textContent = "Sign in to use the API (the token is missing, expired or not accepted).";
}

export async function signInLocally(event) {
  event.preventDefault();
  const name = $("signin-name").value.trim();
  if (!name) {
    $("signin-error").textContent = "Enter a name.";
    $("signin-name").focus();
    return;
  }
  const r = await fetch("/_local/token", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ sub: name }) }).catch(() => null);
  const body = r && await r.json().catch(() => null);
  if (!r || r.status !== 200 || !body) {
    $("signin-error").textContent = (body && body.error) || "The local run gave no token.";
    return;
  }
  signedIn(body.access_token);
}

export function signInWithToken(event) {
  event.preventDefault();
  signedIn($("signin-token-value").value.trim().replace(/^Bearer\s+/i, ""));
}

export function signOut() {
  forgetToken();
  showAccount();
  renderRecent();
}
