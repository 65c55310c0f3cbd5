// One video's page: the player (with sound), download, lineage, prompt and parameters, delete,
// and the curl / Python code that makes it again.

import { $, fill, h, icon } from "./dom.js";
import { announce } from "./dialogs.js";
import { formatDate, formatSeconds, formatSize, orientation, relativeTime, truncate } from "./format.js";
import { curlSnippet, pythonSnippet } from "./snippets.js";
import { failureDetails, failureText, statusText } from "./status.js";

const LINEAGE_LABELS = { remix: "Remixed from", edit: "Edited from", extension: "Extended from" };

export class DetailView {
  /**
   * @param {import("./api.js").Api} api
   * @param {{onAction: (action: string, video: object, info?: object) => void}} handlers
   */
  constructor(api, { onAction }) {
    this.api = api;
    this.onAction = onAction;
    this.root = $("#view-video");
    this.id = null;
    this.video = null;
    this.info = null;
    this.tab = "curl";
    this.token = 0;
  }

  async show(id) {
    const token = ++this.token;
    this.id = id;
    this.video = null;
    this.info = null;
    fill(this.root, backLink(), h("p", { class: "hint loading" }, "Loading the video…"));
    try {
      const [{ video }, info] = await Promise.all([this.api.retrieve(id), this.api.studioVideo(id)]);
      if (token !== this.token) return null;
      this.video = video;
      this.info = info;
      this.render();
      $("#detail-heading").focus({ preventScroll: true });
      return video;
    } catch (error) {
      if (token !== this.token) return null;
      const message =
        error.status === 404 ? "This video does not exist, or it belongs to another project." : error.friendly ?? error.message;
      fill(this.root, backLink(), h("div", { class: "notice error", role: "alert" }, icon("alert"), h("p", {}, message)));
      return null;
    }
  }

  hide() {
    this.token += 1;
    this.id = null;
    const player = this.root.querySelector("video");
    if (player) player.pause();
  }

  /** A newer state of the shown video (from the watcher). */
  async update(video) {
    if (!this.video || video.id !== this.id) return;
    const statusChanged = video.status !== this.video.status;
    this.video = { ...this.video, ...video };
    if (!statusChanged) {
      const bar = this.root.querySelector(".stage progress");
      if (bar) bar.value = Number(video.progress) || 0;
      const label = this.root.querySelector(".stage .stage-status");
      if (label) label.textContent = statusText(this.video);
      return;
    }
    const token = this.token;
    try {
      const info = await this.api.studioVideo(video.id);
      if (token !== this.token) return;
      this.info = info;
    } catch {
      // keep the old details; the status below is still right
    }
    const hadFocus = this.root.contains(document.activeElement);
    this.render();
    if (hadFocus) $("#detail-heading").focus({ preventScroll: true });
  }

  render() {
    const video = this.video;
    const info = this.info;
    // Portrait videos take the full height with the details and the code beside them; others
    // the wide column, with the details beside and the code under them.
    const portrait = orientation(video.size) === "portrait";
    const code = this.reproduce(info);
    fill(
      this.root,
      backLink(),
      h(
        "div",
        { class: `detail-grid ${portrait ? "portrait" : "landscape"}` },
        h("div", { class: "detail-main" }, this.stage(video, info), portrait ? null : code),
        h(
          "div",
          { class: "detail-side" },
          h(
            "div",
            { class: "detail-head" },
            h(
              "p",
              { class: "eyebrow" },
              h("span", { class: `status-pill ${video.status}` }, statusText(video)),
              h("span", {}, `Created ${relativeTime(video.created_at)}`),
            ),
            h("h2", { id: "detail-heading", class: "detail-title", tabindex: "-1" }, truncate(video.prompt || video.id, 160)),
            notDrawn(info),
            this.actions(video, info),
          ),
          this.lineage(info),
          this.parameters(video, info),
        ),
        portrait ? h("div", { class: "detail-extra" }, code) : null,
      ),
    );
  }

