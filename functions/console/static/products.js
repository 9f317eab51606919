// Products: price and stock per location, a low-stock filter, create and edit, adjust stock.

import { ApiError, api, can, enc, newIdempotencyKey, query } from "./api.js";
import {
  button, currentToken, field, h, input, messageRegion, newPager, pageHeading, pager, select, showDone,
  showError, spinner, table,
} from "./ui.js";
import { fill } from "./ui.js";

const PAGE_SIZE = 25;
const state = { low: false, prefix: "", pager: newPager() };

export async function render(view) {
  const low = h("input", { type: "checkbox", id: "f-low", checked: state.low });
  const prefix = input({ type: "search", value: state.prefix, size: 18 });
  const filter = h("form", { class: "toolbar", "aria-label": "Filter products" },
    field("Name starts with", prefix).row,
    h("div", { class: "field check" }, low, h("label", { for: "f-low" }, "Low stock")),
    h("div", { class: "field" }, h("button", { type: "submit" }, "Apply filters")));
  const message = messageRegion();
  const panel = h("div", { class: "panel", hidden: true });
  const results = h("div", { class: "results" });
  const newButton = can("staff") ? button("New product", () => openProduct(null), { class: "primary" }) : null;
  view.append(pageHeading("Products", newButton), filter, panel, message, results);

  low.addEventListener("change", () => filter.requestSubmit());
  filter.addEventListener("submit", (event) => {
    event.preventDefault();
    state.low = low.checked;
    state.prefix = prefix.value.trim();
    state.pager = newPager();
    load(true);
  });

  function openPanel(content) {
    fill(panel, content);
    panel.hidden = false;
    message.hidden = true;
    const first = panel.querySelector("input:not([type=radio]), select, input");
    if (first) first.focus();
  }

  function closePanel() {
    panel.hidden = true;
    fill(panel);
  }

  function openProduct(product) {
    const sku = input({ value: product ? product.sku : "", required: true, maxlength: 100, readonly: !!product, spellcheck: "false" });
    const name = input({ value: product ? product.name : "", required: true, maxlength: 200 });
    const price = input({ value: product ? product.price : "", required: true, inputmode: "decimal", size: 10 });
    const threshold = h("input", { type: "number", min: "0", value: product && product.low_stock_threshold != null ? String(product.low_stock_threshold) : "" });
    const status = select([["active", "active"], ["draft", "draft"], ["archived", "archived"]], product ? product.status || "active" : "active");
    const form = h("form", { class: "action-form", "aria-label": product ? "Edit product" : "New product" },
      h("h2", {}, product ? `Edit ${product.sku}` : "New product"),
      h("div", { class: "grid" }, field("SKU", sku).row, field("Name", name).row, field("Price", price, "In the catalog's currency, e.g. 19.99").row,
        field("Low-stock threshold", threshold, "Empty: no alert").row, field("Status", status).row),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save product"), button("Close", closePanel)));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { name: name.value.trim(), price: price.value.trim(), status: status.value };
      body.low_stock_threshold = threshold.value === "" ? null : Number(threshold.value);
      try {
        if (!sku.value.trim()) throw new Error("Give the product a SKU.");
        const saved = await api("PUT", `/products/${enc(sku.value.trim())}`, body);
        closePanel();
        await load(false);
        showDone(message, `Saved ${saved.sku}.`);
      } catch (error) {
        showError(message, error);
      }
    });
    openPanel(form);
  }

  function openAdjust(row) {
    const key = newIdempotencyKey();
    const kindCount = h("input", { type: "radio", name: "adjust-kind", value: "count", id: "adjust-count" });
    const kindDelta = h("input", { type: "radio", name: "adjust-kind", value: "delta", id: "adjust-delta", checked: true });
    const location = input({ value: "default", maxlength: 64 });
    const amount = h("input", { type: "number", required: true, step: "1" });
    const reason = input({ maxlength: 500 });
    const amountField = field("Change by", amount, "Units: negative to remove");
    const form = h("form", { class: "action-form", "aria-label": "Adjust stock" },
      h("h2", {}, `Adjust stock of ${row.sku}`),
      h("fieldset", { class: "radios" }, h("legend", {}, "Kind"),
        h("span", { class: "check" }, kindDelta, h("label", { for: "adjust-delta" }, "A change (delta)")),
        h("span", { class: "check" }, kindCount, h("label", { for: "adjust-count" }, "A count (units on hand)"))),
      h("div", { class: "grid" }, field("Location", location).row, amountField.row, field("Reason", reason, "Required for a change: damaged, found, …").row),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save adjustment"), button("Close", closePanel)));
    const relabel = () => {
      amountField.row.querySelector("label").textContent = kindCount.checked ? "Units on hand" : "Change by";
      amountField.row.querySelector(".hint").textContent = kindCount.checked ? "What the count found" : "Units: negative to remove";
      amount.min = kindCount.checked ? "0" : "";
    };
    kindCount.addEventListener("change", relabel);
    kindDelta.addEventListener("change", relabel);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        if (amount.value === "") throw new Error("Give a number of units.");
        const where = location.value.trim() || "default";
        const headers = { "Idempotency-Key": key };
        if (kindCount.checked) {
          await api("PUT", `/inventory/${enc(row.sku)}`, { on_hand: Number(amount.value), location: where }, headers);
        } else {
          if (!reason.value.trim()) throw new Error("Give a reason for the change.");
          await api("POST", `/inventory/${enc(row.sku)}/adjustments`, { delta: Number(amount.value), reason: reason.value.trim(), location: where }, headers);
        }
        closePanel();
        await load(false);
        showDone(message, `Stock of ${row.sku} updated.`);
      } catch (error) {
        showError(message, error);
      }
    });
    openPanel(form);
    amount.focus();
  }

  let loading = 0; // a newer load wins: an older one's answer is dropped
  async function load(focus) {
    const ticket = ++loading;
    fill(results, spinner());
    try {
      const token = currentToken(state.pager);
      let rows;
      if (state.low) {
        const page = await api("GET", `/inventory${query({ low_stock: "true", limit: PAGE_SIZE, next_token: token })}`);
        state.pager.next = page.next_token || null;
        const products = await Promise.all(page.items.map((stock) => optional(api("GET", `/products/${enc(stock.sku)}`))));
        rows = page.items.map((stock, i) => ({ sku: stock.sku, product: products[i], stock }));
      } else {
        const page = await api("GET", `/products${query({ name_prefix: state.prefix, limit: PAGE_SIZE, next_token: token })}`);
        state.pager.next = page.next_token || null;
        const stocks = await Promise.all(page.items.map((product) => optional(api("GET", `/inventory/${enc(product.sku)}`))));
        rows = page.items.map((product, i) => ({ sku: product.sku, product, stock: stocks[i] }));
      }
      if (ticket !== loading) return;
      const staff = can("staff");
      fill(results, 
        h("h2", { class: "sub", tabindex: "-1" }, state.low ? "Low stock" : "Every product"),
        h("p", { class: "hint" }, "Per location: on hand / reserved / available."),
        table("Products and stock", [
          { label: "SKU", cell: (r) => r.sku, class: "mono" },
          { label: "Name", cell: (r) => (r.product ? r.product.name : "—") },
          { label: "Price", cell: (r) => (r.product ? r.product.price : "—"), class: "num" },
          { label: "Status", cell: (r) => (r.product ? r.product.status || "" : ""), wide: true },
          { label: "On hand", cell: (r) => num(r.stock, "on_hand"), class: "num" },
          { label: "Reserved", cell: (r) => num(r.stock, "reserved"), class: "num" },
          { label: "Available", cell: (r) => availability(r.stock), class: "num" },
          { label: "Per location", cell: (r) => perLocation(r.stock), title: "on hand / reserved / available" },
          ...(staff ? [{ label: "Actions", cell: (r) => h("div", { class: "row-actions" },
            r.product ? button("Edit", () => openProduct(r.product)) : null, button("Adjust stock", () => openAdjust(r))) }] : []),
        ], rows, { empty: state.low ? "Nothing is low on stock." : "No products." }),
        pager(state.pager, () => load(true)));
      if (focus) results.querySelector("h2").focus();
    } catch (error) {
      if (ticket !== loading) return;
      fill(results);
      showError(message, error);
    }
  }

  return load(false);
}

async function optional(promise) {
  try {
    return await promise;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

function num(stock, name) {
  return stock ? String(stock[name]) : "—";
}

function availability(stock) {
  if (!stock) return "—";
  return stock.low_stock ? h("span", { class: "flag" }, `${stock.available} (low)`) : String(stock.available);
}

function perLocation(stock) {
  if (!stock || !(stock.locations || []).length) return "—";
  return h("ul", { class: "plain" }, stock.locations.map((l) =>
    h("li", { title: `${l.location}: ${l.on_hand} on hand, ${l.reserved} reserved, ${l.available} available` },
      h("span", { class: "mono" }, l.location), ` ${l.on_hand} / ${l.reserved} / ${l.available}`)));
}
