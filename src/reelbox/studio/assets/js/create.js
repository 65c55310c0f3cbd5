// The create form: every kind of request the Videos API takes, with only the choices the chosen
// model (or the source video's model) allows, an estimate before submitting, and errors shown
// next to the field they are about.

import { MODE_LABELS } from "./catalog.js";
import { $, fill, h } from "./dom.js";
import { announce } from "./dialogs.js";
import { formatSeconds, formatSize, truncate } from "./format.js";
import { FieldErrors, fieldForParam, fieldOf, inputsOf } from "./fielderrors.js";
import { ImageRejected, canvasBlob, cropAxis, drawFitted, loadImage } from "./imagefit.js";
import { getPrefs, setPrefs } from "./storage.js";

const PROMPT_MAX = 32000;
const SEED_MAX = 2147483647;
const SOURCE_MODES = new Set(["remix", "edit", "extend"]);
const MODE_HINTS = {
  text: "Describe a scene and get a video with sound.",
  image: "Start from a picture: it becomes the first frame.",
  remix: "Keep a finished video's motion and framing, change what is in it.",
  edit: "Change a finished video while keeping its timing.",
  extend: "Continue a finished video with a new segment.",
};
const SUBMIT_LABELS = {
  text: "Create video",
  image: "Create video",
  remix: "Remix video",
  edit: "Edit video",
  extend: "Extend video",
};

export class CreateForm {
  /**
   * @param {object} deps
   * @param {import("./api.js").Api} deps.api
   * @param {import("./catalog.js").Catalog} deps.catalog
   * @param {import("./characters.js").Characters} deps.characters
   * @param {() => object[]} deps.finishedVideos  finished videos to rework, newest first
   * @param {(id: string) => object|undefined} deps.videoById
   * @param {(video: object) => void} deps.onCreated
   */
  constructor(deps) {
    Object.assign(this, deps);
    this.form = $("#create-form");
    this.el = {
      prompt: $("#prompt"),
      count: $("#prompt-count"),
      model: $("#model"),
      modelHint: $("#model-hint"),
      size: $("#size"),
      customSize: $("#custom-size"),
      width: $("#width"),
      height: $("#height"),
      seconds: $("#seconds"),
      secondsLabel: $("#seconds-label"),
      secondsHint: $("#seconds-hint"),
      source: $("#source"),
      sourceCard: $("#source-card"),
      image: $("#image"),
      imagePreview: $("#image-preview"),
      canvas: $("#image-canvas"),
      imageInfo: $("#image-info"),
      cropPosition: $("#crop-position"),
      seed: $("#seed"),
      estimate: $("#estimate"),
      submit: $("#submit"),
      submitLabel: $("#submit-label"),
    };
    this.image = null; // {bitmap, name}
    this.sourceInfo = new Map(); // id → GET /v1/studio/videos/{id}
    this.errors = new FieldErrors($("#form-alert"));
    this.busy = false;
  }

  get mode() {
    return this.form.elements.mode.value;
  }

  get fit() {
    return this.form.elements.fit.value;
  }

