// Analytics: sales trends beside the period before, customer behaviour with the cohort heat map, and
// inventory performance with the reorder list (GET /analytics/trends, /analytics/customers,
// /analytics/customers/top, /analytics/inventory). Amounts are per currency: one chart per currency.

import { api, can, query } from "./api.js";
import { barChart, heatMap, lineChart } from "./charts.js";
import { field, h, input, messageRegion, pageHeading, select, showError, spinner, table } from "./ui.js";
import { fill } from "./ui.js";

const MAX_SKU_PAGES = 10;
const GRANULARITIES = [["day", "Day"], ["week", "Week (ISO)"], ["month", "Month"]];

function isoDay(date) {
  return date.toISOString().slice(0, 10);
}

function daysBefore(days) {
  const date = new Date();
  date.setUTCDate(date.getUTCDate() - days);
  return isoDay(date);
}

function number(text) {
  return text === null || text === undefined ? null : Number(text);
}

function change(percent) {
  if (percent === null || percent === undefined) return h("span", { class: "muted" }, "no previous");
  const value = Number(percent);
  return h("span", { class: value > 0 ? "up" : value < 0 ? "down" : "muted" }, `${value > 0 ? "+" : ""}${value}% vs previous`);
}

function kpi(label, value, percent) {
  return h("div", { class: "kpi" }, h("div", { class: "muted" }, label), h("div", { class: "value" }, value), change(percent));
}

function sum(points, pick) {
  return points.reduce((total, point) => total + (number(pick(point)) || 0), 0);
}

function totalsChange(now, before) {
  if (!before) return null;
  return Math.round(((now - before) / Math.abs(before)) * 1000) / 10;
}

export async function render(view) {
  const message = messageRegion();
  // The period can come with the link (?from=2026-01-01&to=2026-03-31&granularity=week): shareable.
  const asked = new URLSearchParams(location.search);
  const day = (name, fallback) => (/^\d{4}-\d{2}-\d{2}$/.test(asked.get(name) || "") ? asked.get(name) : fallback);
  const from = input({ type: "date", value: day("from", daysBefore(90)) });
  const to = input({ type: "date", value: day("to", daysBefore(1)) });
  const askedGranularity = GRANULARITIES.some(([g]) => g === asked.get("granularity")) ? asked.get("granularity") : "week";
  const granularity = select(GRANULARITIES, askedGranularity);
  const form = h("form", { class: "toolbar", "aria-label": "Period" },
    field("From", from).row, field("To", to).row, field("By", granularity).row,
    h("div", { class: "field" }, h("button", { type: "submit", class: "primary" }, "Show")));
  const trends = h("section", { "aria-labelledby": "trends-h" });
  const customers = h("section", { "aria-labelledby": "customers-h" });
  const inventory = h("section", { "aria-labelledby": "inventory-h" });
  view.append(pageHeading("Analytics"), form, message, trends, customers, inventory);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const shown = new URLSearchParams({ from: from.value, to: to.value, granularity: granularity.value });
    history.replaceState(null, "", `${location.pathname}?${shown}`);
    load();
  });
  await load();

  async function load() {
    const period = { from: from.value || undefined, to: to.value || undefined };
    const seen = { currencies: [] };  // the trends' currencies: the top customers are listed per currency
    await section(trends, "trends-h", "Sales trends", () => drawTrends(period, granularity.value, seen));
    await Promise.all([
      section(customers, "customers-h", "Customer behaviour", () => drawCustomers(period, seen.currencies)),
      section(inventory, "inventory-h", "Inventory performance", () => drawInventory(period)),
    ]);
  }

  async function section(node, id, title, draw) {
    fill(node, h("h2", { id }, title), spinner());
    try {
      fill(node, h("h2", { id }, title), ...(await draw()));
    } catch (error) {
      fill(node, h("h2", { id }, title));
      showError(message, error);
    }
  }
}

