import type { Command } from 'commander';
import type { SetExit } from './index.js';

/** `coldfix check`: not built yet; registers nothing until its issue lands. */
export function registerCheckCommand(program: Command, setExit: SetExit): void {
  void program;
  void setExit;
}
