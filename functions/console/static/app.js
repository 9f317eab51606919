// The console's shell: who is signed in, the navigation, and a router over /console/<page>/<item>.

import { CONSOLE, can, currentSession, loadSession, signIn, signOut, whenSignedOut } from "./api.js";
import { button, field, h, input, messageRegion, pageHeading, showError } from "./ui.js";
import { fill } from "./ui.js";

const PAGES = {
  orders: () => import("./orders.js"),
  products: () => import("./products.js"),
  customers: () => import("./customers.js"),
  reports: () => import("./reports.js"),
  analytics: () => import("./analytics.js"),
  operations: () => import("./operations.js"),
  keys: () => import("./keys.js"),
};
const NAV = [
  ["orders", "Orders"],
  ["products", "Products"],
  ["customers", "Customers"],
  ["reports", "Reports"],
  ["analytics", "Analytics"],
  ["operations", "Operations"],
];

const main = document.getElementById("main");
const top = document.getElementById("top");
let rendering = 0;

function route() {
  const rest = location.pathname.slice(CONSOLE.length).replace(/^\/+|\/+$/g, "");
  const [page, ...item] = rest.split("/");
  return { page: page || "orders", item: item.length ? decodeURIComponent(item.join("/")) : null };
}

export function navigate(path, replace) {
  const url = CONSOLE + path;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  render();
}

function drawTop() {
  const session = currentSession();
  const nav = document.getElementById("nav");
  const who = document.getElementById("who");
  if (!session) {
    top.hidden = true;
    return;
  }
  const { page } = route();
  const links = can("admin") ? [...NAV, ["keys", "Keys"]] : NAV;
  fill(nav, 
    h("ul", {}, links.map(([name, label]) =>
      h("li", {}, h("a", { href: `${CONSOLE}/${name}`, "aria-current": name === page ? "page" : undefined }, label)))),
  );
  fill(who, 
    h("span", { class: "person" }, session.name || session.key_id, " ", h("span", { class: "role" }, session.role)),
    h("a", { href: `${CONSOLE}/swagger`, class: "api-link" }, "API"),
    button("Sign out", async () => {
      try {
        await signOut();
      } finally {
        showSignIn("You are signed out.");
      }
    }),
  );
  top.hidden = false;
}

function showSignIn(notice) {
  drawTop();
  document.title = "Sign in · OMS console";
  const key = input({ type: "password", autocomplete: "current-password", required: true, spellcheck: "false" });
  const error = messageRegion();
  const form = h("form", { class: "signin", novalidate: true },
    field("API key", key, "Your own key: staff, viewer or admin.").row,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Sign in")),
    error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!key.value.trim()) {
      showError(error, new Error("Enter your API key."));
      return;
    }
    try {
      await signIn(key.value.trim());
      key.value = "";
      if (route().page === "signin") history.replaceState(null, "", `${CONSOLE}/orders`);
      render();
    } catch (problem) {
      showError(error, problem);
    }
  });
  fill(main, 
    h("section", { class: "signin-box" }, pageHeading("Sign in"),
      notice ? h("p", { class: "message done", role: "status" }, notice) : null, form));
  key.focus();
}

async function render() {
  const ticket = ++rendering;
  const session = currentSession();
  if (!session) {
    showSignIn();
    return;
  }
  const { page, item } = route();
  const load = PAGES[page];
  drawTop();
  if (!load || (page === "keys" && !can("admin"))) {
    fill(main, pageHeading("Not found"), h("p", {}, "There is no such page in the console."));
    focusHeading();
    return;
  }
  const module = await load();
  if (ticket !== rendering) return;
  const view = h("div", { class: `page page-${page}` });
  fill(main, view);
  try {
    await module.render(view, { item, navigate, isCurrent: () => ticket === rendering });
  } catch (error) {
    if (ticket !== rendering) return;
    const region = messageRegion();
    view.append(region);
    showError(region, error);
    return;
  }
  if (ticket === rendering) focusHeading();
}

function focusHeading() {
  const heading = main.querySelector("h1");
  if (heading) {
    document.title = `${heading.textContent} · OMS console`;
    heading.focus();
  }
}

// Links inside the console change the page without reloading it.
document.addEventListener("click", (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = event.target.closest("a[href]");
  if (!anchor || anchor.target || anchor.hasAttribute("download")) return;
  const url = new URL(anchor.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(CONSOLE) || url.pathname.startsWith(`${CONSOLE}/swagger`)) return;
  if (url.pathname.startsWith(`${CONSOLE}/assets`)) return;
  event.preventDefault();
  history.pushState(null, "", url.pathname + url.search);
  render();
});
window.addEventListener("popstate", render);
whenSignedOut((notice) => showSignIn(notice));

async function start() {
  try {
    await loadSession();
  } catch (error) {
    const region = messageRegion();
    fill(main, pageHeading("The console cannot reach the API"), region);
    showError(region, error);
    return;
  }
  render();
}

start();