async function drawTrends(period, granularity, seen) {
  const [total, channels] = await Promise.all([
    api("GET", `/analytics/trends${query({ ...period, granularity, by: "total" })}`),
    api("GET", `/analytics/trends${query({ ...period, granularity, by: "channel" })}`),
  ]);
  seen.currencies = total.currencies;
  const parts = [];
  if (!total.series.length) parts.push(h("p", { class: "muted" }, "No sales in this period or the one before."));
  for (const series of total.series) {
    const points = series.points;
    const net = sum(points, (p) => p.figures.net_sales);
    const netBefore = sum(points, (p) => p.previous.net_sales);
    const orders = sum(points, (p) => p.figures.orders);
    const ordersBefore = sum(points, (p) => p.previous.orders);
    parts.push(h("h3", {}, series.currency));
    parts.push(h("div", { class: "analytics-grid" },
      kpi("Net sales", `${net.toFixed(2)} ${series.currency}`, totalsChange(net, netBefore)),
      kpi("Orders", String(orders), totalsChange(orders, ordersBefore)),
      kpi("Average order value", orders ? `${(sum(points, (p) => Number(p.figures.gross_sales) - Number(p.figures.discounts)) / orders).toFixed(2)} ${series.currency}` : "—", null)));
    parts.push(lineChart({
      id: `trend-${series.currency}`,
      title: `Net sales by ${granularity}, ${series.currency}, with the period before`,
      xLabel: granularity === "day" ? "Day" : granularity === "week" ? "ISO week" : "Month",
      yLabel: `Net sales (${series.currency})`,
      xLabels: points.map((p) => p.period),
      series: [
        { label: "This period", values: points.map((p) => number(p.figures.net_sales)) },
        { label: "Period before", values: points.map((p) => number(p.previous.net_sales)) },
      ],
    }));
  }
  const groups = total.currencies.map((currency) => ({
    heading: currency,
    bars: channels.series.filter((s) => s.currency === currency).map((s) => {
      const value = sum(s.points, (p) => p.figures.net_sales);
      return { label: s.name, value, shown: value.toFixed(2) };
    }).sort((a, b) => b.value - a.value),
  }));
  parts.push(h("h3", {}, "Net sales by channel"));
  parts.push(barChart({ id: "net-sales-by-channel", title: "Net sales by channel, per currency", groups }));
  return parts;
}

function month(day) {
  return day ? day.slice(0, 7) : undefined;
}

async function drawCustomers(period, currencies) {
  const answer = await api("GET", `/analytics/customers${query({ from: month(period.from), to: month(period.to) })}`);
  const months = answer.months;
  const parts = [lineChart({
    id: "new-returning",
    title: "New and returning customers by month",
    xLabel: "Month",
    yLabel: "Customers",
    xLabels: months.map((m) => m.month),
    series: [
      { label: "New", values: months.map((m) => m.new_customers) },
      { label: "Returning", values: months.map((m) => m.returning_customers) },
    ],
  })];
  parts.push(table({ text: "Customers by month", visible: false }, [
    { label: "Month", cell: (m) => m.month },
    { label: "Customers", class: "num", cell: (m) => String(m.customers) },
    { label: "New", class: "num", cell: (m) => String(m.new_customers) },
    { label: "Returning", class: "num", cell: (m) => String(m.returning_customers) },
    { label: "Orders per customer", class: "num", cell: (m) => (m.orders_per_customer ?? "—").toString() },
    { label: "Repeat rate", class: "num", cell: (m) => (m.repeat_purchase_rate === null ? "—" : `${(m.repeat_purchase_rate * 100).toFixed(1)}%`) },
    { label: "Days to 2nd order", class: "num", cell: (m) => (m.average_days_to_second_order ?? "—").toString() },
    { label: "Top channel", wide: true, cell: (m) => (m.channels[0] ? `${m.channels[0].channel} (${Math.round(m.channels[0].share * 100)}%)` : "—") },
  ], months));
  const width = Math.max(1, ...answer.cohorts.map((c) => c.months.length));
  parts.push(h("h3", {}, "Cohorts"));
  parts.push(heatMap({
    id: "cohorts",
    title: "Share of each cohort ordering again, by months after the first order",
    rowLabel: "First order",
    columnLabel: "Months after the first order",
    rows: answer.cohorts.map((c) => `${c.cohort} (${c.customers})`),
    columns: Array.from({ length: width }, (_, i) => String(i)),
    values: answer.cohorts.map((c) => c.months.map((m) => (m.share === null ? null : Number(m.share)))),
    emptyText: "No customers in this period.",
  }));
  if (can("staff")) {
    for (const currency of currencies) parts.push(...(await drawTop(currency)));
  }
  return parts;
}

