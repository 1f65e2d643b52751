import type { CommandKindName } from '../core/agent-commands.js';

/** What the agent knows to do for a command kind (core/agent-commands.ts COMMAND_KINDS): its result, or a thrown failure. */
export type CommandHandler = (args: Record<string, unknown>, signal: AbortSignal) => Promise<unknown>;

/** The real agent's handlers, by kind; every kind of COMMAND_KINDS needs one. */
export function commandHandlers(agentVersion: string): Record<CommandKindName, CommandHandler> {
  return {
    ping: async () => ({ agentVersion }),
  };
}
