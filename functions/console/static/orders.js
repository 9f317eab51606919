// Orders: the list (filters, search, attention) and one order (lines, history, shipments, actions).

import { ApiError, api, can, enc, newIdempotencyKey, query } from "./api.js";
import {
  append, button, currentToken, dl, externalLink, field, h, input, link, messageRegion, money, newPager,
  pageHeading, pager, select, showError, spinner, statusBadge, table, time,
} from "./ui.js";
import { fill } from "./ui.js";

const STATUSES = [
  "PENDING_PAYMENT", "BACKORDERED", "CONFIRMED", "PARTIALLY_SHIPPED", "SHIPPED", "DELIVERED",
  "CANCELLED", "RETURNED", "FULFILLED_BY_CHANNEL",
];
// The transitions staff may make, as shared/domain/lifecycle.py's TRANSITIONS allows them.
const CAN_SHIP = ["CONFIRMED", "PARTIALLY_SHIPPED"];
const CAN_DELIVER = ["SHIPPED"];
const CAN_CANCEL = ["PENDING_PAYMENT", "BACKORDERED", "CONFIRMED"];
const CAN_RETURN = ["SHIPPED", "DELIVERED", "RETURNED"];
const PAGE_SIZE = 25;

export async function render(view, context) {
  if (context.item) return renderOrder(view, context.item, context);
  return renderList(view, context);
}

// --- the list ---------------------------------------------------------------------------------

const filters = { status: "", channel: "", from: "", to: "", attention: false };
const listPager = newPager();

function orderColumns() {
  return [
    { label: "Order", cell: (o) => link(`/orders/${enc(o.order_id)}`, o.order_id), class: "mono id" },
    { label: "Received", cell: (o) => time(o.created_at) },
    { label: "Channel", cell: (o) => o.channel },
    { label: "External id", cell: (o) => o.external_id || "—", class: "mono", wide: true },
    { label: "Customer", cell: (o) => (o.customer ? o.customer.name || o.customer.email : o.erased_at ? "(erased)" : "—") },
    { label: "Status", cell: (o) => [statusBadge(o.status),
      (o.attention || []).some((a) => !a.resolved_at) ? h("div", { class: "flag" }, "Needs attention") : null] },
    { label: "Lines", cell: (o) => String(o.lines.length), class: "num", wide: true },
    { label: "Total", cell: (o) => money(o.total, o.currency), class: "num" },
  ];
}

