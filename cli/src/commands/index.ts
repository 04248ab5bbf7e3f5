import type { Command } from 'commander';

export type SetExit = (code: number) => void;

/** One line per command module, so each can be added without touching the others. */
export function registerCommands(program: Command, setExit: SetExit): void {
  void program;
  void setExit;
}
