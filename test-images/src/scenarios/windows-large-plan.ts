/**
 * The plan of `ntfs-windows-large` (no I/O): a Windows 10 22H2 system volume at full scale, about
 * 229,000 names. Directory sizes are the orders of magnitude of a Windows 10 22H2 (build 19045) install
 * after a couple of years of cumulative updates (see ntfs-windows-large.ts for the sources):
 * `Windows/WinSxS` ~15,000 component directories named `arch_name_publicKeyToken_version_culture_hash`
 * holding 1-20 payload files each, `WinSxS/Manifests` ~20,000 files in one directory, `WinSxS/Catalogs`,
 * `System32` ~4,500 names (most of them hard links of WinSxS payload files: Microsoft, "Determine the
 * actual size of the WinSxS folder") with `DriverStore/FileRepository` (~800 driver packages),
 * `winevt/Logs`, `catroot`; `SysWOW64` ~2,000; `servicing/Packages` ~10,000 .cat/.mum; `INF`, `Fonts`,
 * `assembly` and `Microsoft.NET` (GAC trees four levels deep), `Program Files` (WindowsApps, Office,
 * Git...), `Program Files (x86)`, `ProgramData`, a user profile with browser caches of thousands of
 * files, a node_modules tree, Unicode names, Zone.Identifier streams on downloads, `$Recycle.Bin`
 * ($I/$R pairs) and `System Volume Information`.
 */
import { SYL } from './windows-tree.js';
import { Planner, type LargePlan } from './windows-large-planner.js';

const VERSIONS = [1, 1023, 1202, 1320, 1566, 1706, 1889, 2006, 2251, 2364, 2604, 2846, 3031, 3393, 3636, 3996, 4355, 4717, 5007].map((v) => `10.0.19041.${v}`);
const WORDS = ['windows', 'shell', 'kernel', 'network', 'security', 'storage', 'audio', 'bluetooth', 'printing', 'update', 'defender', 'search', 'graphics', 'directx', 'media', 'foundation', 'runtime', 'appx', 'deployment', 'servicing', 'setup', 'telemetry', 'diagnostics', 'infrastructure', 'experience', 'component', 'provider', 'driver', 'service', 'host', 'client', 'management', 'credential', 'crypto', 'firewall', 'hyperv', 'wmi', 'powershell', 'remote', 'desktop', 'input', 'touch', 'speech', 'font', 'ime', 'onecore', 'coreinfra', 'gameinput', 'edge', 'wow64'];
const UNICODE = ['Résumé', 'Übersicht', 'Отчёт', 'Ελληνικά', 'プロジェクト計画', '家族写真', '한국어 문서', 'naïve café', 'Jahresabschluss für 2023', 'Fotos Mallorca ☀', 'مرحبا', 'Señal', 'Žluťoučký kůň', 'Nuño y Begoña', 'Zażółć gęślą jaźń', '😀 party', 'Ølstykke', 'Çalışma', 'Tiếng Việt', 'קובץ'];

/** Options of {@link planWindowsLarge}. */
export interface WindowsLargeOptions {
  seed: number;
  /** Multiplies every count (1 = full scale; small values for quick trials). */
  scale: number;
  user: string;
  /** Give long names 8.3 DOS names, as Windows does on a system volume. */
  dosNames: boolean;
}

