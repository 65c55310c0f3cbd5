// Reelbox Studio: wiring. Loads what the server can do, then the gallery, and routes between the
// studio (#/) and a video's page (#/videos/{id}).

import { Api, TERMINAL } from "./api.js";
import { Catalog } from "./catalog.js";
import { Characters } from "./characters.js";
import { CreateForm } from "./create.js";
import { DetailView } from "./detail.js";
import { $, fill, h, icon } from "./dom.js";
import { KeyDialog, announce, confirmDialog, toast } from "./dialogs.js";
import { truncate } from "./format.js";
import { Gallery } from "./gallery.js";
import { failureText } from "./status.js";
import { getKey } from "./storage.js";
import { Watcher } from "./watch.js";

const api = new Api();
const app = { catalog: null, gallery: null, form: null, detail: null, watcher: null, studioScroll: 0, lastDetail: null };

const keyDialog = new KeyDialog({ onChange: () => window.location.reload() });
api.onUnauthorized = () => {
  keyDialog.setMode({ openMode: false }); // a 401 says it: this server has keys
  keyDialog.open({ error: getKey() ? "This key was not accepted. Check it, or ask for a key for this server." : "" });
};
$("#key-button").addEventListener("click", () => keyDialog.open());

boot();

async function boot() {
  let config;
  let models;
  try {
    [config, models] = await Promise.all([api.config(), api.models()]);
  } catch (error) {
    showBanner(
      error.status === 401
        ? "This server needs an API key. Add yours with the API key button to see and make videos."
        : `Could not load the studio: ${error.friendly ?? error.message}`,
      error.status === 401 ? { label: "Add API key", action: () => keyDialog.open() } : { label: "Try again", action: () => window.location.reload() },
    );
    $("#view-studio").hidden = true;
    return;
  }
  api.openMode = config.open_mode;
  keyDialog.setMode({ openMode: config.open_mode, project: config.project });
  api.maxUploadBytes = config.limits?.max_upload_bytes ?? null;
  const badge = $("#access-badge");
  badge.hidden = false;
  badge.textContent = config.open_mode ? "Open local mode" : `Project ${config.project}`;
  badge.title = config.open_mode ? "This server runs without API keys; no key is needed." : "The project your API key belongs to.";
  $("#key-button-label").textContent = getKey() ? "API key ✓" : "API key";

  app.catalog = new Catalog(models.data, config);
  app.watcher = new Watcher(api, { onUpdate: videoChanged, onGone: videoGone });
  app.gallery = new Gallery(api, { onAction });
  const characters = new Characters(api, { onChange: () => app.form.renderEstimate() });
  app.form = new CreateForm({
    api,
    catalog: app.catalog,
    characters,
    finishedVideos: () => app.gallery.videos().filter((v) => v.status === "completed"),
    videoById: (id) => app.gallery.get(id) ?? (app.detail.video?.id === id ? app.detail.video : undefined),
    onCreated: created,
  });
  app.form.init();
  app.detail = new DetailView(api, { onAction });

  $("#refresh").addEventListener("click", async () => {
    await loadGallery();
    announce(`Gallery refreshed: ${app.gallery.videos().length} videos.`);
  });
  window.addEventListener("hashchange", route);
  await route();
  await loadGallery();
}

async function loadGallery() {
  try {
    await app.gallery.reset();
  } catch {
    return; // the gallery shows the error itself
  }
  followUnfinished();
  app.form.refreshSources();
  app.form.render();
}

function followUnfinished() {
  for (const video of app.gallery.videos()) app.watcher.watch(video);
}

// Pages after the first arrive through infinite scroll; follow their unfinished videos too.
new MutationObserver(() => app.watcher && followUnfinished()).observe($("#cards"), { childList: true });

// -- routing -----------------------------------------------------------------------------------

