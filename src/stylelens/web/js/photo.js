// The photo leaves the phone small and bare: down-scaled to at most 1024 px on its long side and re-encoded
// through a canvas, which drops every metadata block (EXIF GPS, device, ICC, XMP).
import { AppError } from "./api.js";

export const MAX_SIDE = 1024;
const MAX_UPLOAD_BYTES = 15 * 1024 * 1024;
const QUALITY = 0.86;

async function decode(source) {
  if (source instanceof HTMLVideoElement) return source;
  try {
    return await createImageBitmap(source, { imageOrientation: "from-image" });
  } catch {
    return null; // a format this browser cannot decode (e.g. HEIC on Android)
  }
}

// Returns {blob, width, height} ready to upload.
export async function preparePhoto(source) {
  const image = await decode(source);
  if (!image) {
    // Cannot re-encode here: send the file as it is if it fits; the service reads HEIC and drops metadata.
    if (source.size > MAX_UPLOAD_BYTES) throw new AppError("too_large");
    if (!source.type.startsWith("image/")) throw new AppError("bad_photo");
    return { blob: source, width: 0, height: 0 };
  }
  const width = image.videoWidth || image.width;
  const height = image.videoHeight || image.height;
  if (!width || !height) throw new AppError("bad_photo");
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
  if (image.close) image.close();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
  if (!blob) throw new AppError("bad_photo");
  if (blob.size > MAX_UPLOAD_BYTES) throw new AppError("too_large");
  return { blob, width: canvas.width, height: canvas.height };
}
