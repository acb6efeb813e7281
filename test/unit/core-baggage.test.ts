// W3C baggage: reading the color member and editing it while every other member passes byte for byte.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readBaggageColor, writeBaggageColor, type BaggageHeader } from '../../src/core/baggage.js';

describe('readBaggageColor', () => {
  const cases: Array<{ name: string; header: BaggageHeader; value: string | undefined; color: string | undefined }> = [
    { name: 'absent header', header: undefined, value: undefined, color: undefined },
    { name: 'empty header', header: '', value: undefined, color: undefined },
    { name: 'single member', header: 'color=blue', value: 'blue', color: 'blue' },
    { name: 'among others', header: 'a=1,color=green,b=2', value: 'green', color: 'green' },
    { name: 'OWS around members, key and value', header: 'a=1 ,\t color \t=\t blue ,b=2', value: 'blue', color: 'blue' },
    { name: 'properties after ;', header: 'color=blue;ttl=3;flag,a=1', value: 'blue', color: 'blue' },
    { name: 'properties with OWS', header: 'color = blue ; p=1', value: 'blue', color: 'blue' },
    { name: 'upper case value is normalized', header: 'color=BLUE', value: 'BLUE', color: 'blue' },
    { name: 'percent-encoded value', header: 'color=%62lue', value: 'blue', color: 'blue' },
    { name: '= inside the value: only the first = splits', header: 'color=a=b', value: 'a=b', color: undefined },
    { name: 'value percent-encoding a space', header: 'color=blue%20x', value: 'blue x', color: undefined },
    { name: 'bad percent-encoding is kept raw, invalid', header: 'color=%zz', value: '%zz', color: undefined },
    { name: 'empty value', header: 'color=', value: '', color: undefined },
    { name: 'duplicate key: the last wins', header: 'color=blue,a=1,color=green', value: 'green', color: 'green' },
    { name: 'duplicate key: last wins even when invalid', header: 'color=blue,color=-x', value: '-x', color: undefined },
    { name: 'keys are case-sensitive', header: 'Color=blue', value: undefined, color: undefined },
    { name: 'a key that merely starts with ours', header: 'colors=blue,colorx=green', value: undefined, color: undefined },
    { name: 'a value that contains our key', header: 'a=color=blue', value: undefined, color: undefined },
    { name: 'malformed members are skipped', header: 'garbage,=x,;;,color=blue,,', value: 'blue', color: 'blue' },
    { name: 'member without = is not ours', header: 'color', value: undefined, color: undefined },
    { name: 'several headers as an array', header: ['a=1', 'color=green;p', 'b=2'], value: 'green', color: 'green' },
    { name: 'several headers: last occurrence across them', header: ['color=blue', 'a=1,color=green'], value: 'green', color: 'green' },
    { name: 'several headers joined by Node', header: 'a=1, color=blue, b=2', value: 'blue', color: 'blue' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const found = readBaggageColor(c.header, 'color');
      assert.deepEqual(found, { value: c.value, color: c.color, invalid: c.value !== undefined && c.color === undefined, shadow: false });
    });
  }

  test('the shadow property marks a mirrored copy (SPEC 8), among other properties and with OWS', () => {
    assert.equal(readBaggageColor('color=green;shadow', 'color').shadow, true);
    assert.equal(readBaggageColor('a=1,color=green ; ttl=3 ; shadow ,b=2', 'color').shadow, true);
    assert.equal(readBaggageColor('color=green;shadowy', 'color').shadow, false);
    assert.equal(readBaggageColor('shadow=1,color=green', 'color').shadow, false);
    // the last member wins, with its own properties
    assert.equal(readBaggageColor('color=green;shadow,color=green', 'color').shadow, false);
  });

  test('writing a shadow color adds the property; writing a plain one removes it', () => {
    assert.equal(writeBaggageColor('a=1', 'color', 'green', true), 'a=1,color=green;shadow');
    assert.equal(writeBaggageColor('a=1,color=green;shadow', 'color', 'green', true), 'a=1,color=green;shadow');
    assert.equal(writeBaggageColor('a=1,color=green;shadow', 'color', 'green', false), 'a=1,color=green');
    assert.equal(writeBaggageColor('color=blue,a=1', 'color', 'green', true), 'a=1,color=green;shadow');
  });

  test('another baggage key', () => {
    assert.equal(readBaggageColor('color=blue,lane=green', 'lane').color, 'green');
  });

  test('never throws on hostile input', () => {
    for (const header of [',,,', '=', '==', ';', '%', 'color=%', 'color=%E0%A4%A', '\u0000', 'color=\ud800']) {
      assert.doesNotThrow(() => readBaggageColor(header, 'color'));
      assert.doesNotThrow(() => writeBaggageColor(header, 'color', 'blue'));
    }
  });
});

