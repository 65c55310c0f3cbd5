// The studio's only way to the server: the public API under /v1, with the key from this browser.

import { formatBytes } from "./format.js";
import { getKey } from "./storage.js";

export const BASE = "/v1";
export const TERMINAL = new Set(["completed", "failed"]);

/** An API error: the server's OpenAI-style message plus the field it is about (`param`). */
export class ApiError extends Error {
  constructor(status, body, { retryAfter = null } = {}) {
    const error = body && typeof body === "object" && body.error ? body.error : null;
    super(error?.message || describeStatus(status));
    this.name = "ApiError";
    this.status = status;
    this.param = error?.param ?? null;
    this.code = error?.code ?? null;
    this.type = error?.type ?? null;
    this.retryAfter = retryAfter;
  }

  /** The server's own words when they are meant for operators (a 5xx), for a "details" toggle. */
  get details() {
    return this.status >= 500 && this.message !== describeStatus(this.status) ? this.message : null;
  }

  /** What to tell a person: the server's words, with advice where the status calls for it. */
  get friendly() {
    if (this.status === 0) return this.message;
    if (this.status === 401) return "This server needs a valid API key. Add one with the API key button at the top.";
    if (this.status === 413) return `${this.message} Choose a smaller file.`;
    if (this.status === 429) {
      const wait = this.retryAfter ? ` Try again in ${this.retryAfter} s.` : " Try again shortly.";
      return this.message === "Too many running tasks"
        ? `Too many videos are waiting for this project.${wait}`
        : `${this.message}${wait}`;
    }
    if (this.status >= 500) {
      return `The server had a problem (${this.status}${this.code ? `, ${this.code}` : ""}). Try again shortly; if it keeps happening, tell whoever runs this server.`;
    }
    return this.message;
  }
}

function describeStatus(status) {
  if (status === 0) return "Cannot reach the Reelbox server. Check that it is running.";
  if (status === 404) return "Not found.";
  return `The server answered ${status}.`;
}

export class Api {
  constructor() {
    this.openMode = null; // known once /v1/studio/config answers
    this.onUnauthorized = null;
    this.maxUploadBytes = null;
    this.mediaCache = new Map(); // key mode: "id:variant" → blob URL
  }

  authHeaders() {
    const key = getKey();
    return key ? { Authorization: `Bearer ${key}` } : {};
  }

  /** fetch with the key; throws ApiError for network failures and non-2xx answers. */
  async fetch(path, { method = "GET", json, form, headers = {}, signal } = {}) {
    const init = { method, signal, headers: { ...this.authHeaders(), ...headers }, cache: "no-store" };
    if (json !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(json);
    } else if (form !== undefined) {
      init.body = form;
    }
    let response;
    try {
      response = await fetch(path.startsWith("/") ? path : `${BASE}/${path}`, init);
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, null);
    }
    if (!response.ok) {
      let body = null;
      try {
        body = await response.json();
      } catch {
        body = null;
      }
      const retryAfter = Number(response.headers.get("retry-after")) || null;
      const error = new ApiError(response.status, body, { retryAfter });
      if (response.status === 413 && this.maxUploadBytes) {
        error.message = `The upload is larger than this server accepts (${formatBytes(this.maxUploadBytes)}).`;
      }
      if (response.status === 401 && this.onUnauthorized) this.onUnauthorized(error);
      throw error;
    }
    return response;
  }

  async json(path, options) {
    const response = await this.fetch(path, options);
    return response.json();
  }

  config() {
    return this.json(`${BASE}/studio/config`);
  }

  models() {
    return this.json(`${BASE}/models`);
  }

  listVideos({ after = null, limit = 24 } = {}) {
    const query = new URLSearchParams({ limit: String(limit), order: "desc" });
    if (after) query.set("after", after);
    return this.json(`${BASE}/videos?${query}`);
  }

  /** The video and the server's polling hint (openai-poll-after-ms). */
  async retrieve(id, { signal } = {}) {
    const response = await this.fetch(`${BASE}/videos/${encodeURIComponent(id)}`, { signal });
    const pollAfter = Number(response.headers.get("openai-poll-after-ms"));
    return { video: await response.json(), pollAfterMs: Number.isFinite(pollAfter) && pollAfter > 0 ? pollAfter : null };
  }

  studioVideo(id) {
    return this.json(`${BASE}/studio/videos/${encodeURIComponent(id)}`);
  }

  deleteVideo(id) {
    return this.json(`${BASE}/videos/${encodeURIComponent(id)}`, { method: "DELETE" });
  }

  createVideo(form) {
    return this.json(`${BASE}/videos`, { method: "POST", form });
  }

  remix(id, body) {
    return this.json(`${BASE}/videos/${encodeURIComponent(id)}/remix`, { method: "POST", json: body });
  }

  edit(body) {
    return this.json(`${BASE}/videos/edits`, { method: "POST", json: body });
  }

  extend(body) {
    return this.json(`${BASE}/videos/extensions`, { method: "POST", json: body });
  }

  createCharacter(form) {
    return this.json(`${BASE}/videos/characters`, { method: "POST", form });
  }

  character(id) {
    return this.json(`${BASE}/videos/characters/${encodeURIComponent(id)}`);
  }

  contentUrl(id, variant = "video") {
    return `${BASE}/videos/${encodeURIComponent(id)}/content?variant=${variant}`;
  }

  /**
   * A URL an <img>/<video> can load. In open mode that is the content URL itself (streaming,
   * Range, browser cache); with a key the bytes are fetched with the header into a blob URL.
   */
  async mediaUrl(id, variant) {
    if (this.openMode) return this.contentUrl(id, variant);
    const cacheKey = `${id}:${variant}`;
    if (!this.mediaCache.has(cacheKey)) {
      const promise = this.fetch(this.contentUrl(id, variant))
        .then((r) => r.blob())
        .then((blob) => URL.createObjectURL(blob));
      promise.catch(() => this.mediaCache.delete(cacheKey));
      this.mediaCache.set(cacheKey, promise);
    }
    return this.mediaCache.get(cacheKey);
  }

  /** The spritesheet's URL and grid geometry (from its x-spritesheet-* headers). */
  async spritesheet(id) {
    const url = this.contentUrl(id, "spritesheet");
    const response = await this.fetch(url, { method: this.openMode ? "HEAD" : "GET" });
    const geometry = {
      columns: Number(response.headers.get("x-spritesheet-columns")) || 1,
      rows: Number(response.headers.get("x-spritesheet-rows")) || 1,
      frameWidth: Number(response.headers.get("x-spritesheet-frame-width")) || 0,
      frameHeight: Number(response.headers.get("x-spritesheet-frame-height")) || 0,
    };
    const src = this.openMode ? url : URL.createObjectURL(await response.blob());
    return { src, ...geometry };
  }

  forgetMedia(id) {
    for (const [cacheKey, promise] of this.mediaCache) {
      if (cacheKey.startsWith(`${id}:`)) {
        promise.then((u) => URL.revokeObjectURL(u)).catch(() => {});
        this.mediaCache.delete(cacheKey);
      }
    }
  }
}
