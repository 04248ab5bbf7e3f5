import type { Command } from 'commander';
import type { SetExit } from './index.js';

/** `coldfix rollback`: not built yet; registers nothing until its issue lands. */
export function registerRollbackCommand(program: Command, setExit: SetExit): void {
  void program;
  void setExit;
}
