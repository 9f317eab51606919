// Operations: the dead-letter queues (depth, messages, redrive, delete) and the alarms.

import { api, can, enc, problemLines, query } from "./api.js";
import { button, h, messageRegion, pageHeading, showDone, showError, spinner, table, time } from "./ui.js";
import { fill } from "./ui.js";

const PEEK = 10;

export async function render(view) {
  const message = messageRegion();
  const queues = h("div");
  const alarms = h("div");
  view.append(pageHeading("Operations", button("Refresh", () => loadQueues(true))), message,
    h("section", { "aria-labelledby": "h-dlq" }, h("h2", { id: "h-dlq" }, "Dead letters"),
      h("p", { class: "muted" }, "Messages set aside after failing. Fix the cause, then redrive them to their queue."), queues),
    h("section", { "aria-labelledby": "h-alarms" }, h("h2", { id: "h-alarms" }, "Alarms"), alarms));

  async function loadQueues(focus) {
    fill(queues, spinner());
    try {
      const listing = await api("GET", "/dead-letters");
      fill(queues, table("Dead-letter queues", [
        { label: "Queue", cell: (q) => q.queue, class: "mono" },
        { label: "Messages", cell: (q) => String(q.approximate_depth), class: "num" },
        { label: "In flight", cell: (q) => String(q.approximate_in_flight), class: "num" },
        { label: "Redrive", cell: (q) => (q.redrivable ? "to its queue" : "no: delete once repaired") },
        { label: "", cell: (q) => button(["Show messages", h("span", { class: "visually-hidden" }, ` of ${q.queue}`)], () => showQueue(q), { class: "small" }) },
      ], listing.items), h("div", { id: "queue-detail" }));
      if (focus) view.querySelector("h1").focus();
    } catch (error) {
      fill(queues);
      showError(message, error);
    }
  }

  async function showQueue(queueView) {
    const detail = view.querySelector("#queue-detail");
    fill(detail, spinner());
    try {
      const listing = await api("GET", `/dead-letters/${enc(queueView.queue)}${query({ limit: PEEK })}`);
      drawQueue(detail, listing);
    } catch (error) {
      fill(detail);
      showError(message, error);
    }
  }

  function drawQueue(detail, listing) {
    const admin = can("admin");
    const checks = new Map();
    const act = async (action, selection, what) => {
      try {
        const outcome = await api("POST", `/dead-letters/${enc(listing.queue)}/${action}`, selection);
        const done = outcome.done.length;
        const verb = action === "redrive" ? "Redriven" : "Deleted";
        const rest = outcome.not_found && outcome.not_found.length ? `; ${outcome.not_found.length} not found (gone, or held by another reader)` : "";
        const more = outcome.complete ? "" : " The search stopped early: do it again for the rest.";
        await loadQueues(false);
        await showQueue({ queue: listing.queue });
        showDone(message, `${verb}: ${done} ${done === 1 ? "message" : "messages"} of ${listing.queue} (${what})${rest}.${more}`);
      } catch (error) {
        showError(message, error);
      }
    };
    const selected = () => [...checks.entries()].filter(([, box]) => box.checked).map(([id]) => id);
    const withSelected = (action) => () => {
      const ids = selected();
      if (!ids.length) {
        showError(message, new Error("Select at least one message."));
        return;
      }
      act(action, { ids }, "selected");
    };
    const bulk = admin ? h("div", { class: "actions" },
      listing.redrivable ? button("Redrive selected", withSelected("redrive")) : null,
      listing.redrivable ? button("Redrive all", () => act("redrive", { all: true }, "all")) : null,
      button("Delete selected", withSelected("delete"), { class: "danger" }),
      button("Delete all", () => act("delete", { all: true }, "all"), { class: "danger" })) : null;
    const columns = [
      ...(admin ? [{ label: "Select", cell: (m) => {
        const box = h("input", { type: "checkbox", "aria-label": `Select message ${m.message_id}` });
        checks.set(m.message_id, box);
        return box;
      } }] : []),
      { label: "Received", cell: (m) => time(m.first_seen_at) },
      { label: "Reason", cell: (m) => h("div", {}, m.reason || "—", (m.previous_reasons || []).length ? h("div", { class: "muted" }, `Before: ${m.previous_reasons.join("; ")}`) : null) },
      { label: "Receives", cell: (m) => String(m.receive_count), class: "num" },
      { label: "Body (personal data masked)", cell: (m) => h("pre", { class: "body" }, typeof m.body === "string" ? m.body : JSON.stringify(m.body, null, 2)) },
      ...(admin ? [{ label: "Actions", cell: (m) => h("div", { class: "row-actions" },
        listing.redrivable ? button("Redrive", () => act("redrive", { ids: [m.message_id] }, "one")) : null,
        button("Delete", () => act("delete", { ids: [m.message_id] }, "one"), { class: "danger" })) }] : []),
    ];
    fill(detail, 
      h("h3", { tabindex: "-1" }, `Messages of ${listing.queue}`),
      h("p", { class: "muted" }, `About ${listing.approximate_depth} in the queue; the first ${PEEK} at most are shown.`),
      bulk,
      table(`Messages of ${listing.queue}`, columns, listing.messages, { empty: "No messages." }));
    detail.querySelector("h3").focus();
  }

  async function loadAlarms() {
    fill(alarms, spinner());
    try {
      const found = await api("GET", "/alarms");
      fill(alarms, 
        found.detail ? h("p", { class: "muted" }, found.detail) : null,
        found.source === "none" && !found.items.length ? null : table("Alarms", [
          { label: "Alarm", cell: (a) => a.name, class: "mono" },
          { label: "State", cell: (a) => h("span", { class: `badge a-${String(a.state).toLowerCase()}` }, a.state) },
          { label: "Reason", cell: (a) => a.reason || "" },
          { label: "Since", cell: (a) => time(a.updated_at) },
        ], found.items, { empty: "No alarms." }));
    } catch (error) {
      fill(alarms, h("p", { class: "muted" }, `The alarms could not be read: ${problemLines(error).join(" ")}`));
    }
  }

  await Promise.all([loadQueues(false), loadAlarms()]);
}
