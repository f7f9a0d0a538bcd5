// Everything the "your devices" page, its problem pages and the API's error messages say, in English and German.
// Texts are plain strings: renderPage.ts escapes them like every other value it interpolates.

export const LANGUAGES = ['en', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];

/** What can go wrong, as the API's `error` codes and the problem pages name it. */
export const PROBLEM_CODES = [
  'ticket_invalid',
  'ticket_expired',
  'session_expired',
  'not_at_limit',
  'csrf_failed',
  'cross_site',
  'device_not_found',
  'zitadel_unavailable',
  'login_failed',
  'not_configured',
  'token_missing',
  'token_invalid',
  'ticket_one_device',
  'internal_error',
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];

export interface ProblemText {
  readonly title: string;
  /** What happened and what to do: the problem page's paragraph and the API's `message`. */
  readonly message: string;
}

export interface Messages {
  readonly title: string;
  readonly intro: string;
  /** The intro when the page was opened from a refused sign-in's link rather than by signing in. */
  readonly introTicket: string;
  readonly thisDevice: string;
  /** "Firefox 133 on Windows 10", with words for the parts the user agent did not tell. */
  readonly deviceName: (browser: string | undefined, system: string | undefined) => string;
  /** A sign-out button's accessible name: it says which device. */
  readonly signOutDevice: (deviceName: string) => string;
  readonly signOutOthers: string;
  readonly firstSignIn: string;
  readonly lastSignIn: string;
  readonly sessions: string;
  readonly sessionCount: (count: number) => string;
  readonly ip: string;
  readonly unknown: string;
  readonly empty: string;
  readonly devicesHeading: string;
  /** The banner on a page opened from a refusal ticket; the limit where it is known. */
  readonly ticketBanner: (limit: number | undefined) => string;
  readonly signedOut: (deviceName: string) => string;
  /** The notice after a sign-out, on the page the browser is sent back to (which no longer lists the device). */
  readonly deviceSignedOut: string;
  readonly signedOutOthers: (count: number) => string;
  readonly backToDevices: string;
  /** When the list was read: it does not update by itself. */
  readonly asOf: (time: string) => string;
  readonly errorCode: (code: string, status: number) => string;
  readonly problemHeading: string;
  readonly problems: Readonly<Record<ProblemCode, ProblemText>>;
  /** A date and time, in UTC with the zone named: the server does not know the reader's time zone. */
  readonly formatTime: (ms: number) => string;
}

// UTC, named in the text: the page is server-rendered without JavaScript, so the reader's zone is unknown, and a
// time without its zone would mislead whoever reads it elsewhere.
function utcFormatter(locale: string): (ms: number) => string {
  const format = new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
    timeZone: 'UTC',
  });
  return (ms) => (Number.isFinite(ms) ? `${format.format(ms)} UTC` : '');
}

const en: Messages = {
  title: 'Your devices',
  intro:
    'These are the devices signed in to your account. Sign out any you no longer use or do not recognise.',
  introTicket:
    'Your sign-in was refused because you are signed in on too many devices. Sign out one of them, then sign in again.',
  thisDevice: 'This device',
  deviceName: (browser, system) =>
    browser !== undefined && system !== undefined
      ? `${browser} on ${system}`
      : browser !== undefined
        ? browser
        : system !== undefined
          ? `Unknown browser on ${system}`
          : 'Unknown device',
  signOutDevice: (name) => `Sign out ${name}`,
  signOutOthers: 'Sign out all other devices',
  firstSignIn: 'First sign-in',
  lastSignIn: 'Last sign-in',
  sessions: 'Sessions',
  sessionCount: (count) => (count === 1 ? '1 session' : `${count} sessions`),
  ip: 'IP address',
  unknown: 'Unknown',
  empty: 'No device is signed in to your account.',
  devicesHeading: 'Signed-in devices',
  ticketBanner: (limit) =>
    limit === undefined
      ? 'You are at your limit of devices: sign out one to sign in here.'
      : `You are at your limit of ${limit} ${limit === 1 ? 'device' : 'devices'}: sign out one to sign in here.`,
  signedOut: (name) => `Signed out ${name}.`,
  deviceSignedOut: 'The device is signed out.',
  signedOutOthers: (count) =>
    count === 0
      ? 'There were no other devices to sign out.'
      : `Signed out ${count} other ${count === 1 ? 'device' : 'devices'}.`,
  backToDevices: 'Back to your devices',
  asOf: (time) => `As of ${time}.`,
  errorCode: (code, status) => `Error ${status}: ${code}`,
  problemHeading: 'Something went wrong',
  problems: {
    ticket_invalid: {
      title: 'This link is not valid',
      message:
        'The link to your devices is damaged or was not issued by this service. Sign in again to get a new one.',
    },
    ticket_expired: {
      title: 'This link has expired',
      message: 'Links to your devices work for a few minutes only. Sign in again to get a new one.',
    },
    session_expired: {
      title: 'Your visit has expired',
      message:
        'For your safety this page signs you out after a few minutes. Open your devices again to continue.',
    },
    not_at_limit: {
      title: 'Not at your limit',
      message:
        'You are no longer at your device limit, so this link cannot sign out devices. Sign in to manage your devices.',
    },
    csrf_failed: {
      title: 'The form has expired',
      message: 'The page was open too long or was sent twice. Go back to your devices and try again.',
    },
    cross_site: {
      title: 'Request refused',
      message: 'This request came from another website. Open your devices here and try again.',
    },
    device_not_found: {
      title: 'Device not found',
      message:
        'This device is no longer signed in, or it is not one of yours. Go back to see your devices now.',
    },
    zitadel_unavailable: {
      title: 'Try again in a moment',
      message: 'The sign-in service could not be reached. Nothing was changed. Please try again in a moment.',
    },
    login_failed: {
      title: 'Sign-in failed',
      message: 'You could not be signed in to see your devices. Please try again.',
    },
    token_missing: {
      title: 'Sign-in required',
      message: 'Send your ZITADEL access token as "Authorization: Bearer <token>".',
    },
    token_invalid: {
      title: 'Sign-in expired',
      message:
        'ZITADEL does not accept this access token (expired, revoked or for another application). Sign in again.',
    },
    ticket_one_device: {
      title: 'One device at a time',
      message:
        'A link from a refused sign-in signs out one device at a time. Sign in to sign out all other devices.',
    },
    internal_error: {
      title: 'Something went wrong',
      message: 'The service could not complete this request. Nothing was signed out. Try again in a moment.',
    },
    not_configured: {
      title: 'Not available',
      message: 'The devices page is not set up on this service. Ask your administrator.',
    },
  },
  formatTime: utcFormatter('en-GB'),
};

