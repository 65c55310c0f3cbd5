// The gallery: the project's videos newest first, loaded page by page (cursor pagination with
// `after`) as you scroll, each card showing live status and progress.

import { TERMINAL } from "./api.js";
import { $, h, icon } from "./dom.js";
import { failureText, statusText } from "./status.js";
import { formatSeconds, formatSize, orientation, relativeTime } from "./format.js";
import { attachScrub } from "./scrub.js";

const PAGE = 24;
const ROW = 4; // px: the masonry's row unit (grid-auto-rows in styles.css)

export class Gallery {
  /**
   * @param {import("./api.js").Api} api
   * @param {{onAction: (action: string, video: object) => void}} handlers
   */
  constructor(api, { onAction }) {
    this.api = api;
    this.onAction = onAction;
    this.list = $("#cards");
    this.empty = $("#gallery-empty");
    this.status = $("#gallery-status");
    this.more = $("#load-more");
    this.cards = new Map(); // id → {li, video}
    this.after = null;
    this.hasMore = true;
    this.loading = null;
    this.generation = 0; // bumps on reset, so a late page from before is dropped
    this.more.addEventListener("click", () => this.loadMore());
    this.observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) this.loadMore();
      },
      { rootMargin: "600px 0px" },
    );
    this.observer.observe($("#gallery-foot"));
    // Masonry: each card spans as many rows as its height needs (its picture has its video's
    // shape, so cards differ in height). Cards are `align-self: start`, so a span never feeds back.
    this.sizer = new ResizeObserver((entries) => this.fit(entries.map((e) => e.target)));
  }

  /** Give cards their masonry row spans now (reads every height first, then writes). */
  fit(items) {
    const gap = parseFloat(getComputedStyle(this.list).getPropertyValue("--gap")) || 18;
    const heights = items.map((li) => li.getBoundingClientRect().height);
    items.forEach((li, i) => {
      li.style.gridRowEnd = `span ${Math.max(1, Math.ceil((heights[i] + gap) / ROW))}`;
    });
  }

  /** Whether the video's card is (at least partly) in the viewport. */
  inView(id) {
    const li = this.cards.get(id)?.li;
    if (!li || !li.isConnected) return false;
    const rect = li.getBoundingClientRect();
    return rect.height > 0 && rect.bottom > 0 && rect.top < window.innerHeight && rect.right > 0 && rect.left < window.innerWidth;
  }

  reset() {
    this.generation += 1;
    this.cards.clear();
    this.sizer.disconnect();
    this.list.replaceChildren();
    this.after = null;
    this.hasMore = true;
    this.loading = null;
    this.empty.hidden = true;
    return this.loadMore();
  }

  /** Load the next page; resolves with the videos it added. */
  loadMore() {
    if (this.loading || !this.hasMore) return this.loading ?? Promise.resolve([]);
    const generation = this.generation;
    this.status.textContent = "Loading videos…";
    this.more.hidden = true;
    this.loading = this.api
      .listVideos({ after: this.after, limit: PAGE })
      .then((page) => {
        if (generation !== this.generation) return [];
        const added = [];
        for (const video of page.data) {
          if (!this.cards.has(video.id)) {
            this.put(video, { prepend: false, defer: true });
            added.push(video);
          }
        }
        // Sized at once, so "is the end of the list in sight?" below sees the real layout.
        this.fit(added.map((video) => this.cards.get(video.id).li));
        this.after = page.last_id ?? this.after;
        this.hasMore = Boolean(page.has_more && page.last_id);
        this.status.textContent = this.hasMore
          ? ""
          : this.cards.size
            ? `That is all ${this.cards.size} video${this.cards.size === 1 ? "" : "s"}.`
            : "";
        this.empty.hidden = this.cards.size > 0;
        return added;
      })
      .catch((error) => {
        if (generation === this.generation) this.status.textContent = `Could not load videos: ${error.friendly ?? error.message}`;
        throw error;
      })
      .finally(() => {
        if (generation !== this.generation) return;
        this.loading = null;
        this.more.hidden = !this.hasMore;
        // Still room on screen (or the observer saw the end before the page arrived): go on.
        if (this.hasMore && this.footVisible()) requestAnimationFrame(() => this.loadMore());
      });
    return this.loading;
  }

  footVisible() {
    const rect = $("#gallery-foot").getBoundingClientRect();
    return rect.top < window.innerHeight + 600 && !document.getElementById("view-studio").hidden;
  }

  videos() {
    return [...this.cards.values()].map((c) => c.video);
  }

  get(id) {
    return this.cards.get(id)?.video;
  }

  /** Add or refresh a video's card (partial updates from the event stream are merged). */
  put(update, { prepend = false, defer = false } = {}) {
    const existing = this.cards.get(update.id);
    const video = existing ? { ...existing.video, ...update } : update;
    if (existing && existing.video.status === video.status) {
      // Same status: update progress in place, so focus and hover stay where they are.
      existing.video = video;
      const bar = existing.li.querySelector("progress");
      if (bar) bar.value = Math.max(0, Math.min(100, Number(video.progress) || 0));
      const pill = existing.li.querySelector(".status-pill");
      if (pill) pill.textContent = pillText(video);
      const label = existing.li.querySelector(".placeholder > span");
      if (label) label.textContent = statusText(video);
      return video;
    }
    const li = this.card(video);
    this.sizer.observe(li);
    if (existing) {
      const hadFocus = existing.li.contains(document.activeElement);
      this.sizer.unobserve(existing.li);
      existing.li.replaceWith(li);
      if (hadFocus) li.querySelector(".card-link")?.focus({ preventScroll: true });
    } else if (prepend) this.list.prepend(li);
    else this.list.append(li);
    this.cards.set(video.id, { li, video });
    if (!defer) this.fit([li]);
    this.empty.hidden = true;
    return video;
  }

  remove(id) {
    const entry = this.cards.get(id);
    if (!entry) return;
    this.sizer.unobserve(entry.li);
    entry.li.remove();
    this.cards.delete(id);
    this.api.forgetMedia(id);
    this.empty.hidden = this.cards.size > 0 || this.hasMore;
  }

  focusCard(id) {
    const link = this.cards.get(id)?.li.querySelector(".card-link");
    if (link) {
      link.focus({ preventScroll: true });
      link.scrollIntoView({ block: "nearest" });
      return true;
    }
    return false;
  }

  card(video) {
    const done = video.status === "completed";
    const failed = video.status === "failed";
    const titleId = `card-title-${video.id}`;
    const media = h("div", { class: `card-media ${video.status}` });
    const shape = orientation(video.size) || "landscape";
    const [width, height] = String(video.size).split("x").map(Number);
    if (width && height) media.style.aspectRatio = `${width} / ${height}`; // the video's own shape
    if (done) {
      const img = h("img", { alt: "", loading: "lazy", decoding: "async", class: "thumb" });
      this.api
        .mediaUrl(video.id, "thumbnail")
        .then((url) => (img.src = url))
        .catch(() => media.classList.add("no-thumb"));
      media.append(img);
      media.append(h("span", { class: "badge duration" }, formatSeconds(video.seconds)));
    } else if (failed) {
      media.append(h("div", { class: "placeholder" }, icon("alert", "placeholder-icon"), h("span", {}, "Failed")));
    } else {
      const progress = Math.max(0, Math.min(100, Number(video.progress) || 0));
      media.append(
        h(
          "div",
          { class: "placeholder" },
          icon(video.status === "queued" ? "clock" : "film", "placeholder-icon pulse"),
          h("span", {}, statusText(video)),
          h("progress", { max: 100, value: progress, "aria-label": `Progress of ${shortPrompt(video)}` }, `${progress}%`),
        ),
      );
    }

    const actions = [];
    if (done) {
      actions.push(
        actionButton("remix", "Remix", video, this.onAction),
        actionButton("extend", "Extend", video, this.onAction),
        actionButton("edit", "Edit", video, this.onAction),
      );
    }
    actions.push(
      h(
        "button",
        {
          type: "button",
          class: "icon-button danger-hover",
          "aria-label": `Delete: ${shortPrompt(video)}`,
          title: TERMINAL.has(video.status) ? "Delete" : "Cancel and delete",
          onclick: () => this.onAction("delete", video),
        },
        icon("trash"),
      ),
    );

    const li = h(
      "li",
      { class: `card ${shape}`, dataset: { id: video.id, status: video.status } },
      media,
      h(
        "div",
        { class: "card-body" },
        h("h3", { class: "card-title", id: titleId }, h("a", { class: "card-link", href: `#/videos/${video.id}` }, video.prompt || video.id)),
        h(
          "p",
          { class: "card-meta" },
          h("span", { class: `status-pill ${video.status}` }, pillText(video)),
          h("span", {}, `${video.model} · ${formatSize(video.size)}`),
          h("span", { class: "card-time" }, h("time", { datetime: new Date(video.created_at * 1000).toISOString() }, relativeTime(video.created_at))),
        ),
        failed
          ? h("p", { class: "card-error" }, failureText(video.error), video.error?.code ? h("code", { class: "error-code" }, video.error.code) : null)
          : null,
        h("div", { class: "card-actions" }, actions),
      ),
    );
    if (done) attachScrub(media, video.id, this.api);
    return li;
  }
}

function actionButton(action, label, video, onAction) {
  return h(
    "button",
    {
      type: "button",
      class: "chip",
      title: label,
      "aria-label": `${label}: ${shortPrompt(video)}`,
      onclick: () => onAction(action, video),
    },
    icon(action),
    h("span", { "aria-hidden": "true" }, label),
  );
}

function shortPrompt(video) {
  const text = video.prompt || video.id;
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}

function pillText(video) {
  if (video.status === "in_progress") return `${Math.round(video.progress ?? 0)}%`;
  return { queued: "Queued", completed: "Ready", failed: "Failed" }[video.status] ?? video.status;
}
