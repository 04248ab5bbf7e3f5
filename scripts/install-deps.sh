#!/usr/bin/env bash
# Installs what coldfix's tests and sample need on a fresh Debian 12 machine:
# the Debian packages for the oracle tools and image generators, then the npm
# packages (from package-lock.json), the optional native key-stretch addon and
# the TypeScript build.
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(
  qemu-utils      # qemu-img: VHD conversions and the image oracle
  ntfs-3g         # mkntfs, FUSE driver, ntfsls/ntfscat/ntfsinfo/ntfsfix/ntfsrecover/ntfs-3g.probe: builds and checks NTFS volumes
  sleuthkit       # mmls, fls, icat, istat, ifind, tsk_recover, usnjls: the independent NTFS, USN and partition oracle
  gdisk           # sgdisk: builds GPT disks
  fdisk           # sfdisk: builds MBR disks, `sfdisk --json` oracle
  dosfstools      # mkfs.vfat: EFI system partitions in test disks
  libvhdi-utils   # vhdiinfo/vhdimount: second VHD reader (differencing chains)
  libqcow-utils   # qcowinfo/qcowmount: second qcow2 reader (v2/v3, zlib; not zstd, extended L2, data files)
  libvmdk-utils   # vmdkinfo/vmdkmount: second VMDK reader (sparse, split, stream-optimized, delta chains)
  dislocker       # dislocker-file: independent BitLocker reader for our generated volumes
  cryptsetup-bin  # cryptsetup bitlkDump: BitLocker metadata and key oracle
  libbde-utils    # bdeinfo: libbde BitLocker oracle
  libfsntfs-utils # fsntfsinfo: second NTFS reader
  fuse3           # fusermount for FUSE-based generators
  xxd
  attr            # setfattr: named streams (ADS) on ntfs-3g test volumes
  redis-server    # a throwaway Redis for the BullMQ fleet tests (coldfix itself needs none)
  mount           # losetup: loop devices (block-device journal and 4 KiB-sector GPT tests)
  util-linux      # setpriv (the unprivileged JOURNAL_DIR_NOT_WRITABLE check), blkid, mountpoint
  bzip2           # bunzip2: the Velocidex fixture
  gzip            # gunzip/zcat: the real fixtures
  python3-minimal # setxattr for ADS in the ntfs write-test volumes
  gcc             # cc: the native key-stretch addon (scripts/build-native.sh); the official run requires it
  libc6-dev       # C headers for that addon
)
missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "coldfix: installing Debian packages: ${missing[*]}" >&2
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
bash scripts/build-native.sh # the optional native key stretch (C compiler + Node's headers; else WebAssembly)
npx tsc -b
npm run --silent bundle -w cli # the CLI as one module (faster start; the launcher falls back to dist/ when stale)
