import type { Command } from 'commander';
import { registerInfoCommand } from './info.js';
import { registerLsCommand } from './ls.js';
import { registerCatCommand } from './cat.js';
import { registerStatCommand } from './stat.js';
import { registerTimelineCommand } from './timeline.js';
import { registerRollbackCommand } from './rollback.js';
import { registerCommitCommand } from './commit.js';
import { registerCheckCommand } from './check.js';
import { registerRmCommand } from './rm.js';
import { registerRepairCommand } from './repair.js';
import { registerVerifyCommand } from './verify.js';
import { registerBatchCommand } from './batch.js';
import { registerWorkerCommand } from './worker.js';
import { registerLogCommand } from './log.js';
import { registerReplayCommand } from './replay.js';
import { registerExportCommand } from './export.js';

export type SetExit = (code: number) => void;

/** One module per command, each owning its options, output and exit code. */
export function registerCommands(program: Command, setExit: SetExit): void {
  registerInfoCommand(program, setExit);
  registerLsCommand(program, setExit);
  registerCatCommand(program, setExit);
  registerStatCommand(program, setExit);
  registerTimelineCommand(program, setExit);
  registerRollbackCommand(program, setExit);
  registerCommitCommand(program, setExit);
  registerCheckCommand(program, setExit);
  registerRmCommand(program, setExit);
  registerRepairCommand(program, setExit);
  registerVerifyCommand(program, setExit);
  registerBatchCommand(program, setExit);
  registerWorkerCommand(program, setExit);
  registerLogCommand(program, setExit);
  registerReplayCommand(program, setExit);
  registerExportCommand(program, setExit);
}
