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

const MAX_TOASTS = 3;

/**
 * A short message in the corner, with an optional link: newest first, at most three, each gone
 * after `timeout` ms (the timer waits while the pointer or focus is on it).
 */
export function toast(text, { href = null, linkText = "View", tone = "info", timeout = 6000 } = {}) {
  const box = $("#toasts");
  const item = h(
    "div",
    { class: `toast ${tone}` },
    icon(tone === "error" ? "alert" : "check"),
    h("span", { class: "toast-text" }, text),
    href ? h("a", { href, class: "toast-link", onclick: () => item.remove() }, linkText) : null,
    h(
      "button",
      { type: "button", class: "icon-button", "aria-label": "Dismiss", onclick: () => item.remove() },
      icon("close"),
    ),
  );
  box.prepend(item);
  while (box.children.length > MAX_TOASTS) box.lastElementChild.remove(); // the newest three
  if (timeout) {
    let left = timeout;
    let started = Date.now();
    let timer = setTimeout(() => item.remove(), left);
    const hold = () => {
      if (timer === null) return;
      clearTimeout(timer);
      timer = null;
      left -= Date.now() - started;
    };
    const resume = () => {
      if (timer !== null || item.matches(":hover, :focus-within")) return;
      started = Date.now();
      timer = setTimeout(() => item.remove(), Math.max(1500, left));
    };
    item.addEventListener("pointerenter", hold);
    item.addEventListener("focusin", hold);
    item.addEventListener("pointerleave", resume);
    item.addEventListener("focusout", () => setTimeout(resume, 0));
  }
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
        this.showError(this.openMode ? "No key is needed here: press Cancel, or enter one to keep it." : "Enter a key, or press Cancel.");
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

  /** Say what this server wants: a key (keys configured) or none (open local mode). */
  setMode({ openMode, project = "default" }) {
    this.openMode = openMode;
    $("#key-title").textContent = openMode ? "API key (not needed here)" : "API key";
    $("#key-description").hidden = openMode;
    const note = $("#key-open-note");
    note.hidden = !openMode;
    if (openMode) note.querySelector("strong").textContent = project;
    $("#key-save").textContent = openMode ? "Save key anyway" : "Save key";
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
