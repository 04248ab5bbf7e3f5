import type { Command } from 'commander';
import type { SetExit } from './index.js';

/** `coldfix stat`: not built yet; registers nothing until its issue lands. */
export function registerStatCommand(program: Command, setExit: SetExit): void {
  void program;
  void setExit;
}
