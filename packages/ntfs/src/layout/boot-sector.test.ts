import { describe, expect, it } from 'vitest';
import { CorruptError } from '@coldfix/io';
import { BootSectorStruct, decodeBootSector } from './boot-sector.js';

function boot(overrides: Partial<Record<string, number | bigint | string>> = {}): Uint8Array {
  return BootSectorStruct.encode({
    oemId: 'NTFS    ', bytesPerSector: 512, sectorsPerCluster: 8, totalSectors: 2048000n, mftLcn: 4n, mftMirrLcn: 2n,
    clustersPerMftRecord: -10, clustersPerIndexBlock: 1, serialNumber: 0x1066467111c40dafn, endOfSectorMarker: 0xaa55,
    ...overrides,
  } as never);
}

describe('boot sector', () => {
  it('decodes negative size encodings (2^-n bytes) and positive cluster counts', () => {
    const b = decodeBootSector(boot());
    expect([b.clusterSize, b.recordSize, b.indexBlockSize, b.serial]).toEqual([4096, 1024, 4096, '1066467111C40DAF']);
    expect(decodeBootSector(boot({ clustersPerMftRecord: 1, sectorsPerCluster: 2 })).recordSize).toBe(1024);
  });
  it('reads sectors-per-cluster above 0x80 as a power of two (2 MiB clusters)', () => {
    expect(decodeBootSector(boot({ sectorsPerCluster: 0xf4, clustersPerIndexBlock: -12, totalSectors: 1n << 24n, mftLcn: 2n })).clusterSize).toBe(2 << 20);
    expect(decodeBootSector(boot({ sectorsPerCluster: 1 })).clusterSize).toBe(512);
  });
  it('rejects what is not NTFS or impossible geometry', () => {
    expect(() => decodeBootSector(boot({ oemId: 'MSDOS5.0' }))).toThrow(CorruptError);
    expect(() => decodeBootSector(boot({ bytesPerSector: 300 }))).toThrow(/sector/);
    expect(() => decodeBootSector(boot({ sectorsPerCluster: 3 }))).toThrow(/cluster/);
    expect(() => decodeBootSector(boot({ clustersPerMftRecord: -40 }))).toThrow(/record size/);
    expect(() => decodeBootSector(boot({ mftLcn: 1n << 40n }))).toThrow(/MFT LCN/);
  });
});