describe('writeBaggageColor', () => {
  const cases: Array<{ name: string; header: BaggageHeader; color: string | undefined; expected: string | undefined }> = [
    { name: 'no header, no color', header: undefined, color: undefined, expected: undefined },
    { name: 'no header, a color', header: undefined, color: 'blue', expected: 'color=blue' },
    { name: 'empty header, a color', header: '  ', color: 'blue', expected: 'color=blue' },
    { name: 'others only: ours appended', header: 'a=1,b=2', color: 'blue', expected: 'a=1,b=2,color=blue' },
    { name: 'others only, no color: unchanged', header: 'a=1, b=2', color: undefined, expected: 'a=1, b=2' },
    { name: 'already the same color: unchanged byte for byte', header: 'a=1 , color=blue;p=1 ,b', color: 'blue', expected: 'a=1 , color=blue;p=1 ,b' },
    { name: 'replaced: removed in place, appended at the end', header: 'a=1,color=blue,b=2', color: 'green', expected: 'a=1,b=2,color=green' },
    { name: 'removed', header: 'a=1,color=blue,b=2', color: undefined, expected: 'a=1,b=2' },
    { name: 'removed, nothing left', header: 'color=blue', color: undefined, expected: undefined },
    { name: 'duplicates all removed', header: 'color=blue,a=1,color=blue', color: 'blue', expected: 'a=1,color=blue' },
    { name: 'percent-encoded same color is rewritten plainly', header: 'color=%62lue', color: 'blue', expected: 'color=blue' },
    { name: 'empty values kept verbatim', header: 'a=,color=blue,b= ', color: 'green', expected: 'a=,b=,color=green' },
    { name: '= inside values kept, not re-encoded', header: 'tok=a=b==,color=x', color: 'green', expected: 'tok=a=b==,color=green' },
    { name: 'percent-encoding of others kept', header: 'u=J%C3%BCrgen%2C%20x,color=x', color: 'blue', expected: 'u=J%C3%BCrgen%2C%20x,color=blue' },
    { name: 'numeric keys keep their order', header: '2=b,1=a,10=c,color=x', color: 'blue', expected: '2=b,1=a,10=c,color=blue' },
    { name: 'properties of others kept', header: 'a=1;p1;p2=v , color=x', color: 'blue', expected: 'a=1;p1;p2=v,color=blue' },
    { name: 'malformed members passed through', header: 'garbage,=x,color=x, ;p', color: 'blue', expected: 'garbage,=x,;p,color=blue' },
    { name: 'a key that merely starts with ours is kept', header: 'colors=1,color=x', color: 'blue', expected: 'colors=1,color=blue' },
    { name: 'our key as a substring only: fast append', header: 'mycolor=1', color: 'blue', expected: 'mycolor=1,color=blue' },
    { name: 'trailing comma handled', header: 'a=1,', color: 'blue', expected: 'a=1,color=blue' },
    { name: 'several headers merged', header: ['a=1', 'color=x;p', 'b=2'], color: 'blue', expected: 'a=1,b=2,color=blue' },
    { name: 'several headers, same color: joined', header: ['a=1', 'color=blue'], color: 'blue', expected: 'a=1,color=blue' },
  ];
  for (const c of cases) {
    test(c.name, () => {
      assert.equal(writeBaggageColor(c.header, 'color', c.color), c.expected);
    });
  }

  test('round trip: what was written reads back, and the other members are unchanged in order', () => {
    const others = ['k1=v1', 'k2=', 'k3=a=b', 'k4=%E2%9C%93;prop=1;flag', '5=five', '4=four', 'bad member'];
    for (const color of ['blue', 'green-2', undefined]) {
      for (const start of [undefined, 'x', 'BLUE']) {
        const input = [...others.slice(0, 3), ...(start === undefined ? [] : [`color=${start}`]), ...others.slice(3)].join(' , ');
        const written = writeBaggageColor(input, 'color', color);
        assert.equal(readBaggageColor(written, 'color').color, color);
        // The members themselves must be identical; OWS around them may be normalized away.
        const rest = (written ?? '').split(',').map((m) => m.trim()).filter((m) => !m.startsWith('color='));
        assert.deepEqual(rest, others);
      }
    }
  });

  test('64 members and 8192 bytes are kept whole', () => {
    // 63 other members + ours = 64 members; values padded so the whole header is 8192 bytes.
    const members: string[] = [];
    for (let i = 0; i < 63; i++) members.push(`k${String(i).padStart(2, '0')}=`);
    const ours = 'color=blue';
    const fixed = [...members, ours].join(',').length;
    const perMember = Math.floor((8192 - fixed) / 63);
    const padded = members.map((m, i) => m + 'v'.repeat(perMember + (i < (8192 - fixed) % 63 ? 1 : 0)));
    const written = writeBaggageColor([...padded, 'color=green'].join(','), 'color', 'blue');
    assert.equal(written, [...padded, ours].join(','));
    assert.equal(written?.length, 8192);
    assert.equal(written?.split(',').length, 64);
    assert.equal(readBaggageColor(written, 'color').color, 'blue');
  });

  test('beyond the minimums nothing is dropped either', () => {
    const many = Array.from({ length: 200 }, (_, i) => `m${i}=${'x'.repeat(60)}`);
    const written = writeBaggageColor(many.join(','), 'color', 'blue');
    assert.equal(written, [...many, 'color=blue'].join(','));
  });
});