async function route() {
  const match = window.location.hash.match(/^#\/videos\/([\w-]+)$/);
  const studio = $("#view-studio");
  const page = $("#view-video");
  if (match) {
    if (!studio.hidden) app.studioScroll = window.scrollY;
    studio.hidden = true;
    page.hidden = false;
    window.scrollTo(0, 0);
    app.lastDetail = match[1];
    const video = await app.detail.show(match[1]);
    if (video && !TERMINAL.has(video.status)) app.watcher.watch(video);
    document.title = video ? `${truncate(video.prompt, 50)} · Reelbox Studio` : "Reelbox Studio";
    return;
  }
  app.detail.hide();
  page.hidden = true;
  studio.hidden = false;
  document.title = "Reelbox Studio";
  window.scrollTo(0, app.studioScroll);
  if (app.lastDetail) {
    // Back from a video: focus its card so keyboard users are where they were.
    if (!app.gallery.focusCard(app.lastDetail)) $("#gallery-heading").focus();
    app.lastDetail = null;
  }
}

function goToStudio() {
  if (window.location.hash.startsWith("#/videos/")) {
    app.lastDetail = null;
    window.location.hash = "#/";
  }
}

// -- what happens to videos --------------------------------------------------------------------

function created(video) {
  app.gallery.put(video, { prepend: true });
  app.watcher.watch(video);
  if (!onScreen(video.id)) toast("Video queued. It appears in your gallery and updates as it renders.", { href: `#/videos/${video.id}` });
  announce("Video queued.");
}

/** Whether the video is in sight (its page, or its card in the viewport): then it needs no toast. */
function onScreen(id) {
  if (window.location.hash === `#/videos/${id}`) return true;
  return !$("#view-studio").hidden && app.gallery.inView(id);
}

/** Finished videos change how long the next one is expected to take: ask the server again. */
async function refreshEstimates() {
  try {
    app.catalog.config = await api.config();
    app.form.renderEstimate();
  } catch {
    // the estimate keeps its older figures
  }
}

function videoChanged(update) {
  const before = app.gallery.get(update.id) ?? (app.detail.video?.id === update.id ? app.detail.video : null);
  const video = app.gallery.get(update.id) ? app.gallery.put(update) : { ...before, ...update };
  app.detail.update(video);
  if (before && before.status !== video.status && TERMINAL.has(video.status)) {
    const what = truncate(video.prompt, 60);
    // No toast for a video in sight: its page or card already shows the change.
    const quiet = onScreen(video.id);
    if (video.status === "completed") {
      if (!quiet) toast(`Ready: ${what}`, { href: `#/videos/${video.id}`, linkText: "Watch" });
      announce(`Video ready: ${what}`);
      app.form.refreshSources();
      app.form.render();
      refreshEstimates();
    } else {
      if (!quiet) toast(`Failed: ${failureText(video.error)}`, { href: `#/videos/${video.id}`, linkText: "Details", tone: "error", timeout: 10000 });
      announce(`Video failed: ${failureText(video.error)}`);
    }
  }
}

function videoGone(id) {
  app.gallery.remove(id);
}

async function onAction(action, video, info) {
  if (action === "remix" || action === "extend" || action === "edit") {
    goToStudio();
    app.form.useSource(video, action);
    return;
  }
  if (action === "reuse" && info?.request?.body) {
    goToStudio();
    app.form.useSettings(info.request.body);
    return;
  }
  if (action === "delete") await deleteVideo(video);
}

async function deleteVideo(video) {
  const unfinished = !TERMINAL.has(video.status);
  const confirmed = await confirmDialog({
    title: unfinished ? "Cancel and delete this video?" : "Delete this video?",
    message: `“${truncate(video.prompt, 120)}” and its files will be removed from the server. This cannot be undone.`,
    confirmLabel: unfinished ? "Cancel and delete" : "Delete",
  });
  if (!confirmed) return;
  // Where focus goes afterwards: the next card, else the previous one, else the heading.
  const ids = app.gallery.videos().map((v) => v.id);
  const index = ids.indexOf(video.id);
  const neighbour = ids[index + 1] ?? ids[index - 1] ?? null;
  try {
    await api.deleteVideo(video.id);
  } catch (error) {
    if (error.status !== 404) {
      toast(`Could not delete: ${error.friendly ?? error.message}`, { tone: "error" });
      return;
    }
  }
  app.watcher.stop(video.id);
  app.gallery.remove(video.id);
  app.form.refreshSources();
  toast("Video deleted.");
  announce("Video deleted.");
  if (window.location.hash === `#/videos/${video.id}`) {
    app.lastDetail = neighbour;
    window.location.hash = "#/";
  } else if (!(neighbour && app.gallery.focusCard(neighbour))) {
    $("#gallery-heading").focus();
  }
}

function showBanner(message, { label, action }) {
  const banner = $("#banner");
  fill(banner, icon("alert"), h("p", {}, message), h("button", { type: "button", class: "button ghost small", onclick: action }, label));
  banner.hidden = false;
}