  init() {
    const prefs = getPrefs();
    this.fillModels(prefs.model);
    this.fillSizes(prefs.size);
    this.fillSeconds(prefs.seconds);
    if (prefs.fit) this.form.elements.fit.value = prefs.fit;

    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    // Ctrl+Enter (Cmd+Enter on a Mac) submits from anywhere in the form, the prompt included.
    this.form.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey) || event.isComposing) return;
      event.preventDefault();
      this.form.requestSubmit();
    });
    if (/Mac|iPhone|iPad/.test(navigator.platform)) $("#submit-keys").textContent = "⌘ ↵";
    this.form.addEventListener("change", (event) => this.changed(event.target));
    this.form.addEventListener("input", (event) => {
      if (event.target === this.el.prompt) this.updateCount();
      if (event.target === this.el.cropPosition) this.drawImage();
      if (event.target === this.el.width || event.target === this.el.height) this.renderEstimate();
      this.errors.clear(fieldOf(event.target));
    });
    const dropzone = $("#dropzone");
    dropzone.addEventListener("dragover", (event) => {
      event.preventDefault();
      dropzone.classList.add("dragging");
    });
    dropzone.addEventListener("dragleave", () => dropzone.classList.remove("dragging"));
    dropzone.addEventListener("drop", (event) => {
      event.preventDefault();
      dropzone.classList.remove("dragging");
      const file = event.dataTransfer?.files?.[0];
      if (file) {
        const transfer = new DataTransfer();
        transfer.items.add(file);
        this.el.image.files = transfer.files;
        this.pickImage(file);
      }
    });
    this.updateCount();
    this.render();
  }

  changed(target) {
    if (target.name === "mode") {
      this.errors.clearAll();
      this.render();
      if (SOURCE_MODES.has(this.mode) && !this.el.source.value) this.refreshSources();
      return;
    }
    if (target === this.el.model) {
      this.fillSizes(this.el.size.value);
      this.fillSeconds(this.el.seconds.value);
      setPrefs({ model: this.el.model.value });
    } else if (target === this.el.size) {
      if (this.el.size.value !== "custom") setPrefs({ size: this.el.size.value });
      else this.prefillCustomSize();
    } else if (target === this.el.seconds && !SOURCE_MODES.has(this.mode)) {
      setPrefs({ seconds: this.el.seconds.value });
    } else if (target === this.el.image) {
      const file = this.el.image.files[0];
      if (file) this.pickImage(file);
      else this.clearImage();
      return;
    } else if (target.name === "fit") {
      setPrefs({ fit: this.fit });
    } else if (target === this.el.source) {
      this.errors.clear("source");
      this.loadSourceInfo();
    }
    this.errors.clear(fieldOf(target));
    this.render();
  }

  // -- choices from capabilities ---------------------------------------------------------------

  fillModels(preferred) {
    const names = this.catalog.names();
    const sora = names.filter((n) => n.startsWith("sora-"));
    const others = names.filter((n) => !n.startsWith("sora-"));
    const groups = [];
    if (sora.length) groups.push(h("optgroup", { label: "Sora model names" }, sora.map((n) => h("option", { value: n }, n))));
    if (others.length) groups.push(h("optgroup", { label: "Profiles on this server" }, others.map((n) => h("option", { value: n }, n))));
    fill(this.el.model, groups);
    const fallback = this.catalog.has(this.catalog.config.default_model) ? this.catalog.config.default_model : names[0];
    this.el.model.value = this.catalog.has(preferred) ? preferred : fallback;
  }

  fillSizes(preferred) {
    const { options, custom } = this.catalog.sizes(this.el.model.value);
    const groups = new Map();
    for (const o of options) {
      const name = { landscape: "Landscape", portrait: "Portrait", square: "Square" }[o.group] ?? "Sizes";
      if (!groups.has(name)) groups.set(name, []);
      groups.get(name).push(h("option", { value: o.value }, o.label));
    }
    const items = [...groups].map(([label, opts]) => h("optgroup", { label }, opts));
    if (custom) items.push(h("optgroup", { label: "Other" }, h("option", { value: "custom" }, "Custom size…")));
    fill(this.el.size, items);
    const values = options.map((o) => o.value);
    if (preferred === "custom" && custom) this.el.size.value = "custom";
    else if (values.includes(preferred)) this.el.size.value = preferred;
    else this.el.size.value = values.includes("1280x720") ? "1280x720" : values[0] ?? "";
  }

  fillSeconds(preferred) {
    const choices = this.catalog.seconds(this.el.model.value);
    fill(this.el.seconds, choices.map((c) => h("option", { value: c.value }, c.label)));
    const values = choices.map((c) => c.value);
    this.el.seconds.value = values.includes(preferred) ? preferred : values.includes("4") ? "4" : values[0] ?? "";
  }

  fillExtensionSeconds(source) {
    const previous = this.el.seconds.value;
    const choices = this.catalog.extensionSeconds(source.model, source.seconds);
    fill(
      this.el.seconds,
      choices.map((c) => h("option", { value: c.value, disabled: c.disabled }, c.disabled ? `${c.label} (too long)` : c.label)),
    );
    const allowed = choices.filter((c) => !c.disabled).map((c) => c.value);
    this.el.seconds.value = allowed.includes(previous) ? previous : allowed[0] ?? "";
  }

  prefillCustomSize() {
    if (!this.el.width.value || !this.el.height.value) {
      this.el.width.value = "1280";
      this.el.height.value = "720";
    }
  }

  /** The size as a "WxH" string, or null when the custom inputs are not a usable size. */
  chosenSize() {
    if (this.el.size.value !== "custom") return this.el.size.value;
    const w = Number(this.el.width.value);
    const h = Number(this.el.height.value);
    return w && h ? `${w}x${h}` : null;
  }

  // -- sources ---------------------------------------------------------------------------------

  refreshSources() {
    const current = this.el.source.value;
    const videos = this.finishedVideos();
    const options = [h("option", { value: "" }, videos.length ? "Choose a finished video…" : "No finished videos yet")];
    const ids = new Set();
    for (const video of videos) {
      ids.add(video.id);
      options.push(h("option", { value: video.id }, sourceLabel(video)));
    }
    if (current && !ids.has(current)) {
      const video = this.videoById(current);
      if (video) options.push(h("option", { value: current }, sourceLabel(video)));
    }
    fill(this.el.source, options);
    this.el.source.value = current && (ids.has(current) || this.videoById(current)) ? current : "";
    this.renderSourceCard();
  }

  selectedSource() {
    return this.el.source.value ? this.videoById(this.el.source.value) ?? null : null;
  }

  async loadSourceInfo() {
    const id = this.el.source.value;
    if (!id || this.sourceInfo.has(id)) return;
    try {
      this.sourceInfo.set(id, await this.api.studioVideo(id));
      if (this.el.source.value === id) this.render();
    } catch {
      // Only the extension count comes from here; the server checks it again anyway.
    }
  }

  renderSourceCard() {
    const source = this.selectedSource();
    this.el.sourceCard.hidden = !source;
    if (!source) return;
    const thumb = h("img", { alt: "", width: 96, height: 54, class: "source-thumb" });
    this.api.mediaUrl(source.id, "thumbnail").then((url) => (thumb.src = url)).catch(() => {});
    fill(
      this.el.sourceCard,
      thumb,
      h(
        "div",
        { class: "source-text" },
        h("span", { class: "source-prompt" }, truncate(source.prompt, 120)),
        h("span", { class: "source-meta" }, `${source.model} · ${formatSize(source.size)} · ${formatSeconds(source.seconds)}`),
      ),
    );
  }

  /** Prefill the form to rework `video` (from a gallery card or the video page). */
  useSource(video, mode) {
    this.form.elements.mode.value = mode;
    this.errors.clearAll();
    this.refreshSources();
    this.el.source.value = video.id;
    if (this.el.source.value !== video.id) {
      this.el.source.append(h("option", { value: video.id }, sourceLabel(video)));
      this.el.source.value = video.id;
    }
    this.el.prompt.value = mode === "extend" ? "" : video.prompt ?? "";
    this.updateCount();
    this.loadSourceInfo();
    this.render();
    this.form.closest("section").scrollIntoView({ behavior: "smooth", block: "start" });
    this.el.prompt.focus({ preventScroll: true });
    if (mode !== "extend") this.el.prompt.select();
    announce(`${MODE_LABELS[mode]}: ${truncate(video.prompt, 80)}. Write the prompt, then press ${SUBMIT_LABELS[mode]}.`);
  }

  /** Prefill a text request with the settings of an earlier one (its request body). */
  useSettings(body) {
    this.form.elements.mode.value = "text";
    this.errors.clearAll();
    if (this.catalog.has(body.model)) {
      this.el.model.value = body.model;
      setPrefs({ model: body.model });
    }
    const custom = this.catalog.sizes(this.el.model.value).custom;
    this.fillSizes(body.size);
    if (this.el.size.value !== body.size && custom) {
      const [w, hgt] = String(body.size).split("x");
      this.el.size.value = "custom";
      this.el.width.value = w;
      this.el.height.value = hgt;
    }
    this.fillSeconds(String(body.seconds));
    this.el.prompt.value = body.prompt ?? "";
    this.el.seed.value = "";
    this.characters.selected = new Set((body.characters ?? []).map((c) => c.id));
    this.updateCount();
    this.render();
    this.form.closest("section").scrollIntoView({ behavior: "smooth", block: "start" });
    this.el.prompt.focus({ preventScroll: true });
    announce("The form now has that video's prompt and settings.");
  }

  // -- the reference image ---------------------------------------------------------------------

  async pickImage(file) {
    this.errors.clear("image");
    try {
      const bitmap = await loadImage(file, { maxPixels: this.catalog.config.limits?.max_image_pixels ?? Infinity });
      this.image?.bitmap.close();
      this.image = { bitmap, name: file.name };
      this.render();
    } catch (error) {
      this.clearImage();
      this.el.image.value = "";
      this.errors.set("image", error instanceof ImageRejected ? error.message : "That image could not be used.");
    }
  }

  clearImage() {
    this.image?.bitmap.close();
    this.image = null;
    this.render();
  }

  drawImage() {
    if (!this.image) return;
    const size = this.chosenSize();
    if (!size) return;
    const [width, height] = size.split("x").map(Number);
    const position = Number(this.el.cropPosition.value) / 100;
    drawFitted(this.el.canvas, this.image.bitmap, { width, height, fit: this.fit, position });
    const { bitmap } = this.image;
    const axis = cropAxis(bitmap, width, height);
    const matches = bitmap.width === width && bitmap.height === height;
    const what = {
      crop: "cropped to fill the frame",
      pad: "padded with black bars",
      stretch: "stretched to the frame",
    }[this.fit];
    this.el.imageInfo.textContent = matches
      ? `Your image is ${width} × ${height}, the size of the video.`
      : `Your image is ${bitmap.width} × ${bitmap.height}; the video is ${width} × ${height}, so it is ${what} before upload.`;
    this.el.canvas.setAttribute("aria-label", `First frame preview, ${width} × ${height}, ${matches ? "unchanged" : what}`);
    $(".fit", this.el.imagePreview).hidden = matches;
    const cropField = $("#crop-position-field");
    cropField.hidden = matches || this.fit !== "crop" || !axis;
    $("label", cropField).textContent = axis === "vertical" ? "Crop position (top to bottom)" : "Crop position (left to right)";
    const value = Number(this.el.cropPosition.value);
    const ends = axis === "vertical" ? ["top", "bottom"] : ["left", "right"];
    this.el.cropPosition.setAttribute("aria-valuetext", value === 50 ? "centre" : value < 50 ? `${50 - value}% toward the ${ends[0]}` : `${value - 50}% toward the ${ends[1]}`);
  }

  // -- rendering -------------------------------------------------------------------------------

  render() {
    const model = this.el.model.value;

    // Modes the chosen model cannot do are not offered.
    for (const input of this.form.elements.mode) {
      const usable = SOURCE_MODES.has(input.value) || this.catalog.supports(model, input.value);
      input.disabled = !usable;
      input.closest("label").title = usable ? "" : `${model} cannot make ${input.value} videos`;
      if (!usable && input.checked) this.form.elements.mode.value = "text";
    }
    const mode = this.mode;
    const reworking = SOURCE_MODES.has(mode);
    $("#mode-hint").textContent = MODE_HINTS[mode];
    this.el.submitLabel.textContent = SUBMIT_LABELS[mode];

    $("#source-field").hidden = !reworking;
    $("#image-field").hidden = mode !== "image";
    $("#model-field").hidden = reworking;
    $("#size-field").hidden = reworking;
    $("#characters-field").hidden = reworking;
    $("#seconds-field").hidden = mode === "remix" || mode === "edit";
    this.el.customSize.hidden = reworking || this.el.size.value !== "custom";
    this.el.modelHint.textContent = this.catalog.describe(model);
    this.el.prompt.placeholder =
      mode === "extend"
        ? "What happens next: the fox stops, looks back at the camera, then bounds into the trees"
        : "Wide shot of a red fox trotting through fresh snow at dusk, soft light, the camera tracking slowly left";

    const source = reworking ? this.selectedSource() : null;
    if (reworking) {
      if (this.el.source.options.length <= 1) this.refreshSources();
      else this.renderSourceCard();
    }
    $("#inherited-field").hidden = !source;
    if (source) {
      const parts = [source.model, formatSize(source.size)];
      if (mode !== "extend") parts.push(formatSeconds(source.seconds));
      $("#inherited-text").textContent = parts.join(" · ");
    }
    if (mode === "extend") {
      this.el.secondsLabel.textContent = "Add";
      if (source) {
        this.fillExtensionSeconds(source);
        const total = Number(source.seconds) + Number(this.el.seconds.value || 0);
        this.el.secondsHint.textContent = `Now ${formatSeconds(source.seconds)}; ${formatSeconds(total)} after this extension.`;
      } else {
        fill(this.el.seconds, h("option", { value: "" }, "Choose a source first"));
        this.el.secondsHint.textContent = "";
      }
      this.el.secondsHint.hidden = !source;
    } else if (this.el.secondsLabel.textContent !== "Length") {
      this.el.secondsLabel.textContent = "Length";
      this.el.secondsHint.hidden = true;
      this.fillSeconds(getPrefs().seconds);
    }

    this.el.imagePreview.hidden = !(mode === "image" && this.image);
    if (mode === "image") this.drawImage();
    this.characters.render();
    this.renderEstimate();
  }

  /** The model, size and seconds this request will produce, for the estimate. */
  planned() {
    const mode = this.mode;
    if (SOURCE_MODES.has(mode)) {
      const source = this.selectedSource();
      if (!source) return null;
      const seconds = mode === "extend" ? this.el.seconds.value : source.seconds;
      return seconds ? { model: source.model, size: source.size, seconds } : null;
    }
    const size = this.chosenSize();
    return size ? { model: this.el.model.value, size, seconds: this.el.seconds.value } : null;
  }

  renderEstimate() {
    const plan = this.planned();
    const box = this.el.estimate;
    if (!plan) {
      fill(box, h("p", { class: "estimate-detail" }, SOURCE_MODES.has(this.mode) ? "Choose a source video to see an estimate." : "Choose a size to see an estimate."));
      return;
    }
    const estimate = this.catalog.estimate(plan.model, plan.size, plan.seconds);
    box.dataset.kind = estimate.kind;
    fill(
      box,
      h(
        "p",
        { class: "estimate-main" },
        h("span", { class: "estimate-label" }, estimate.kind === "price" ? "Estimated cost" : "Cost"),
        h("strong", { class: "estimate-value" }, estimate.text),
      ),
      h("p", { class: "estimate-detail" }, estimate.detail),
    );
  }

  updateCount() {
    const length = this.el.prompt.value.length;
    this.el.count.textContent = `${length.toLocaleString("en-US")} / ${PROMPT_MAX.toLocaleString("en-US")}`;
    this.el.count.classList.toggle("over", length > PROMPT_MAX);
  }

  /** Problems the server would reject, found before sending anything. */
  check() {
    const problems = [];
    const mode = this.mode;
    const prompt = this.el.prompt.value;
    if (!prompt.trim()) problems.push(["prompt", mode === "extend" ? "Describe what happens next." : "Describe the video you want."]);
    else if (prompt.length > PROMPT_MAX) problems.push(["prompt", `Shorten the prompt to ${PROMPT_MAX.toLocaleString("en-US")} characters or fewer.`]);

    if (SOURCE_MODES.has(mode)) {
      const source = this.selectedSource();
      if (!source) problems.push(["source", "Choose the video to start from."]);
      else if (source.status !== "completed") problems.push(["source", "Only finished videos can be reworked."]);
      else if (!this.catalog.supports(source.model, mode)) problems.push(["source", `${source.model} cannot ${mode} videos.`]);
      else if (mode === "extend") {
        const info = this.sourceInfo.get(source.id);
        const max = this.catalog.config.limits?.max_extensions ?? 6;
        if (info && info.extensions >= max) problems.push(["source", `This video has been extended ${info.extensions} times, the most allowed.`]);
        else if (!this.el.seconds.value) problems.push(["seconds", "This video is already as long as a video can be."]);
      }
    } else {
      const size = this.chosenSize();
      if (this.el.size.value === "custom") {
        const w = Number(this.el.width.value);
        const hgt = Number(this.el.height.value);
        const max = this.catalog.maxPixels(this.el.model.value);
        if (!Number.isInteger(w) || !Number.isInteger(hgt) || w < 64 || hgt < 64 || w % 2 || hgt % 2) {
          problems.push(["size", "Width and height must be even whole numbers of at least 64."]);
        } else if (w * hgt > max) {
          problems.push(["size", `${w} × ${hgt} is ${(w * hgt).toLocaleString("en-US")} pixels; this model makes at most ${max.toLocaleString("en-US")}.`]);
        }
      } else if (!size) problems.push(["size", "Choose a size."]);
      if (mode === "image" && !this.image) problems.push(["image", "Choose the image the video starts from."]);
    }
    const seed = this.el.seed.value.trim();
    if (seed && !(/^\d+$/.test(seed) && Number(seed) <= SEED_MAX)) {
      problems.push(["seed", `Use a whole number from 0 to ${SEED_MAX}, or leave it empty for a random seed.`]);
    }
    return problems;
  }

  // -- submitting ------------------------------------------------------------------------------

  async submit() {
    if (this.busy) return;
    this.errors.clearAll();
    const problems = this.check();
    if (problems.length) {
      for (const [field, message] of problems) this.errors.set(field, message);
      this.errors.focus(problems[0][0]);
      announce(`${problems.length === 1 ? "One field needs" : `${problems.length} fields need`} attention: ${problems[0][1]}`);
      return;
    }
    this.busy = true;
    this.el.submit.disabled = true;
    this.el.submit.setAttribute("aria-busy", "true");
    const label = this.el.submitLabel.textContent;
    this.el.submitLabel.textContent = "Sending…";
    try {
      const video = await this.send();
      this.onCreated(video);
    } catch (error) {
      if (error.name === "AbortError") return;
      this.showServerError(error);
    } finally {
      this.busy = false;
      this.el.submit.disabled = false;
      this.el.submit.removeAttribute("aria-busy");
      this.el.submitLabel.textContent = label;
    }
  }

  async send() {
    const mode = this.mode;
    const prompt = this.el.prompt.value;
    const seedText = this.el.seed.value.trim();
    const seed = seedText ? Number(seedText) : null;
    if (SOURCE_MODES.has(mode)) {
      const id = this.el.source.value;
      if (mode === "remix") return this.api.remix(id, withSeed({ prompt }, seed));
      if (mode === "edit") return this.api.edit(withSeed({ prompt, video: { id } }, seed));
      return this.api.extend(withSeed({ prompt, seconds: this.el.seconds.value, video: { id } }, seed));
    }
    const form = new FormData();
    form.append("prompt", prompt);
    form.append("model", this.el.model.value);
    form.append("size", this.chosenSize());
    form.append("seconds", this.el.seconds.value);
    if (seed !== null) form.append("seed", String(seed));
    this.characters.chosen().forEach((id, i) => form.append(`characters[${i}][id]`, id));
    if (mode === "image") {
      this.drawImage();
      const blob = await canvasBlob(this.el.canvas);
      form.append("input_reference", blob, "reference.png");
    }
    return this.api.createVideo(form);
  }

  showServerError(error) {
    const field = fieldForParam(error.param);
    let message = error.friendly ?? error.message;
    if (field === "characters") {
      message += " It may belong to another project or server: remove it from the list below.";
    }
    const input = field ? inputsOf(field)[0] : null;
    if (field && input && input.offsetParent !== null) {
      this.errors.set(field, message);
      this.errors.focus(field);
    } else {
      this.errors.alert(message, error.details ?? null);
    }
    announce(message);
  }
}

function withSeed(body, seed) {
  return seed === null ? body : { ...body, seed };
}

function sourceLabel(video) {
  return `${truncate(video.prompt || video.id, 56)} · ${formatSeconds(video.seconds)}`;
}