function renderList(view, context) {
  const status = select([["", "Any status"], ...STATUSES.map((s) => [s, s.replace(/_/g, " ").toLowerCase()])], filters.status);
  const channel = input({ value: filters.channel, size: 10, pattern: "[a-z0-9-]*" });
  const from = input({ type: "date", value: filters.from });
  const to = input({ type: "date", value: filters.to });
  const attention = h("input", { type: "checkbox", checked: filters.attention, id: "f-attention" });
  const filterForm = h("form", { class: "toolbar", "aria-label": "Filter orders" },
    field("Status", status).row, field("Channel", channel).row, field("From", from).row, field("To", to).row,
    h("div", { class: "field check" }, attention, h("label", { for: "f-attention" }, "Needs attention")),
    h("div", { class: "field" }, h("button", { type: "submit" }, "Apply filters")),
    h("div", { class: "field" }, button("Clear", () => {
      Object.assign(filters, { status: "", channel: "", from: "", to: "", attention: false });
      listPager.tokens = [];
      context.navigate("/orders", true);
    })));

  const term = input({ type: "search", size: 28, spellcheck: "false" });
  const searchForm = h("form", { class: "toolbar search", role: "search", "aria-label": "Find orders" },
    field("Order id, external id or customer email", term, "An external id is looked up in the Channel of the filters.").row,
    h("div", { class: "field" }, h("button", { type: "submit", class: "primary" }, "Search")));

  const message = messageRegion();
  const results = h("div", { class: "results" });
  view.append(pageHeading("Orders"), searchForm, filterForm, message, results);

  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    Object.assign(filters, {
      status: status.value, channel: channel.value.trim(), from: from.value, to: to.value, attention: attention.checked,
    });
    listPager.tokens = [];
    loadPage(true);
  });
  searchForm.addEventListener("submit", (event) => {
    event.preventDefault();
    search(term.value.trim(), channel.value.trim());
  });

  let loading = 0; // a newer load or search wins: an older one's answer is dropped
  async function loadPage(focus) {
    const ticket = ++loading;
    fill(results, spinner());
    message.hidden = true;
    try {
      const page = await api("GET", `/orders${query({
        status: filters.status, channel: filters.channel, created_from: filters.from, created_to: filters.to,
        attention: filters.attention ? "true" : "", limit: PAGE_SIZE, next_token: currentToken(listPager),
      })}`);
      if (ticket !== loading) return;
      listPager.next = page.next_token || null;
      const heading = filters.attention ? "Orders needing attention" : "Newest first";
      fill(results, h("h2", { class: "sub", tabindex: "-1" }, heading),
        table("Orders", orderColumns(), page.items, { empty: "No orders match." }), pager(listPager, () => loadPage(true)));
      if (focus) results.querySelector("h2").focus();
    } catch (error) {
      fill(results);
      showError(message, error);
    }
  }

  async function search(value, inChannel) {
    const ticket = ++loading;
    if (!value) {
      showError(message, new Error("Type an order id, an external id or an email."));
      return;
    }
    fill(results, spinner("Searching…"));
    message.hidden = true;
    try {
      if (value.includes("@")) {
        const customers = await api("GET", `/customers${query({ email: value })}`);
        const blocks = [];
        for (const customer of customers.items) {
          const orders = await api("GET", `/customers/${enc(customer.customer_id)}/orders${query({ limit: PAGE_SIZE })}`);
          blocks.push(h("h2", { class: "sub" }, "Orders of ", link(`/customers/${enc(customer.customer_id)}`, customer.email || customer.customer_id)),
            table("Orders of the customer", orderColumns(), orders.items, { empty: "This customer has no orders." }),
            orders.next_token ? h("p", { class: "muted" }, "More on the customer's page.") : null);
        }
        if (ticket !== loading) return;
        fill(results, ...(blocks.length ? blocks : [h("p", { class: "empty" }, `No customer with the email ${value}.`)]));
      } else {
        let found = [];
        try {
          found = [await api("GET", `/orders/${enc(value)}`)];
        } catch (error) {
          if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 422)) throw error;
        }
        if (!found.length && inChannel) {
          found = (await api("GET", `/orders${query({ external_id: value, channel: inChannel })}`)).items;
        }
        if (ticket !== loading) return;
        const empty = inChannel ? `No order with the id or external id ${value}.` : `No order with the id ${value}. For an external id, fill in its channel in the filters.`;
        fill(results, h("h2", { class: "sub" }, "Search results"), table("Search results", orderColumns(), found, { empty }));
      }
      results.querySelector("h2").setAttribute("tabindex", "-1");
      results.querySelector("h2").focus();
    } catch (error) {
      fill(results);
      showError(message, error);
    }
  }

  return loadPage(false);
}

// --- one order --------------------------------------------------------------------------------

function quantities(records) {
  const by = {};
  for (const record of records) for (const line of record.lines) by[line.sku] = (by[line.sku] || 0) + line.quantity;
  return by;
}

function ordered(order) {
  const by = {};
  for (const line of order.lines) by[line.sku] = (by[line.sku] || 0) + line.quantity;
  return by;
}

async function renderOrder(view, orderId, context) {
  view.append(spinner());
  const order = await api("GET", `/orders/${enc(orderId)}`);
  fill(view);
  drawOrder(view, order, context);
}

