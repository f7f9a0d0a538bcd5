import type { ShownDevice } from './deviceList.js';
import { escapeHtml } from './escapeHtml.js';
import { messagesFor, type Language, type Messages, type ProblemCode } from './messages.js';

// The "your devices" pages as whole HTML documents: server-rendered, no script at all, no inline style (the CSP
// allows neither), nothing from another origin. Every interpolated value goes through escapeHtml, texts included.
// What a device is addressed by is its opaque ref; its session ids stay on the server.

export interface DevicesPageInput {
  readonly lang: Language;
  readonly devices: readonly ShownDevice[];
  /** The form token every POST must echo. */
  readonly csrf: string;
  /** How the page was opened: by signing in (OIDC), or from a refused sign-in's ticket. */
  readonly via: 'oidc' | 'ticket';
  /** The user's limit, for the ticket banner, where known. */
  readonly limit?: number | undefined;
  /** What the last action did ("Signed out Firefox 133 on Windows."), already in `lang`. */
  readonly notice?: string | undefined;
  readonly nowMs: number;
  /** The path prefix of DEVICES_PUBLIC_URL ('' when the limiter is at the root). */
  readonly basePath: string;
}

export interface ProblemPageInput {
  readonly lang: Language;
  readonly status: number;
  readonly code: ProblemCode;
  readonly basePath: string;
}

/** The devices page: the list, a sign-out form on each device but the current one, and "sign out all others". */
export function renderDevicesPage(input: DevicesPageInput): string {
  const text = messagesFor(input.lang);
  const base = escapeHtml(input.basePath);
  const csrf = escapeHtml(input.csrf);
  const parts: string[] = [];

  parts.push(`<h1>${escapeHtml(text.title)}</h1>`);
  if (input.via === 'ticket')
    parts.push(`<p class="banner">${escapeHtml(text.ticketBanner(input.limit))}</p>`);
  parts.push(`<p class="intro">${escapeHtml(input.via === 'ticket' ? text.introTicket : text.intro)}</p>`);
  // The status region is always there (empty without a notice) so that assistive technology announces it.
  parts.push(
    `<div class="notice" role="status">${input.notice === undefined ? '' : escapeHtml(input.notice)}</div>`,
  );
  parts.push(`<h2>${escapeHtml(text.devicesHeading)}</h2>`);

  if (input.devices.length === 0) {
    parts.push(`<p>${escapeHtml(text.empty)}</p>`);
  } else {
    const items = input.devices.map((device, index) => renderDevice(device, index, text, base, csrf));
    parts.push(`<ul class="devices">\n${items.join('\n')}\n</ul>`);
  }

  // "All other devices" with a ticket would be every device (the refused browser holds none): a leaked ticket
  // must not sign the user out of everything at once, so a ticket signs out one device at a time.
  if (input.via === 'oidc' && input.devices.some((device) => !device.current)) {
    parts.push(
      `<form class="others" method="post" action="${base}/devices/sign-out-others">` +
        `<input type="hidden" name="csrf" value="${csrf}">` +
        `<button type="submit">${escapeHtml(text.signOutOthers)}</button></form>`,
    );
  }
  parts.push(`<p class="muted">${escapeHtml(text.asOf(text.formatTime(input.nowMs)))}</p>`);

  return document(input.lang, text.title, base, parts.join('\n'));
}

/** A problem page: what went wrong and what to do, with the status and code for whoever helps the user. */
export function renderProblemPage(input: ProblemPageInput): string {
  const text = messagesFor(input.lang);
  const problem = text.problems[input.code];
  const base = escapeHtml(input.basePath);
  const parts = [
    `<h1>${escapeHtml(problem.title)}</h1>`,
    `<p>${escapeHtml(problem.message)}</p>`,
    // Not configured: there is no devices page to go back to.
    input.code === 'not_configured'
      ? ''
      : `<p><a href="${base}/devices">${escapeHtml(text.backToDevices)}</a></p>`,
    `<p class="muted">${escapeHtml(text.errorCode(input.code, input.status))}</p>`,
  ].filter((part) => part !== '');
  return document(input.lang, problem.title, base, parts.join('\n'), 'problem');
}

function renderDevice(
  device: ShownDevice,
  index: number,
  text: Messages,
  base: string,
  csrf: string,
): string {
  const name = text.deviceName(device.browser, device.system);
  // Two devices can share a name ("Firefox 133 on Linux"): the button is described by its last sign-in too.
  const lastId = `device-${index}-last`;
  const badge = device.current ? ` <span class="current">${escapeHtml(text.thisDevice)}</span>` : '';
  const details = [
    [text.lastSignIn, timeElement(device.lastSignInMs, text), lastId],
    [text.firstSignIn, timeElement(device.firstSignInMs, text), undefined],
    [text.sessions, escapeHtml(text.sessionCount(device.sessionCount)), undefined],
    [text.ip, escapeHtml(device.ip ?? text.unknown), undefined],
  ] as const;
  const dl = details
    .map(
      ([term, value, id]) =>
        `<dt>${escapeHtml(term)}</dt><dd${id === undefined ? '' : ` id="${id}"`}>${value}</dd>`,
    )
    .join('');
  const form = device.current
    ? ''
    : `<form method="post" action="${base}/devices/sign-out">` +
      `<input type="hidden" name="device" value="${escapeHtml(device.ref)}">` +
      `<input type="hidden" name="csrf" value="${csrf}">` +
      `<button type="submit" aria-describedby="${lastId}">${escapeHtml(text.signOutDevice(name))}</button></form>`;
  return `<li class="device"><h3>${escapeHtml(name)}${badge}</h3><dl>${dl}</dl>${form}</li>`;
}

// Date's range ends at ±8.64e15 ms; toISOString throws beyond it.
const MAX_DATE_MS = 8.64e15;

function timeElement(ms: number | undefined, text: Messages): string {
  if (ms === undefined || !Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) return escapeHtml(text.unknown);
  return `<time datetime="${escapeHtml(new Date(ms).toISOString())}">${escapeHtml(text.formatTime(ms))}</time>`;
}

function document(lang: Language, title: string, base: string, body: string, mainClass?: string): string {
  return `<!doctype html>
<html lang="${escapeHtml(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${base}/devices/style.css">
</head>
<body>
<main${mainClass === undefined ? '' : ` class="${mainClass}"`}>
${body}
</main>
</body>
</html>
`;
}
