// Numbers, sizes, times and money as people read them.

export function formatSize(size) {
  const [w, h] = String(size).split("x");
  return h ? `${w} × ${h}` : String(size);
}

export function orientation(size) {
  const [w, h] = String(size).split("x").map(Number);
  if (!w || !h) return "";
  if (w === h) return "square";
  return w > h ? "landscape" : "portrait";
}

export function formatSeconds(seconds) {
  const value = Number(seconds);
  if (!Number.isFinite(value)) return String(seconds);
  if (value >= 60) {
    const m = Math.floor(value / 60);
    const s = Math.round(value - m * 60);
    return s ? `${m} min ${s} s` : `${m} min`;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} s`;
}

export function formatMoney(amount, currency = "usd") {
  return new Intl.NumberFormat("en-US", {
    style: "currency",
    currency: currency.toUpperCase(),
    minimumFractionDigits: 2,
    maximumFractionDigits: amount < 1 ? 3 : 2,
  }).format(amount);
}

export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

export function formatCount(n) {
  return new Intl.NumberFormat("en-US").format(n);
}

const RELATIVE = new Intl.RelativeTimeFormat("en", { numeric: "auto" });

export function relativeTime(unixSeconds, now = Date.now() / 1000) {
  const delta = unixSeconds - now;
  const abs = Math.abs(delta);
  if (abs < 45) return "just now";
  if (abs < 3600) return RELATIVE.format(Math.round(delta / 60), "minute");
  if (abs < 86400) return RELATIVE.format(Math.round(delta / 3600), "hour");
  return RELATIVE.format(Math.round(delta / 86400), "day");
}

export function formatDate(unixSeconds) {
  if (unixSeconds === null || unixSeconds === undefined) return "—";
  return new Date(unixSeconds * 1000).toLocaleString(undefined, {
    dateStyle: "medium",
    timeStyle: "short",
  });
}

export function truncate(text, length) {
  const value = String(text ?? "");
  return value.length > length ? `${value.slice(0, length - 1).trimEnd()}…` : value;
}
