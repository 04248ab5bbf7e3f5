import { describe, expect, it } from 'vitest';
import { decodeLocatorData, decodeParentUnicodeName, encodeParentUnicodeName, parentCandidatePaths, parseWindowsPath } from './parent-locator-path.js';

const utf16le = (s: string) => Uint8Array.from([...s].flatMap((c) => [c.charCodeAt(0) & 0xff, c.charCodeAt(0) >> 8]));

describe('parent locator paths', () => {
  it('parses Windows paths', () => {
    expect(parseWindowsPath('C:\\Projects\\dfvfs\\fat-parent.vhd')).toEqual({ absolute: true, rooted: false, components: ['Projects', 'dfvfs', 'fat-parent.vhd'] });
    expect(parseWindowsPath('.\\fat-parent.vhd')).toEqual({ absolute: false, rooted: false, components: ['fat-parent.vhd'] });
    expect(parseWindowsPath('..\\base\\p.vhd')).toEqual({ absolute: false, rooted: false, components: ['..', 'base', 'p.vhd'] });
    expect(parseWindowsPath('\\\\?\\C:\\x\\p.vhd')).toEqual({ absolute: true, rooted: false, components: ['x', 'p.vhd'] });
    expect(parseWindowsPath('\\\\server\\share\\x\\p.vhd')).toEqual({ absolute: true, rooted: false, components: ['x', 'p.vhd'] });
    expect(parseWindowsPath('\\srv\\images\\p.vhd')).toEqual({ absolute: true, rooted: true, components: ['srv', 'images', 'p.vhd'] });
  });
  it('decodes locator data', () => {
    expect(decodeLocatorData('W2ru', utf16le('.\\p.vhd\0junk'))).toBe('.\\p.vhd');
    expect(decodeLocatorData('MacX', new TextEncoder().encode('file://localhost/Users/a%20b/p.vhd'))).toBe('/Users/a b/p.vhd');
    expect(decodeLocatorData('Mac ', new Uint8Array(8))).toBeUndefined();
  });
  it('round-trips the UTF-16BE parent name', () => {
    const b = new Uint8Array(512);
    encodeParentUnicodeName('C:\\é\\p.vhd', b);
    expect(b[0]).toBe(0);
    expect(b[1]).toBe(0x43);
    expect(decodeParentUnicodeName(b)).toBe('C:\\é\\p.vhd');
  });
  it('orders candidates: relative, absolute name beside the child, parent dirs', () => {
    const paths = parentCandidatePaths(
      '/img/child',
      [
        { platformCode: 'W2ku', path: 'C:\\Projects\\base\\Parent.vhd' },
        { platformCode: 'W2ru', path: '..\\base\\Parent.vhd' },
      ],
      'C:\\Projects\\base\\Parent.vhd',
      ['/srv/parents'],
    );
    expect(paths).toEqual(['/img/base/Parent.vhd', '/img/child/Parent.vhd', '/srv/parents/Parent.vhd']);
    // A rooted path without a drive (what our writer stores for POSIX paths) is tried as is.
    expect(parentCandidatePaths('/img/child', [{ platformCode: 'W2ku', path: '\\srv\\images\\p.vhd' }], '')).toEqual(['/srv/images/p.vhd', '/img/child/p.vhd']);
  });
});
