// `doctor --error CODE [--client ADDRESS]`: what an error a VPN client
// showed means, and only the checks that tell its possible causes apart,
// on the facts doctor reads, narrowed to that client and its servers.

import { parseIpOrSubnet } from '../core/address.ts';
import { findClientError, type Cause } from '../core/client-errors.ts';
import { UsageError } from '../core/config.ts';
import { diagnose, type Check, type SessionSource } from '../core/doctor.ts';
import { explain } from '../core/explain.ts';
import type { Session } from '../core/sessions.ts';
import type { Context } from './context.ts';
import { readDoctorFacts } from './doctor.ts';

/** Sessions judged one by one (as objects): one client has a few; without --client, the first ones. */
const MAX_SESSIONS = 200;

export interface ClientErrorReport {
  /** Not `error`: every rpcd answer with an `error` is a failure (docs/ubus.md). */
  clientError:
    | { input: string; known: false }
    | { input: string; known: true; code?: number; client: string; message: string; meaning: string; causes: Cause[] };
  /** The LAN client judged; null: all of them. */
  client: string | null;
  checks: Check[];
  finding: string;
  fix?: string;
}

export function explainClientError(ctx: Context, input: string, client?: string): ClientErrorReport {
  const address = client === undefined ? null : parseIpOrSubnet(client.trim());
  if (address !== null && ('error' in address || address.text.indexOf('/') >= 0)) {
    throw new UsageError(`client '${client}' is not an IPv4 or IPv6 address (the LAN address of the computer that shows the error)`);
  }
  const who = address === null ? null : address.text;
  const error = findClientError(input);
  const { facts, config, read, sessions } = readDoctorFacts(ctx);
  const withConfig = (checks: Check[]) => (config ? [config, ...checks] : checks);
  if (error === null) {
    return {
      clientError: { input, known: false },
      client: who,
      checks: withConfig(diagnose(facts)),
      finding: `'${input}' is not an error this doctor knows (give the number Windows shows, such as 809, or the first words of the message): all of doctor's checks follow`,
    };
  }
  // The client's sessions of the error's protocols, and the servers they go to.
  const list = sessions?.list;
  const mine: Session[] = [];
  for (let i = 0; list && i < list.size && mine.length < MAX_SESSIONS; i++) {
    if ((who === null || list.client(i) === who) && error.protocols.indexOf(list.protocol(i)) >= 0) mine.push(list.session(i));
  }
  const servers = new Set(mine.map((s) => s.server));
  // doctor on the sessions to those servers only: a clash is between clients of one server.
  const narrowed: SessionSource | null = list ? { forEach: (visit) => list.forEach((s) => void (servers.has(s.server) && visit(s))) } : null;
  const doctor = diagnose(who === null ? facts : { ...facts, sessions: narrowed, espSenders: facts.espSenders.filter((s) => servers.has(s.server)) });
  const explained = explain(error, { config: read.config, client: who, sessions: mine, doctor: withConfig(doctor) });
  const { code, client: shownBy, message, meaning, causes } = error;
  return { clientError: { input, known: true, code, client: shownBy, message, meaning, causes }, client: who, ...explained };
}
