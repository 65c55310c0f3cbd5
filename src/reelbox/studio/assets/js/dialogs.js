// Confirmation, the API key dialog, toasts and screen-reader announcements.

import { $, h, icon } from "./dom.js";
import { getKey, setKey } from "./storage.js";

/** Say something to screen readers (the visible UI says it too, elsewhere). */
export function announce(text) {
  const region = $("#announcer");
  region.textContent = "";
  // A fresh text node after a tick makes repeated messages be read again.
  setTimeout(() => {
    region.textContent = text;
  }, 50);
}

/** A short message at the bottom of the screen, with an optional link. */
export function toast(text, { href = null, linkText = "View", tone = "info", timeout = 6000 } = {}) {
  const box = $("#toasts");
  const item = h(
    "div",
    { class: `toast ${tone}` },
    icon(tone === "error" ? "alert" : "check"),
    h("span", { class: "toast-text" }, text),
    href ? h("a", { href, class: "toast-link" }, linkText) : null,
    h(
      "button",
      { type: "button", class: "icon-button", "aria-label": "Dismiss", onclick: () => item.remove() },
      icon("close"),
    ),
  );
  box.append(item);
  while (box.children.length > 3) box.firstElementChild.remove(); // the newest three
  if (timeout) setTimeout(() => item.remove(), timeout);
  return item;
}

/** Ask before something that cannot be undone; resolves true when confirmed. */
export function confirmDialog({ title, message, confirmLabel = "Delete" }) {
  const dialog = $("#confirm-dialog");
  $("#confirm-title").textContent = title;
  $("#confirm-message").textContent = message;
  $("#confirm-ok").textContent = confirmLabel;
  dialog.returnValue = "";
  const opener = document.activeElement;
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        resolve(dialog.returnValue === "confirm");
        if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      },
      { once: true },
    );
    dialog.showModal();
    $("#confirm-cancel").focus(); // the safe choice has focus
  });
}

/** The API key dialog: saving or forgetting the key calls `onChange`. */
export class KeyDialog {
  constructor({ onChange }) {
    this.dialog = $("#key-dialog");
    this.input = $("#key-input");
    this.error = $("#key-error");
    this.onChange = onChange;
    $("#key-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const key = this.input.value.trim();
      if (!key) {
        this.showError("Enter a key, or press Cancel.");
        this.input.focus();
        return;
      }
      setKey(key);
      this.dialog.close();
      this.onChange();
    });
    $("#key-clear").addEventListener("click", () => {
      setKey("");
      this.input.value = "";
      this.dialog.close();
      this.onChange();
    });
    $("#key-cancel").addEventListener("click", () => this.dialog.close());
  }

  showError(message) {
    this.error.textContent = message;
    this.error.hidden = !message;
  }

  open({ error = "" } = {}) {
    if (this.dialog.open) {
      this.showError(error);
      return;
    }
    this.input.value = getKey();
    this.showError(error);
    $("#key-clear").hidden = !getKey();
    this.dialog.showModal();
    this.input.focus();
    this.input.select();
  }
}