  stage(video, info) {
    const stage = h("div", { class: "stage" });
    if (video.status === "completed") {
      const player = h("video", {
        controls: true,
        preload: "metadata",
        playsinline: true,
        class: "player",
        "aria-label": `Video: ${truncate(video.prompt, 100)}`,
      });
      const [w, hgt] = String(video.size).split("x").map(Number);
      if (w && hgt) {
        player.style.aspectRatio = `${w} / ${hgt}`;
        player.style.setProperty("--ratio", String(w / hgt));
      }
      this.api.mediaUrl(video.id, "thumbnail").then((url) => (player.poster = url)).catch(() => {});
      this.api
        .mediaUrl(video.id, "video")
        .then((url) => (player.src = url))
        .catch((error) => stage.replaceChildren(notice(`The video could not be loaded: ${error.friendly ?? error.message}`)));
      stage.append(player);
      if (info?.output) {
        stage.append(
          h(
            "p",
            { class: "stage-caption" },
            icon(info.output.has_audio ? "sound" : "film"),
            `${info.output.has_audio ? "With sound" : "Silent"} · ${formatSeconds(info.output.duration)} · ${info.output.fps} fps · ${formatSize(`${info.output.width}x${info.output.height}`)}`,
          ),
        );
      }
    } else if (video.status === "failed") {
      stage.append(
        h(
          "div",
          { class: "stage-placeholder failed", role: "alert" },
          icon("alert", "placeholder-icon"),
          h("p", { class: "stage-status" }, "This video failed"),
          h("p", { class: "stage-error" }, failureText(video.error)),
          video.error?.code ? h("p", { class: "hint" }, "Error code: ", h("code", {}, video.error.code)) : null,
          failureDetails(video.error)
            ? h("details", { class: "failure-details" }, h("summary", {}, "Details"), h("p", {}, failureDetails(video.error)))
            : null,
        ),
      );
    } else {
      const progress = Number(video.progress) || 0;
      stage.append(
        h(
          "div",
          { class: "stage-placeholder" },
          icon(video.status === "queued" ? "clock" : "film", "placeholder-icon pulse"),
          h("p", { class: "stage-status" }, statusText(video)),
          h("progress", { max: 100, value: progress, "aria-label": "Rendering progress" }, `${progress}%`),
        ),
      );
    }
    return stage;
  }

  actions(video, info) {
    const buttons = [];
    if (video.status === "completed") {
      const download = h("a", { class: "button primary", href: this.api.contentUrl(video.id), download: `${video.id}.mp4` }, icon("download"), "Download MP4");
      if (!this.api.openMode) {
        // With a key, the file comes through fetch (headers) into a blob URL.
        download.addEventListener("click", async (event) => {
          if (download.dataset.ready) return;
          event.preventDefault();
          download.setAttribute("aria-busy", "true");
          try {
            download.href = await this.api.mediaUrl(video.id, "video");
            download.dataset.ready = "1";
            download.click();
          } catch (error) {
            announce(`Download failed: ${error.friendly ?? error.message}`);
          } finally {
            download.removeAttribute("aria-busy");
          }
        });
      }
      buttons.push(
        download,
        this.button("remix", "Remix", video),
        this.button("extend", "Extend", video),
        this.button("edit", "Edit", video),
      );
    }
    if (info && (info.mode === "text" || info.mode === "image")) {
      buttons.push(this.button("reuse", "Reuse settings", video, "copy"));
    }
    buttons.push(
      h(
        "button",
        { type: "button", class: "button danger-outline", onclick: () => this.onAction("delete", video) },
        icon("trash"),
        video.status === "completed" || video.status === "failed" ? "Delete" : "Cancel and delete",
      ),
    );
    return h("div", { class: "detail-actions" }, buttons);
  }

  button(action, label, video, iconName = action) {
    return h(
      "button",
      { type: "button", class: "button ghost", onclick: () => this.onAction(action, video, this.info) },
      icon(iconName),
      label,
    );
  }

  lineage(info) {
    if (!info?.lineage?.length) return null;
    return h(
      "section",
      { class: "detail-section", "aria-labelledby": "lineage-heading" },
      h("h3", { id: "lineage-heading" }, icon("lineage"), "Lineage"),
      h(
        "ol",
        { class: "lineage" },
        info.lineage.map((step) => {
          const label = LINEAGE_LABELS[step.kind] ?? step.kind;
          let target;
          if (!step.id) target = h("span", { class: "muted" }, "an uploaded clip");
          else if (!step.available) target = h("span", { class: "muted" }, `${step.id} (deleted)`);
          else target = h("a", { href: `#/videos/${step.id}` }, truncate(step.prompt || step.id, 80));
          return h(
            "li",
            {},
            h("span", { class: "lineage-kind" }, label),
            target,
            step.available && step.seconds ? h("span", { class: "muted" }, ` · ${formatSeconds(step.seconds)}`) : null,
          );
        }),
      ),
    );
  }