function drawOrder(view, order, context, notice) {
  const shipped = quantities(order.shipments || []);
  const returned = quantities(order.returns || []);
  const all = ordered(order);
  const toShip = Object.entries(all).map(([sku, n]) => [sku, n - (shipped[sku] || 0)]).filter(([, n]) => n > 0);
  const toReturn = Object.entries(shipped).map(([sku, n]) => [sku, n - (returned[sku] || 0)]).filter(([, n]) => n > 0);
  const staff = can("staff");

  const message = messageRegion();
  const panel = h("div", { class: "panel", hidden: true });
  const actions = h("div", { class: "actions order-actions", role: "group", "aria-label": "Order actions" });
  const redraw = (updated, text) => {
    fill(view);
    drawOrder(view, updated, context, text);
  };
  const open = (builder) => {
    fill(panel, builder());
    panel.hidden = false;
    message.hidden = true;
    const first = panel.querySelector("input, select, textarea, button");
    if (first) first.focus();
  };
  if (staff) {
    if (CAN_SHIP.includes(order.status) && toShip.length) actions.append(button("Ship", () => open(() => shipForm(order, toShip, message, redraw, panel))));
    if (CAN_DELIVER.includes(order.status)) actions.append(button("Mark delivered", () => open(() => deliverForm(order, message, redraw, panel))));
    if (CAN_CANCEL.includes(order.status)) actions.append(button("Cancel order", () => open(() => cancelForm(order, message, redraw, panel)), { class: "danger" }));
    if (CAN_RETURN.includes(order.status) && toReturn.length) actions.append(button("Record return", () => open(() => returnForm(order, toReturn, message, redraw, panel))));
  }

  const customer = order.customer;
  const address = order.shipping_address;
  const addressText = address ? [address.name, address.line1, address.line2, [address.postal_code, address.city].filter(Boolean).join(" "), address.region, address.country].filter(Boolean) : [];
  append(view, [
    pageHeading(`Order ${order.order_id}`, statusBadge(order.status)),
    h("p", {}, link("/orders", "All orders")),
    notice ? h("div", { class: "message done", role: "status", tabindex: "-1", id: "order-notice" }, notice) : null,
    actions.childNodes.length ? actions : null,
    panel,
    message,
    h("div", { class: "columns" },
      h("section", { "aria-labelledby": "h-summary" }, h("h2", { id: "h-summary" }, "Summary"),
        dl([
          ["Status", statusBadge(order.status)],
          ["Channel", order.channel],
          ["External id", order.external_id || "—"],
          ["Placed", time(order.placed_at || order.created_at)],
          ["Received", time(order.created_at)],
          ["Updated", time(order.updated_at)],
          order.delivered_at ? ["Delivered", time(order.delivered_at)] : null,
        ])),
      h("section", { "aria-labelledby": "h-customer" }, h("h2", { id: "h-customer" }, "Customer"),
        customer ? dl([
          ["Name", order.customer_id ? link(`/customers/${enc(order.customer_id)}`, customer.name) : customer.name],
          ["Email", customer.email],
          ["Phone", customer.phone || "—"],
          ["Ship to", addressText.length ? h("address", {}, addressText.map((line, i) => [i ? h("br") : null, line])) : "—"],
        ]) : h("p", { class: "muted" }, order.erased_at ? `Personal data erased ${order.erased_at}.` : "No customer."))),
    h("section", { "aria-labelledby": "h-lines" }, h("h2", { id: "h-lines" }, "Lines"),
      table("Lines", [
        { label: "SKU", cell: (l) => l.sku, class: "mono" },
        { label: "Quantity", cell: (l) => String(l.quantity), class: "num" },
        { label: "Shipped", cell: (l) => String(Math.min(shipped[l.sku] || 0, l.quantity)), class: "num" },
        { label: "Unit price", cell: (l) => money(l.unit_price, order.currency), class: "num" },
        { label: "Discount", cell: (l) => money(l.discount, order.currency), class: "num" },
        { label: "Line total", cell: (l) => money(l.line_total, order.currency), class: "num" },
      ], order.lines),
      dl([
        ["Subtotal", money(order.subtotal, order.currency)],
        ["Discounts", money(order.discount_total, order.currency)],
        ["Shipping", money(order.shipping_total, order.currency)],
        ["Tax", `${money(order.tax_total, order.currency)}${order.taxes_included ? " (included)" : ""}`],
        ["Total", h("strong", {}, money(order.total, order.currency))],
      ])),
    attentionSection(order, message, redraw),
    h("section", { "aria-labelledby": "h-history" }, h("h2", { id: "h-history" }, "History"),
      table("Status changes", [
        { label: "When", cell: (e) => time(e.at) },
        { label: "Status", cell: (e) => statusBadge(e.status) },
        { label: "Who", cell: (e) => e.actor, class: "mono" },
        { label: "Reason", cell: (e) => e.reason || "" },
      ], order.history || [], { empty: "No status changes recorded." })),
    h("section", { "aria-labelledby": "h-shipments" }, h("h2", { id: "h-shipments" }, "Shipments"),
      table("Shipments", [
        { label: "Shipped", cell: (s) => time(s.shipped_at) },
        { label: "Carrier", cell: (s) => s.carrier || "—" },
        { label: "Tracking", cell: (s) => (s.tracking_url ? externalLink(s.tracking_url, s.tracking_number || s.tracking_url) : s.tracking_number || "—"), class: "mono" },
        { label: "Units", cell: (s) => s.lines.map((l) => `${l.quantity} × ${l.sku}`).join(", ") },
        { label: "From", cell: (s) => s.location },
        { label: "Who", cell: (s) => s.actor, class: "mono" },
      ], order.shipments || [], { empty: "Nothing shipped yet." })),
    h("section", { "aria-labelledby": "h-returns" }, h("h2", { id: "h-returns" }, "Returns"),
      table("Returns", [
        { label: "Returned", cell: (r) => time(r.returned_at) },
        { label: "Units", cell: (r) => r.lines.map((l) => `${l.quantity} × ${l.sku}`).join(", ") },
        { label: "Reason", cell: (r) => r.reason },
        { label: "Restocked", cell: (r) => (r.restock ? `yes, at ${r.location}` : "no") },
        { label: "Who", cell: (r) => r.actor, class: "mono" },
      ], order.returns || [], { empty: "No returns." })),
    (order.refunds || []).length ? h("section", { "aria-labelledby": "h-refunds" }, h("h2", { id: "h-refunds" }, "Refunds"),
      table("Refunds", [
        { label: "Refunded", cell: (r) => time(r.refunded_at) },
        { label: "Amount", cell: (r) => money(r.amount, order.currency), class: "num" },
        { label: "Reason", cell: (r) => r.reason || "" },
        { label: "Source", cell: (r) => r.source },
      ], order.refunds)) : null,
  ]);
  if (notice) {
    const node = view.querySelector("#order-notice");
    if (node) setTimeout(() => node.focus(), 0);
  }
}

