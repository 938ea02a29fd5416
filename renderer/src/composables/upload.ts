/**
 * Reading a user's file for search by example: the renderer sends the bytes (base64), never a path.
 * Pure browser code (File / FileReader APIs), no framework.
 */

/**
 * Largest file the back end accepts (the contract's MAX_UPLOAD_BYTES). Repeated here rather than imported
 * so the renderer bundle does not pull the contract's zod schemas; a unit test keeps the two equal.
 */
export const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

/** Extensions offered by the "Open file…" dialog: the importable image formats and DICOM. */
export const UPLOAD_ACCEPT = 'image/*,.dcm,.dicom,.tif,.tiff';

export type UploadRead = { ok: true; name: string; data: string; size: number } | { ok: false; message: string };

/** Base64 of raw bytes, in chunks so large files do not overflow the argument list of fromCharCode. */
export function bytesToBase64(bytes: Uint8Array): string {
  const chunk = 0x8000;
  let binary = '';
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

function sizeText(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MB`;
}

/** A dropped/opened file as an upload, or a sentence saying why it cannot be one. */
export async function readUpload(file: File): Promise<UploadRead> {
  if (file.size > MAX_UPLOAD_BYTES) {
    return {
      ok: false,
      message: `“${file.name}” is ${sizeText(file.size)}; files up to ${sizeText(MAX_UPLOAD_BYTES)} can be searched by example.`,
    };
  }
  if (file.size === 0) return { ok: false, message: `“${file.name}” is empty.` };
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    return { ok: true, name: file.name.slice(0, 255) || 'upload', data: bytesToBase64(bytes), size: bytes.length };
  } catch {
    return { ok: false, message: `“${file.name}” could not be read.` };
  }
}