const de: Messages = {
  title: 'Ihre Geräte',
  intro:
    'Diese Geräte sind bei Ihrem Konto angemeldet. Melden Sie alle ab, die Sie nicht mehr nutzen oder nicht kennen.',
  introTicket:
    'Ihre Anmeldung wurde abgelehnt, weil Sie auf zu vielen Geräten angemeldet sind. Melden Sie eines davon ab und melden Sie sich dann erneut an.',
  thisDevice: 'Dieses Gerät',
  deviceName: (browser, system) =>
    browser !== undefined && system !== undefined
      ? `${browser} unter ${system}`
      : browser !== undefined
        ? browser
        : system !== undefined
          ? `Unbekannter Browser unter ${system}`
          : 'Unbekanntes Gerät',
  signOutDevice: (name) => `${name} abmelden`,
  signOutOthers: 'Alle anderen Geräte abmelden',
  firstSignIn: 'Erste Anmeldung',
  lastSignIn: 'Letzte Anmeldung',
  sessions: 'Sitzungen',
  sessionCount: (count) => (count === 1 ? '1 Sitzung' : `${count} Sitzungen`),
  ip: 'IP-Adresse',
  unknown: 'Unbekannt',
  empty: 'Kein Gerät ist bei Ihrem Konto angemeldet.',
  devicesHeading: 'Angemeldete Geräte',
  ticketBanner: (limit) =>
    limit === undefined
      ? 'Sie haben Ihre Höchstzahl an Geräten erreicht: Melden Sie eines ab, um sich hier anzumelden.'
      : `Sie haben Ihre Höchstzahl von ${limit} ${limit === 1 ? 'Gerät' : 'Geräten'} erreicht: Melden Sie eines ab, um sich hier anzumelden.`,
  signedOut: (name) => `${name} wurde abgemeldet.`,
  deviceSignedOut: 'Das Gerät wurde abgemeldet.',
  signedOutOthers: (count) =>
    count === 0
      ? 'Es gab keine anderen Geräte zum Abmelden.'
      : count === 1
        ? '1 anderes Gerät wurde abgemeldet.'
        : `${count} andere Geräte wurden abgemeldet.`,
  backToDevices: 'Zurück zu Ihren Geräten',
  asOf: (time) => `Stand: ${time}.`,
  errorCode: (code, status) => `Fehler ${status}: ${code}`,
  problemHeading: 'Etwas ist schiefgelaufen',
  problems: {
    ticket_invalid: {
      title: 'Dieser Link ist ungültig',
      message:
        'Der Link zu Ihren Geräten ist beschädigt oder stammt nicht von diesem Dienst. Melden Sie sich erneut an, um einen neuen zu erhalten.',
    },
    ticket_expired: {
      title: 'Dieser Link ist abgelaufen',
      message:
        'Links zu Ihren Geräten gelten nur wenige Minuten. Melden Sie sich erneut an, um einen neuen zu erhalten.',
    },
    session_expired: {
      title: 'Ihr Besuch ist abgelaufen',
      message:
        'Zu Ihrer Sicherheit meldet diese Seite Sie nach wenigen Minuten ab. Öffnen Sie Ihre Geräte erneut, um fortzufahren.',
    },
    not_at_limit: {
      title: 'Höchstzahl nicht erreicht',
      message:
        'Sie haben Ihre Höchstzahl an Geräten nicht mehr erreicht, daher kann dieser Link keine Geräte abmelden. Melden Sie sich an, um Ihre Geräte zu verwalten.',
    },
    csrf_failed: {
      title: 'Das Formular ist abgelaufen',
      message:
        'Die Seite war zu lange geöffnet oder wurde doppelt gesendet. Kehren Sie zu Ihren Geräten zurück und versuchen Sie es erneut.',
    },
    cross_site: {
      title: 'Anfrage abgelehnt',
      message:
        'Diese Anfrage kam von einer anderen Website. Öffnen Sie Ihre Geräte hier und versuchen Sie es erneut.',
    },
    device_not_found: {
      title: 'Gerät nicht gefunden',
      message:
        'Dieses Gerät ist nicht mehr angemeldet oder gehört nicht zu Ihrem Konto. Kehren Sie zurück, um Ihre aktuellen Geräte zu sehen.',
    },
    zitadel_unavailable: {
      title: 'Bitte versuchen Sie es gleich noch einmal',
      message:
        'Der Anmeldedienst war nicht erreichbar. Es wurde nichts geändert. Bitte versuchen Sie es gleich noch einmal.',
    },
    login_failed: {
      title: 'Anmeldung fehlgeschlagen',
      message: 'Sie konnten nicht angemeldet werden, um Ihre Geräte zu sehen. Bitte versuchen Sie es erneut.',
    },
    token_missing: {
      title: 'Anmeldung erforderlich',
      message: 'Senden Sie Ihr ZITADEL-Zugriffstoken als „Authorization: Bearer <Token>“.',
    },
    token_invalid: {
      title: 'Anmeldung abgelaufen',
      message:
        'ZITADEL akzeptiert dieses Zugriffstoken nicht (abgelaufen, widerrufen oder für eine andere Anwendung). Melden Sie sich erneut an.',
    },
    ticket_one_device: {
      title: 'Ein Gerät nach dem anderen',
      message:
        'Ein Link aus einer abgelehnten Anmeldung meldet jeweils ein Gerät ab. Melden Sie sich an, um alle anderen Geräte abzumelden.',
    },
    internal_error: {
      title: 'Etwas ist schiefgelaufen',
      message:
        'Der Dienst konnte diese Anfrage nicht ausführen. Es wurde nichts abgemeldet. Versuchen Sie es gleich noch einmal.',
    },
    not_configured: {
      title: 'Nicht verfügbar',
      message:
        'Die Geräteseite ist für diesen Dienst nicht eingerichtet. Wenden Sie sich an Ihre Administration.',
    },
  },
  formatTime: utcFormatter('de-DE'),
};

