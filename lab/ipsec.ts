// strongSwan's charon as an independent IKEv2 peer in a lab namespace. ESP is
// done in userspace (kernel-libipsec, over a TUN device), so no XFRM or ESP
// kernel module is needed; kernel-libipsec only does ESP in UDP, which is
// what NAT-T through the router uses anyway.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execFile, spawnSync } from 'node:child_process';
import type { Netns, Result } from './netns.ts';
import { ROUTER_WAN, SERVER } from './topology.ts';
import { until } from './wait.ts';

const CHARON = '/usr/lib/ipsec/charon';
const SWANCTL = '/usr/sbin/swanctl';
const PLUGINS = '/usr/lib/ipsec/plugins';

/** The server's address inside the tunnel (on its loopback), and its subnet. */
export const SERVER_INNER = '10.99.0.1';
const SERVER_NET = '10.99.0.0/24';
/** Clients get virtual IPs from here. */
const POOL = '10.99.1.0/24';
const PSK = 'vpn-passthrough-lab';

/** The Debian package that ships each charon plugin (/usr/lib/ipsec/plugins/libstrongswan-<name>.so). */
const PLUGIN_PACKAGES: Record<string, string> = {
  openssl: 'libstrongswan-standard-plugins',
  'kernel-libipsec': 'libcharon-extra-plugins',
  'socket-default': 'strongswan-libcharon',
  vici: 'strongswan-swanctl',
};

/**
 * false, or why charon cannot run here: its programs, TUN, and every plugin
 * the lab's strongswan.conf loads (its `load =` line; with load_modular =
 * no, charon starts without a missing one and fails later, obscurely).
 * Under CI (ci true) a missing part is an error: CI installs what the tests
 * need, so a skip there would hide a broken install.
 */
export function probeCharon(ci: boolean, plugins = PLUGINS, programs = [CHARON, SWANCTL], tun = '/dev/net/tun'): string | false {
  const missing: string[] = [];
  const packages = new Set<string>();
  for (const program of programs) {
    if (!existsSync(program)) {
      missing.push(program);
      packages.add(program.endsWith('swanctl') ? 'strongswan-swanctl' : 'strongswan-charon');
    }
  }
  const loaded = /^\s*load = (.*)$/m.exec(strongswanConf(''))![1].split(' ');
  for (const name of loaded) {
    if (!existsSync(`${plugins}/libstrongswan-${name}.so`)) {
      missing.push(`the ${name} plugin`);
      packages.add(PLUGIN_PACKAGES[name] ?? 'libstrongswan');
    }
  }
  let why: string | false = false;
  if (missing.length > 0) why = `missing ${missing.join(', ')} (apt-get install ${[...packages].join(' ')}; make installs them)`;
  else if (!existsSync(tun)) why = `${tun} is missing (kernel-libipsec needs TUN)`;
  if (why && ci) throw new Error(`the IPsec lab cannot run under CI: ${why}`);
  return why;
}

/** false, or why charon cannot run here (the tests skip, saying so; under CI=true importing this fails instead). */
export const charonMissing: string | false = probeCharon(process.env.CI === 'true');

export interface Charon {
  ns: Netns;
  dir: string;
  /** swanctl against this instance's vici socket; the run is bounded by timeoutMs. */
  swanctl(args: string[], timeoutMs?: number): Result;
  /** Brings the client's tunnel up; swanctl gives up after timeoutS. Async, so clients can start at once. */
  initiate(timeoutS?: number): Promise<Result>;
  /** Established IKE SAs, as swanctl --list-sas prints them. */
  sas(): string;
  /** Whether the daemon answers on its vici socket. */
  alive(): boolean;
  /** The daemon's log so far (for assertion messages). */
  log(): string;
}

