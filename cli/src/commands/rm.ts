import type { Command } from 'commander';
import type { SetExit } from './index.js';

/** `coldfix rm`: not built yet; registers nothing until its issue lands. */
export function registerRmCommand(program: Command, setExit: SetExit): void {
  void program;
  void setExit;
}
