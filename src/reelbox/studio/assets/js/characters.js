// Characters: upload a clip once, name it, cast it in later videos (up to two per video).
// The API can create and fetch characters but not list them, so the ones made here are
// remembered in this browser (per API key).

import { $, fill, h, icon } from "./dom.js";
import { announce } from "./dialogs.js";
import { forgetCharacter, getCharacters, saveCharacter } from "./storage.js";

const MAX_PER_VIDEO = 2;

export class Characters {
  /** @param {import("./api.js").Api} api */
  constructor(api, { onChange }) {
    this.api = api;
    this.onChange = onChange;
    this.list = $("#character-list");
    this.empty = $("#characters-empty");
    this.selected = new Set();
    this.dialog = new CharacterDialog(api, {
      onSaved: (character) => {
        saveCharacter(character);
        if (this.selected.size < MAX_PER_VIDEO) this.selected.add(character.id);
        this.render();
        announce(`Character ${character.name} saved${this.selected.has(character.id) ? " and selected" : ""}.`);
      },
    });
    $("#new-character").addEventListener("click", () => this.dialog.open());
  }

  /** Ids of the characters cast in the next video. */
  chosen() {
    const known = new Set(getCharacters().map((c) => c.id));
    return [...this.selected].filter((id) => known.has(id));
  }

  nameOf(id) {
    return getCharacters().find((c) => c.id === id)?.name ?? id;
  }

  render() {
    const characters = getCharacters();
    this.empty.hidden = characters.length > 0;
    const full = this.chosen().length >= MAX_PER_VIDEO;
    fill(
      this.list,
      characters.map((character) => {
        const inputId = `character-${character.id}`;
        const checked = this.selected.has(character.id);
        return h(
          "li",
          { class: "character" },
          h("input", {
            type: "checkbox",
            id: inputId,
            value: character.id,
            checked,
            disabled: !checked && full,
            onchange: (event) => {
              if (event.target.checked) this.selected.add(character.id);
              else this.selected.delete(character.id);
              this.render();
              $(`#${CSS.escape(inputId)}`).focus();
              this.onChange();
            },
          }),
          h(
            "label",
            { for: inputId },
            icon("user"),
            h("span", { class: "character-name" }, character.name),
            h("span", { class: "character-id" }, character.id),
          ),
          h(
            "button",
            {
              type: "button",
              class: "icon-button",
              "aria-label": `Forget ${character.name} in this browser`,
              title: "Forget in this browser",
              onclick: () => {
                forgetCharacter(character.id);
                this.selected.delete(character.id);
                this.render();
                announce(`${character.name} removed from this browser.`);
                $("#new-character").focus();
                this.onChange();
              },
            },
            icon("close"),
          ),
        );
      }),
    );
  }
}

class CharacterDialog {
  constructor(api, { onSaved }) {
    this.api = api;
    this.onSaved = onSaved;
    this.dialog = $("#character-dialog");
    this.form = $("#character-form");
    this.save = $("#character-save");
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.form.addEventListener("input", (event) => {
      if (event.target.id && document.getElementById(`${event.target.id}-error`)) setError(event.target.id, "");
    });
    $("#character-cancel").addEventListener("click", () => this.dialog.close());
  }

  open() {
    this.form.reset();
    this.clearErrors();
    this.dialog.showModal();
    $("#character-name").focus();
  }

  clearErrors() {
    for (const id of ["character-name", "character-clip", "character-id"]) setError(id, "");
    const formError = $("#character-form-error");
    formError.hidden = true;
    formError.textContent = "";
  }

  async submit() {
    this.clearErrors();
    const name = $("#character-name").value.trim();
    const file = $("#character-clip").files[0];
    const existing = $("#character-id").value.trim();
    this.save.disabled = true;
    this.save.textContent = "Saving…";
    try {
      let character;
      if (existing && !file) {
        character = await this.api.character(existing);
      } else {
        if (!name) return setError("character-name", "Give the character a name.", true);
        if (name.length > 80) return setError("character-name", "Use at most 80 characters.", true);
        if (!file) return setError("character-clip", "Choose a short video clip of the character.", true);
        const form = new FormData();
        form.append("name", name);
        form.append("video", file, file.name);
        character = await this.api.createCharacter(form);
      }
      this.dialog.close();
      this.onSaved(character);
      $("#new-character").focus();
    } catch (error) {
      const field = error.param === "name" ? "character-name" : error.param === "video" ? "character-clip" : null;
      if (existing && error.status === 404) setError("character-id", `No character ${existing} on this server for your key.`, true);
      else if (field) setError(field, error.friendly ?? error.message, true);
      else {
        const formError = $("#character-form-error");
        formError.textContent = error.friendly ?? error.message;
        formError.hidden = false;
      }
    } finally {
      this.save.disabled = false;
      this.save.textContent = "Save character";
    }
  }
}

function setError(id, message, focus = false) {
  const input = $(`#${id}`);
  const error = $(`#${id}-error`);
  error.textContent = message;
  error.hidden = !message;
  if (message) input.setAttribute("aria-invalid", "true");
  else input.removeAttribute("aria-invalid");
  if (message && focus) {
    const details = input.closest("details");
    if (details) details.open = true;
    input.focus();
  }
}
