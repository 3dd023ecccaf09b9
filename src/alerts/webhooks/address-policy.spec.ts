import { checkDestination, classifyAddress } from './address-policy.js';

describe('webhook address policy', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['127.0.0.1', 'private'],
    ['::1', 'private'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['fd00:ec2::254', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.169.254', 'refused'],
    ['fe80::1', 'refused'],
    ['0.0.0.0', 'refused'],
    ['::', 'refused'],
    ['::ffff:127.0.0.1', 'refused'],
    ['::ffff:8.8.8.8', 'refused'],
    ['2002:7f00:1::1', 'refused'],
    ['64:ff9b::7f00:1', 'refused'],
    ['224.0.0.1', 'refused'],
    ['255.255.255.255', 'refused'],
    ['not an ip', 'refused'],
  ])('%s is %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind);
  });

  it('refuses http, credentials, and private or metadata addresses without the flag', async () => {
    await expect(checkDestination('http://example.com/hook', false)).rejects.toThrow('the URL must use https');
    await expect(checkDestination('https://user:pw@8.8.8.8/hook', false)).rejects.toThrow('must not carry credentials');
    await expect(checkDestination('https://127.0.0.1/hook', false)).rejects.toThrow('loopback or private');
    await expect(checkDestination('https://[::1]/hook', false)).rejects.toThrow('loopback or private');
    await expect(checkDestination('https://[::ffff:127.0.0.1]/hook', false)).rejects.toThrow('link-local, metadata or reserved');
    await expect(checkDestination('https://localhost/hook', false)).rejects.toThrow('loopback or private');
    await expect(checkDestination('ftp://8.8.8.8/', false)).rejects.toThrow('the URL must use https');
    await expect(checkDestination('nope', false)).rejects.toThrow('not an absolute URL');
  });

  it('with the flag: loopback over http, but never metadata, and never http to a public address', async () => {
    await expect(checkDestination('http://127.0.0.1:8080/hook', true)).resolves.toMatchObject({ address: '127.0.0.1', host: '127.0.0.1' });
    await expect(checkDestination('http://169.254.169.254/latest/meta-data/', true)).rejects.toThrow('link-local, metadata or reserved');
    await expect(checkDestination('http://8.8.8.8/hook', true)).rejects.toThrow('must use https');
    await expect(checkDestination('https://8.8.8.8/hook', true)).resolves.toMatchObject({ address: '8.8.8.8', family: 4 });
  });
});
