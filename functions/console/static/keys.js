// Keys (admin): each person's API key, created (shown once) and revoked.

import { api, enc } from "./api.js";
import { button, field, h, input, messageRegion, pageHeading, select, showDone, showError, spinner, table, time } from "./ui.js";
import { fill } from "./ui.js";

export async function render(view) {
  const message = messageRegion();
  const created = h("div");
  const list = h("div");
  const name = input({ required: true, maxlength: 40, pattern: "[a-z0-9][a-z0-9._-]*", autocomplete: "off", spellcheck: "false" });
  const role = select([["staff", "staff: works orders, stock and reports"], ["viewer", "viewer: reads everything"], ["admin", "admin: also keys, erasure, dead letters"]], "staff");
  const form = h("form", { class: "toolbar", "aria-label": "Create a key" },
    field("Name", name, "The person: lowercase, e.g. alice").row, field("Role", role).row,
    h("div", { class: "field" }, h("button", { type: "submit", class: "primary" }, "Create key")));
  view.append(pageHeading("Keys"), h("p", { class: "muted" }, "One key per person: the name is recorded on every change they make (staff:alice)."),
    form, message, created, list);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const key = await api("POST", "/keys", { name: name.value.trim(), role: role.value });
      name.value = "";
      const secret = input({ readonly: true, value: key.api_key, size: 48, class: "mono" });
      const copied = h("span", { role: "status", class: "muted" });
      fill(created, h("div", { class: "message done new-key" },
        h("p", {}, `Key for ${key.name} (${key.role}) created. It is shown once: give it to them now.`),
        h("div", { class: "inline" }, field("New API key", secret).row,
          button("Copy", async () => {
            try {
              await navigator.clipboard.writeText(key.api_key);
              copied.textContent = "Copied.";
            } catch {
              secret.select();
              copied.textContent = "Select and copy it by hand.";
            }
          }), copied)));
      secret.focus();
      secret.select();
      await load();
    } catch (error) {
      showError(message, error);
    }
  });

  async function load() {
    fill(list, spinner());
    try {
      const keys = await api("GET", "/keys");
      fill(list, table("API keys", [
        { label: "Name", cell: (k) => k.name || "—" },
        { label: "Role", cell: (k) => k.role },
        { label: "Channel", cell: (k) => k.channel || "—" },
        { label: "Key id", cell: (k) => k.key_id, class: "mono" },
        { label: "Created", cell: (k) => time(k.created_at) },
        { label: "", cell: (k) => revokeButton(k) },
      ], keys.items, { empty: "No keys." }));
    } catch (error) {
      fill(list);
      showError(message, error);
    }
  }

  function revokeButton(key) {
    const cell = h("div", { class: "row-actions" });
    const ask = button("Revoke", () => {
      fill(cell, h("span", {}, `Revoke ${key.name || key.key_id}?`),
        button("Yes, revoke", async () => {
          try {
            await api("DELETE", `/keys/${enc(key.key_id)}`);
            await load();
            showDone(message, `Revoked ${key.name || key.key_id}: its sessions have ended.`);
          } catch (error) {
            showError(message, error);
          }
        }, { class: "danger" }),
        button("Keep it", () => fill(cell, ask)));
      cell.querySelector("button").focus();
    }, { class: "danger" });
    cell.append(ask);
    return cell;
  }

  await load();
}
