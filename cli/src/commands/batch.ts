import type { Command } from 'commander';
import type { SetExit } from './index.js';

/** `coldfix batch`: not built yet; registers nothing until its issue lands. */
export function registerBatchCommand(program: Command, setExit: SetExit): void {
  void program;
  void setExit;
}