  parameters(video, info) {
    const rows = [
      ["Model", info?.profile && info.profile !== video.model ? `${video.model} (profile ${info.profile})` : video.model],
      ["Mode", info ? modeName(info.mode) : null],
      ["Size", formatSize(video.size)],
      ["Length", formatSeconds(video.seconds)],
      ["Seed", info ? String(info.seed) : null],
      ["Frames", info?.output ? `${info.output.frame_count} at ${info.output.fps} fps` : null],
      ["Sound", info?.output ? (info.output.has_audio ? "Yes" : "No") : null],
      ["Created", formatDate(video.created_at)],
      ["Finished", video.completed_at ? formatDate(video.completed_at) : null],
      ["Expires", video.expires_at ? formatDate(video.expires_at) : null],
    ].filter(([, value]) => value !== null && value !== undefined);
    const copyId = h("button", { type: "button", class: "icon-button", "aria-label": "Copy video id", title: "Copy id" }, icon("copy"));
    copyId.addEventListener("click", () => copyText(video.id, "Video id copied."));
    return h(
      "section",
      { class: "detail-section", "aria-labelledby": "params-heading" },
      h("h3", { id: "params-heading" }, "Prompt and parameters"),
      h("p", { class: "prompt-full" }, video.prompt || "—"),
      h(
        "dl",
        { class: "params" },
        rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
        h("dt", {}, "Id"),
        h("dd", { class: "id-row" }, h("code", {}, video.id), copyId),
      ),
    );
  }

  reproduce(info) {
    if (!info?.request) return null;
    const origin = window.location.origin;
    const needsKey = !this.api.openMode;
    const code = {
      curl: curlSnippet(info.request, { origin, needsKey }),
      python: pythonSnippet(info.request, { origin, needsKey }),
    };
    const labels = { curl: "curl", python: "Python SDK" };
    const panel = h("div", { class: "snippet", role: "tabpanel", id: "snippet-panel" });
    const tabs = {};
    const select = (name, focus = false) => {
      this.tab = name;
      for (const [key, tab] of Object.entries(tabs)) {
        const on = key === name;
        tab.setAttribute("aria-selected", String(on));
        tab.tabIndex = on ? 0 : -1;
        if (on && focus) tab.focus();
      }
      panel.setAttribute("aria-labelledby", `tab-${name}`);
      // The code scrolls sideways on narrow screens, so it takes focus (arrow keys scroll it).
      fill(panel, h("pre", { tabindex: "0", "aria-label": `${labels[name]} code` }, h("code", {}, code[name])));
    };
    for (const name of Object.keys(code)) {
      tabs[name] = h(
        "button",
        {
          type: "button",
          role: "tab",
          id: `tab-${name}`,
          "aria-controls": "snippet-panel",
          class: "tab",
          onclick: () => select(name),
          onkeydown: (event) => {
            if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
            event.preventDefault();
            const names = Object.keys(code);
            const next = names[(names.indexOf(name) + (event.key === "ArrowRight" ? 1 : names.length - 1)) % names.length];
            select(next, true);
          },
        },
        labels[name],
      );
    }
    const copy = h("button", { type: "button", class: "button ghost small", id: "copy-snippet" }, icon("copy"), "Copy");
    copy.addEventListener("click", () => copyText(code[this.tab], `${labels[this.tab]} snippet copied.`, copy));
    select(this.tab);
    return h(
      "section",
      { class: "detail-section reproduce", "aria-labelledby": "reproduce-heading" },
      h("div", { class: "section-row" }, h("h3", { id: "reproduce-heading" }, icon("code"), "Make it again"), copy),
      h("div", { class: "tabs", role: "tablist", "aria-label": "Snippet language" }, Object.values(tabs)),
      panel,
      h("p", { class: "hint" }, needsKey ? "Reads your key from OPENAI_API_KEY. The seed is a Reelbox extension: the same seed makes the same video." : "The seed is a Reelbox extension: the same seed makes the same video."),
    );
  }
}

/** The words of the prompt the engine could not draw (when the server reports them). */
function notDrawn(info) {
  const words = Array.isArray(info?.not_understood) ? info.not_understood.filter((w) => typeof w === "string" && w) : [];
  if (!words.length) return null;
  return h("p", { class: "not-drawn" }, `Not drawn: ${words.join(", ")}`);
}

function backLink() {
  return h("a", { class: "back", href: "#/" }, icon("back"), "All videos");
}

function notice(text) {
  return h("div", { class: "notice error", role: "alert" }, icon("alert"), h("p", {}, text));
}

function modeName(mode) {
  return { text: "Text to video", image: "Image to video", remix: "Remix", edit: "Edit", extend: "Extension", inpaint: "Inpaint" }[mode] ?? mode;
}

/** Copy to the clipboard, with a fallback for pages that are not a secure context. */
export async function copyText(text, message, button = null) {
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch {
    const area = h("textarea", { class: "visually-hidden", "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    ok = document.execCommand("copy");
    area.remove();
  }
  announce(ok ? message : "Copying failed: select the text and copy it yourself.");
  if (button && ok) {
    const label = [...button.childNodes].find((n) => n.nodeType === Node.TEXT_NODE);
    if (label) {
      label.textContent = "Copied";
      setTimeout(() => (label.textContent = "Copy"), 1500);
    }
  }
  return ok;
}
