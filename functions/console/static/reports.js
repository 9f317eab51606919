// Reports: request one for a date or a range, the list with status, a download link per file.

import { api, can, enc, newIdempotencyKey, query } from "./api.js";
import {
  button, currentToken, field, h, input, messageRegion, newPager, pageHeading, pager, select,
  showDone, showError, spinner, table, time,
} from "./ui.js";
import { fill } from "./ui.js";

// shared/models/reports.py's ReportType: which period each takes.
const TYPES = [
  ["daily_sales", "Daily sales (a day)"],
  ["inventory", "Inventory (a day)"],
  ["orders_export", "Orders export (a range of days)"],
  ["sales_trends", "Sales trends (a range; empty: last month)"],
  ["customer_behaviour", "Customer behaviour (a range; empty: last month)"],
  ["inventory_performance", "Inventory performance (a range; empty: last week)"],
];
const RANGED = new Set(["orders_export", "sales_trends", "customer_behaviour", "inventory_performance"]);
const reportsPager = newPager();

export async function render(view) {
  const message = messageRegion();
  const results = h("div", { class: "results" });
  const head = pageHeading("Reports", button("Refresh", () => load(true)));
  view.append(head);
  if (can("staff")) view.append(requestForm());
  view.append(message, results);

  function requestForm() {
    const type = select(TYPES, "daily_sales");
    const date = input({ type: "date" });
    const from = input({ type: "date" });
    const to = input({ type: "date" });
    const dateRow = field("Date", date, "Empty: yesterday for sales, today for inventory").row;
    const fromRow = field("From", from).row;
    const toRow = field("To", to).row;
    const show = () => {
      const range = RANGED.has(type.value);
      dateRow.hidden = range;
      fromRow.hidden = !range;
      toRow.hidden = !range;
    };
    type.addEventListener("change", show);
    show();
    const form = h("form", { class: "toolbar", "aria-label": "Request a report" }, field("Report type", type).row, dateRow, fromRow, toRow,
      h("div", { class: "field" }, h("button", { type: "submit", class: "primary" }, "Request report")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = { type: type.value };
      if (type.value === "orders_export") {
        body.from = from.value || null;
        body.to = to.value || null;
      } else if (RANGED.has(type.value)) {
        if (from.value || to.value) {
          body.from = from.value || null;
          body.to = to.value || null;
        }
      } else if (date.value) {
        body.date = date.value;
      }
      try {
        const report = await api("POST", "/reports", body, { "Idempotency-Key": newIdempotencyKey() });
        reportsPager.tokens = [];
        await load(false);
        showDone(message, `Requested ${report.type} for ${report.period}: ${report.status.toLowerCase()}. Refresh to see it ready.`);
      } catch (error) {
        showError(message, error);
      }
    });
    return form;
  }

  async function load(focus) {
    fill(results, spinner());
    try {
      const page = await api("GET", `/reports${query({ limit: 25, next_token: currentToken(reportsPager) })}`);
      reportsPager.next = page.next_token || null;
      fill(results, h("h2", { class: "sub", tabindex: "-1" }, "Newest period first"), table("Reports", [
        { label: "Type", cell: (r) => r.type },
        { label: "Period", cell: (r) => r.period, class: "nowrap" },
        { label: "Status", cell: (r) => h("span", { class: `badge r-${String(r.status).toLowerCase()}` }, String(r.status).toLowerCase()) },
        { label: "Rows", cell: (r) => (r.rows == null ? "—" : String(r.rows)), class: "num" },
        { label: "Requested", cell: (r) => time(r.requested_at) },
        { label: "By", cell: (r) => r.requested_by, class: "mono" },
        { label: "Files", cell: (r) => files(r, message) },
      ], page.items, { empty: "No reports yet." }), pager(reportsPager, () => load(true)));
      if (focus) results.querySelector("h2").focus();
    } catch (error) {
      fill(results);
      showError(message, error);
    }
  }

  return load(false);
}

// The list carries no download links (they are presigned and short-lived): a file's button asks for the
// report's fresh links (GET /reports/{id}) and the browser downloads the file (S3 answers it as an attachment).
function files(report, message) {
  if (report.status === "FAILED") return report.reason || "Failed";
  if (report.status !== "READY") return "Not ready yet";
  if (!(report.files || []).length) return "—";
  return h("ul", { class: "plain inline-list" }, report.files.map((f) =>
    h("li", {}, button(`Download ${String(f.format).toUpperCase()}`, async () => {
      try {
        const fresh = await api("GET", `/reports/${enc(report.report_id)}`);
        const file = (fresh.files || []).find((candidate) => candidate.format === f.format);
        const url = file && file.download_url ? new URL(file.download_url) : null;
        if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) throw new Error("This file has no download link.");
        location.assign(url.href);
      } catch (error) {
        showError(message, error);
      }
    }, { class: "small" }), h("span", { class: "muted" }, ` ${size(f.bytes)}`))));
}

function size(bytes) {
  if (bytes == null) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

