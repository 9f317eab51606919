// DOM helpers. Every value is set as text (textContent, attributes): never as markup.

import { CONSOLE, problemLines } from "./api.js";

// h("a", {href: "...", class: "x", on: {click: f}}, "text", child, ...)
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "on") {
      for (const [event, handler] of Object.entries(value)) node.addEventListener(event, handler);
    } else if (name === "text") {
      node.textContent = String(value);
    } else if (name in node && typeof value !== "string") {
      node[name] = value;
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let uid = 0;
export function nextId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

// A labelled control: <label for> + control. Returns {row, control}.
export function field(label, control, hint) {
  const id = control.id || nextId("f");
  control.id = id;
  const hintNode = hint ? h("span", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  const row = h("div", { class: "field" }, h("label", { for: id }, label), control, hintNode);
  return { row, control };
}

export function input(attrs) {
  return h("input", { type: "text", ...attrs });
}

export function select(options, value, attrs) {
  const node = h("select", attrs || {});
  for (const option of options) {
    const [optionValue, label] = Array.isArray(option) ? option : [option, option];
    node.append(h("option", { value: optionValue, selected: optionValue === value }, label));
  }
  return node;
}

export function button(label, onClick, attrs) {
  return h("button", { type: "button", ...(attrs || {}), on: onClick ? { click: onClick } : undefined }, label);
}

export function link(path, label, attrs) {
  return h("a", { href: CONSOLE + path, ...(attrs || {}) }, label);
}

// Only http and https URLs become links; anything else stays text.
export function externalLink(url, label) {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === "http:" || parsed.protocol === "https:") {
      return h("a", { href: parsed.href, rel: "noopener noreferrer", target: "_blank" }, label);
    }
  } catch {
    // not a URL
  }
  return document.createTextNode(label);
}

// An alert next to an action: role=alert so it is announced; focus moves to it.
export function showError(region, error) {
  region.replaceChildren(...problemLines(error).map((line) => h("p", {}, line)));
  region.hidden = false;
  region.className = "message error";
  region.setAttribute("role", "alert");
  region.tabIndex = -1;
  region.focus();
}

export function showDone(region, text) {
  region.replaceChildren(h("p", {}, text));
  region.hidden = false;
  region.className = "message done";
  region.setAttribute("role", "status");
  region.tabIndex = -1;
  region.focus();
}

export function messageRegion() {
  return h("div", { class: "message", hidden: true });
}

export function table(caption, columns, rows, options) {
  // column.class styles the cells ("num": right-aligned; "mono"; "id": a long id); column.wide: only on
  // wide screens (a column a narrow screen can do without).
  const extra = (column) => (column.wide ? " wide-only" : "");
  const head = h("tr", {}, columns.map((column) =>
    h("th", { scope: "col", class: `${column.class === "num" ? "num" : ""}${extra(column)}`.trim() || undefined, title: column.title }, column.label)));
  const body = h("tbody");
  for (const row of rows) {
    body.append(h("tr", {}, columns.map((column) => h("td", { class: `${column.class || ""}${extra(column)}`.trim() || undefined }, column.cell(row)))));
  }
  if (!rows.length) {
    body.append(h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, (options && options.empty) || "Nothing to show.")));
  }
  const tableNode = h("table", {}, caption ? h("caption", { class: caption.visible ? "" : "visually-hidden" }, caption.text || caption) : null, h("thead", {}, head), body);
  return h("div", { class: "table-wrap" }, tableNode);
}

export function dl(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([term, value]) => [h("dt", {}, term), h("dd", {}, value ?? "—")]));
}

export function time(text) {
  if (!text) return "—";
  const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?/.exec(text);
  const node = h("time", { datetime: text, title: text }, match ? `${match[1]} ${match[2]}` : text);
  return node;
}

export function money(amount, currency) {
  if (amount === undefined || amount === null) return "—";
  return `${amount} ${currency || ""}`.trim();
}

export function statusBadge(status) {
  return h("span", { class: `badge s-${String(status).toLowerCase()}` }, String(status).replace(/_/g, " ").toLowerCase());
}

// A heading for a page; app.js moves focus to it after each navigation.
export function pageHeading(text, ...extra) {
  return h("div", { class: "page-head" }, h("h1", { tabindex: "-1", id: "page-title" }, text), ...extra);
}

// A pager over an API list: token stack for "Previous page", next_token for "Next page".
export function pager(state, onMove) {
  const previous = button("Previous page", () => {
    state.tokens.pop();
    onMove();
  }, { disabled: state.tokens.length === 0 });
  const next = button("Next page", () => {
    state.tokens.push(state.next);
    onMove();
  }, { disabled: !state.next });
  return h("div", { class: "pager" }, previous, h("span", { class: "muted" }, `Page ${state.tokens.length + 1}`), next);
}

export function newPager() {
  return { tokens: [], next: null };
}

export function currentToken(state) {
  return state.tokens.length ? state.tokens[state.tokens.length - 1] : undefined;
}

export function spinner(text) {
  return h("p", { class: "muted", role: "status" }, text || "Loading…");
}

// Replace a node's children (nulls and falses left out).
export function fill(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}
