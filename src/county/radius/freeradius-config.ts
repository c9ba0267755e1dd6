// A complete FreeRADIUS 3.2 configuration directory for one county (`edugate radius config`):
// FreeRADIUS terminates RADIUS and EAP-TTLS, and its `rest` module asks the county role (api.ts).
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RADIUS_API_PREFIX } from './api.ts';

export interface RadiusSetup {
  tenant: string;
  realm: string;
  /** Also answered here (`teacher01@mail.cyc.edu.tw`) when it differs from the realm. */
  mail_domain: string;
  api: { user: string; password: string };
  /** The county's NAS clients (FreeRADIUS asks for their secrets when it hears from them). */
  clients: Array<{ name: string; address: string }>;
}

export interface FreeradiusOptions {
  /** Where the county's admin listener answers (the RADIUS API), e.g. http://127.0.0.1:4101. */
  apiOrigin: string;
  listen: string;
  authPort: number;
  acctPort: number;
  /** TANet roaming: where requests of other realms go (`host:port`), and that server's secret. */
  roaming?: { server: string; secret: string } | undefined;
  /** Seconds FreeRADIUS remembers a NAS before it asks EduGate again (a removed NAS is dropped by then). */
  clientLifetime: number;
  /**
   * Seconds FreeRADIUS remembers that EduGate knows no NAS at an address, dropping that address's
   * requests without asking again (0: it asks at every request).
   */
  unknownClientLifetime?: number | undefined;
}

/** The address a request came from, IPv4 or IPv6 (what the NAS lookup asks EduGate about). */
const SOURCE_ADDRESS = '%{%{Packet-Src-IP-Address}:-%{Packet-Src-IPv6-Address}}';

