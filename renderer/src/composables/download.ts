/**
 * Saves text the back end produced as a file through a Blob URL and a temporary link: the browser (or
 * Electron's download handler) asks where to save it, so no path ever passes through the renderer.
 */
export function downloadText(fileName: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // The download reads the URL after click() returns: revoke it a moment later, not at once.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const EXPORT_TYPES = { csv: 'text/csv;charset=utf-8', json: 'application/json' } as const;
