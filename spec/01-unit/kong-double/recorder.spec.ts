import { expect } from 'chai';
import { RpcRecorder } from '../../kong-double/recorder';

const frame = { dir: 'kong->ps' as const, server: 's', worker: 0, conn: 1, msgid: 1, method: 'plugin.HandleEvent', frame: [], raw: new Uint8Array() };

describe('the double\'s RPC recorder', () => {
  it('keeps only the newest frames, so a long-running gateway does not grow without bound', () => {
    const recorder = new RpcRecorder(() => 0, 100);
    for (let i = 0; i < 1000; i++) recorder.record(frame);
    expect(recorder.frames.length).to.be.at.most(100).and.at.least(90);
    expect(recorder.frames.at(-1)?.seq).to.equal(1000);
    expect(recorder.frames.map((f) => f.seq)).to.deep.equal([...recorder.frames.map((f) => f.seq)].sort((a, b) => a - b));
  });

  it('records nothing when disabled', () => {
    const recorder = new RpcRecorder(() => 0);
    recorder.enabled = false;
    recorder.record(frame);
    expect(recorder.frames).to.have.length(0);
  });
});
