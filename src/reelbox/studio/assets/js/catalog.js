// What each model can do, from GET /v1/models (capabilities) and GET /v1/studio/config (prices,
// pixel limits). The create form offers only what these allow.

import { formatCount, formatMoney, formatSeconds, formatSize, orientation } from "./format.js";

// Offered when a profile takes any size (capabilities.sizes is null), largest first.
const SIZE_PRESETS = [
  "1920x1080", "1080x1920", "1280x720", "720x1280", "1024x1024",
  "960x540", "540x960", "854x480", "480x854", "640x360", "360x640",
];
// Offered when a profile takes any length between min_seconds and max_seconds.
const SECONDS_STEPS = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 16, 20, 25, 30, 40, 45, 60, 90, 120];

export const MODE_LABELS = { text: "Text", image: "Image", remix: "Remix", edit: "Edit", extend: "Extend" };

export class Catalog {
  constructor(models, config) {
    this.models = new Map(models.map((m) => [m.id, m]));
    this.config = config;
  }

  names() {
    return [...this.models.keys()];
  }

  has(name) {
    return this.models.has(name);
  }

  caps(name) {
    return this.models.get(name)?.capabilities ?? null;
  }

  supports(name, mode) {
    return Boolean(this.caps(name)?.modes?.includes(mode));
  }

  maxPixels(name) {
    return this.config.models?.[name]?.max_pixels ?? 1920 * 1920;
  }

  /** [{value, label}] of sizes; `custom: true` when any even size within limits is allowed. */
  sizes(name) {
    const caps = this.caps(name);
    if (!caps) return { options: [], custom: false };
    if (caps.sizes) {
      return { options: caps.sizes.map((s) => ({ value: s, label: sizeLabel(s), group: orientation(s) })), custom: false };
    }
    const max = this.maxPixels(name);
    const options = SIZE_PRESETS.filter((s) => pixels(s) <= max).map((s) => ({ value: s, label: sizeLabel(s), group: orientation(s) }));
    return { options, custom: true };
  }

  /** Lengths a new video of this model can have: [{value, label}]. */
  seconds(name) {
    const caps = this.caps(name);
    if (!caps) return [];
    if (caps.seconds) return caps.seconds.map((s) => secondsOption(String(s)));
    return SECONDS_STEPS.filter((s) => s >= caps.min_seconds && s <= caps.max_seconds).map((s) =>
      secondsOption(String(s)),
    );
  }

  /** New-segment lengths for extending a video of `name` that is `total` seconds long now. */
  extensionSeconds(name, total) {
    const caps = this.caps(name);
    if (!caps) return [];
    const limit = this.config.limits?.max_lineage_seconds ?? 120;
    const listed = this.config.models?.[name]?.extension_seconds ?? caps.seconds;
    const values = listed
      ? listed.map(String)
      : SECONDS_STEPS.filter((s) => s >= caps.min_seconds && s <= caps.max_seconds).map(String);
    return values.map((value) => ({
      ...secondsOption(value),
      disabled: Number(value) + Number(total) > limit + 1e-6,
    }));
  }

  describe(name) {
    const model = this.models.get(name);
    if (!model) return "";
    const caps = model.capabilities;
    const parts = [];
    if (model.alias_of) parts.push(`served by ${model.alias_of}`);
    if (model.description) parts.push(model.description.replace(/\.$/, ""));
    parts.push(`${caps.fps} fps`);
    parts.push(caps.audio ? "with sound" : "silent");
    return parts.join(" · ");
  }

  /**
   * What a request will cost and how long it will take. A price only when one is configured (the
   * profile's own, or Sora's for a profile set to charge them); otherwise it is free on this
   * server, and the expected time comes from similar videos made here.
   */
  estimate(name, size, seconds) {
    const caps = this.caps(name);
    const model = this.config.models?.[name];
    const price = model?.price ?? null;
    const secs = Number(seconds) || 0;
    const fps = caps?.fps ?? 24;
    const frames = Math.max(1, Math.round(secs * fps));
    const timing = model?.timing ?? null;
    const expected = timing ? Math.max(1, Math.round(timing.seconds_per_megapixel_frame * frames * (pixels(size) / 1e6))) : null;
    const work = `${formatCount(frames)} frames at ${formatSize(size)}`;
    const time = expected
      ? `${work} · about ${formatSeconds(expected)} to make, judging by ${formatCount(timing.samples)} similar video${timing.samples === 1 ? "" : "s"} here`
      : `${work} · no videos made here yet to time it`;
    if (price) {
      const perSecond = price.by_size?.[size] ?? price.per_second;
      const source = price.source === "sora" ? "Sora's published price" : "this server's price";
      return {
        kind: "price",
        amount: perSecond * secs,
        expected,
        text: formatMoney(perSecond * secs, this.config.currency),
        detail: `${secs} s × ${formatMoney(perSecond, this.config.currency)}/s, ${source} · ${time}`,
      };
    }
    return { kind: "free", amount: 0, expected, text: "Free on this server", detail: time };
  }
}

export function pixels(size) {
  const [w, h] = String(size).split("x").map(Number);
  return w * h;
}

function sizeLabel(size) {
  return formatSize(size);
}

function secondsOption(value) {
  const n = Number(value);
  return { value, label: `${value} second${n === 1 ? "" : "s"}` };
}
