// Errors shown next to the form field they are about, whichever side found them: the form's own
// checks, or the server (its error's `param` names the field).

import { $, fill, h } from "./dom.js";

const FIELDS = ["prompt", "model", "size", "seconds", "image", "source", "characters", "seed"];

export class FieldErrors {
  /** @param {HTMLElement} alertBox  where errors that belong to no visible field go */
  constructor(alertBox) {
    this.alertBox = alertBox;
  }

  set(field, message) {
    const error = $(`#${field}-error`);
    error.textContent = message;
    error.hidden = false;
    for (const input of inputsOf(field)) {
      if (input.matches("input, select, textarea")) input.setAttribute("aria-invalid", "true");
    }
    const details = error.closest("details");
    if (details) details.open = true;
  }

  clear(field) {
    if (!field) return;
    const error = document.getElementById(`${field}-error`);
    if (!error || error.hidden) return;
    error.hidden = true;
    error.textContent = "";
    for (const input of inputsOf(field)) input.removeAttribute("aria-invalid");
  }

  clearAll() {
    for (const field of FIELDS) this.clear(field);
    this.alertBox.hidden = true;
    this.alertBox.textContent = "";
  }

  /** A message for the whole form; `details` (operator text) waits behind a toggle. */
  alert(message, details = null) {
    fill(
      this.alertBox,
      h("span", {}, message),
      details ? h("details", { class: "failure-details" }, h("summary", {}, "Details"), h("p", {}, details)) : null,
    );
    this.alertBox.hidden = false;
    this.alertBox.focus();
  }

  /** Move focus to the field (its first usable control), or to its message. */
  focus(field) {
    const [first] = inputsOf(field).filter((el) => !el.disabled && el.offsetParent !== null);
    (first ?? $(`#${field}-error`)).focus();
  }
}

/** The form field a server error's `param` is about. */
export function fieldForParam(param) {
  if (!param) return null;
  if (["prompt", "model", "size", "seconds", "seed"].includes(param)) return param;
  if (param.startsWith("input_reference")) return "image";
  if (param.startsWith("characters")) return "characters";
  if (param === "video_id" || param.startsWith("video")) return "source";
  return null;
}

/** The field an edited control belongs to. */
export function fieldOf(target) {
  if (!(target instanceof HTMLElement)) return null;
  if (target.id === "width" || target.id === "height") return "size";
  if (target.closest("#characters-field")) return "characters";
  return FIELDS.includes(target.id) ? target.id : null;
}

/** The controls of a field. */
export function inputsOf(field) {
  if (field === "size") return ["size", "width", "height"].map((id) => document.getElementById(id));
  if (field === "characters") return [...document.querySelectorAll("#characters-field input, #new-character")];
  const el = document.getElementById(field);
  return el ? [el] : [];
}
