import type { Command } from 'commander';
import type { SetExit } from './index.js';

/** `coldfix ls`: not built yet; registers nothing until its issue lands. */
export function registerLsCommand(program: Command, setExit: SetExit): void {
  void program;
  void setExit;
}
