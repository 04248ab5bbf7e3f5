// Runs repairImage / verifyImage (the built @coldfix/repair) in a child process, so a test can capture
// everything a run prints: the JSON report on stdout; on error, the message and the serialised error on
// stderr. Used until the CLI's BitLocker key options are wired. Exit codes as the CLI's.
// argv[2]: JSON {op: 'repair'|'verify', image, keys: {recoveryPasswords?, passwords?}, dryRun?, quarantineDir?, onlyBad?}
import { crowdstrike291, repairImage, verifyImage } from '@coldfix/repair';

const request = JSON.parse(process.argv[2]);
const rules = [crowdstrike291];
try {
  if (request.op === 'repair') {
    const report = await repairImage(request.image, { rules, keys: request.keys, dryRun: request.dryRun, quarantineDir: request.quarantineDir, onlyBad: request.onlyBad });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.exitCode = { repaired: 0, clean: 0, affected: 3, refused: 4, failed: 1 }[report.result];
  } else {
    const report = await verifyImage(request.image, { keys: request.keys }, { rules, onlyBad: request.onlyBad });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    process.exitCode = { clean: 0, affected: 3, inconsistent: 5 }[report.result];
  }
} catch (error) {
  process.stderr.write(`coldfix: ${error?.message}\n${JSON.stringify(error)}\n`);
  process.exitCode = typeof error?.code === 'string' && typeof error?.kind === 'string' ? 2 : 1;
}
