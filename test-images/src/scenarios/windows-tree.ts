/**
 * The plan of a Windows-like file tree for `windows-sample`: directory and file names, sizes and
 * timestamps, all derived from a seed (no I/O here). Shapes follow a Windows 10 22H2 system volume:
 * System32 with drivers and config hives, SysWOW64, WinSxS components, Program Files, ProgramData,
 * Users, pagefile.sys and the CrowdStrike Falcon channel-file folder of the July 2024 incident.
 */
import { Prng } from '../util/content.js';
import { filetime, type NtfsTimes } from '../ntfs/filetime.js';

/** One file of the plan; `kind` chooses how its bytes are made. */
export interface PlannedFile {
  path: string;
  size: number;
  kind: 'random' | 'text' | 'regf' | 'pe' | 'zeros';
  times: NtfsTimes;
  attributes?: number;
}

/** A planned directory. */
export interface PlannedDir {
  path: string;
  times: NtfsTimes;
  attributes?: number;
}

/** Name syllables of Windows system binaries (shared with ntfs-windows-large). */
export const SYL = ['adv', 'api', 'bcrypt', 'cfg', 'com', 'crypt', 'd3d', 'dx', 'gdi', 'kern', 'nt', 'ole', 'rpc', 'sec', 'shell', 'shl', 'usr', 'win', 'ws', 'inet', 'msvc', 'ucrt', 'net', 'pwr', 'svc', 'wmi', 'dwm', 'audio', 'bth', 'print', 'sync', 'stor', 'upd', 'defend', 'search', 'task', 'cert', 'ncr', 'dns', 'dhcp', 'ras', 'tcp', 'http', 'ldap', 'msi', 'setup', 'mf', 'media', 'xml', 'usb', 'hid', 'acpi', 'pci', 'disk', 'vol', 'fs', 'wdf', 'core', 'host', 'mgr', 'util', 'cli', 'prov', 'ext'];
const INSTALL = '2023-03-14T10:22:33.000Z';

/** Builds names like `wmiprov32.dll`, unique case-insensitively within `used`. */
function names(prng: Prng, count: number, exts: string[], used = new Set<string>()): string[] {
  const out: string[] = [];
  for (let guard = 0; out.length < count && guard < count * 50; guard++) {
    const parts = prng.int(1, 3);
    let n = '';
    for (let i = 0; i < parts; i++) n += prng.pick(SYL);
    if (prng.next() % 3 === 0) n += String(prng.int(1, 64));
    n += prng.pick(exts);
    if (used.has(n.toLowerCase())) continue;
    used.add(n.toLowerCase());
    out.push(n);
  }
  return out;
}

/** Sizes: most small, a tail of larger ones (mean ≈ 45 KiB). */
function sizeOf(prng: Prng): number {
  const r = prng.next() % 100;
  if (r < 75) return prng.int(1024, 24 * 1024);
  if (r < 97) return prng.int(24 * 1024, 160 * 1024);
  return prng.int(160 * 1024, 1024 * 1024);
}

/** Times of an ordinary file: created at install or later, written before the incident. */
function timesOf(prng: Prng): NtfsTimes {
  const start = Date.parse(INSTALL);
  const end = Date.parse('2024-07-18T00:00:00Z');
  const written = start + (prng.next() % Math.floor((end - start) / 1000)) * 1000;
  const ticks = prng.next() % 10_000_000;
  const lastWrite = filetime(new Date(written).toISOString(), ticks);
  return { creation: filetime(INSTALL, prng.next() % 10_000_000), lastWrite, lastAccess: lastWrite + 10_000_000n * 3600n };
}

