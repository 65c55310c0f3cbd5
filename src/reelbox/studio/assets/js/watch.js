// Live status and progress of unfinished videos.
//
// Each video is followed through `GET /v1/videos/{id}/events` (Server-Sent Events, a Reelbox
// extension) when the server has it; otherwise, or when the stream drops, by polling
// `GET /v1/videos/{id}` as often as its `openai-poll-after-ms` header says. Streams hold a
// connection each, and browsers allow about six per server, so only a few run at once.

import { BASE, TERMINAL } from "./api.js";

const MAX_STREAMS = 3;
const DEFAULT_POLL_MS = 1000;
const MIN_POLL_MS = 100;
const MAX_POLL_MS = 30000;

export class Watcher {
  /**
   * @param {import("./api.js").Api} api
   * @param {{onUpdate: (video: object) => void, onGone: (id: string) => void}} handlers
   */
  constructor(api, { onUpdate, onGone }) {
    this.api = api;
    this.onUpdate = onUpdate;
    this.onGone = onGone;
    this.running = new Map(); // id → AbortController
    this.streams = 0;
    this.eventsAvailable = null; // unknown until the first try
    this.probe = null; // the first try, while it runs
  }

  watch(video) {
    if (TERMINAL.has(video.status) || this.running.has(video.id)) return;
    const controller = new AbortController();
    this.running.set(video.id, controller);
    this.follow(video.id, controller.signal)
      .catch((error) => {
        if (error.name !== "AbortError") console.warn("watch", video.id, error);
      })
      .finally(() => {
        if (this.running.get(video.id) === controller) this.running.delete(video.id);
      });
  }

  stop(id) {
    this.running.get(id)?.abort();
    this.running.delete(id);
  }

  stopAll() {
    for (const id of [...this.running.keys()]) this.stop(id);
  }

  async follow(id, signal) {
    // While the first stream request tells whether the server has events, the others wait.
    if (this.eventsAvailable === null && this.probe) await this.probe;
    if (this.eventsAvailable !== false && this.streams < MAX_STREAMS) {
      this.streams += 1;
      try {
        if (await this.stream(id, signal)) return;
      } finally {
        this.streams -= 1;
      }
    }
    await this.poll(id, signal);
  }

  /** Follow the event stream; true once the video is finished (or gone). */
  async stream(id, signal) {
    let settle = () => {};
    if (this.eventsAvailable === null && !this.probe) {
      this.probe = new Promise((resolve) => {
        let settled = false;
        settle = () => {
          if (settled) return;
          settled = true;
          this.probe = null;
          resolve();
        };
      });
    }
    try {
      return await this.read(id, signal, settle);
    } finally {
      settle();
    }
  }

  /** Read the stream; `known()` is called once the answer says whether streams exist. */
  async read(id, signal, known) {
    let response;
    try {
      response = await fetch(`${BASE}/videos/${encodeURIComponent(id)}/events`, {
        headers: { ...this.api.authHeaders(), Accept: "text/event-stream" },
        cache: "no-store",
        signal,
      });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      return false;
    }
    const type = response.headers.get("content-type") || "";
    if (!response.ok || !type.includes("text/event-stream")) {
      // A 404 for an unknown route ("Invalid URL …") means this server has no event stream.
      if (response.status === 404 || response.status === 405) {
        const body = await response.json().catch(() => null);
        const message = body?.error?.message || "";
        if (response.status === 405 || message.startsWith("Invalid URL")) this.eventsAvailable = false;
      }
      known();
      return false;
    }
    this.eventsAvailable = true;
    known();
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return false;
        buffer += value;
        const blocks = buffer.split(/\r?\n\r?\n/);
        buffer = blocks.pop() ?? "";
        for (const block of blocks) {
          const update = parseEvent(block);
          if (!update) continue;
          if (update.deleted) {
            await reader.cancel().catch(() => {});
            this.onGone(id);
            return true;
          }
          this.onUpdate({ ...update, id });
          if (TERMINAL.has(update.status)) {
            await reader.cancel().catch(() => {});
            if (update.object !== "video") await this.refresh(id, signal);
            return true;
          }
        }
      }
    } catch (error) {
      if (error.name === "AbortError") throw error;
      return false;
    }
  }

  /** Poll until the video finishes, at the pace the server asks for. */
  async poll(id, signal) {
    let failures = 0;
    for (;;) {
      let wait;
      try {
        const { video, pollAfterMs } = await this.api.retrieve(id, { signal });
        failures = 0;
        this.onUpdate(video);
        if (TERMINAL.has(video.status)) return;
        wait = clamp(pollAfterMs ?? DEFAULT_POLL_MS, MIN_POLL_MS, MAX_POLL_MS);
      } catch (error) {
        if (error.name === "AbortError") throw error;
        if (error.status === 404) {
          this.onGone(id);
          return;
        }
        failures += 1; // the server restarting, or the network: back off and keep going
        wait = clamp(DEFAULT_POLL_MS * 2 ** failures, MIN_POLL_MS, MAX_POLL_MS);
      }
      await sleep(wait, signal);
    }
  }

  async refresh(id, signal) {
    try {
      const { video } = await this.api.retrieve(id, { signal });
      this.onUpdate(video);
    } catch (error) {
      if (error.status === 404) this.onGone(id);
      else throw error;
    }
  }
}

/** One SSE block → the Video (or {status?, progress?}, or {deleted}) its data carries. */
export function parseEvent(block) {
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  if (!data.length) return null; // a comment or keep-alive
  let payload;
  try {
    payload = JSON.parse(data.join("\n"));
  } catch {
    return null;
  }
  if (payload?.object === "video.deleted") return { deleted: true };
  // The Video itself (Reelbox sends the whole object), or an envelope around it.
  for (const candidate of [payload, payload?.data, payload?.video]) {
    if (candidate && typeof candidate === "object" && ("status" in candidate || "progress" in candidate)) {
      if (candidate.object === "video") return candidate;
      const update = {};
      if (typeof candidate.status === "string") update.status = candidate.status;
      if (Number.isFinite(candidate.progress)) update.progress = candidate.progress;
      return update;
    }
  }
  return null;
}

function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(new DOMException("aborted", "AbortError"));
      },
      { once: true },
    );
  });
}