/** The plan: directories, files, hard links, deletions. */
export function planWindowsLarge(o: WindowsLargeOptions): LargePlan {
  const p = new Planner(o.seed, o.dosNames);
  const r = p.prng;
  const n = (k: number) => Math.max(1, Math.round(k * o.scale));
  const syl = (min: number, max: number) => Array.from({ length: r.int(min, max) }, () => r.pick(SYL)).join('');
  const bin = (exts: string[]) => () => `${syl(1, 3)}${r.next() % 4 === 0 ? r.int(1, 64) : ''}${r.pick(exts)}`;
  const word = () => r.pick(WORDS);

  // --- Windows/WinSxS: component families, each in one or more versions ---------------------------
  const sxs = '/Windows/WinSxS';
  const sys32 = '/Windows/System32';
  const wow = '/Windows/SysWOW64';
  const drivers = `${sys32}/drivers`;
  const projected = { sys32: 0, wow: 0, drivers: 0, mui: 0 };
  let components = 0;
  const manifests: string[] = [];
  while (components < n(15_000)) {
    const a = r.next() % 100;
    const arch = a < 58 ? 'amd64' : a < 78 ? 'wow64' : a < 92 ? 'x86' : 'msil';
    const token = arch === 'msil' ? 'b03f5f7f11d50a3a' : r.next() % 40 === 0 ? '6595b64144ccf1df' : '31bf3856ad364e35';
    let name = `microsoft-windows-${Array.from({ length: r.int(1, 4) }, word).join('-')}`;
    if (arch === 'msil') name = `system.${word()}.${word()}`;
    if (name.length > 40) name = `${name.slice(0, 19)}..${name.slice(-19)}`; // Windows abbreviates long ones so
    const culture = r.next() % 5 === 0 ? 'en-us' : 'none';
    const exts = culture === 'en-us' ? ['.dll.mui', '.exe.mui'] : arch === 'msil' ? ['.dll'] : ['.dll', '.dll', '.dll', '.exe', '.sys', '.cpl', '.xml', '.dat', '.tlb'];
    const fileCount = ((k) => (k < 45 ? r.int(1, 2) : k < 80 ? r.int(3, 6) : k < 95 ? r.int(7, 12) : r.int(13, 20)))(r.next() % 100);
    const fileNames = Array.from({ length: fileCount }, bin(exts));
    const versions = Math.min(r.int(1, 4), n(15_000) - components);
    const start = r.int(0, VERSIONS.length - versions);
    let latest: string[] = [];
    for (let v = 0; v < versions; v++) {
      const comp = `${arch}_${name}_${token}_${VERSIONS[start + v]}_${culture}_${p.hex(16)}`;
      if (!p.free(sxs, comp)) continue;
      p.dir(`${sxs}/${comp}`);
      latest = fileNames.map((f) => p.file(`${sxs}/${comp}`, f)).filter((x): x is string => x !== undefined);
      manifests.push(`${comp}.manifest`);
      components++;
    }
    // The newest version is what Windows projects into System32 / SysWOW64 (hard links).
    if (r.next() % 10 < 8)
      for (const target of latest) {
        const fname = target.slice(target.lastIndexOf('/') + 1);
        if (arch === 'amd64' && culture === 'en-us' && projected.mui < n(900)) projected.mui += +p.link(target, `${sys32}/en-US`, fname);
        else if (arch === 'amd64' && fname.endsWith('.sys') && projected.drivers < n(450)) projected.drivers += +p.link(target, drivers, fname);
        else if (arch === 'amd64' && culture === 'none' && projected.sys32 < n(3_300)) projected.sys32 += +p.link(target, sys32, fname);
        else if ((arch === 'wow64' || arch === 'x86') && culture === 'none' && projected.wow < n(1_300)) projected.wow += +p.link(target, wow, fname);
      }
  }
  for (const m of manifests) p.file(`${sxs}/Manifests`, m, r.int(500, 4000));
  p.many(`${sxs}/Manifests`, n(5_000), () => `${r.pick(['amd64', 'x86', 'wow64'])}_microsoft-windows-${word()}-${word()}-deployment_31bf3856ad364e35_${r.pick(VERSIONS)}_none_${p.hex(16)}.manifest`);
  p.many(`${sxs}/Catalogs`, n(2_000), () => `${p.hex(64)}.cat`, () => r.int(2000, 12000));
  p.many(`${sxs}/Backup`, n(300), () => `${manifests[r.next() % manifests.length]}`);
  p.many(`${sxs}/FileMaps`, n(400), () => `$$_${r.pick(['system32', 'syswow64', 'inf', 'fonts', 'system32_drivers', 'system32_en-us'])}_${word()}_${p.hex(16)}.cdf-ms`);
  p.many(`${sxs}/Temp/PendingDeletes`, n(40), () => `$$DeleteMe.${syl(1, 2)}.dll.${p.hex(16)}`);
  p.dir(`${sxs}/InstallTemp`);
  p.file(sxs, 'pending.xml', 2400);

  // --- System32 and SysWOW64 (what is not a projected link) --------------------------------------
  p.many(sys32, n(1_200), bin(['.dll', '.exe', '.dll', '.nls', '.tlb', '.ax', '.acm', '.scr']));
  p.many(`${sys32}/en-US`, n(250), bin(['.dll.mui', '.exe.mui', '.chm']));
  for (const hive of ['SYSTEM', 'SOFTWARE', 'SAM', 'SECURITY', 'DEFAULT', 'DRIVERS', 'COMPONENTS', 'BBI', 'ELAM'])
    for (const ext of ['', '.LOG1', '.LOG2']) p.file(`${sys32}/config`, `${hive}${ext}`, ext ? 8192 : 262_144);
  p.many(`${sys32}/config/RegBack`, 5, (i) => ['SYSTEM', 'SOFTWARE', 'SAM', 'SECURITY', 'DEFAULT'][i]!, () => 0);
  p.many(`${sys32}/config/TxR`, 8, () => `{${p.hex(8)}-${p.hex(4)}-11ed-${p.hex(4)}-${p.hex(12)}}.TxR.${r.int(0, 2)}.regtrans-ms`);
  p.many(`${sys32}/config/systemprofile/AppData/Local/Microsoft/Windows/INetCache/IE`, n(60), () => `${p.hex(8)}.dat`);
  for (let d = 0; d < n(800); d++) {
    const base = `${syl(1, 2)}${r.next() % 3 === 0 ? r.int(1, 99) : ''}`;
    const pkg = `${sys32}/DriverStore/FileRepository/${base}.inf_amd64_${p.hex(16)}`;
    if (!p.free(`${sys32}/DriverStore/FileRepository`, pkg.slice(pkg.lastIndexOf('/') + 1))) continue;
    for (const ext of ['.inf', '.PNF', '.cat']) p.file(pkg, `${base}${ext}`);
    p.many(pkg, r.int(0, 8), bin(['.sys', '.dll', '.exe', '.bin', '.dat']));
  }
  p.many(`${sys32}/DriverStore/en-US`, n(300), () => `${syl(1, 2)}.inf_loc`);
  p.many(drivers, n(150), bin(['.sys']));
  for (const f of ['hosts', 'lmhosts.sam', 'networks', 'protocol', 'services']) p.file(`${drivers}/etc`, f);
  p.many(`${drivers}/UMDF`, n(60), bin(['.dll']));
  p.many(`${drivers}/en-US`, n(150), bin(['.sys.mui']));
  p.many(`${sys32}/catroot/{F750E6C3-38EE-11D1-85E5-00C04FC295EE}`, n(3_000), () => `Package_${r.int(1, 9999)}_for_KB${r.int(4_500_000, 5_040_000)}~31bf3856ad364e35~amd64~~10.0.${r.int(1, 4717)}.${r.int(1, 12)}.cat`, () => r.int(700, 9000));
  p.many(`${sys32}/catroot2`, 6, (i) => ['edb.log', 'edb.chk', 'catdb', 'edbres00001.jrs', 'edbres00002.jrs', 'edbtmp.log'][i]!);
  p.many(`${sys32}/winevt/Logs`, n(420), () => `Microsoft-Windows-${word()}-${word()}%4${r.pick(['Operational', 'Admin', 'Analytic', 'Diagnostic'])}.evtx`, () => 69_632);
  p.many(`${sys32}/wbem`, n(700), bin(['.dll', '.mof', '.mfl', '.exe', '.xsl']));
  p.many(`${sys32}/wbem/en-US`, n(250), bin(['.mfl', '.dll.mui']));
  p.many(`${sys32}/wbem/Repository`, 4, (i) => ['INDEX.BTR', 'MAPPING1.MAP', 'MAPPING2.MAP', 'OBJECTS.DATA'][i]!);
  for (let m = 0; m < n(70); m++) {
    const mod = `${sys32}/WindowsPowerShell/v1.0/Modules/${word()[0]!.toUpperCase()}${word().slice(1)}${r.pick(['', 'Management', 'Provider', 'Cmdlets'])}`;
    p.many(mod, r.int(2, 12), bin(['.psd1', '.psm1', '.cdxml', '.ps1xml', '.dll']));
    p.many(`${mod}/en-US`, r.int(0, 3), () => `about_${word()}.help.txt`);
  }
  for (let t = 0; t < n(240); t++) p.file(`${sys32}/Tasks/Microsoft/Windows/${word()}${r.next() % 2 ? ` ${word()}` : ''}`, `${word()}${r.pick(['', ' Maintenance', 'Task', ' Refresh'])}`, r.int(2000, 6000));
  p.many(`${sys32}/spool/drivers/x64/3`, n(250), bin(['.dll', '.gpd', '.ini', '.ppd']));
  p.many(`${sys32}/LogFiles/WMI/RtBackup`, n(30), () => `EtwRT${word()}.etl`);
  p.many(`${sys32}/sru`, 8, (i) => ['SRUDB.dat', 'SRU.chk', 'SRU.log', 'SRUres00001.jrs', 'SRUres00002.jrs', 'SRUtmp.log', 'SRU00001.log', 'SRU00002.log'][i]!);
  p.many(wow, n(600), bin(['.dll', '.exe', '.dll', '.nls', '.tlb', '.ax']));
  p.many(`${wow}/en-US`, n(350), bin(['.dll.mui', '.exe.mui']));
  p.many(`${wow}/wbem`, n(250), bin(['.dll', '.mof', '.mfl']));

  // --- Rest of Windows ---------------------------------------------------------------------------
  for (let k = 0; k < n(5_000); k++) {
    const pkg = r.next() % 3 === 0
      ? `Package_${r.int(1, 9999)}_for_KB${r.int(4_500_000, 5_040_000)}~31bf3856ad364e35~amd64~~${r.pick(VERSIONS).slice(5)}.${r.int(1, 12)}`
      : `Microsoft-Windows-${word()}-${word()}-Package${r.pick(['', '-Wrapper', '-onecore'])}~31bf3856ad364e35~${r.pick(['amd64', 'wow64'])}~${r.pick(['', '', 'en-US'])}~${r.pick(VERSIONS)}`;
    if (p.file('/Windows/servicing/Packages', `${pkg}.mum`, r.int(600, 6000))) p.file('/Windows/servicing/Packages', `${pkg}.cat`, r.int(2000, 9000));
  }
  p.many('/Windows/servicing/Sessions', n(700), () => `${r.int(30_900_000, 31_100_000)}_${r.int(1_000_000_000, 4_000_000_000)}.xml`);
  p.many('/Windows/servicing/Version/10.0.19041.3570', n(60), bin(['.dll', '.exe']));
  for (let k = 0; k < n(800); k++) {
    const inf = `${syl(1, 2)}${r.next() % 2 ? r.int(1, 30) : ''}`;
    if (p.file('/Windows/INF', `${inf}.inf`)) if (r.next() % 8 < 7) p.file('/Windows/INF', `${inf}.PNF`);
  }
  p.many('/Windows/Fonts', n(400), () => `${r.pick(['arial', 'times', 'segoe', 'cal', 'cour', 'verdana', 'tahoma', 'georgia', 'consola', 'ms', 'yu', 'malgun', 'nirmala', 'ebrima'])}${r.pick(['', 'bd', 'i', 'bi', 'z', 'l', 'sl'])}${r.int(0, 99)}${r.pick(['.ttf', '.ttf', '.ttc', '.fon'])}`);
  const gac = (root: string, count: number, ver: string) => {
    for (let k = 0; k < count; k++) {
      const asm = `${r.pick(['System', 'Microsoft', 'PresentationFramework', 'WindowsBase'])}.${word()[0]!.toUpperCase()}${word().slice(1)}${r.next() % 2 ? `.${word()}` : ''}`;
      if (!p.free(root, asm)) continue;
      p.file(`${root}/${asm}/${ver}`, `${asm}.dll`);
    }
  };
  gac('/Windows/Microsoft.NET/assembly/GAC_MSIL', n(900), 'v4.0_4.0.0.0__b03f5f7f11d50a3a');
  gac('/Windows/Microsoft.NET/assembly/GAC_64', n(120), 'v4.0_4.0.0.0__b77a5c561934e089');
  gac('/Windows/Microsoft.NET/assembly/GAC_32', n(120), 'v4.0_4.0.0.0__b77a5c561934e089');
  gac('/Windows/assembly/GAC_MSIL', n(300), '2.0.0.0__31bf3856ad364e35');
  for (const bits of ['64', '32']) gac(`/Windows/assembly/NativeImages_v4.0.30319_${bits}`, n(bits === '64' ? 500 : 350), p.hex(32));
  for (const [fw, count] of [['Framework64/v4.0.30319', 1_100], ['Framework/v4.0.30319', 950], ['Framework64/v2.0.50727', 250], ['Framework/v2.0.50727', 250]] as const) {
    const base = `/Windows/Microsoft.NET/${fw}`;
    p.many(base, n(count), bin(['.dll', '.exe', '.config', '.xml', '.tlb']));
    for (const sub of ['1033', 'Config', 'WPF', 'MUI/0409', 'ASP.NETWebAdminFiles/App_Code', 'Temporary ASP.NET Files', 'SQL/en'])
      p.many(`${base}/${sub}`, n(r.int(5, 60)), bin(['.dll', '.config', '.xml', '.aspx', '.sql']));
  }
  p.many('/Windows/Prefetch', n(250), () => `${syl(1, 3).toUpperCase()}.EXE-${p.hex(8).toUpperCase()}.pf`);
  const winTemp = p.many('/Windows/Temp', n(300), () => r.pick([`${p.guid()}.tmp`, `MpCmdRun.log`, `${syl(1, 2)}${r.int(1, 9999)}.log`, `msdt${p.hex(6)}.cab`]));
  for (const f of winTemp.slice(0, n(100))) p.remove(f);
  for (const log of ['CBS', 'DISM', 'WindowsUpdate', 'MoSetup', 'NetSetup', 'SIH', 'waasmedic']) p.many(`/Windows/Logs/${log}`, n(r.int(5, 40)), (i) => `${log}${i ? `.${i}` : ''}.${r.pick(['log', 'etl', 'cab'])}`);
  for (let k = 0; k < n(200); k++) p.many(`/Windows/SoftwareDistribution/Download/${p.hex(32)}`, r.int(1, 5), () => `${p.hex(40)}${r.pick(['', '.cab', '.psf', '.esd'])}`);
  p.many('/Windows/SoftwareDistribution/DataStore/Logs', 12, (i) => `edb${i.toString(16).padStart(5, '0')}.log`);
  for (let k = 0; k < n(40); k++) {
    const app = `/Windows/SystemApps/Microsoft.Windows.${word()[0]!.toUpperCase()}${word().slice(1)}_cw5n1h2txyewy`;
    p.many(app, r.int(5, 30), bin(['.dll', '.exe', '.xml', '.pri', '.winmd']));
    p.many(`${app}/Assets`, r.int(10, 60), () => `${word()}.scale-${r.pick([100, 125, 150, 200, 400])}.png`);
  }
  for (let k = 0; k < n(200); k++) p.many(`/Windows/Installer/${p.guid()}`, r.int(0, 3), () => `${syl(1, 2)}.ico`);
  p.many('/Windows/Installer', n(300), () => `${p.hex(r.int(5, 7))}.${r.pick(['msi', 'msp', 'msi'])}`, () => r.int(8000, 32768));

  // --- Program Files, Program Files (x86), ProgramData --------------------------------------------
  const vendorTree = (base: string, files: number, depth: number) => {
    let dirs = [base];
    let left = n(files);
    for (let d = 0; d < depth && left > 0; d++) {
      const next: string[] = [];
      for (const dir of dirs) {
        const here = Math.min(left, r.int(5, Math.max(6, Math.floor(n(files) / (dirs.length * (depth + 1))))));
        left -= p.many(dir, here, bin(['.dll', '.exe', '.dat', '.json', '.pak', '.xml', '.png', '.js', '.mui'])).length;
        for (let s = 0, k = r.int(1, 4); s < k; s++) next.push(`${dir}/${r.pick([word(), `${word()} ${word()}`, `${word()}-${r.int(1, 9)}.${r.int(0, 9)}`, 'resources', 'Locales', 'plugins', 'x64', 'lib'])}`);
      }
      dirs = next;
    }
    if (left > 0) for (const dir of dirs) left -= p.many(dir, Math.ceil(left / dirs.length), bin(['.dll', '.dat', '.png'])).length;
  };
  for (let k = 0; k < n(120); k++) vendorTree(`/Program Files/WindowsApps/Microsoft.${word()[0]!.toUpperCase()}${word().slice(1)}_${r.int(1, 23)}.${r.int(1000, 2400)}.${r.int(0, 99)}.0_x64__8wekyb3d8bbwe`, 80, 3);
  vendorTree('/Program Files/Microsoft Office/root/Office16', 2_500, 3);
  vendorTree('/Program Files/Common Files/microsoft shared', 800, 3);
  vendorTree('/Program Files/Google/Chrome/Application/120.0.6099.130', 220, 2);
  vendorTree('/Program Files/Mozilla Firefox', 160, 2);
  vendorTree('/Program Files/NVIDIA Corporation', 450, 3);
  vendorTree('/Program Files/Windows Defender', 180, 2);
  vendorTree('/Program Files/WindowsPowerShell/Modules', 300, 3);
  vendorTree('/Program Files/dotnet/shared/Microsoft.NETCore.App', 420, 1);
  vendorTree('/Program Files/Git', 2_800, 5);
  vendorTree('/Program Files/VideoLAN/VLC', 420, 2);
  vendorTree('/Program Files/7-Zip', 60, 1);
  vendorTree('/Program Files (x86)/Microsoft/Edge/Application/120.0.2210.91', 320, 2);
  vendorTree('/Program Files (x86)/Microsoft/EdgeUpdate', 80, 2);
  vendorTree('/Program Files (x86)/Steam', 2_200, 5);
  vendorTree('/Program Files (x86)/Common Files', 500, 3);
  vendorTree('/Program Files (x86)/Adobe/Acrobat Reader DC', 1_000, 3);
  vendorTree('/Program Files (x86)/Windows Kits/10', 1_500, 4);
  vendorTree('/Program Files (x86)/Microsoft Visual Studio/Installer', 500, 3);
  vendorTree('/ProgramData/Microsoft/Windows Defender', 850, 3);
  vendorTree('/ProgramData/NVIDIA Corporation', 300, 2);
  for (let k = 0; k < n(150); k++) p.file(`/ProgramData/Microsoft/Windows/Start Menu/Programs${r.next() % 2 ? `/${word()} ${word()}` : ''}`, `${word()} ${word()}.lnk`, r.int(900, 2500));
  for (let k = 0; k < n(300); k++) p.many(`/ProgramData/Package Cache/${p.guid()}v${r.int(1, 14)}.${r.int(0, 40)}.${r.int(0, 33000)}`, r.int(1, 3), () => `${syl(1, 2)}_${r.pick(['x64', 'x86'])}.${r.pick(['msi', 'cab', 'exe'])}`);
  for (let k = 0; k < n(100); k++) p.many(`/ProgramData/Microsoft/Windows/WER/ReportArchive/AppCrash_${syl(1, 2)}.exe_${p.hex(40)}_${p.hex(8)}_${p.hex(8)}-${p.hex(4)}-${p.hex(4)}-${p.hex(4)}-${p.hex(12)}`, r.int(2, 4), (i) => ['Report.wer', 'WERInternalMetadata.xml', 'memory.csv', 'sysinfo.txt'][i]!);
  p.many('/ProgramData/Microsoft/Crypto/RSA/MachineKeys', n(150), () => `${p.hex(32)}_${p.hex(8)}-${p.hex(4)}-${p.hex(4)}-${p.hex(4)}-${p.hex(12)}`);
  p.many('/ProgramData/Microsoft/Search/Data/Applications/Windows', n(100), (i) => `MSS${i.toString(16).padStart(5, '0')}.log`);

  planUser(p, o.user, n, syl, bin, word);
  return p.plan();
}

