/** Human text for `coldfix log` (kept apart from the command's I/O). Names from the journal are untrusted: control characters are escaped. */
import { attributeTypeName, operationTarget, type LogFileJournal, type LogRecord } from '@coldfix/ntfs';

const safe = (s: string): string => s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
const hex = (n: number | bigint): string => `0x${n.toString(16)}`;

/** MFT records a record targets: its MFT record, or the file of its open attribute. */
export function recordTargets(r: LogRecord): number[] {
  const out: number[] = [];
  if (r.update?.mftRecord !== null && r.update?.mftRecord !== undefined) out.push(r.update.mftRecord);
  if (r.attribute) out.push(r.attribute.fileRecord);
  return out;
}

export function describeJournal(j: LogFileJournal, from: 'volume' | 'copy'): string {
  const lines: string[] = [];
  if (j.empty) return `$LogFile (${from}) of ${j.size} bytes is empty (all 0xFF: reset by mkntfs, ntfsfix or ntfs-3g): clean\n`;
  lines.push(`$LogFile (${from}) ${j.size} bytes, version ${j.version}, ${j.clean ? 'clean' : 'NOT clean (Windows did not shut the volume down cleanly)'}`);
  for (const c of j.restart?.copies ?? []) {
    if (!c.ok) { lines.push(`restart page at ${hex(c.offset)}: rejected: ${c.problem}`); continue; }
    const p = c.page;
    lines.push(`restart page at ${hex(p.offset)}: ${p.magic} ${p.majorVersion}.${p.minorVersion}${p === j.current ? ' (in force)' : ''}  current LSN ${p.currentLsn}  flags ${hex(p.flags)}  clients in use ${hex(p.clientInUseList)}  seq bits ${p.seqNumberBits}  log size ${p.fileSize}  open count ${hex(p.restartLogOpenCount)}`);
    for (const cl of p.clients) lines.push(`  client ${cl.index} "${safe(cl.name)}": oldest LSN ${cl.oldestLsn}  restart LSN ${cl.clientRestartLsn}`);
  }
  for (const a of j.applied) lines.push(`${a.kind} copy at ${hex(a.from)} applied to its home ${hex(a.to)} (LSN ${a.lastLsn})`);
  if (j.unapplied.length) lines.push(`${j.unapplied.length} older ${j.unapplied[0].kind} copies left in place (their records are shown as stale)`);
  lines.push(`circular area ${hex(j.firstDataOffset)}..${hex(j.endOffset)}: ${j.validPages} valid record pages${j.damagedPages.length ? `, ${j.damagedPages.length} damaged` : ''}${j.truncated ? ' (truncated copy)' : ''}`);
  const cp = j.checkpoint;
  if (cp) {
    const a = cp.area;
    lines.push(`checkpoint at LSN ${cp.lsn}: NTFS restart area ${a.majorVersion}.${a.minorVersion}, start of checkpoint LSN ${a.startOfCheckpointLsn}, cluster ${a.bytesPerCluster ?? '?'} bytes`);
    lines.push(`  open attributes ${cp.openAttributes?.entries.length ?? '-'} (LSN ${a.openAttributeTableLsn}), dirty pages ${cp.dirtyPages?.entries.length ?? '-'} (LSN ${a.dirtyPageTableLsn}), transactions ${cp.transactions?.entries.length ?? '-'} (LSN ${a.transactionTableLsn}), names LSN ${a.attributeNamesLsn}`);
    for (const o of cp.openAttributes?.entries ?? []) lines.push(`  open attribute ${hex(o.index)}: record ${o.fileRecord} ${attributeTypeName(o.attributeType)}${o.name ? ` "${safe(o.name)}"` : ''}`);
    for (const d of cp.dirtyPages?.entries ?? []) lines.push(`  dirty page: attribute ${hex(d.targetAttribute)} vcn ${d.vcn} oldest LSN ${d.oldestLsn} lcns ${d.lcns.join(',')}`);
    for (const t of cp.transactions?.entries ?? []) lines.push(`  transaction ${hex(t.index)}: ${t.state} first LSN ${t.firstLsn} undo next LSN ${t.undoNextLsn}`);
    for (const p of cp.problems) lines.push(`  problem: ${p}`);
  }
  for (const a of j.anomalies) lines.push(`note: ${a}`);
  return `${lines.join('\n')}\n`;
}

export function describeRecord(r: LogRecord, paths: Map<number, string>): string {
  const head = `LSN ${r.lsn}${r.stale ? ' (stale)' : ''}  txn ${hex(r.transactionId)}`;
  const u = r.update;
  if (r.recordType === 2) return `${head}  client restart (checkpoint)`;
  if (!u) return `${head}  record type ${r.recordType}, ${r.clientDataLength} bytes`;
  let target = '';
  if (u.mftRecord !== null) target = `MFT record ${u.mftRecord}${paths.has(u.mftRecord) ? ` ${safe(paths.get(u.mftRecord)!)}` : ''} attribute @${hex(u.recordOffset)} +${hex(u.attributeOffset)}`;
  else if (r.attribute) target = `record ${r.attribute.fileRecord}${paths.has(r.attribute.fileRecord) ? ` ${safe(paths.get(r.attribute.fileRecord)!)}` : ''} ${attributeTypeName(r.attribute.attributeType)}${r.attribute.name ? `:${safe(r.attribute.name)}` : ''} vcn ${u.targetVcn}`;
  else if (operationTarget(u.redoOperation) === 'attribute' || operationTarget(u.undoOperation) === 'attribute') target = `attribute ${hex(u.targetAttribute)} vcn ${u.targetVcn}`;
  const names = r.names.length ? `  names: ${[...new Set(r.names.map((n) => `${safe(n.name)} (in ${n.parentRecord})`))].join(', ')}` : '';
  return `${head}  ${u.redoOperationName} / ${u.undoOperationName}${target ? `  ${target}` : ''}${names}${u.problems.length ? `  problems: ${u.problems.join('; ')}` : ''}`;
}
