/** Release of the daemon and the panel; both come from the same package. */
export const DREAMLAYER_VERSION = '0.1.0';
/** Bumped on any incompatible change of the WebSocket protocol. */
export const PROTOCOL_VERSION = 1;
