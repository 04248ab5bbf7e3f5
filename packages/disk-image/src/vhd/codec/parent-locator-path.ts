/**
 * Turns VHD parent locator data and the parent Unicode name into local paths to
 * try, in order.
 *
 * References: Microsoft VHD specification 1.0 (2006), "Parent Locator Entries"
 * (W2ru / W2ku store UTF-16LE Windows paths, Wi2r / Wi2k ANSI, MacX a UTF-8 file
 * URL); the dynamic header's parent name is UTF-16 big-endian. libvhdi's
 * vhdimount looks for the parent's file name beside the child; dissect follows
 * the relative locator. We map Windows paths (drive letters, `\\?\` prefixes,
 * backslashes) onto the folder that holds the child: a relative path resolves
 * against it, an absolute one contributes its file name.
 */
import { posix } from 'node:path';
import { decodeUtf16le } from '@coldfix/io';

export interface ParentLocatorRef {
  platformCode: string;
  /** Decoded path text, when the platform code is one we decode. */
  path?: string;
}

/** Decodes one locator's data bytes; undefined for codes we do not decode (`Mac ` aliases). */
export function decodeLocatorData(platformCode: string, data: Uint8Array): string | undefined {
  switch (platformCode) {
    case 'W2ru':
    case 'W2ku':
      return decodeUtf16le(data);
    case 'Wi2r':
    case 'Wi2k': {
      let s = '';
      for (const byte of data) {
        if (byte === 0) break;
        s += String.fromCharCode(byte);
      }
      return s;
    }
    case 'MacX': {
      const end = data.indexOf(0);
      const text = new TextDecoder('utf-8', { fatal: false }).decode(end < 0 ? data : data.subarray(0, end));
      const match = /^file:\/\/(localhost)?(\/.*)$/i.exec(text);
      if (!match) return text;
      try {
        return decodeURIComponent(match[2]);
      } catch {
        return match[2];
      }
    }
    default:
      return undefined;
  }
}

/** The parent Unicode name of the dynamic header: UTF-16 big-endian up to the first NUL. */
export function decodeParentUnicodeName(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) {
    const unit = (bytes[i] << 8) | bytes[i + 1];
    if (unit === 0) break;
    s += String.fromCharCode(unit);
  }
  return s;
}

export function encodeParentUnicodeName(name: string, target: Uint8Array): void {
  target.fill(0);
  for (let i = 0; i < name.length && i * 2 + 1 < target.length; i++) {
    target[i * 2] = name.charCodeAt(i) >> 8;
    target[i * 2 + 1] = name.charCodeAt(i) & 0xff;
  }
}

export interface WindowsPath {
  absolute: boolean;
  /** Rooted without a drive letter or server (`\\a\\b`): also meaningful as a POSIX path (our writer stores those). */
  rooted: boolean;
  /** Path components, `.` and empty ones removed (`..` kept). */
  components: string[];
}

/** Parses a Windows path: `C:\a\b`, `\\?\C:\a`, `\\server\share\a`, `.\a`, `..\a`. */
export function parseWindowsPath(text: string): WindowsPath {
  let s = text.replace(/\//g, '\\');
  let absolute = false;
  let rooted = /^\\(?!\\)/.test(s);
  if (/^\\\\[?.]\\/.test(s)) {
    s = s.slice(4);
    if (/^UNC\\/i.test(s)) s = '\\\\' + s.slice(4);
  }
  if (/^\\\\/.test(s)) {
    // \\server\share\rest: the share root is the local root we cannot know.
    const parts = s.slice(2).split('\\');
    s = '\\' + parts.slice(2).join('\\');
    rooted = false;
  }
  if (/^[A-Za-z]:/.test(s)) {
    s = s.slice(2);
    absolute = true;
    rooted = false;
  }
  if (s.startsWith('\\')) absolute = true;
  const components = s.split('\\').filter((c) => c !== '' && c !== '.');
  return { absolute, rooted, components };
}

/**
 * Ordered, de-duplicated local paths where the parent may be. `childDir` is
 * the folder holding the child (absolute). Relative locators resolve against
 * it; absolute ones (and the header's parent name) give their file name in it;
 * then `parentDirs` are searched by file name.
 */
export function parentCandidatePaths(childDir: string, locators: ParentLocatorRef[], parentName: string, parentDirs: string[] = []): string[] {
  const out: string[] = [];
  const names: string[] = [];
  const add = (p: string) => {
    if (!out.includes(p)) out.push(p);
  };
  const addName = (n: string | undefined) => {
    if (n && n !== '..' && !names.includes(n)) names.push(n);
  };
  const ordered = [...locators].sort((a, b) => rank(a.platformCode) - rank(b.platformCode));
  for (const locator of ordered) {
    if (!locator.path) continue;
    if (locator.platformCode === 'MacX') {
      if (locator.path.startsWith('/')) add(posix.normalize(locator.path));
      addName(posix.basename(locator.path));
      continue;
    }
    const parsed = parseWindowsPath(locator.path);
    if (parsed.components.length === 0) continue;
    if (!parsed.absolute) add(posix.resolve(childDir, ...parsed.components));
    else if (parsed.rooted) add(posix.resolve('/', ...parsed.components));
    addName(parsed.components[parsed.components.length - 1]);
  }
  if (parentName) {
    const parsed = parseWindowsPath(parentName);
    addName(parsed.components[parsed.components.length - 1]);
  }
  for (const name of names) add(posix.join(childDir, name));
  for (const dir of parentDirs) for (const name of names) add(posix.resolve(dir, name));
  return out;
}

/** Relative Unicode first (what Windows tries first), then absolute, then the rest. */
function rank(code: string): number {
  return ['W2ru', 'W2ku', 'Wi2r', 'Wi2k', 'MacX'].indexOf(code) >>> 0;
}

/** The parent file names worth a case-insensitive search (from locators and the parent name). */
export function parentFileNames(locators: ParentLocatorRef[], parentName: string): string[] {
  const names = new Set<string>();
  for (const l of locators) {
    if (!l.path) continue;
    const comps = l.platformCode === 'MacX' ? l.path.split('/').filter(Boolean) : parseWindowsPath(l.path).components;
    if (comps.length) names.add(comps[comps.length - 1]);
  }
  if (parentName) {
    const comps = parseWindowsPath(parentName).components;
    if (comps.length) names.add(comps[comps.length - 1]);
  }
  names.delete('..');
  return [...names];
}
