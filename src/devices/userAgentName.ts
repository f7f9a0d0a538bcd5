import Bowser from 'bowser';

// Names a device the way its owner would: "Firefox 133" on "Windows 10". bowser (MIT, no dependencies) does the
// user-agent parsing; this module only shortens its names and decides which version numbers mean anything.

/** What the "your devices" page calls a session's browser and system; undefined where nothing readable was sent. */
export interface UserAgentName {
  readonly browser: string | undefined;
  readonly system: string | undefined;
}

// A real user agent is a few hundred characters; anything longer is not worth parsing (and bowser's regular
// expressions need not see it).
const MAX_INPUT_CHARS = 512;
// What the page shows of one name at most: a custom login UI's description is free text.
const MAX_NAME_CHARS = 48;

// bowser's (and ua-parser-js's, which Next.js uses for Login V2's description) long names, as people say them.
const BROWSER_NAMES: Readonly<Record<string, string>> = {
  'Microsoft Edge': 'Edge',
  'Samsung Internet for Android': 'Samsung Internet',
  'Samsung Browser': 'Samsung Internet',
  'Mobile Safari': 'Safari',
  'Mobile Chrome': 'Chrome',
  'Chrome WebView': 'Chrome',
  'Mobile Firefox': 'Firefox',
  'Internet Explorer': 'Internet Explorer',
  // "Mozilla/5.0" alone names no browser: every browser sends it.
  Mozilla: '',
};

const SYSTEM_NAMES: Readonly<Record<string, string>> = {
  'Chrome OS': 'ChromeOS',
  'Mac OS': 'macOS',
  'Mac OS X': 'macOS',
};

// Rendering engines in Login V2's description, which separate the device part from the system part.
const ENGINES = new Set(['blink', 'webkit', 'gecko', 'edgehtml', 'trident', 'presto', 'goanna']);

/**
 * The browser and system of a session: parsed from its User-Agent header, each missing part taken from the
 * session's `userAgent.description` (Login V2 writes "Chrome, 126.0, desktop, , , Blink, 126.0, , Linux, , ";
 * other UIs something like "Chrome, 126.0, Linux"). Never throws; undefined parts are for the page to word.
 */
export function describeUserAgent(
  userAgentHeader: string | undefined,
  description: string | undefined,
): UserAgentName {
  const fromHeader = parseHeader(clean(userAgentHeader));
  if (fromHeader.browser !== undefined && fromHeader.system !== undefined) return fromHeader;
  const fromDescription = parseDescription(clean(description));
  return {
    browser: fromHeader.browser ?? fromDescription.browser,
    system: fromHeader.system ?? fromDescription.system,
  };
}

/** The input cut to a parseable length, control characters out; undefined when nothing is left. */
function clean(value: string | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value
    .slice(0, MAX_INPUT_CHARS)
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .trim();
  return text === '' ? undefined : text;
}

function parseHeader(header: string | undefined): UserAgentName {
  if (header === undefined) return { browser: undefined, system: undefined };
  try {
    const { browser, os } = Bowser.parse(header);
    // Chrome's reduced user agent on Android always says "Android 10; K", whatever the real version.
    const osVersion = os.name === 'Android' && /Android 10; K[;)]/.test(header) ? undefined : os.version;
    return {
      browser: browserName(browser.name, browser.version),
      system: systemName(os.name, osVersion, os.versionName),
    };
  } catch {
    // bowser throws on input it cannot take (an empty string, for one): such a header names nothing.
    return { browser: undefined, system: undefined };
  }
}

function parseDescription(description: string | undefined): UserAgentName {
  if (description === undefined) return { browser: undefined, system: undefined };
  const parts = description
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  const [first, second] = parts;
  if (first === undefined) return { browser: undefined, system: undefined };
  const hasBrowserVersion = second !== undefined && isVersion(second);
  const browser = browserName(first, hasBrowserVersion ? second : undefined);

  let rest = parts.slice(hasBrowserVersion ? 2 : 1);
  const engineAt = rest.findIndex((part) => ENGINES.has(part.toLowerCase()));
  if (engineAt >= 0) {
    // Login V2's order: device, engine [version], system [version]; what follows the engine is the system.
    rest = rest.slice(engineAt + 1);
    if (rest[0] !== undefined && isVersion(rest[0])) rest = rest.slice(1);
  }
  // What is left ends with the system: its name, perhaps followed by its version.
  const last = rest[rest.length - 1];
  const beforeLast = rest[rest.length - 2];
  let system: string | undefined;
  if (last !== undefined && isVersion(last)) {
    system = beforeLast !== undefined && !isVersion(beforeLast) ? systemName(beforeLast, last) : undefined;
  } else if (last !== undefined) {
    system = systemName(last, undefined);
  }
  return { browser, system };
}

const isVersion = (text: string) => /^v?[0-9]+([._][0-9A-Za-z]+)*$/.test(text);

/** "Firefox 133": the family and its major version (the minor ones change every few weeks and say nothing). */
function browserName(name: string | undefined, version: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const family = shorten(BROWSER_NAMES[name] ?? name);
  if (family === undefined) return undefined;
  const major = majorOf(version);
  return major === undefined ? family : `${family} ${major}`;
}

/**
 * "Windows 10", "iOS 18", "Android 15", "macOS": the system, with the version where it tells devices apart.
 * macOS browsers all claim 10.15.7 and Windows 11 claims "NT 10.0", so those versions are left as the browser
 * reports them (Windows by its marketing name, macOS not at all).
 */
function systemName(
  name: string | undefined,
  version: string | undefined,
  versionName?: string,
): string | undefined {
  if (name === undefined) return undefined;
  const system = shorten(SYSTEM_NAMES[name] ?? name);
  if (system === undefined) return undefined;
  switch (system) {
    case 'Windows': {
      const named = versionName ?? (version !== undefined && /^[0-9.]+$/.test(version) ? version : undefined);
      const shown = named === undefined ? undefined : shorten(named.replace(/^NT\s*/i, ''));
      return shown === undefined ? system : `${system} ${shown}`;
    }
    case 'iOS':
    case 'iPadOS':
    case 'Android': {
      const major = majorOf(version);
      return major === undefined ? system : `${system} ${major}`;
    }
    default:
      return system;
  }
}

function majorOf(version: string | undefined): string | undefined {
  const match = version === undefined ? null : /^v?([0-9]{1,6})/.exec(version.trim());
  return match?.[1];
}

function shorten(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  return trimmed.length > MAX_NAME_CHARS ? `${trimmed.slice(0, MAX_NAME_CHARS - 1)}…` : trimmed;
}
