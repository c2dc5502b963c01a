// The identity every dev-issuer token names unless told otherwise: a module of its own so code that
// needs only these values (the bench plugins) does not load the issuer.
export const DEV_CLIENT_ID = '0oa1devclientid';
export const DEV_USER_ID = '00u1devuserid';
export const DEV_SUBJECT = 'dev.user@example.com';
export const DEV_AUDIENCE = 'api://default';
/** The secret the dev issuer accepts from any client for introspection and revocation (client_secret_basic). DEV ONLY. */
export const DEV_CLIENT_SECRET = 'dev-introspection-secret';