/** The plan, scaled by `scale` (1 ≈ 5,000 files). */
export function planWindowsTree(seed: number, scale: number, user: string): { dirs: PlannedDir[]; files: PlannedFile[] } {
  const prng = new Prng(seed);
  const dirs = new Map<string, PlannedDir>();
  const files: PlannedFile[] = [];
  const n = (k: number) => Math.max(1, Math.round(k * scale));
  const dir = (p: string, attributes?: number) => {
    const parts = p.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const q = `/${parts.slice(0, i).join('/')}`;
      if (!dirs.has(q)) dirs.set(q, { path: q, times: timesOf(prng) });
    }
    if (attributes !== undefined) dirs.get(p)!.attributes = attributes;
  };
  const add = (d: string, name: string, kind: PlannedFile['kind'] = 'random', size = sizeOf(prng), extra: Partial<PlannedFile> = {}) => {
    dir(d);
    files.push({ path: `${d}/${name}`, size, kind, times: timesOf(prng), ...extra });
  };
  const many = (d: string, count: number, exts: string[], kind: PlannedFile['kind'] = 'pe') => {
    for (const name of names(prng, count, exts)) add(d, name, kind);
  };

  const sys32 = '/Windows/System32';
  for (const [name, size] of [['cmd.exe', 289_792], ['notepad.exe', 201_216], ['ntoskrnl.exe', 11_035_552], ['kernel32.dll', 773_168], ['ntdll.dll', 2_163_992], ['winload.efi', 1_624_072]] as const)
    add(sys32, name, 'pe', size);
  add('/Windows', 'explorer.exe', 'pe', 4_916_736);
  add('/Windows', 'regedit.exe', 'pe', 370_176);
  many(sys32, n(1500), ['.dll', '.dll', '.dll', '.exe', '.cpl', '.ocx', '.tlb', '.nls']);
  many(`${sys32}/en-US`, n(250), ['.dll.mui', '.exe.mui'], 'random');
  for (const hive of ['SYSTEM', 'SOFTWARE', 'SAM', 'SECURITY', 'DEFAULT']) {
    add(`${sys32}/config`, hive, 'regf', hive === 'SOFTWARE' ? 8 * 1024 * 1024 : hive === 'SYSTEM' ? 4 * 1024 * 1024 : 262_144);
    add(`${sys32}/config`, `${hive}.LOG1`, 'zeros', 65_536);
  }
  many(`${sys32}/drivers`, n(350), ['.sys']);
  for (const f of ['hosts', 'networks', 'protocol', 'services', 'lmhosts.sam']) add(`${sys32}/drivers/etc`, f, 'text', prng.int(400, 18_000));
  many('/Windows/SysWOW64', n(550), ['.dll', '.dll', '.exe']);
  for (let c = 0; c < n(150); c++) {
    const comp = `amd64_microsoft-windows-${prng.pick(SYL)}${prng.pick(SYL)}_31bf3856ad364e35_10.0.19041.${prng.int(1, 4500)}_none_${(prng.next() >>> 0).toString(16).padStart(8, '0')}${(prng.next() >>> 0).toString(16).padStart(8, '0')}`;
    many(`/Windows/WinSxS/${comp}`, prng.int(1, 4), ['.dll', '.exe', '.manifest']);
  }
  many('/Windows/Fonts', n(100), ['.ttf', '.ttf', '.fon'], 'random');
  add('/Windows/Logs/CBS', 'CBS.log', 'text', 1_048_576);
  dir('/Windows/Temp');
  for (const [vendor, products] of [['Microsoft Office', ['root/Office16', 'root/Integration']], ['Google', ['Chrome/Application']], ['Mozilla Firefox', ['']], ['7-Zip', ['']], ['Windows Defender', ['', 'Offline']], ['Common Files', ['microsoft shared/ink', 'System/Ole DB']], ['Internet Explorer', ['']], ['WindowsPowerShell', ['Modules/PackageManagement', 'Modules/PowerShellGet']], ['CrowdStrike', ['']]] as const)
    for (const p of products) many(`/Program Files/${vendor}${p ? `/${p}` : ''}`, vendor === 'CrowdStrike' ? 6 : n(prng.int(15, 60)), ['.dll', '.exe', '.dat', '.json']);
  for (const vendor of ['Adobe/Acrobat Reader DC/Reader', 'Microsoft/Edge/Application', 'Common Files/Oracle/Java/javapath', 'Steam'])
    many(`/Program Files (x86)/${vendor}`, n(prng.int(30, 70)), ['.dll', '.exe', '.pak', '.dat']);
  many('/ProgramData/Microsoft/Windows/Start Menu/Programs', n(50), ['.lnk'], 'random');
  many('/ProgramData/Package Cache', n(100), ['.msi', '.cab', '.exe']);
  many('/ProgramData/CrowdStrike', 4, ['.dat', '.log'], 'random');
  const home = `/Users/${user}`;
  add(home, 'NTUSER.DAT', 'regf', 1_048_576, { attributes: 0x22 });
  many(`${home}/Desktop`, n(20), ['.lnk', '.txt', '.pdf'], 'random');
  many(`${home}/Documents`, n(150), ['.docx', '.xlsx', '.pdf', '.txt'], 'random');
  many(`${home}/Downloads`, n(50), ['.zip', '.exe', '.msi', '.pdf'], 'random');
  many(`${home}/Pictures`, n(100), ['.jpg', '.png'], 'random');
  many(`${home}/AppData/Local/Microsoft/Windows/INetCache/IE`, n(300), ['.tmp', '.dat', '.js', '.css'], 'random');
  many(`${home}/AppData/Local/Temp`, n(60), ['.tmp', '.log'], 'random');
  many(`${home}/AppData/Roaming/Microsoft/Windows/Recent`, n(100), ['.lnk'], 'random');
  many('/Users/Public/Documents', n(20), ['.txt', '.pdf'], 'random');
  add('/Users/Default', 'NTUSER.DAT', 'regf', 262_144, { attributes: 0x22 });
  many('/Users/Default/AppData/Local/Microsoft/Windows', n(30), ['.dat', '.xml'], 'random');
  dir('/$Recycle.Bin/S-1-5-21-3623811015-3361044348-30300820-1001', 0x16);
  add('/$Recycle.Bin/S-1-5-21-3623811015-3361044348-30300820-1001', 'desktop.ini', 'text', 129, { attributes: 0x26 });
  dir('/System Volume Information', 0x16);
  add('/System Volume Information', 'tracking.log', 'random', 20_480, { attributes: 0x26 });
  add('', 'DumpStack.log.tmp', 'random', 8192, { attributes: 0x26 });
  return { dirs: [...dirs.values()], files };
}
