// The rpcd exec plugin (openwrt/rpcd plugin.c): `list` prints one JSON
// object, method -> argument signature (the JSON type of each example value
// becomes the blobmsg policy type); `call <method>` gets the arguments as
// compact JSON on stdin and prints one JSON object. rpcd ignores the exit
// code and rejects anything but an object, so every error is an object too:
// {"error": {"code", "message", "field"?}}.

import { readConfig, type Context } from '../app/context.ts';
import { ConfigInvalid, formatIssue, UsageError } from '../core/config.ts';
import { fromUtf8 } from '../core/bytes.ts';
import { parseJson } from '../core/json.ts';
import { own } from '../core/own.ts';
import { InvalidArgument, settingsToChanges, toSettings } from '../core/settings.ts';
import { readClock } from '../host/clock.ts';
import { LockBusy } from '../host/lock.ts';

/** Larger input is refused unread: ubus messages are far smaller. */
export const MAX_INPUT = 1024 * 1024;

/**
 * rpcd writes a plugin's arguments into a pipe and closes it at once,
 * dropping what the pipe did not take (openwrt/rpcd exec.c,
 * rpc_exec_ipipe_write_cb): past 64 KiB the JSON arrives cut.
 */
export const RPCD_PIPE = 64 * 1024;

/**
 * Added by uhttpd's ubus handler to every call over HTTP (openwrt/uhttpd
 * ubus.c uh_ubus_send_request: a client's own is refused), and passed on by
 * rpcd with the other arguments: the session whose user the change log records.
 */
const SESSION_ARGUMENT = 'ubus_rpc_session';

type Args = Record<string, unknown>;

interface Method {
  signature: Record<string, unknown>;
  /** Modules load per method: rpcd starts the plugin anew for every call. */
  run(ctx: Context, args: Args): Promise<object>;
}

const sessions = async (ctx: Context) => (await import('../app/sessions.ts')).readSessions(ctx, undefined, MAX_SESSIONS);
const status = async (ctx: Context) => (await import('../app/status.ts')).readStatus(ctx);

const METHODS: Record<string, Method> = {
  status: { signature: {}, run: status },
  sessions: { signature: {}, run: sessions },
  doctor: {
    // Both optional: with error, what a VPN client's error means and the checks that tell its causes apart.
    signature: { error: '809', client: '192.168.1.20' },
    async run(ctx, args) {
      const { error, client } = args;
      if (error === undefined || error === null || error === '') {
        if (client !== undefined) throw new InvalidArgument('client', 'goes with error: the code or message the VPN client shows');
        return (await import('../app/doctor.ts')).runDoctor(ctx);
      }
      if (typeof error !== 'string' && typeof error !== 'number') throw new InvalidArgument('error', 'expected the code (809) or the message the VPN client shows, as a string');
      if (client !== undefined && client !== '' && typeof client !== 'string') throw new InvalidArgument('client', 'expected the LAN address of the VPN client, as a string');
      return (await import('../app/client-error.ts')).explainClientError(ctx, String(error), client || undefined);
    },
  },
  // What a page polls, in one process: a small router starts one qjs, not two.
  overview: { signature: {}, run: async (ctx) => ({ status: await status(ctx), sessions: await sessions(ctx) }) },
  get: { signature: {}, run: async (ctx) => toSettings(readConfig(ctx).config) },
  set: {
    signature: { global: {}, protocols: {} },
    async run(ctx, args) {
      const r = (await import('../app/set.ts')).setOptions(ctx, () => settingsToChanges(args, readClock(ctx.sys).now), `set ${JSON.stringify(args)}`);
      // As written (get's answer): r.config is as it stands now, where an allow whose time is up is a block.
      return { applied: true, config: toSettings(readConfig(ctx).config), warnings: r.warnings };
    },
  },
  apply: {
    // if_needed: only where the table does not hold the config as the file is now.
    signature: { if_needed: true },
    async run(ctx, args) {
      const ifNeeded = args.if_needed ?? false;
      if (typeof ifNeeded !== 'boolean') throw new InvalidArgument('if_needed', 'expected true or false');
      const { appliedSummary, apply, holdsConfig } = await import('../app/apply.ts');
      if (ifNeeded && holdsConfig(ctx)) return { applied: false, warnings: [] };
      return appliedSummary(await apply(ctx));
    },
  },
  log: {
    signature: { limit: 10 },
    async run(ctx, args) {
      const limit = args.limit ?? Infinity;
      if (limit !== Infinity && (typeof limit !== 'number' || !(limit >= 1) || limit % 1 !== 0)) {
        throw new InvalidArgument('limit', 'expected a whole number of entries, 1 or more');
      }
      return (await import('../app/changelog.ts')).readChangeLog(ctx, limit as number);
    },
  },
};

