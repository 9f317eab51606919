// Customers: find by email, the customer's orders, correct details, erase (admin, typed confirmation).

import { api, can, enc, query } from "./api.js";
import {
  append, button, currentToken, dl, field, h, input, link, messageRegion, money, newPager, pageHeading, pager,
  showError, spinner, statusBadge, table, time,
} from "./ui.js";
import { fill } from "./ui.js";

export async function render(view, context) {
  if (context.item) return renderCustomer(view, context.item, context);
  const email = input({ type: "email", size: 32, autocomplete: "off", spellcheck: "false" });
  const form = h("form", { class: "toolbar", role: "search", "aria-label": "Find a customer" },
    field("Email", email).row, h("div", { class: "field" }, h("button", { type: "submit", class: "primary" }, "Find customer")));
  const message = messageRegion();
  const results = h("div", { class: "results" });
  view.append(pageHeading("Customers"), h("p", { class: "muted" }, "Customers are found by their email address."), form, message, results);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    message.hidden = true;
    fill(results, spinner("Searching…"));
    try {
      const page = await api("GET", `/customers${query({ email: email.value.trim() })}`);
      fill(results, h("h2", { class: "sub", tabindex: "-1" }, "Found"), customerTable(page.items));
      results.querySelector("h2").focus();
    } catch (error) {
      fill(results);
      showError(message, error);
    }
  });
}

function customerTable(items) {
  return table("Customers", [
    { label: "Name", cell: (c) => link(`/customers/${enc(c.customer_id)}`, c.name || c.customer_id) },
    { label: "Email", cell: (c) => c.email || "—" },
    { label: "Orders", cell: (c) => String(c.order_count ?? 0), class: "num" },
    { label: "Last order", cell: (c) => time(c.last_order_at) },
    { label: "First channel", cell: (c) => c.first_channel || "—" },
  ], items, { empty: "No customer with that email." });
}

async function renderCustomer(view, customerId, context) {
  view.append(spinner());
  const customer = await api("GET", `/customers/${enc(customerId)}`);
  fill(view);
  const message = messageRegion();
  const orders = h("div");
  const ordersPager = newPager();
  append(view, [
    pageHeading(customer.erased_at ? "Erased customer" : `Customer ${customer.name || customer.customer_id}`),
    h("p", {}, link("/customers", "Find another customer")),
    message,
    h("div", { class: "columns" },
      h("section", { "aria-labelledby": "h-details" }, h("h2", { id: "h-details" }, "Details"),
        dl([
          ["Name", customer.name || "—"],
          ["Email", customer.email || "—"],
          ["Phone", customer.phone || "—"],
          ["Customer id", h("span", { class: "mono" }, customer.customer_id)],
          ["First channel", customer.first_channel || "—"],
          ["Orders", String(customer.order_count ?? 0)],
          ["Since", time(customer.created_at)],
          customer.erased_at ? ["Erased", time(customer.erased_at)] : null,
          ["Addresses", (customer.addresses || []).length ? h("ul", { class: "plain" }, customer.addresses.map((a) =>
            h("li", {}, [a.name, a.line1, a.line2, a.postal_code, a.city, a.region, a.country].filter(Boolean).join(", ")))) : "—"],
        ])),
      !customer.erased_at && can("staff") ? correctForm(customer, message, context) : null),
    h("section", { "aria-labelledby": "h-orders" }, h("h2", { id: "h-orders" }, "Orders"), orders),
    !customer.erased_at && can("admin") ? eraseSection(customer, message, context) : null,
  ]);

  async function loadOrders() {
    fill(orders, spinner());
    try {
      const page = await api("GET", `/customers/${enc(customer.customer_id)}/orders${query({ limit: 25, next_token: currentToken(ordersPager) })}`);
      ordersPager.next = page.next_token || null;
      fill(orders, table("Orders of the customer", [
        { label: "Order", cell: (o) => link(`/orders/${enc(o.order_id)}`, o.order_id), class: "mono id" },
        { label: "Received", cell: (o) => time(o.created_at) },
        { label: "Channel", cell: (o) => o.channel },
        { label: "Status", cell: (o) => statusBadge(o.status) },
        { label: "Total", cell: (o) => money(o.total, o.currency), class: "num" },
      ], page.items, { empty: "No orders." }), pager(ordersPager, loadOrders));
    } catch (error) {
      fill(orders);
      showError(message, error);
    }
  }
  await loadOrders();
}

function correctForm(customer, message, context) {
  const name = input({ value: customer.name || "", maxlength: 200 });
  const email = input({ type: "email", value: customer.email || "", maxlength: 254 });
  const phone = input({ type: "tel", value: customer.phone || "", maxlength: 40 });
  const form = h("form", { class: "action-form", "aria-labelledby": "h-correct" }, h("h2", { id: "h-correct" }, "Correct details"),
    field("Name", name).row, field("Email", email).row, field("Phone", phone, "Empty: no phone").row,
    h("p", { class: "hint" }, "Orders keep the details they were placed with."),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Save details")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const patch = {};
    if (name.value.trim() !== (customer.name || "")) patch.name = name.value.trim();
    if (email.value.trim() !== (customer.email || "")) patch.email = email.value.trim();
    if (phone.value.trim() !== (customer.phone || "")) patch.phone = phone.value.trim() || null;
    if (!Object.keys(patch).length) {
      showError(message, new Error("Nothing changed."));
      return;
    }
    try {
      await api("PATCH", `/customers/${enc(customer.customer_id)}`, patch);
      context.navigate(`/customers/${enc(customer.customer_id)}`, true);
    } catch (error) {
      showError(message, error);
    }
  });
  return form;
}

function eraseSection(customer, message, context) {
  const confirm = input({ autocomplete: "off", spellcheck: "false", size: 32 });
  const erase = h("button", { type: "submit", class: "danger", disabled: true }, "Erase customer");
  const expected = (customer.email || "").trim().toLowerCase();
  confirm.addEventListener("input", () => {
    erase.disabled = confirm.value.trim().toLowerCase() !== expected;
  });
  const form = h("form", { class: "action-form danger-zone", "aria-labelledby": "h-erase" },
    h("h2", { id: "h-erase" }, "Erase personal data"),
    h("p", {}, "Removes this customer's name, email, phone and addresses from the customer and every order. It cannot be undone."),
    field("Type the customer's email to confirm", confirm).row,
    h("div", { class: "actions" }, erase));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (erase.disabled) return;
    try {
      // The page drawn again says it: "Erased customer", and when.
      await api("DELETE", `/customers/${enc(customer.customer_id)}`);
      context.navigate(`/customers/${enc(customer.customer_id)}`, true);
    } catch (error) {
      showError(message, error);
    }
  });
  return form;
}

