// host:port parsing for endpoint addresses: IPv4, [IPv6], DNS names, and the ways they go wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHostPort } from '../../src/config/address.js';

const valid: [string, string, number][] = [
  ['127.0.0.1:9101', '127.0.0.1', 9101],
  ['base-service:8080', 'base-service', 8080],
  ['base.shop.svc.cluster.local:80', 'base.shop.svc.cluster.local', 80],
  ['[::1]:15001', '::1', 15001],
  ['[2001:db8::7]:65535', '2001:db8::7', 65535],
];
const invalid: [string, RegExp][] = [
  ['127.0.0.1', /port is missing/],
  ['::1:80', /write IPv6 as \[addr\]:port/],
  ['[::1]80', /not host:port/],
  ['[nope]:80', /not an IPv6 address/],
  ['host:0', /out of range/],
  ['host:65536', /out of range/],
  ['host:80a', /not a port number/],
  ['host:', /not a port number/],
  [':80', /not a valid host name/],
  ['bad_host:80', /not a valid host name/],
  ['-lead:80', /not a valid host name/],
];

test('with a default port, the port may be left out (dns entries)', () => {
  assert.deepEqual(parseHostPort('base-blue', 8080), { host: 'base-blue', port: 8080 });
  assert.deepEqual(parseHostPort('[::1]', 8080), { host: '::1', port: 8080 });
  assert.deepEqual(parseHostPort('base-blue:9090', 8080), { host: 'base-blue', port: 9090 });
  assert.match(parseHostPort('base blue', 8080) as string, /not a valid host name/);
});

for (const [address, host, port] of valid) {
  test(`${address} parses`, () => assert.deepEqual(parseHostPort(address), { host, port }));
}
for (const [address, says] of invalid) {
  test(`${address} is rejected`, () => {
    const result = parseHostPort(address);
    assert.equal(typeof result, 'string');
    assert.match(result as string, says);
  });
}
