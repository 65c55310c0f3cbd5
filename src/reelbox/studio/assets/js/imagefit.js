// Fitting a reference image to the video size in the browser, before upload: the API needs the
// image to match `size` exactly, and people should see what the first frame will look like.

const ACCEPTED = new Set(["image/png", "image/jpeg", "image/webp"]);

export class ImageRejected extends Error {}

/** Decode an image file (EXIF orientation applied). */
export async function loadImage(file, { maxPixels = Infinity } = {}) {
  if (file.type && !ACCEPTED.has(file.type)) {
    throw new ImageRejected(`“${file.name}” is ${file.type || "not an image"}; use a PNG, JPEG or WebP image.`);
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch {
    throw new ImageRejected(`“${file.name}” could not be read as an image; use a PNG, JPEG or WebP image.`);
  }
  if (bitmap.width * bitmap.height > maxPixels) {
    const size = `${bitmap.width} × ${bitmap.height}`;
    bitmap.close();
    throw new ImageRejected(`The image is ${size}, more pixels than this server accepts.`);
  }
  return bitmap;
}

/**
 * Draw `image` into `canvas` at width × height.
 * crop: fill the frame and cut the overflow (`position` 0..1 chooses which part stays);
 * pad: show all of it on black bars; stretch: squeeze it to the frame.
 */
export function drawFitted(canvas, image, { width, height, fit, position = 0.5 }) {
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingQuality = "high";
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, width, height);
  const iw = image.width;
  const ih = image.height;
  if (fit === "stretch") {
    ctx.drawImage(image, 0, 0, width, height);
    return;
  }
  const scale = fit === "crop" ? Math.max(width / iw, height / ih) : Math.min(width / iw, height / ih);
  const dw = iw * scale;
  const dh = ih * scale;
  const along = fit === "crop" ? position : 0.5;
  const dx = (width - dw) * along;
  const dy = (height - dh) * along;
  ctx.drawImage(image, dx, dy, dw, dh);
}

/** Which way a crop cuts the image, for the position slider's label; null when nothing is cut. */
export function cropAxis(image, width, height) {
  const imageAspect = image.width / image.height;
  const frameAspect = width / height;
  if (Math.abs(imageAspect - frameAspect) < 0.005) return null;
  return imageAspect > frameAspect ? "horizontal" : "vertical";
}

export function canvasBlob(canvas) {
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("Could not encode the image."))), "image/png");
  });
}
