// What the studio keeps in this browser: the API key, the characters you made (the API has no
// way to list them) and your last choices. Nothing here leaves the browser except the key, which
// is sent to this server only.

const KEY = "reelbox.apiKey";
const CHARACTERS = "reelbox.characters";
const PREFS = "reelbox.prefs";

function read(name, fallback) {
  try {
    const raw = localStorage.getItem(name);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

function write(name, value) {
  try {
    localStorage.setItem(name, JSON.stringify(value));
  } catch {
    // Storage full or disabled (private mode): the studio still works for this visit.
  }
}

export function getKey() {
  const key = read(KEY, "");
  return typeof key === "string" ? key : "";
}

export function setKey(key) {
  if (key) write(KEY, key);
  else localStorage.removeItem(KEY);
}

/** A short, stable label for the current key, so characters stay with the project they belong to. */
function keyBucket() {
  const key = getKey();
  if (!key) return "open";
  let hash = 0x811c9dc5; // FNV-1a: a bucket name, not a secret
  for (let i = 0; i < key.length; i += 1) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `k${hash.toString(16)}`;
}

export function getCharacters() {
  const all = read(CHARACTERS, {});
  const list = all && typeof all === "object" ? all[keyBucket()] : null;
  return Array.isArray(list) ? list.filter((c) => c && typeof c.id === "string") : [];
}

export function saveCharacter(character) {
  const all = read(CHARACTERS, {}) ?? {};
  const bucket = keyBucket();
  const list = (Array.isArray(all[bucket]) ? all[bucket] : []).filter((c) => c.id !== character.id);
  list.push({ id: character.id, name: character.name, created_at: character.created_at });
  all[bucket] = list;
  write(CHARACTERS, all);
}

export function forgetCharacter(id) {
  const all = read(CHARACTERS, {}) ?? {};
  const bucket = keyBucket();
  all[bucket] = (Array.isArray(all[bucket]) ? all[bucket] : []).filter((c) => c.id !== id);
  write(CHARACTERS, all);
}

export function getPrefs() {
  const prefs = read(PREFS, {});
  return prefs && typeof prefs === "object" ? prefs : {};
}

export function setPrefs(changes) {
  write(PREFS, { ...getPrefs(), ...changes });
}