function attentionSection(order, message, redraw) {
  const items = order.attention || [];
  if (!items.length) return null;
  const rows = items.map((item) => {
    let action = item.resolved_at ? `Resolved ${item.resolved_at} by ${item.resolved_by}: ${item.resolution}` : "";
    if (!item.resolved_at && can("staff")) {
      const text = input({ size: 30, maxlength: 500, required: true });
      const form = h("form", { class: "inline" }, field(`How it was resolved (${item.kind})`, text).row, h("button", { type: "submit" }, "Resolve"));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          const updated = await api("POST", `/orders/${enc(order.order_id)}/attention/${enc(item.attention_id)}/resolution`, { resolution: text.value.trim() });
          redraw(updated, "Marked as resolved.");
        } catch (error) {
          showError(message, error);
        }
      });
      action = form;
    }
    return { ...item, action };
  });
  return h("section", { "aria-labelledby": "h-attention" }, h("h2", { id: "h-attention" }, "Needs attention"),
    table("Attention items", [
      { label: "Raised", cell: (a) => time(a.raised_at) },
      { label: "Kind", cell: (a) => a.kind },
      { label: "Detail", cell: (a) => a.detail },
      { label: "Source", cell: (a) => a.source },
      { label: "Resolution", cell: (a) => a.action },
    ], rows));
}

function formShell(title, fields, submitLabel, onSubmit, panel) {
  const form = h("form", { class: "action-form", "aria-label": title }, h("h2", {}, title), ...fields,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, submitLabel),
      button("Close", () => { panel.hidden = true; fill(panel); })));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onSubmit();
  });
  return form;
}

