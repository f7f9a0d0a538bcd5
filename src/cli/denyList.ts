import { BlockList, isIP } from 'node:net';

/**
 * ZITADEL's deny list for outgoing calls, which refuses targets on denied addresses (`Errors.Target.DeniedURL`) and
 * skips, silently, a registered target whose address became denied. Its key depends on the release
 * (../shared/zitadel/FACTS.md, section 2, observed on v4.13.1): `Executions.DenyList` up to v4.13,
 * `HTTPClient.DenyList` after. Setting the other one changes nothing.
 */
export interface DenyListSetting {
  readonly setting: string;
  /** The environment variable that sets it on the ZITADEL server; its value replaces the whole list. */
  readonly variable: string;
  readonly releases: string;
  /** The default entries: host names, addresses and CIDR ranges. */
  readonly defaults: readonly string[];
}

export const EXECUTIONS_DENY_LIST: DenyListSetting = {
  setting: 'Executions.DenyList',
  variable: 'ZITADEL_EXECUTIONS_DENYLIST',
  releases: 'v4.13 and earlier',
  // [real] on v4.13.1: a target on 10.1.2.3 was accepted.
  defaults: ['localhost', '127.0.0.0/8', '::1', '0.0.0.0', '::'],
};

export const HTTPCLIENT_DENY_LIST: DenyListSetting = {
  setting: 'HTTPClient.DenyList',
  variable: 'ZITADEL_HTTPCLIENT_DENYLIST',
  releases: 'after v4.13',
  // cmd/defaults.yaml on ZITADEL's main branch.
  defaults: [
    'localhost',
    '0.0.0.0/8',
    '10.0.0.0/8',
    '100.64.0.0/10',
    '127.0.0.0/8',
    '169.254.0.0/16',
    '172.16.0.0/12',
    '192.168.0.0/16',
    '198.18.0.0/15',
    '::/128',
    '::1/128',
    'fc00::/7',
    'fe80::/10',
  ],
};

/** `v4.11.2` → [4, 11]; undefined when the text is no version. */
export function majorMinor(version: string | undefined): [number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)/.exec(version ?? '');
  return match === null ? undefined : [Number(match[1]), Number(match[2])];
}

/** The deny list a release reads; both when the version is unknown, since naming the wrong one misleads. */
export function denyListsFor(version: [number, number] | undefined): readonly DenyListSetting[] {
  if (version === undefined) return [EXECUTIONS_DENY_LIST, HTTPCLIENT_DENY_LIST];
  const [major, minor] = version;
  return major > 4 || (major === 4 && minor >= 14) ? [HTTPCLIENT_DENY_LIST] : [EXECUTIONS_DENY_LIST];
}

function blockListOf(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (isIP(address) === 0) continue;
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return list;
}

/**
 * Whether the list's defaults deny this host as written in the endpoint. A host name other than localhost is
 * resolved by ZITADEL, so it cannot be judged from here: false.
 */
export function deniedByDefault(hostname: string, list: DenyListSetting): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return list.defaults.includes('localhost');
  const family = isIP(host);
  if (family === 0) return false;
  return blockListOf(list.defaults).check(host, family === 6 ? 'ipv6' : 'ipv4');
}

/** "Executions.DenyList (environment ZITADEL_EXECUTIONS_DENYLIST, v4.13 and earlier)", for each list. */
export function nameDenyLists(lists: readonly DenyListSetting[]): string {
  return lists.map((list) => `${list.setting} (environment ${list.variable}, ${list.releases})`).join(' or ');
}
