import type { Command } from 'commander';
import type { SetExit } from './index.js';

/** `coldfix cat`: not built yet; registers nothing until its issue lands. */
export function registerCatCommand(program: Command, setExit: SetExit): void {
  void program;
  void setExit;
}