/**
 * ubusd drops a message over 1 MiB, and the client that sent it: rpcd and
 * every object it serves. A session is about 600 bytes of JSON, so the list
 * is cut well below that, and says so (readSessions: truncated, total).
 */
export const MAX_SESSIONS = 500;

class BadInput extends Error {}

function error(code: string, message: string, extra: object = {}): object {
  return { error: { code, message, ...extra } };
}

/** bytes: stdin as a byte string (src/core/bytes.ts). */
function parseArgs(bytes: string): { args: Args; session: string | null } {
  if (bytes.length > MAX_INPUT) throw new BadInput(`arguments larger than ${MAX_INPUT} bytes`);
  const input = fromUtf8(bytes);
  // JSON is UTF-8 (RFC 8259 section 8.1); a cut at rpcd's pipe may split a character too.
  if (input === null && bytes.length < RPCD_PIPE) throw new BadInput('arguments are not UTF-8, so not JSON');
  let args: unknown;
  try {
    if (input === null) throw new Error('not UTF-8');
    args = input.trim() === '' ? {} : parseJson(input);
  } catch (e) {
    if (bytes.length >= RPCD_PIPE) {
      throw new BadInput(`arguments too large: rpcd passes a plugin at most ${RPCD_PIPE} bytes of JSON; use subnets instead of long lists`);
    }
    throw new BadInput(`arguments are not JSON (RFC 8259): ${(e as Error).message}`);
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new BadInput('arguments must be a JSON object');
  const rest = { ...(args as Args) };
  const session = rest[SESSION_ARGUMENT];
  delete rest[SESSION_ARGUMENT];
  return { args: rest, session: typeof session === 'string' ? session : null };
}

async function call(method: string, input: string, makeContext: () => Context): Promise<object> {
  const m = own(METHODS, method);
  if (m === undefined) throw new BadInput(`unknown method '${method}'; known: ${Object.keys(METHODS).join(', ')}`);
  const { args, session } = parseArgs(input);
  for (const key of Object.keys(args)) {
    if (own(m.signature, key) === undefined) throw new InvalidArgument(key, `unknown argument; ${method} takes ${Object.keys(m.signature).join(', ') || 'none'}`);
  }
  return m.run({ ...makeContext(), caller: { via: 'ubus', session } }, args);
}

/** One plugin run: argv after the program name, stdin read on demand (as bytes); returns the JSON to print. */
export async function runPlugin(argv: string[], readInput: () => string, makeContext: () => Context): Promise<string> {
  const answer = await (async () => {
    if (argv[0] === 'list' && argv.length === 1) {
      const list: Record<string, object> = {};
      for (const name of Object.keys(METHODS)) list[name] = METHODS[name].signature;
      return list;
    }
    if (argv[0] !== 'call' || argv.length !== 2) return error('bad_input', 'usage: list | call <method>');
    try {
      return await call(argv[1], readInput(), makeContext);
    } catch (e) {
      if (e instanceof BadInput) return error('bad_input', e.message);
      if (e instanceof InvalidArgument) return error('invalid', e.message, { field: e.field });
      if (e instanceof UsageError) return error('invalid', e.message);
      if (e instanceof ConfigInvalid) {
        const issues = e.issues.map(formatIssue);
        return error('config', `invalid configuration, nothing changed:\n${issues.join('\n')}`, { issues });
      }
      if (e instanceof LockBusy) return error('busy', e.message);
      return error('failed', (e as Error).message ?? String(e));
    }
  })();
  return JSON.stringify(answer);
}
