import type { Command } from 'commander';
import type { SetExit } from './index.js';

/** `coldfix timeline`: not built yet; registers nothing until its issue lands. */
export function registerTimelineCommand(program: Command, setExit: SetExit): void {
  void program;
  void setExit;
}