/** A value inside a double-quoted FreeRADIUS string: no quote, backslash, `%` (xlat) or newline. */
function quoted(value: string): string {
  if (/["\\%\r\n$]/.test(value)) throw new Error(`not allowed in the FreeRADIUS configuration: ${value}`);
  return `"${value}"`;
}

function radiusdConf(dir: string, options: FreeradiusOptions): string {
  return `# FreeRADIUS for EduGate, written by \`edugate radius config\`: run \`freeradius -f -d ${dir}\`.
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = \${exec_prefix}/sbin
raddbdir = ${dir}
confdir = \${raddbdir}
logdir = \${raddbdir}/log
radacctdir = \${logdir}/radacct
run_dir = \${raddbdir}/run
name = freeradius
modconfdir = \${confdir}/mods-config
certdir = \${confdir}/certs
cadir = \${confdir}/certs
db_dir = \${raddbdir}
libdir = /usr/lib/freeradius
pidfile = \${run_dir}/\${name}.pid
max_request_time = 30
cleanup_delay = 5
max_requests = 16384
hostname_lookups = no

log {
	destination = files
	file = \${logdir}/radius.log
	colourise = no
	stripped_names = no
	auth = no
	auth_badpass = no
	auth_goodpass = no
}

security {
	allow_core_dumps = no
	max_attributes = 200
	reject_delay = 1
	status_server = yes
}

proxy_requests = yes
$INCLUDE proxy.conf

# NAS clients: FreeRADIUS asks EduGate (sites-enabled/edugate-clients) for the NAS at the address a
# request comes from, and remembers it for \`lifetime\` seconds. A NAS added, removed or given a new
# secret (edugate radius nas …, or the county console) takes effect without a restart: a removed
# NAS is refused by EduGate at once and dropped here within the lifetime.
client edugate_ipv4 {
	ipaddr = 0.0.0.0/0
	dynamic_clients = edugate-clients
	lifetime = ${options.clientLifetime}
	# BlastRADIUS (CVE-2024-3596): Access-Requests without Message-Authenticator are dropped.
	require_message_authenticator = yes
}
client edugate_ipv6 {
	ipv6addr = ::/0
	dynamic_clients = edugate-clients
	lifetime = ${options.clientLifetime}
	require_message_authenticator = yes
}

thread pool {
	start_servers = 16
	# Each EAP-TTLS authentication holds a thread while EduGate checks the password (argon2id).
	max_servers = 64
	min_spare_servers = 3
	max_spare_servers = 10
	max_requests_per_server = 0
	auto_limit_acct = no
}

modules {
	$INCLUDE mods-enabled/
}

instantiate {
}

policy {
}

$INCLUDE sites-enabled/
`;
}

function proxyConf(setup: RadiusSetup, options: FreeradiusOptions): string {
  const roaming = options.roaming
    ? (() => {
        const [host = '', port = '1812'] = options.roaming.server.split(':');
        return `
# TANet wireless roaming: users of other realms are sent to the roaming centre.
home_server tanet_roaming {
	type = auth+acct
	ipaddr = ${host}
	port = ${Number(port)}
	secret = ${quoted(options.roaming.secret)}
	require_message_authenticator = yes
	response_window = 20
	zombie_period = 40
	status_check = status-server
}
home_server_pool tanet_roaming {
	type = fail-over
	home_server = tanet_roaming
}
realm DEFAULT {
	pool = tanet_roaming
	nostrip
}
`;
      })()
    : '';
  return `# Realms: ${setup.realm} is answered here (by EduGate); see docs/OPERATIONS.md, "RADIUS".
proxy server {
	default_fallback = no
}

realm ${setup.realm} {
	nostrip
}
${
  setup.mail_domain && setup.mail_domain !== setup.realm
    ? `realm ${setup.mail_domain} {
	nostrip
}
`
    : ''
}${roaming}`;
}

function restModule(setup: RadiusSetup, options: FreeradiusOptions): string {
  const call = (
    path: string,
    query = 'nas=%{client:shortname}',
  ) => `		uri = "\${..connect_uri}${RADIUS_API_PREFIX}/${path}?${query}"
		method = 'post'
		body = 'json'
		auth = 'basic'
		username = ${quoted(setup.api.user)}
		password = ${quoted(setup.api.password)}
		require_auth = yes
		# EduGate answers within 3 seconds (or 503): never wait longer than this.
		timeout = 5.0`;
  return `# EduGate's RADIUS API on the county role's admin listener (never its public port).
rest {
	connect_uri = ${quoted(options.apiOrigin.replace(/\/$/, ''))}
	connect_timeout = 5.0
	http_negotiation = 1.1

	authorize {
${call('authorize')}
	}
	accounting {
${call('accounting')}
	}

	pool {
		# 0: FreeRADIUS starts (and keeps answering Reject) while EduGate is down, and recovers with it.
		start = 0
		min = 0
		max = 64
		spare = 8
		uses = 0
		retry_delay = 1
		lifetime = 0
		idle_timeout = 60
	}
}

# The NAS at a request's source address, and its secret (sites-enabled/edugate-clients).
rest edugate_clients {
	connect_uri = ${quoted(options.apiOrigin.replace(/\/$/, ''))}
	connect_timeout = 5.0
	http_negotiation = 1.1

	authorize {
${call('client', `tenant=${setup.tenant}&address=${SOURCE_ADDRESS}`)}
	}

	pool {
		start = 0
		min = 0
		max = 4
		spare = 1
		uses = 0
		retry_delay = 1
		lifetime = 0
		idle_timeout = 60
	}
}
`;
}

/**
 * `sendCa`: whether FreeRADIUS adds the CA certificates of `ca.pem` to the chain it sends (OpenSSL's
 * auto_chain). Not when `server.pem` already reaches a CA of `ca.pem`, which devices have installed:
 * the server's first TLS flight then fits one EAP fragment (1,024 bytes), a round trip less.
 */
function eapModule(sendCa: boolean): string {
  return `# EAP-TTLS with inner PAP only: the password reaches EduGate, which verifies it against its
# argon2 hashes. PEAP-MSCHAPv2 would need NT hashes of every password (see docs/OPERATIONS.md).
eap {
	default_eap_type = ttls
	timer_expire = 60
	ignore_unknown_eap_types = no
	cisco_accounting_username_bug = no
	max_sessions = \${max_requests}

	tls-config tls-common {
		private_key_file = \${certdir}/server.key
		certificate_file = \${certdir}/server.pem
		ca_file = \${certdir}/ca.pem
		ca_path = \${certdir}
		cipher_list = "HIGH"
		cipher_server_preference = yes
		tls_min_version = "1.2"
		tls_max_version = "1.3"
		auto_chain = ${sendCa ? 'yes' : 'no'}
		cache {
			enable = no
		}
		verify {
		}
		ocsp {
			enable = no
		}
	}

	ttls {
		tls = tls-common
		copy_request_to_tunnel = yes
		use_tunneled_reply = no
		virtual_server = "edugate-inner"
	}
}
`;
}

const ALWAYS = `always reject {
	rcode = reject
}
always ok {
	rcode = ok
}
`;

const SUFFIX = `realm suffix {
	format = suffix
	delimiter = "@"
}
`;

function outerSite(options: FreeradiusOptions): string {
  return `# Access-Requests from the NAS clients: PAP (VPN) and EAP-TTLS (Wi-Fi); accounting.
server edugate {
	listen {
		type = auth
		ipaddr = ${options.listen}
		port = ${options.authPort}
	}
	listen {
		type = acct
		ipaddr = ${options.listen}
		port = ${options.acctPort}
	}

	authorize {
		# Other realms go to the TANet roaming centre when one is configured (proxy.conf).
		suffix
		if (&control:Proxy-To-Realm) {
			return
		}
		eap {
			ok = return
			updated = return
		}
		if (!&User-Password) {
			reject
		}
		# EduGate checks the password and the account: 200 → ok/updated (with the reply
		# attributes), 401 → reject (with Reply-Message), unreachable or 503 → fail (which would
		# leave the section at once: carried on instead, to say so).
		rest {
			fail = 1
		}
		if (ok || updated) {
			update control {
				&Auth-Type := Accept
			}
		}
		elsif (fail) {
			# EduGate unreachable, or its database or Redis down (503): rejected at once, saying so.
			update reply {
				&Reply-Message := "帳號服務暫時無法使用，請稍後再試。"
				&Reply-Message += "The account service is unavailable; try again shortly."
			}
			reject
		}
		else {
			reject
		}
	}

	authenticate {
		eap
	}

	preacct {
		suffix
	}

	accounting {
		rest
	}

	post-auth {
		# What the inner tunnel decided (Class, Session-Timeout, the inner identity).
		update {
			&reply: += &session-state:
		}
		if (&EAP-Message) {
			update reply {
				&Reply-Message !* ANY
			}
		}
		Post-Auth-Type REJECT {
			eap
			if (&EAP-Message) {
				update reply {
					&Reply-Message !* ANY
				}
			}
		}
	}
}
`;
}

/**
 * The addresses EduGate said it knows no NAS at (404), kept `ttl` seconds in FreeRADIUS's memory:
 * requests from them are dropped without asking EduGate again.
 */
function unknownClientsModule(ttl: number): string {
  return `# Addresses with no NAS (EduGate answered 404): dropped for ${ttl} seconds without asking again.
cache edugate_unknown_clients {
	driver = "rlm_cache_rbtree"
	key = "${SOURCE_ADDRESS}"
	ttl = ${ttl}
	update {
		&control:Tmp-String-0 := "no NAS at this address"
	}
}
`;
}

/** Asked for a NAS FreeRADIUS does not know (yet, or any more): EduGate's answer defines it. */
function clientsSite(rememberUnknown: boolean): string {
  const known = rememberUnknown
    ? `		# EduGate answered within the last seconds that no NAS is at this address: dropped.
		update control {
			&Cache-Status-Only := yes
		}
		edugate_unknown_clients
		if (ok) {
			reject
		}
`
    : '';
  const remember = rememberUnknown
    ? `		elsif (notfound) {
			# No NAS at this address: remembered, so that its next requests cost EduGate nothing.
			edugate_unknown_clients
			reject
		}
`
    : '';
  return `# Dynamic NAS clients: the request here is empty but for its source address (Packet-Src-IP-Address).
server edugate-clients {
	authorize {
${known}		# 200 → the NAS (address, secret, shortname); 404, or EduGate unreachable → none (dropped).
		edugate_clients
		if (updated) {
			ok
		}
${remember}		else {
			reject
		}
	}
}
`;
}

const INNER_SITE = `# The inner PAP of EAP-TTLS: the same password check as the VPN's PAP.
server edugate-inner {
	authorize {
		if (!&User-Password) {
			reject
		}
		rest
		if (ok || updated) {
			update control {
				&Auth-Type := Accept
			}
		}
		else {
			reject
		}
	}

	post-auth {
		update outer.session-state {
			&Class := &reply:Class
			&Session-Timeout := &reply:Session-Timeout
			&User-Name := &reply:User-Name
		}
	}
}
`;

/** The files of the configuration directory, by path below it (certificates not included). */
export function freeradiusFiles(
  dir: string,
  setup: RadiusSetup,
  options: FreeradiusOptions,
  tls: { sendCa: boolean } = { sendCa: true },
): Record<string, string> {
  return {
    'radiusd.conf': radiusdConf(dir, options),
    'proxy.conf': proxyConf(setup, options),
    dictionary: '# Local attributes (none).\n',
    'mods-enabled/rest': restModule(setup, options),
    'mods-enabled/eap': eapModule(tls.sendCa),
    'mods-enabled/always': ALWAYS,
    'mods-enabled/realm': SUFFIX,
    'sites-enabled/edugate': outerSite(options),
    'sites-enabled/edugate-inner': INNER_SITE,
    'sites-enabled/edugate-clients': clientsSite(Boolean(options.unknownClientLifetime)),
    ...(options.unknownClientLifetime
      ? { 'mods-enabled/edugate_unknown_clients': unknownClientsModule(options.unknownClientLifetime) }
      : {}),
  };
}

const certificatesIn = (pem: string) =>
  (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map(
    (block) => new X509Certificate(block),
  );

/** Whether the last certificate of `serverPem` (the server's, then any intermediates) is a CA of `caPem` or issued by one. */
export function chainReachesCa(serverPem: string, caPem: string): boolean {
  const last = certificatesIn(serverPem).at(-1);
  if (!last) return false;
  return certificatesIn(caPem).some(
    (ca) => ca.fingerprint256 === last.fingerprint256 || (last.checkIssued(ca) && last.verify(ca.publicKey)),
  );
}

export interface CertificateFiles {
  caPem: string;
  serverPem: string;
  serverKeyPem: string;
}

/**
 * Writes the directory. Certificates already in `certs/` are kept (devices trust that CA); missing
 * ones come from `certificates()` (generated or the operator's). Returns the CA certificate in use.
 */
export async function writeFreeradiusDirectory(
  out: string,
  setup: RadiusSetup,
  options: FreeradiusOptions,
  certificates: () => Promise<CertificateFiles>,
): Promise<{ dir: string; caPem: string }> {
  const dir = resolve(out);
  for (const sub of ['', 'log', 'run', 'certs', 'mods-enabled', 'sites-enabled', 'mods-config']) {
    mkdirSync(join(dir, sub), { recursive: true, mode: 0o750 });
  }
  const certs = join(dir, 'certs');
  let caPem: string;
  if (existsSync(join(certs, 'server.key')) && existsSync(join(certs, 'ca.pem'))) {
    caPem = readFileSync(join(certs, 'ca.pem'), 'utf8');
  } else {
    const made = await certificates();
    writeFileSync(join(certs, 'ca.pem'), made.caPem, { mode: 0o644 });
    writeFileSync(join(certs, 'server.pem'), made.serverPem, { mode: 0o644 });
    writeFileSync(join(certs, 'server.key'), made.serverKeyPem, { mode: 0o600 });
    caPem = made.caPem;
  }
  const files = freeradiusFiles(dir, setup, options, {
    sendCa: !chainReachesCa(readFileSync(join(certs, 'server.pem'), 'utf8'), caPem),
  });
  // Written by earlier versions, which listed the NAS clients in files: no longer read.
  for (const old of ['clients.conf', 'clients.d', 'sites-enabled/control']) {
    rmSync(join(dir, old), { recursive: true, force: true });
  }
  // Written with --unknown-nas-lifetime only.
  rmSync(join(dir, 'mods-enabled/edugate_unknown_clients'), { force: true });
  for (const [path, text] of Object.entries(files)) {
    const file = join(dir, path);
    mkdirSync(dirname(file), { recursive: true });
    // The directory holds the RADIUS API credential (and the roaming secret): readable by its owner only.
    writeFileSync(file, text, { mode: 0o640 });
  }
  return { dir, caPem };
}