export interface Ipsec {
  dir: string;
  server(ns: Netns): Promise<Charon>;
  client(ns: Netns, i: number): Promise<Charon>;
  /** A responder on a LAN host, reached from the WAN through the router's port forwards (UDP 500, 4500). */
  lanServer(ns: Netns): Promise<Charon>;
  /** An initiator on the WAN side, to the router's WAN address (the LAN server behind its port forwards). */
  wanClient(ns: Netns): Promise<Charon>;
  /** The end of every instance's log, for a failure message. */
  logs(): string;
  /** Deletes the logs; the processes go with their namespaces (Netns.remove). */
  remove(): void;
}

// Small retransmits so a refused IKE gives up in seconds, not minutes. With
// them any IKE exchange caught by a block would end its SA, so nothing starts
// one by itself: no DPD, and no MOBIKE (the lab's IPv6 addresses settling
// would otherwise send address updates).
function strongswanConf(dir: string): string {
  return `charon {
	load_modular = no
	load = random nonce openssl kdf kernel-libipsec kernel-netlink socket-default vici
	retransmit_tries = 2
	retransmit_timeout = 0.5
	retransmit_base = 1.4
	plugins {
		vici {
			socket = unix://${dir}/charon.vici
		}
	}
	filelog {
		lab {
			path = ${dir}/charon.log
			time_format = %T
			default = 1
			ike = 2
			flush_line = yes
		}
	}
	syslog {
		daemon {
			default = -1
		}
	}
}
swanctl {
	load = random nonce openssl
}
`;
}

const serverConf = `connections {
	lab {
		version = 2
		mobike = no
		local_addrs = ${SERVER}
		pools = lab
		local {
			auth = psk
			id = server.lab
		}
		remote {
			auth = psk
		}
		children {
			lab {
				local_ts = ${SERVER_NET}
			}
		}
	}
}
pools {
	lab {
		addrs = ${POOL}
	}
}
secrets {
	ike-lab {
		secret = ${PSK}
	}
}
`;

const clientConf = (i: number) => `connections {
	lab {
		version = 2
		mobike = no
		remote_addrs = ${SERVER}
		vips = 0.0.0.0
		local {
			auth = psk
			id = client${i}.lab
		}
		remote {
			auth = psk
			id = server.lab
		}
		children {
			lab {
				remote_ts = ${SERVER_NET}
			}
		}
	}
}
secrets {
	ike-lab {
		secret = ${PSK}
	}
}
`;

/** The LAN responder's address inside the tunnel (on its loopback); its subnet and pool. */
export const LAN_SERVER_INNER = '10.98.0.1';
const LAN_SERVER_NET = '10.98.0.0/24';
const LAN_POOL = '10.98.1.0/24';

// The LAN host is behind the router's NAT: it sees the WAN client at its own
// address, and itself as translated (port forwards), so NAT-T is used.
const lanServerConf = `connections {
	lab {
		version = 2
		mobike = no
		pools = lan
		local {
			auth = psk
			id = lanserver.lab
		}
		remote {
			auth = psk
		}
		children {
			lab {
				local_ts = ${LAN_SERVER_NET}
			}
		}
	}
}
pools {
	lan {
		addrs = ${LAN_POOL}
	}
}
secrets {
	ike-lab {
		secret = ${PSK}
	}
}
`;

const wanClientConf = `connections {
	lab {
		version = 2
		mobike = no
		remote_addrs = ${ROUTER_WAN}
		vips = 0.0.0.0
		local {
			auth = psk
			id = wanclient.lab
		}
		remote {
			auth = psk
			id = lanserver.lab
		}
		children {
			lab {
				remote_ts = ${LAN_SERVER_NET}
			}
		}
	}
}
secrets {
	ike-lab {
		secret = ${PSK}
	}
}
`;

