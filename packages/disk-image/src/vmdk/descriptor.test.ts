import { describe, expect, it } from 'vitest';
import { looksLikeDescriptor, parseDescriptor, variantOf } from './descriptor.js';
import { parentCandidates, resolveExtentPath } from './extent-path.js';

describe('parseDescriptor', () => {
  it('reads header fields, extent lines with and without offsets, and the disk database', () => {
    const d = parseDescriptor(
      [
        '# Disk DescriptorFile',
        'version=1',
        'encoding="UTF-8"',
        'CID=DC80B6C7',
        'parentCID=ffffffff',
        'createType="twoGbMaxExtentSparse"',
        'parentFileNameHint="../parent disk.vmdk"',
        '',
        '# Extent description',
        'RW 4192256 SPARSE "disk-s001.vmdk"',
        'RDONLY 100 FLAT "my disk-flat.vmdk" 8',
        'NOACCESS 10 ZERO',
        'RW 20 VMFS "x.vmdk"',
        '#DDB',
        'ddb.virtualHWVersion = "4"',
        '\0\0\0',
      ].join('\r\n'),
      'test',
    );
    expect(d).toMatchObject({ version: '1', cid: 'dc80b6c7', parentCid: 'ffffffff', createType: 'twoGbMaxExtentSparse', parentFileNameHint: '../parent disk.vmdk' });
    expect(d.values['ddb.virtualHWVersion']).toBe('4');
    expect(d.extents.map((e) => [e.access, e.sectors, e.type, e.fileName, e.startSector])).toEqual([
      ['RW', 4192256, 'SPARSE', 'disk-s001.vmdk', 0],
      ['RDONLY', 100, 'FLAT', 'my disk-flat.vmdk', 8],
      ['NOACCESS', 10, 'ZERO', undefined, 0],
      ['RW', 20, 'VMFS', 'x.vmdk', 0],
    ]);
  });

  it('rejects malformed extent lines, unknown extent types, bad CIDs', () => {
    expect(() => parseDescriptor('RW abc SPARSE "x"', 't')).toThrow(expect.objectContaining({ code: 'VMDK_BAD_EXTENT_LINE' }));
    expect(() => parseDescriptor('RW 10 WEIRD "x"', 't')).toThrow(expect.objectContaining({ code: 'VMDK_BAD_EXTENT_TYPE' }));
    expect(() => parseDescriptor('RW 10 FLAT', 't')).toThrow(expect.objectContaining({ code: 'VMDK_BAD_EXTENT_LINE' }));
    expect(() => parseDescriptor('CID=xyz', 't')).toThrow(expect.objectContaining({ code: 'VMDK_BAD_CID' }));
    expect(() => parseDescriptor('RW 10 ZERO\n'.repeat(5000), 't')).toThrow(expect.objectContaining({ code: 'VMDK_TOO_MANY_EXTENTS' }));
  });

  it('knows descriptors by content and maps createTypes', () => {
    expect(looksLikeDescriptor(new TextEncoder().encode('# Disk DescriptorFile\nversion=1\n'))).toBe(true);
    expect(looksLikeDescriptor(new TextEncoder().encode('version=1\ncreateType="vmfs"\n'))).toBe(true);
    expect(looksLikeDescriptor(new Uint8Array([0x23, 0x20, 0xff, 0x00]))).toBe(false);
    expect(looksLikeDescriptor(new TextEncoder().encode('hello world'))).toBe(false);
    expect(variantOf('MonolithicSparse', 'custom')).toBe('monolithicSparse');
    expect(variantOf('fullDevice', 'custom')).toBe('custom');
    expect(variantOf(undefined, 'seSparse')).toBe('seSparse');
  });
});

describe('extent names stay inside the descriptor folder', () => {
  it('resolves plain names and refuses escapes', () => {
    expect(resolveExtentPath('/vm/disk.vmdk', 'disk-flat.vmdk', false)).toBe('/vm/disk-flat.vmdk');
    expect(resolveExtentPath('/vm/disk.vmdk', 'sub\\disk-s001.vmdk', false)).toBe('/vm/sub/disk-s001.vmdk');
    for (const bad of ['../x.vmdk', '/etc/passwd', 'C:\\x.vmdk', '\\\\server\\share\\x', 'a/../../x', '']) {
      expect(() => resolveExtentPath('/vm/disk.vmdk', bad, false)).toThrow(expect.objectContaining({ code: 'VMDK_PATH_OUTSIDE' }));
    }
    expect(resolveExtentPath('/vm/disk.vmdk', '../x.vmdk', true)).toBe('/x.vmdk');
  });

  it('parent candidates: the hint inside the folder, else its base name beside the child and in parentDirs', () => {
    expect(parentCandidates('/vm/c.vmdk', 'p.vmdk', ['/other'], false)).toEqual(['/vm/p.vmdk', '/other/p.vmdk']);
    expect(parentCandidates('/vm/c.vmdk', '/vmfs/volumes/ds/vm/p.vmdk', [], false)).toEqual(['/vm/p.vmdk']);
    expect(parentCandidates('/vm/c.vmdk', 'C:\\VMs\\p.vmdk', [], false)).toEqual(['/vm/p.vmdk']);
  });
});
