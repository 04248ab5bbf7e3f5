/**
 * Remote image addresses carry credentials in their query strings (Azure SAS `sig=`, S3 presigned
 * `X-Amz-Signature=`) or user info. Anything shown to a person or written to a report goes through
 * `maskUrl` first, so no log, error or report ever holds a usable credential.
 */

/** True when `path` names an image over HTTP(S) rather than a local file or device. */
export function isRemoteUrl(path: string): boolean {
  return /^https?:\/\//i.test(path);
}

/**
 * The URL with every query value and any user info replaced by `***` (parameter names kept, so a
 * reader still sees that a SAS was given). Text that does not parse as a URL is cut at `?` and `@`.
 */
export function maskUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//***@').replace(/\?.*$/s, '?***');
  }
  if (parsed.username || parsed.password) {
    parsed.username = '***';
    parsed.password = '';
  }
  const names = [...new Set(parsed.searchParams.keys())];
  const query = names.map((name) => `${encodeURIComponent(name)}=***`).join('&');
  parsed.search = '';
  parsed.hash = '';
  return `${parsed.toString()}${query ? `?${query}` : ''}`;
}

/** Replaces every occurrence of `url` (and of its un-masked query) in `text` with the masked form. */
export function scrubUrl(text: string, url: string): string {
  const masked = maskUrl(url);
  let out = text.split(url).join(masked);
  const query = url.indexOf('?');
  if (query >= 0) out = out.split(url.slice(query + 1)).join('***');
  return out;
}
