// Batch 4 §4 of the real-Kong facts (spec/fixtures/kong-transcripts/batch4/README.md) through the
// double: nginx's 400 for a second Authorization header takes its format from the Accept header nginx
// read before the duplicate, else from error_default_type (text/plain).
import path from 'node:path';
import { expect } from 'chai';
import { startKongDouble, type KongDouble } from '../../kong-double';
import { repoRoot } from '../../support/repo-paths';
import { startEchoUpstream, type EchoUpstream } from '../../../dev/echo-upstream';
import { header, rawRequest, type HttpResult } from './transcript-tools';

const PROBE_DIR = path.join(repoRoot(), 'spec', 'fixtures', 'probe-plugins', 'js-probe');

describe('kong-double replay: batch 4 §4 (nginx\'s 400 follows the Accept header read before the duplicate)', function () {
  this.timeout(20000);
  let up: EchoUpstream;
  let kong: KongDouble;

  before(async () => {
    up = await startEchoUpstream();
    kong = await startKongDouble({
      workers: 1,
      pluginServers: [{ name: 'js', pluginsDir: PROBE_DIR }],
      config: { _format_version: '3.0', services: [{ name: 'echo', url: up.url, routes: [{ name: 'r', paths: ['/r'], plugins: [{ name: 'js-probe', config: { message: 'x' } }] }] }] },
    });
  });
  after(async () => {
    await kong?.close();
    await up?.close();
  });
  beforeEach(() => {
    kong.rpcLog.reset();
    up.reset();
  });

  /** GET /r with Host and then exactly these header lines. */
  const get = (lines: string[]): Promise<HttpResult> =>
    rawRequest(kong.proxyPort, ['GET /r HTTP/1.1', `Host: 127.0.0.1:${kong.proxyPort}`, ...lines, '', ''].join('\r\n'));

  function expect400(res: HttpResult, type: 'text/plain' | 'application/json'): void {
    const [id] = header(res.headers, 'x-kong-request-id');
    expect(res.status).to.equal(400);
    expect(header(res.headers, 'content-type')).to.deep.equal([`${type}; charset=utf-8`]);
    expect(header(res.headers, 'connection')).to.deep.equal(['close']);
    expect(res.body).to.equal(type === 'text/plain' ? `Bad request\nrequest_id: ${id}\n` : `{\n  "message":"Bad request",\n  "request_id":"${id}"\n}`);
    expect(header(res.headers, 'www-authenticate')).to.deep.equal([]);
    expect(kong.rpcLog.frames, 'nothing reaches the plugin server').to.have.length(0);
    expect(up.received(), 'nothing reaches the upstream').to.have.length(0);
  }

  const twoAuthorizations = ['Authorization: Bearer a', 'Authorization: Bearer b'];

  it('without Accept: text/plain (error_default_type) with the request id', async () => {
    expect400(await get(twoAuthorizations), 'text/plain');
  });

  it('with Accept: application/json before the duplicate: JSON', async () => {
    expect400(await get(['Accept: application/json', ...twoAuthorizations]), 'application/json');
  });

  it('with curl\'s Accept: */* before the duplicate: JSON', async () => {
    expect400(await get(['User-Agent: curl/8.5.0', 'Accept: */*', ...twoAuthorizations]), 'application/json');
  });

  it('with Accept: application/json after the duplicate: text/plain (nginx stopped reading at the duplicate)', async () => {
    expect400(await get([...twoAuthorizations, 'Accept: application/json']), 'text/plain');
  });

  it('the same for a duplicate nginx refuses before Node parses the request (two Content-Length lines)', async () => {
    expect400(await get(['Content-Length: 0', 'Content-Length: 0']), 'text/plain');
    expect400(await get(['Accept: application/json', 'Content-Length: 0', 'Content-Length: 0']), 'application/json');
  });
});
