// The API client: same origin, the session cookie, the CSRF token on every change.
// The API's root is everything before /console in the page's path ("/prod" in AWS, "" locally).

const at = location.pathname.indexOf("/console");
export const ROOT = at >= 0 ? location.pathname.slice(0, at) : "";
export const CONSOLE = ROOT + "/console";

let session = null;

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `The request failed (${status}).`);
    this.status = status;
    this.problem = problem || {};
  }
}

export function currentSession() {
  return session;
}

const RANK = { viewer: 1, staff: 2, admin: 3 };

// Whether the person signed in has at least this role (the API enforces it anyway).
export function can(role) {
  return !!session && (RANK[session.role] || 0) >= RANK[role];
}

let onSignedOut = () => {};
export function whenSignedOut(callback) {
  onSignedOut = callback;
}

export async function api(method, path, body, extraHeaders) {
  const headers = { Accept: "application/json", ...(extraHeaders || {}) };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && session) headers["X-CSRF-Token"] = session.csrf_token;
  const response = await fetch(ROOT + path, {
    method,
    headers,
    credentials: "same-origin",
    cache: "no-store",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && session && path !== "/session") {
      session = null;
      onSignedOut("Your session has ended. Sign in again.");
    }
    throw error;
  }
  return data;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "" && value !== false) search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export const enc = encodeURIComponent;

export async function loadSession() {
  try {
    session = await api("GET", "/session");
  } catch (error) {
    session = null;
    if (!(error instanceof ApiError) || error.status !== 401) throw error;
  }
  return session;
}

export async function signIn(apiKey) {
  session = await api("POST", "/session", { api_key: apiKey });
  return session;
}

export async function signOut() {
  try {
    await api("DELETE", "/session");
  } finally {
    session = null;
  }
}

export function newIdempotencyKey() {
  return crypto.randomUUID();
}

// A problem in plain words: its detail, then each invalid field's message.
export function problemLines(error) {
  if (!(error instanceof ApiError)) return [`Something went wrong: ${error && error.message ? error.message : error}`];
  const problem = error.problem;
  const lines = [];
  if (error.status === 403 && !problem.detail) lines.push("You are not allowed to do this.");
  else lines.push(problem.detail || problem.title || `The request failed (${error.status}).`);
  for (const item of problem.errors || []) {
    const field = String(item.field || "").split(".").filter((part) => part !== "body" && part !== "query").join(" ");
    lines.push(field ? `${field.replace(/_/g, " ")}: ${item.message}` : item.message);
  }
  for (const item of problem.shortages || []) {
    lines.push(`${item.sku}: ${item.available ?? 0} available, ${item.requested ?? "?"} asked for`);
  }
  if (problem.request_id) lines.push(`Request id: ${problem.request_id}`);
  return lines;
}
