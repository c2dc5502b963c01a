// Prints an access token minted by a RUNNING dev issuer (dev/issuer.ts). The private keys stay in
// the issuer: this asks its dev-only endpoint POST {issuer}/v1/dev/mint.
//
//   npm run token -- --scope orders:read --sub alice [--scope "a b"] [--aud api://default] [--exp 3600 | --exp -60]
//                    [--claim key=value ...] [--issuer-url http://127.0.0.1:9000/oauth2/default] [--help]
//   npm run -s token -- --dpop --htm GET --htu http://127.0.0.1:8000/echo/hello [other options]
//
// --dpop: a DPoP-bound token (cnf.jkt of a fresh ES256 key made here) and one proof for that
// method and URI, printed as shell assignments TOKEN=… and DPOP_PROOF=… (a proof is good once).
// Without --issuer-url: $OKTA_JWT_DEV_ISSUER, else the issuer `npm start` runs on $ISSUER_PORT (9000).
// --claim values are read as JSON when they parse (numbers, booleans, arrays, objects), else as
// strings. Exit codes: 0 token (or --help) printed, 1 issuer unreachable or refused, 2 bad arguments.
import { parseArgs } from 'node:util';
import { createDpopKey, dpopProof } from './dpop-proof';
import type { DevMintRequest } from './issuer';

export const DEFAULT_ISSUER_URL = 'http://127.0.0.1:9000/oauth2/default';

export interface MintTokenArgs {
  issuerUrl: string;
  request: DevMintRequest;
  /** Mint a DPoP-bound token and a proof for this method and URI. */
  dpop?: { htm: string; htu: string };
  help?: true;
}

export class UsageError extends Error {}

export const USAGE =
  'usage: npm run token -- [--scope S]... [--sub SUBJECT] [--aud AUDIENCE] [--exp SECONDS]\n' +
  '                        [--claim NAME=VALUE]... [--issuer-url URL] [--help]\n' +
  '                        [--dpop --htm METHOD --htu URL]\n' +
  '  prints an access token minted by the running dev issuer (npm start) to stdout\n' +
  '  --dpop: a DPoP-bound token and a proof for METHOD and URL, as TOKEN=... and DPOP_PROOF=... lines\n' +
  `  --issuer-url defaults to $OKTA_JWT_DEV_ISSUER, else ${DEFAULT_ISSUER_URL} with $ISSUER_PORT as its port`;

function claimValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `--exp -60` as `--exp=-60`: node's parser takes "-60" for an option, and expired test tokens need it. */
function joinNegativeExp(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1];
    if (argv[i] === '--exp' && next !== undefined && /^-\d+$/.test(next)) out.push(`--exp=${argv[++i]}`);
    else out.push(argv[i] as string);
  }
  return out;
}

/** Turns the command line into the issuer URL and the mint request (throws UsageError). */
export function parseMintTokenArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): MintTokenArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeExp(argv),
      strict: true,
      allowPositionals: false,
      options: {
        scope: { type: 'string', multiple: true },
        sub: { type: 'string' },
        aud: { type: 'string' },
        exp: { type: 'string' },
        claim: { type: 'string', multiple: true },
        'issuer-url': { type: 'string' },
        dpop: { type: 'boolean' },
        htm: { type: 'string' },
        htu: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const claims: Record<string, unknown> = {};
  for (const pair of parsed.claim ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--claim expects NAME=VALUE, got "${pair}"`);
    claims[pair.slice(0, eq)] = claimValue(pair.slice(eq + 1));
  }
  if (parsed.scope) claims.scp = parsed.scope.flatMap((s) => s.split(/\s+/)).filter((s) => s !== '');
  if (parsed.sub !== undefined) claims.sub = parsed.sub;
  if (parsed.aud !== undefined) claims.aud = parsed.aud;
  const request: DevMintRequest = { claims };
  if (parsed.exp !== undefined) {
    const seconds = Number(parsed.exp);
    if (!Number.isInteger(seconds)) throw new UsageError(`--exp expects whole seconds, got "${parsed.exp}"`);
    request.options = { expiresInSeconds: seconds };
  }
  const dpop = dpopArgs(parsed.dpop === true, parsed.htm, parsed.htu);
  const issuerUrl = (parsed['issuer-url'] ?? env.OKTA_JWT_DEV_ISSUER ?? defaultIssuerUrl(env)).replace(/\/+$/, '');
  const args: MintTokenArgs = { issuerUrl, request, ...(dpop !== null ? { dpop } : {}) };
  return parsed.help ? { ...args, help: true } : args;
}

function dpopArgs(dpop: boolean, htm: string | undefined, htu: string | undefined): { htm: string; htu: string } | null {
  if (!dpop) {
    if (htm !== undefined || htu !== undefined) throw new UsageError('--htm and --htu need --dpop');
    return null;
  }
  if (htm === undefined || htu === undefined) throw new UsageError('--dpop needs --htm METHOD and --htu URL');
  if (!/^[A-Z]+$/.test(htm)) throw new UsageError(`--htm expects an upper-case method, got "${htm}"`);
  if (!URL.canParse(htu) || !/^https?:$/.test(new URL(htu).protocol)) throw new UsageError(`--htu expects an http(s) URL, got "${htu}"`);
  return { htm, htu };
}

/** A DPoP-bound token (cnf.jkt of a fresh key) and one proof for the method and URI, as shell assignments. */
export async function mintDpopPair(args: MintTokenArgs & { dpop: { htm: string; htu: string } }): Promise<string> {
  const key = await createDpopKey();
  const claims = { ...args.request.claims, cnf: { jkt: key.jkt } };
  const token = await mintFromRunningIssuer({ ...args, request: { ...args.request, claims } });
  const proof = await dpopProof(key, { ...args.dpop, accessToken: token });
  return `TOKEN=${token}\nDPOP_PROOF=${proof}`;
}

/** The issuer `npm start` runs: the same ISSUER_PORT variable moves both (dev/start-gateway.ts). */
function defaultIssuerUrl(env: NodeJS.ProcessEnv): string {
  if (!env.ISSUER_PORT) return DEFAULT_ISSUER_URL;
  if (!/^\d{1,5}$/.test(env.ISSUER_PORT)) throw new UsageError(`ISSUER_PORT must be a port number, got "${env.ISSUER_PORT}"`);
  return DEFAULT_ISSUER_URL.replace(':9000/', `:${env.ISSUER_PORT}/`);
}

/** Asks the running dev issuer for a token; throws with a readable message when it cannot. */
export async function mintFromRunningIssuer({ issuerUrl, request }: MintTokenArgs): Promise<string> {
  const endpoint = `${issuerUrl}/v1/dev/mint`;
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(5000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new Error(
      `no dev issuer answering at ${issuerUrl} (${reason}). Start one with: PORT=9000 node dist/test/dev/issuer.js`,
    );
  }
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${endpoint} answered ${response.status}: ${text.slice(0, 300)} (is this a dev issuer URL, including /oauth2/<id>?)`);
  }
  const token = (JSON.parse(text) as { access_token?: unknown }).access_token;
  if (typeof token !== 'string') throw new Error(`${endpoint} returned no access_token`);
  return token;
}

async function main(): Promise<number> {
  let args: MintTokenArgs;
  try {
    args = parseMintTokenArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`mint-token: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    const { dpop } = args;
    process.stdout.write(`${dpop === undefined ? await mintFromRunningIssuer(args) : await mintDpopPair({ ...args, dpop })}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`mint-token: ${(err as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
