// `vpn-passthrough doctor --error`: the error explained, the checks run for
// it, then the answer (an unknown error: that first, then every check).

import type { ClientErrorReport } from '../app/client-error.ts';
import { formatDoctor } from './format.ts';

export function formatClientError(r: ClientErrorReport): string {
  const e = r.clientError;
  const head = e.known
    ? [
        `${e.code === undefined ? 'message' : `error ${e.code}`} (${e.client}): ${e.message}`,
        `meaning: ${e.meaning}`,
        `checked${r.client ? ` for ${r.client}` : ' for every LAN client (--client ADDRESS narrows it to one)'}:`,
      ]
    : [];
  const answer = [`finding: ${r.finding}`, ...(r.fix ? [`fix: ${r.fix}`] : [])].join('\n');
  // An unknown error: say so first, then the whole doctor.
  if (!e.known) return `${answer}\n\n${formatDoctor(r.checks)}`;
  return `${head.join('\n')}\n${formatDoctor(r.checks)}\n${answer}\n`;
}
