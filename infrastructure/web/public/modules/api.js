// The API client, and the owner of where the API is (local storage, else config.js) and of the
// signed-in token (session storage: gone with the tab). Every call carries the token; a 401
// forgets it and tells the page through the one callback set with onUnauthorized.

const API_KEY = "mailbatch.apiBaseUrl";
const TOKEN_KEY = "mailbatch.token"; // session storage: gone with the tab
let unauthorized = () => {};

export function apiBase() {
  const saved = localStorage.getItem(API_KEY);
  const base = saved !== null ? saved : (window.MAILBATCH_CONFIG && window.MAILBATCH_CONFIG.apiBaseUrl) || "";
  return base.replace(/\/+$/, "");
}

/** Keeps the API's base URL (already checked by the settings) for this browser. */
export function saveApiBase(value) {
  localStorage.setItem(API_KEY, value);
}

/** The signed-in token as {value, subject}, or null (none, or expired: then it is forgotten). */
export function token() {
  const value = sessionStorage.getItem(TOKEN_KEY);
  const claims = value && claimsOf(value);
  if (!claims || (claims.exp && claims.exp * 1000 <= Date.now())) {
    sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }
  return { value, subject: String(claims.sub) };
}

export function claimsOf(jwt) {
  try {
    const payload = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload));
  } catch {
    return null;
  }
}

export function keepToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** What to do when the API answers 401 (the token is already forgotten then). */
export function onUnauthorized(callback) {
  unauthorized = callback;
}

export async function api(path, options) {
  const who = token();
  const headers = { ...((options && options.headers) || {}) };
  if (who) headers.authorization = "Bearer " + who.value;
  const response = await fetch(apiBase() + path, { ...options, headers });
  // A 401 speaks of the token its request carried: one signed in while it was on its way stays.
  const now = token();
  if (response.status === 401 && (!now || (who && now.value === who.value))) {
    forgetToken();
    unauthorized();
  }
  let body = null;
  const text = await response.text();
  if (text) {
    try { body = JSON.parse(text); } catch { body = { message: text }; }
  }
  return { status: response.status, headers: response.headers, body };
}

export function errorMessage(r) {
  return (r.body && r.body.error && r.body.error.message) || "The API answered " + r.status + ".";
}