const MESSAGES: Readonly<Record<Language, Messages>> = { en, de };

/** The texts of one language. */
export function messagesFor(language: Language): Messages {
  return MESSAGES[language];
}

// An Accept-Language header is short; a longer one is cut rather than parsed at length.
const MAX_ACCEPT_LANGUAGE_CHARS = 1024;

/**
 * The language to answer in, from Accept-Language (RFC 9110 §12.5.4): the supported language with the highest
 * q-value, the earlier one on a tie; a regional tag counts for its language ("de-AT" is German); "*" is English;
 * q=0 ("not this one") and malformed q-values drop their entry. English when nothing supported is asked for.
 */
export function pickLanguage(acceptLanguage: string | undefined): Language {
  if (typeof acceptLanguage !== 'string') return 'en';
  let best: { language: Language; q: number } | undefined;
  for (const entry of acceptLanguage.slice(0, MAX_ACCEPT_LANGUAGE_CHARS).split(',')) {
    const [rawTag, ...params] = entry.split(';');
    const tag = rawTag?.trim().toLowerCase() ?? '';
    const q = qualityOf(params);
    if (q === undefined || q === 0) continue;
    const language =
      tag === '*' ? 'en' : LANGUAGES.find((code) => tag === code || tag.startsWith(`${code}-`));
    if (language === undefined) continue;
    if (best === undefined || q > best.q) best = { language, q };
  }
  return best?.language ?? 'en';
}

/** The q parameter (1 when absent); undefined when it is malformed, which drops the entry. */
function qualityOf(params: readonly string[]): number | undefined {
  for (const param of params) {
    const [name, value] = param.split('=').map((part) => part.trim());
    if (name?.toLowerCase() !== 'q') continue;
    if (value === undefined || !/^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$/.test(value)) return undefined;
    return Number(value);
  }
  return 1;
}
