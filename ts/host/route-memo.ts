/**
 * The router's memory of rated questions (RanHost.learnRoute), as the agent
 * host saves it with the agents: its own module, so that agent-host.ts and
 * ran-host.ts do not import each other.
 */

/** What tells route memos apart: when, which feature, which question. */
export const routeMemoKey = (m: RouteMemo) => `${m.at}\u0000${m.code}\u0000${m.text}`;

/** One rated question the router remembers (RouteMemory). */
export interface RouteMemo {
  text: string;
  code: string;
  /** The reward given, in [-1, 1]. */
  reward: number;
  /** When (ms since the epoch; with text and code, what tells copies apart). */
  at: number;
}
