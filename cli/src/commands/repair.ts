import type { Command } from 'commander';
import type { SetExit } from './index.js';

/** `coldfix repair`: not built yet; registers nothing until its issue lands. */
export function registerRepairCommand(program: Command, setExit: SetExit): void {
  void program;
  void setExit;
}
