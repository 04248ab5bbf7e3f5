/**
 * Container formats coldfix recognises by content but does not read (yet).
 * Consulted only after every registered driver declined the file (open.ts), so
 * a real driver for one of these formats wins as soon as it is registered; what
 * is left here is what would otherwise be read as a raw disk, the worst answer:
 * a qcow2 read as raw holds no partition table and every command says "clean".
 *
 * Signatures, from the formats' own documents and qemu's block drivers' probes:
 * - qcow (v1, v2, v3): `QFI\xfb` at 0 (qemu docs/interop/qcow2.txt);
 * - QED: `QED\0` at 0 (qemu docs/interop/qed_spec.txt);
 * - VHDX: `vhdxfile` at 0 (MS-VHDX 2.2.1 file type identifier);
 * - VMDK hosted sparse `KDMV`, ESX sparse `COWD`, a text descriptor starting
 *   `# Disk DescriptorFile`, seSparse 0x00000000cafebabe (LE u64) at 0
 *   (VMware Virtual Disk Format 5.0; qemu block/vmdk.c; libvmdk docs);
 * - VDI: 0xbeda107f (LE) at 0x40 (VirtualBox VDICore.h; qemu block/vdi.c);
 * - Parallels: `WithoutFreeSpace` / `WithouFreSpacExt` at 0 (qemu docs/interop/parallels.txt);
 * - Bochs: `Bochs Virtual HD Image` at 0 (qemu block/bochs.c);
 * - cloop: `#!/bin/sh\n#V2.0 Format` at 0 (qemu block/cloop.c);
 * - EWF (EnCase E01 / Ex01): `EVF\x09\x0d\x0a\xff\x00` / `EVF2\x0d\x0a\x81\x00` at 0 (libewf docs);
 * - Apple UDIF (DMG): `koly` at the start of the last 512 bytes (qemu block/dmg.c).
 */
import { UnsupportedError, type ByteSource } from '@coldfix/io';

export interface UnsupportedContainer {
  /** Short stable name (`qcow2`, `vhdx`, `vmdk`, …), used in the error's details. */
  format: string;
  /** What a user calls it. */
  description: string;
}

interface HeadSignature extends UnsupportedContainer {
  offset: number;
  bytes: Uint8Array;
}

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const hex = (text: string): Uint8Array => Uint8Array.from(text.match(/../g)!, (b) => parseInt(b, 16));

const HEAD_SIGNATURES: readonly HeadSignature[] = [
  { format: 'qcow2', description: 'QEMU qcow/qcow2 image', offset: 0, bytes: hex('514649fb') },
  { format: 'qed', description: 'QEMU QED image', offset: 0, bytes: hex('51454400') },
  { format: 'vhdx', description: 'Hyper-V VHDX/AVHDX image', offset: 0, bytes: ascii('vhdxfile') },
  { format: 'vmdk', description: 'VMware VMDK hosted sparse extent', offset: 0, bytes: ascii('KDMV') },
  { format: 'vmdk', description: 'VMware VMDK ESX sparse (COWD) extent', offset: 0, bytes: ascii('COWD') },
  { format: 'vmdk', description: 'VMware VMDK descriptor file', offset: 0, bytes: ascii('# Disk DescriptorFile') },
  { format: 'vmdk', description: 'VMware VMDK seSparse extent', offset: 0, bytes: hex('bebafeca00000000') },
  { format: 'vdi', description: 'VirtualBox VDI image', offset: 0x40, bytes: hex('7f10dabe') },
  { format: 'parallels', description: 'Parallels HDD image', offset: 0, bytes: ascii('WithoutFreeSpace') },
  { format: 'parallels', description: 'Parallels HDD image (extended)', offset: 0, bytes: ascii('WithouFreSpacExt') },
  { format: 'bochs', description: 'Bochs image', offset: 0, bytes: ascii('Bochs Virtual HD Image') },
  { format: 'cloop', description: 'cloop compressed image', offset: 0, bytes: ascii('#!/bin/sh\n#V2.0 Format') },
  { format: 'ewf', description: 'EnCase EWF (E01) evidence file', offset: 0, bytes: hex('455646090d0aff00') },
  { format: 'ewf', description: 'EnCase EWF2 (Ex01) evidence file', offset: 0, bytes: hex('455646320d0a8100') },
];

const HEAD_LENGTH = Math.max(...HEAD_SIGNATURES.map((s) => s.offset + s.bytes.length));
const DMG_TRAILER = ascii('koly');

/** The unsupported container `file` holds, or undefined when none of the signatures is present. */
export async function detectUnsupportedContainer(file: ByteSource): Promise<UnsupportedContainer | undefined> {
  const head = await file.read(0, Math.min(HEAD_LENGTH, file.size));
  for (const signature of HEAD_SIGNATURES) {
    if (startsWithAt(head, signature.offset, signature.bytes)) return { format: signature.format, description: signature.description };
  }
  if (file.size >= 512 + 512) {
    const trailer = await file.read(file.size - 512, DMG_TRAILER.length);
    if (startsWithAt(trailer, 0, DMG_TRAILER)) return { format: 'dmg', description: 'Apple UDIF (DMG) image' };
  }
  return undefined;
}

/** The typed error for a file in a container format coldfix does not read: exit 2 at the CLI. */
export function unsupportedFormatError(path: string, container: UnsupportedContainer): UnsupportedError {
  return new UnsupportedError(
    `${path}: ${container.description} (${container.format}): coldfix does not read this container format; convert it with \`qemu-img convert -O raw\` or \`-O vpc\``,
    { code: 'UNSUPPORTED_FORMAT', layer: 'disk-image', details: { path, format: container.format, description: container.description } },
  );
}

function startsWithAt(data: Uint8Array, offset: number, bytes: Uint8Array): boolean {
  if (data.length < offset + bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (data[offset + i] !== bytes[i]) return false;
  return true;
}
