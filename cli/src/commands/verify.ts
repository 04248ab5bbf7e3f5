import type { Command } from 'commander';
import type { SetExit } from './index.js';

/** `coldfix verify`: not built yet; registers nothing until its issue lands. */
export function registerVerifyCommand(program: Command, setExit: SetExit): void {
  void program;
  void setExit;
}
