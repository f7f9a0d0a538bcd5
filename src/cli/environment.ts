// The CLI's one door to the environment parser: its commands read their variables through here, with the
// service's own rules and defaults, so config.ts stays imported only by the entry points (see .dependency-cruiser.cjs).
export {
  loadConnectionConfig,
  loadLimitSettings,
  loadPayloadSettings,
  loadSigningKeys,
  parseDevicesPublicUrl,
} from '../config.js';