function shipForm(order, toShip, message, redraw, panel) {
  const carrier = input({ maxlength: 40, required: true, autocomplete: "off" });
  const tracking = input({ maxlength: 64, required: true, autocomplete: "off" });
  const location = input({ value: "default", maxlength: 64 });
  const quantityInputs = toShip.map(([sku, left]) => [sku, h("input", { type: "number", min: "0", max: String(left), value: String(left), inputmode: "numeric" }), left]);
  const lines = h("fieldset", {}, h("legend", {}, "Units to ship"),
    quantityInputs.map(([sku, node, left]) => field(`Quantity of ${sku}`, node, `${left} left to ship`).row));
  return formShell("Ship", [field("Carrier", carrier, "e.g. ups, dhl, royal-mail").row, field("Tracking number", tracking).row, lines, field("Location", location).row], "Confirm shipment", async () => {
    const chosen = quantityInputs.map(([sku, node]) => ({ sku, quantity: Number(node.value) })).filter((l) => l.quantity > 0);
    if (!chosen.length) {
      showError(message, new Error("Choose at least one unit to ship."));
      return;
    }
    try {
      const updated = await api("POST", `/orders/${enc(order.order_id)}/shipments`, {
        carrier: carrier.value.trim(), tracking_number: tracking.value.trim(), lines: chosen, location: location.value.trim() || "default",
      });
      redraw(updated, updated.status === "SHIPPED" ? "Shipped: every unit has left." : "Shipment recorded: part of the order is still to ship.");
    } catch (error) {
      showError(message, error);
    }
  }, panel);
}

function deliverForm(order, message, redraw, panel) {
  const note = input({ maxlength: 500 });
  return formShell("Mark delivered", [field("Note (optional)", note).row], "Confirm delivery", async () => {
    try {
      const updated = await api("POST", `/orders/${enc(order.order_id)}/delivery`, note.value.trim() ? { note: note.value.trim() } : {});
      redraw(updated, "Marked as delivered.");
    } catch (error) {
      showError(message, error);
    }
  }, panel);
}

function cancelForm(order, message, redraw, panel) {
  const reason = input({ maxlength: 500, required: true });
  return formShell("Cancel order", [field("Reason", reason, "Reserved stock goes back to available.").row], "Confirm cancellation", async () => {
    try {
      const updated = await api("POST", `/orders/${enc(order.order_id)}/cancel`, { reason: reason.value.trim() });
      redraw(updated, "Order cancelled.");
    } catch (error) {
      showError(message, error);
    }
  }, panel);
}

function returnForm(order, toReturn, message, redraw, panel) {
  const key = newIdempotencyKey();
  const reason = input({ maxlength: 500, required: true });
  const restock = h("input", { type: "checkbox", checked: true, id: "return-restock" });
  const location = input({ value: "default", maxlength: 64 });
  const quantityInputs = toReturn.map(([sku, left]) => [sku, h("input", { type: "number", min: "0", max: String(left), value: "0", inputmode: "numeric" }), left]);
  const lines = h("fieldset", {}, h("legend", {}, "Units returned"),
    quantityInputs.map(([sku, node, left]) => field(`Returned of ${sku}`, node, `${left} can be returned`).row));
  return formShell("Record return", [lines, field("Reason", reason).row,
    h("div", { class: "field check" }, restock, h("label", { for: "return-restock" }, "Back to sellable stock")),
    field("Location", location).row], "Confirm return", async () => {
    const chosen = quantityInputs.map(([sku, node]) => ({ sku, quantity: Number(node.value) })).filter((l) => l.quantity > 0);
    if (!chosen.length) {
      showError(message, new Error("Choose at least one unit returned."));
      return;
    }
    try {
      const updated = await api("POST", `/orders/${enc(order.order_id)}/returns`, {
        lines: chosen, reason: reason.value.trim(), restock: restock.checked, location: location.value.trim() || "default",
      }, { "Idempotency-Key": key });
      redraw(updated, "Return recorded.");
    } catch (error) {
      showError(message, error);
    }
  }, panel);
}

