// The three local processes behind `npm start`, the integration suite and the benchmark: the
// Okta-shaped dev issuer, the echo upstream and the Kong double with its plugin servers. Started in
// that order (the config names the issuer and the upstream); whatever started is closed again when
// a later step fails.
import { startDevIssuer, type DevIssuer, type DevIssuerOptions } from './issuer';
import { startEchoUpstream, type EchoUpstream } from './echo-upstream';
import { startKongDouble, type KongDouble, type KongDoubleOptions } from '../spec/kong-double';

export interface LocalStack {
  issuer: DevIssuer;
  echo: EchoUpstream;
  double: KongDouble;
  close(): Promise<void>;
}

export interface LocalStackOptions {
  issuer?: DevIssuerOptions;
  echoPort?: number;
  double: Omit<KongDoubleOptions, 'config'>;
  /** The initial declarative config, built once the issuer and the upstream are known. */
  config?: (issuer: DevIssuer, echo: EchoUpstream) => Record<string, unknown>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  let issuer: DevIssuer | undefined;
  let echo: EchoUpstream | undefined;
  try {
    issuer = await startDevIssuer(options.issuer);
    echo = await startEchoUpstream(options.echoPort);
    const double = await startKongDouble({ ...options.double, config: options.config?.(issuer, echo) });
    const [iss, up] = [issuer, echo];
    return {
      issuer: iss,
      echo: up,
      double,
      close: async () => {
        await double.close();
        await Promise.all([iss.close(), up.close()]);
      },
    };
  } catch (err) {
    await Promise.all([issuer?.close(), echo?.close()]);
    throw err;
  }
}
