// Hover-scrub: moving the pointer across a thumbnail shows the video's frames from its
// spritesheet (a JPEG grid whose geometry comes in x-spritesheet-* headers).

const sheets = new Map(); // video id → Promise<{src, columns, rows, frameWidth, frameHeight}>

/** Make `frame` (a card's thumbnail box) scrub through video `id` on hover. */
export function attachScrub(frame, id, api) {
  const layer = document.createElement("div");
  layer.className = "scrub";
  layer.setAttribute("aria-hidden", "true");
  const bar = document.createElement("div");
  bar.className = "scrub-bar";
  bar.setAttribute("aria-hidden", "true");
  frame.append(layer, bar);
  let sheet = null;

  const load = () => {
    if (!sheets.has(id)) {
      const promise = api.spritesheet(id);
      promise.catch(() => sheets.delete(id));
      sheets.set(id, promise);
    }
    return sheets.get(id);
  };

  const showAt = (fraction) => {
    if (!sheet) return;
    const total = sheet.columns * sheet.rows;
    const index = Math.min(total - 1, Math.max(0, Math.floor(fraction * total)));
    const col = index % sheet.columns;
    const row = Math.floor(index / sheet.columns);
    layer.style.backgroundImage = `url("${sheet.src}")`;
    layer.style.backgroundSize = `${sheet.columns * 100}% ${sheet.rows * 100}%`;
    const x = sheet.columns > 1 ? (col / (sheet.columns - 1)) * 100 : 0;
    const y = sheet.rows > 1 ? (row / (sheet.rows - 1)) * 100 : 0;
    layer.style.backgroundPosition = `${x}% ${y}%`;
    // Letterbox the frame like the thumbnail (object-fit: contain) instead of stretching it.
    const box = frame.getBoundingClientRect();
    const frameAspect = sheet.frameWidth && sheet.frameHeight ? sheet.frameWidth / sheet.frameHeight : box.width / box.height;
    const wide = frameAspect >= box.width / box.height;
    const width = wide ? 100 : (frameAspect * box.height * 100) / box.width;
    const height = wide ? (box.width * 100) / frameAspect / box.height : 100;
    Object.assign(layer.style, { width: `${width}%`, height: `${height}%`, left: `${(100 - width) / 2}%`, top: `${(100 - height) / 2}%` });
    bar.style.width = `${((index + 1) / total) * 100}%`;
    layer.classList.add("active");
    bar.classList.add("active");
  };
  const hide = () => {
    layer.classList.remove("active");
    bar.classList.remove("active");
  };

  // The card's link covers the whole card (so all of it opens the video): listen on the card and
  // scrub while the pointer is over the picture.
  const card = frame.closest(".card") ?? frame;
  const over = (event) => {
    const rect = frame.getBoundingClientRect();
    const inside = event.clientY >= rect.top && event.clientY <= rect.bottom;
    return inside ? (event.clientX - rect.left) / rect.width : null;
  };
  card.addEventListener("pointerenter", () => {
    load()
      .then((loaded) => {
        sheet = loaded;
      })
      .catch(() => {});
  });
  card.addEventListener("pointermove", (event) => {
    const fraction = over(event);
    if (fraction === null) {
      hide();
      return;
    }
    if (sheet) showAt(fraction);
    else
      load()
        .then((loaded) => {
          sheet = loaded;
          if (over(event) !== null) showAt(fraction);
        })
        .catch(() => {});
  });
  card.addEventListener("pointerleave", hide);
}