async function drawTop(currency) {
  const top = await api("GET", `/analytics/customers/top${query({ currency, top: 10 })}`);
  return [h("h3", {}, `Top customers by lifetime value (${currency})`), table({ text: "Top customers", visible: false }, [
    { label: "#", class: "num", cell: (c) => String(c.rank) },
    { label: "Customer", cell: (c) => (c.erased ? h("span", { class: "muted" }, "erased") : c.name || c.customer_id) },
    { label: "Lifetime value", class: "num", cell: (c) => `${c.lifetime_value} ${currency}` },
    { label: "Orders", class: "num", cell: (c) => String(c.orders) },
    { label: "First order", wide: true, cell: (c) => c.first_order_day || "—" },
  ], top.items, { empty: "No customers yet." })];
}

async function drawInventory(period) {
  const days = period.from && period.to ? Math.round((Date.parse(period.to) - Date.parse(period.from)) / 86400000) + 1 : 30;
  // Every SKU, page by page (1,000 a page), up to MAX_SKU_PAGES pages: the reorder list must not stop
  // at the first page's SKUs.
  const asked = { as_of: period.to, days: Math.min(days, 90), limit: 1000 };
  let answer = await api("GET", `/analytics/inventory${query(asked)}`);
  const items = [...answer.items];
  for (let page = 1; answer.next_token && page < MAX_SKU_PAGES; page += 1) {
    answer = await api("GET", `/analytics/inventory${query({ ...asked, next_token: answer.next_token })}`);
    items.push(...answer.items);
  }
  const partial = answer.next_token ? h("p", { class: "muted" }, `The first ${items.length} SKUs, in SKU order: ask for the inventory_performance report for every SKU.`) : null;
  const reorder = items.filter((i) => i.reorder.reorder);
  const outs = items.filter((i) => i.days_out_of_stock > 0).sort((a, b) => b.days_out_of_stock - a.days_out_of_stock).slice(0, 10);
  const perDay = (i, n) => (i.sold.find((s) => s.days === n) || {}).per_day ?? "—";
  return [
    partial,
    h("h3", {}, `Reorder now (${reorder.length})`),
    table({ text: "Reorder suggestions", visible: false }, [
      { label: "SKU", class: "mono", cell: (i) => i.sku },
      { label: "Available", class: "num", cell: (i) => String(i.available) },
      { label: "Sold per day (30 d)", class: "num", cell: (i) => perDay(i, 30) },
      { label: "Reorder point", class: "num", cell: (i) => i.reorder.reorder_point },
      { label: "Suggested quantity", class: "num", cell: (i) => String(i.reorder.suggested_quantity) },
      { label: "Lead time", class: "num", wide: true, cell: (i) => `${i.reorder.lead_time_days} d` },
    ], reorder, { empty: "Nothing to reorder." }),
    h("h3", {}, "Days out of stock"),
    barChart({
      id: "days-out-of-stock",
      title: `SKUs with the most days out of stock, ${answer.period_start} to ${answer.as_of}`,
      groups: [{ heading: "", bars: outs.map((i) => ({ label: i.sku, value: i.days_out_of_stock, shown: `${i.days_out_of_stock} d` })) }],
      emptyText: "No SKU ran out in this period.",
    }),
    h("h3", {}, "Every SKU"),
    table({ text: "Inventory performance", visible: false }, [
      { label: "SKU", class: "mono", cell: (i) => i.sku },
      { label: "On hand", class: "num", cell: (i) => String(i.on_hand) },
      { label: "Per day (7/30/90)", class: "num", cell: (i) => `${perDay(i, 7)} / ${perDay(i, 30)} / ${perDay(i, 90)}` },
      { label: "Days of cover", class: "num", cell: (i) => i.days_of_cover ?? "—" },
      { label: "Sell-through", class: "num", cell: (i) => (i.sell_through === null ? "—" : `${(Number(i.sell_through) * 100).toFixed(1)}%`) },
      { label: "Days out", class: "num", cell: (i) => String(i.days_out_of_stock) },
      { label: "Flag", cell: (i) => (i.dead_stock ? "dead stock" : i.slow_mover ? "slow mover" : "") },
    ], items, { empty: "No products." }),
  ];
}
