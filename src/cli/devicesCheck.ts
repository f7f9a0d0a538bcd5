import { createDevicesOidc, DevicesLoginError } from '../zitadel/devicesOidc.js';
import { parseDevicesPublicUrl } from './environment.js';

/** One line of `doctor` (its Check, by shape: doctor.ts imports this module). */
interface Check {
  readonly id: string;
  readonly status: 'ok' | 'fail' | 'warn' | 'info';
  readonly summary: string;
  readonly fix?: string;
}

// Not a token ZITADEL ever issued: introspecting it proves the client's credentials and nothing else.
const PROBE_TOKEN = 'zitadel-session-limiter-doctor-probe-not-a-token';

const FIX_SECRET =
  'DEVICES_CLIENT_ID / DEVICES_CLIENT_SECRET are not the "Your devices" application\'s: run `setup --endpoint … --devices-url <DEVICES_PUBLIC_URL> --devices-new-secret` and paste what it prints';

/**
 * `doctor`'s check of the devices page's OIDC application: ZITADEL's discovery answers and ZITADEL accepts the
 * client id and secret (an introspection of a token that cannot exist answers "inactive" only to a client it
 * authenticated). A check that could not run says so and is never reported as passed.
 */
export async function devicesCheck(
  env: Readonly<Record<string, string | undefined>>,
  options: { readonly instanceUrl: string; readonly timeoutMs: number },
): Promise<Check> {
  const publicUrl = (env.DEVICES_PUBLIC_URL ?? '').trim();
  if (publicUrl === '')
    return { id: 'devices', status: 'info', summary: 'the devices page is off (DEVICES_PUBLIC_URL unset)' };
  // Read as the limiter reads it: a URL it would refuse at start-up is no wiring to check.
  const parsed = parseDevicesPublicUrl(publicUrl);
  if ('problem' in parsed)
    return {
      id: 'devices',
      status: 'fail',
      summary: `DEVICES_PUBLIC_URL ${parsed.problem}`,
      fix: 'set DEVICES_PUBLIC_URL to where browsers reach the limiter, e.g. https://limiter.example.com',
    };
  const clientId = (env.DEVICES_CLIENT_ID ?? '').trim();
  const clientSecret = (env.DEVICES_CLIENT_SECRET ?? '').trim();
  if (clientId === '' || clientSecret === '')
    return {
      id: 'devices',
      status: 'fail',
      summary: 'the devices page is on, but DEVICES_CLIENT_ID or DEVICES_CLIENT_SECRET is unset',
      fix: FIX_SECRET,
    };
  const oidc = createDevicesOidc({
    instanceUrl: options.instanceUrl,
    clientId,
    clientSecret,
    redirectUri: `${parsed.url}/devices/callback`,
    timeoutMs: options.timeoutMs,
  });
  try {
    await oidc.introspect(PROBE_TOKEN);
    return { id: 'devices', status: 'ok', summary: `ZITADEL accepts the devices application ${clientId}` };
  } catch (error) {
    if (error instanceof DevicesLoginError && error.code === 'login_failed')
      return {
        id: 'devices',
        status: 'fail',
        summary: `ZITADEL refuses the devices application ${clientId}`,
        fix: FIX_SECRET,
      };
    return {
      id: 'devices',
      status: 'warn',
      summary: "the devices application could not be checked: ZITADEL's OIDC endpoints did not answer",
      fix: `check that ${options.instanceUrl}/.well-known/openid-configuration answers, then run doctor again`,
    };
  }
}