/** The user profile: browser caches, a node_modules tree, Unicode names, downloads with Zone.Identifier. */
function planUser(p: Planner, user: string, n: (k: number) => number, syl: (a: number, b: number) => string, bin: (exts: string[]) => () => string, word: () => string): void {
  const r = p.prng;
  const home = `/Users/${user}`;
  const local = `${home}/AppData/Local`;
  p.file(home, 'NTUSER.DAT', 262_144);
  for (const f of ['ntuser.dat.LOG1', 'ntuser.dat.LOG2', 'ntuser.ini']) p.file(home, f, 4096);
  const chrome = `${local}/Google/Chrome/User Data/Default`;
  const cacheFiles = p.many(`${chrome}/Cache/Cache_Data`, n(7_000), () => `f_${p.hex(6)}`);
  for (const f of ['index', 'data_0', 'data_1', 'data_2', 'data_3']) p.file(`${chrome}/Cache/Cache_Data`, f, 8192);
  for (const f of cacheFiles.slice(0, n(100))) p.remove(f);
  p.many(`${chrome}/Code Cache/js`, n(2_000), () => `${p.hex(16)}_0`);
  p.many(`${chrome}/Code Cache/wasm`, n(100), () => `${p.hex(16)}_0`);
  for (let k = 0; k < n(5); k++) p.many(`${chrome}/Service Worker/CacheStorage/${p.hex(40)}/${p.hex(8)}-${p.hex(4)}-${p.hex(4)}-${p.hex(4)}-${p.hex(12)}`, n(300), () => `${p.hex(16)}_0`);
  p.many(`${chrome}/IndexedDB/https_www.${word()}.com_0.indexeddb.leveldb`, n(40), (i) => `${String(i).padStart(6, '0')}.ldb`);
  const edge = `${local}/Microsoft/Edge/User Data/Default`;
  p.many(`${edge}/Cache/Cache_Data`, n(4_000), () => `f_${p.hex(6)}`);
  p.many(`${edge}/Code Cache/js`, n(1_000), () => `${p.hex(16)}_0`);
  p.many(`${local}/Mozilla/Firefox/Profiles/x7k2m9qa.default-release/cache2/entries`, n(3_000), () => p.hex(40).toUpperCase());
  for (let k = 0; k < 4; k++) p.many(`${local}/Microsoft/Windows/INetCache/IE/${p.hex(8).toUpperCase()}`, n(300), () => `${syl(1, 2)}[${r.int(1, 3)}].${r.pick(['htm', 'js', 'css', 'png', 'gif'])}`);
  p.many(`${local}/Microsoft/Windows/Explorer`, 30, () => `${r.pick(['thumbcache', 'iconcache'])}_${r.pick(['16', '32', '48', '96', '256', '768', '1280', 'idx', 'sr', 'wide'])}${r.int(0, 9)}.db`);
  for (let k = 0; k < n(80); k++) {
    const pkg = `${local}/Packages/Microsoft.${word()[0]!.toUpperCase()}${word().slice(1)}_8wekyb3d8bbwe`;
    for (const sub of ['LocalState', 'AC/INetCache', 'Settings', 'TempState', 'LocalCache/Local/Microsoft'])
      p.many(`${pkg}/${sub}`, r.int(0, 25), bin(['.dat', '.json', '.db', '.tmp', '.png']));
  }
  const temp = p.many(`${local}/Temp`, n(1_500), () => r.pick([`${p.guid()}.tmp`, `~DF${p.hex(4).toUpperCase()}.TMP`, `${syl(1, 2)}_${r.int(1, 99999)}.log`, `wct${p.hex(4).toUpperCase()}.tmp`]));
  for (const f of temp.slice(0, n(200))) p.remove(f);
  // An installer's scratch folder, deleted with its files.
  const scratch = `${local}/Temp/${p.guid()}`;
  for (const f of p.many(scratch, n(60), bin(['.dll', '.msi', '.cab', '.exe']))) p.remove(f);
  p.remove(scratch, true);
  p.many(`${local}/Microsoft/OneDrive/logs/Personal`, n(200), () => `SyncDiagnostics${r.int(1, 99)}.${p.hex(6)}.odl`);
  p.many(`${home}/AppData/Roaming/Microsoft/Windows/Recent`, n(300), () => `${word()} ${word()}${r.pick(['.docx', '.pdf', '.xlsx', ''])}.lnk`);
  p.many(`${home}/AppData/Roaming/Microsoft/Windows/Recent/AutomaticDestinations`, n(100), () => `${p.hex(16)}.automaticDestinations-ms`);
  p.many(`${home}/AppData/Roaming/Code/User/workspaceStorage/${p.hex(32)}`, n(200), bin(['.json', '.vscdb']));
  // A developer's project: node_modules, deep and wide.
  const nm = (dir: string, depth: number) => {
    for (let k = 0, count = depth === 0 ? n(160) : r.int(0, 3); k < count; k++) {
      const pkg = `${dir}/${r.next() % 6 === 0 ? `@${word()}/` : ''}${word()}-${syl(1, 2)}`;
      p.file(pkg, 'package.json', r.int(600, 3000));
      p.many(`${pkg}/lib${r.next() % 2 ? `/${word()}` : ''}`, r.int(1, 20), () => `${syl(1, 2)}.${r.pick(['js', 'js', 'd.ts', 'js.map', 'cjs'])}`);
      if (depth < 3) nm(`${pkg}/node_modules`, depth + 1);
    }
  };
  nm(`${home}/source/repos/webapp/node_modules`, 0);
  // Documents, pictures, music with Unicode names; downloads with Zone.Identifier (Mark of the Web).
  const uname = () => `${r.pick(UNICODE)}${r.next() % 2 ? ` ${r.int(1, 2024)}` : ''}`;
  for (let k = 0; k < n(900); k++) p.file(`${home}/Documents${r.next() % 3 ? `/${uname()}` : ''}`, `${uname()}${r.pick(['.docx', '.xlsx', '.pdf', '.txt', '.pptx'])}`);
  p.many(`${home}/Pictures/Camera Roll`, n(1_500), () => `IMG_2023${String(r.int(1, 12)).padStart(2, '0')}${String(r.int(1, 28)).padStart(2, '0')}_${String(r.int(0, 235959)).padStart(6, '0')}.jpg`, () => r.int(2000, 16384));
  for (let k = 0; k < n(300); k++) p.file(`${home}/Music/${uname()}/${uname()}`, `${String(r.int(1, 20)).padStart(2, '0')} ${uname()}.mp3`, r.int(4000, 16384));
  const zone = (url: string) => new TextEncoder().encode(`[ZoneTransfer]\r\nZoneId=3\r\nReferrerUrl=${url}\r\nHostUrl=${url}download\r\n`);
  for (let k = 0; k < n(150); k++) {
    const name = `${r.next() % 4 === 0 ? uname() : `${word()}-${syl(1, 2)}-${r.int(1, 9)}.${r.int(0, 20)}`}${r.pick(['.zip', '.exe', '.msi', '.pdf', '.iso'])}`;
    p.file(`${home}/Downloads`, name, undefined, { streams: [{ name: 'Zone.Identifier', data: zone(`https://www.${word()}.com/`) }] });
  }
  p.many(`${home}/Desktop`, n(40), () => `${word()} ${word()}${r.pick(['.lnk', '.txt', '.url'])}`);
  p.many(`${home}/OneDrive/Documents`, n(300), () => `${uname()}${r.pick(['.docx', '.xlsx'])}`);
  for (const d of ['Favorites', 'Contacts', 'Saved Games', 'Searches', 'Links', '3D Objects', 'Videos']) p.many(`${home}/${d}`, r.int(1, 4), () => `${word()}.${r.pick(['url', 'lnk', 'contact', 'search-ms'])}`);
  p.many('/Users/Default/AppData/Local/Microsoft/Windows', n(60), bin(['.dat', '.xml']));
  p.file('/Users/Default', 'NTUSER.DAT', 262_144);
  p.many('/Users/Public/Documents', n(40), () => `${word()} ${word()}.pdf`);
  p.many('/Users/Public/Desktop', n(20), () => `${word()} ${word()}.lnk`);
  const bin$ = `/$Recycle.Bin/S-1-5-21-3623811015-3361044348-30300820-1001`;
  p.file(bin$, 'desktop.ini', 129);
  for (let k = 0; k < n(120); k++) {
    const id = p.hex(6).toUpperCase();
    const ext = r.pick(['.docx', '.txt', '.jpg', '.zip', '']);
    if (p.file(bin$, `$I${id}${ext}`, 100)) p.file(bin$, `$R${id}${ext}`);
  }
  p.file('/$Recycle.Bin/S-1-5-18', 'desktop.ini', 129);
  const svi = '/System Volume Information';
  for (const f of ['tracking.log', 'IndexerVolumeGuid', 'WPSettings.dat', 'Syscache.hve', 'Syscache.hve.LOG1', 'Syscache.hve.LOG2']) p.file(svi, f, 4096);
  p.many(svi, 6, () => `${p.guid().toLowerCase()}{3808876b-c176-4e48-b7ae-04046e6cc752}`, () => 16_384);
  p.many(`${svi}/SPP/OnlineMetadataCache`, 12, () => `${p.guid().toLowerCase()}_${r.int(1, 9)}`);
  p.file('', 'DumpStack.log.tmp', 8192);
  p.file('', 'pagefile.sys', 65_536, { sparseSize: 1024 * 1024 * 1024 });
  p.file('', 'swapfile.sys', 65_536, { sparseSize: 256 * 1024 * 1024 });
}
