import type { Command } from 'commander';
import type { SetExit } from './index.js';

/** `coldfix info`: not built yet; registers nothing until its issue lands. */
export function registerInfoCommand(program: Command, setExit: SetExit): void {
  void program;
  void setExit;
}