export function makeIpsec(): Ipsec {
  const root = mkdtempSync(`${tmpdir()}/vpn-passthrough-ipsec-`);
  const all: Charon[] = [];

  async function start(ns: Netns, name: string, conf: string): Promise<Charon> {
    const dir = `${root}/${name}`;
    mkdirSync(dir);
    writeFileSync(`${dir}/strongswan.conf`, strongswanConf(dir));
    writeFileSync(`${dir}/swanctl.conf`, conf);
    const env = { ...process.env, STRONGSWAN_CONF: `${dir}/strongswan.conf`, SWANCTL_DIR: dir };
    const uri = ['--uri', `unix://${dir}/charon.vici`];
    // charon's pid file is fixed at /var/run/charon.pid and a live pid there
    // (any namespace: pids are shared) stops a second charon, so each one
    // gets its own /run. `ip netns exec` gives the command a private mount
    // namespace; the mount and charon must share it, hence one fixed script,
    // arguments passed as argv. swanctl reaches charon by the vici socket in
    // dir, which every mount namespace sees.
    const child = ns.start(['sh', '-c', 'mount -t tmpfs -o size=1m vpt-run /run && exec "$@"', 'sh', CHARON], env);
    // Drained, or a full pipe would stall charon; the tail tells why it died.
    let output = '';
    const keep = (d: Buffer) => void (output = (output + d.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const log = () => {
      try {
        return readFileSync(`${dir}/charon.log`, 'utf8');
      } catch {
        return '';
      }
    };
    const swanctl = (args: string[], timeoutMs = 10_000): Result => {
      const r = spawnSync(SWANCTL, [...args, ...uri], { encoding: 'utf8', env, timeout: timeoutMs });
      return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
    };
    const charon: Charon = {
      ns,
      dir,
      swanctl,
      initiate: (timeoutS = 5) =>
        new Promise((resolve) => {
          const argv = ['--initiate', '--child', 'lab', '--timeout', String(timeoutS), ...uri];
          execFile(SWANCTL, argv, { encoding: 'utf8', env, timeout: (timeoutS + 2) * 1000 }, (err, stdout, stderr) => {
            const status = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
            resolve({ status, stdout, stderr: stderr || String(err ?? '') });
          });
        }),
      sas: () => swanctl(['--list-sas', '--noblock']).stdout,
      alive: () => swanctl(['--stats'], 2000).status === 0,
      log,
    };
    all.push(charon);
    const ready = await until(() => existsSync(`${dir}/charon.vici`) && charon.alive(), 5000);
    if (!ready) throw new Error(`${name}: charon did not come up within 5 s\n${output}\n${log()}`);
    // SWANCTL_DIR: dir/swanctl.conf, and no credentials from /etc/swanctl.
    const loaded = swanctl(['--load-all', '--noprompt']);
    if (loaded.status !== 0) throw new Error(`${name}: swanctl --load-all: ${loaded.stdout}${loaded.stderr}\n${log()}`);
    return charon;
  }

  return {
    dir: root,
    server: (ns) => {
      // The tunnel's far end: an address inside the server's protected subnet.
      ns.sh('ip', 'addr', 'add', `${SERVER_INNER}/32`, 'dev', 'lo');
      return start(ns, 'server', serverConf);
    },
    client: (ns, i) => start(ns, `client${i}`, clientConf(i)),
    lanServer: (ns) => {
      ns.sh('ip', 'addr', 'add', `${LAN_SERVER_INNER}/32`, 'dev', 'lo');
      return start(ns, 'lanserver', lanServerConf);
    },
    wanClient: (ns) => start(ns, 'wanclient', wanClientConf),
    logs: () => all.map((c) => `--- ${c.dir}/charon.log (end)\n${c.log().split('\n').slice(-60).join('\n')}`).join('\n'),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** One ICMP echo from the client (its virtual IP) to the server's inner address (or `to`); true if answered within waitS. */
export function ping(ns: Netns, waitS = 1, to = SERVER_INNER): boolean {
  return ns.run(['ping', '-n', '-q', '-c', '1', '-W', String(waitS), to], { timeout: (waitS + 3) * 1000 }).status === 0;
}
