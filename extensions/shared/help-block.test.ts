/** Unit tests of the extensions' pure logic, run by Node's test runner (`npm test`). */
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';

import fixture from './fixtures/metafield-value.json';
import {
  METAFIELD_KEY,
  METAFIELD_NAMESPACE,
  candidateLocales,
  cleanBlock,
  helpBlockFor,
  isSafeUrl,
  parseHelpValue,
  safely,
  type MetafieldEntryLike,
} from './help-block';

const VALUE = JSON.stringify(fixture);

/** An entry as the appMetafields API hands it over (AppMetafieldEntry in @shopify/ui-extensions). */
function entry(value: unknown, overrides: Partial<{type: string; namespace: string; key: string}> = {}): MetafieldEntryLike {
  const appMetafieldEntry = {
    target: {type: overrides.type ?? 'shop', id: 'gid://shopify/Shop/548380009'},
    metafield: {
      namespace: overrides.namespace ?? METAFIELD_NAMESPACE,
      key: overrides.key ?? METAFIELD_KEY,
      value,
      valueType: 'json_string',
      type: 'json',
    },
  };
  return appMetafieldEntry;
}

describe('helpBlockFor', () => {
  test('reads the thank-you block in the buyer language', () => {
    const block = helpBlockFor([entry(VALUE)], 'thank_you', 'en');
    assert.deepEqual(block, {
      heading: 'Need help with your order?',
      notes: ['We reply within 4 business hours.'],
      links: fixture.locales.en.thank_you.links,
    });
  });

  test('reads the order-status block, which has its own links', () => {
    const block = helpBlockFor([entry(VALUE)], 'order_status', 'en-US');
    assert.deepEqual(block?.links.map((l) => l.label), ['Contact us']);
  });

  test('a regional language uses its base language', () => {
    assert.equal(helpBlockFor([entry(VALUE)], 'thank_you', 'de-AT')?.heading, 'Fragen zu Ihrer Bestellung?');
  });

  test('a language without text, or a page missing in it, falls back to the default locale', () => {
    assert.equal(helpBlockFor([entry(VALUE)], 'thank_you', 'fr-CA')?.heading, 'Need help with your order?');
    assert.deepEqual(helpBlockFor([entry(VALUE)], 'order_status', 'de')?.links.map((l) => l.label), ['Contact us']);
  });

  test('no language at all uses the default locale', () => {
    assert.equal(helpBlockFor([entry(VALUE)], 'thank_you', undefined)?.notes.length, 1);
  });

  test('an already parsed value is accepted', () => {
    assert.equal(helpBlockFor([entry(fixture)], 'thank_you', 'en')?.links.length, 3);
  });

  const nothing: [string, MetafieldEntryLike[] | null | undefined][] = [
    ['no entries', []],
    ['entries not given', undefined],
    ['null entries', null],
    ['another key', [entry(VALUE, {key: 'other'})]],
    ['another namespace', [entry(VALUE, {namespace: 'custom'})]],
    ['a product metafield', [entry(VALUE, {type: 'product'})]],
    ['not JSON', [entry('{"version": 1,')]],
    ['JSON but not an object', [entry('[1, 2]')]],
    ['an unknown version', [entry(JSON.stringify({...fixture, version: 2}))]],
    ['no default locale', [entry(JSON.stringify({...fixture, default_locale: ''}))]],
    ['locales not an object', [entry(JSON.stringify({...fixture, locales: ['en']}))]],
    ['a number', [entry(42)]],
    ['a malformed entry', [{target: null, metafield: null} as unknown as MetafieldEntryLike]],
  ];
  for (const [name, entries] of nothing) {
    test(`renders nothing for ${name}`, () => {
      assert.equal(helpBlockFor(entries, 'thank_you', 'en'), null);
    });
  }
});

describe('cleanBlock', () => {
  test('drops links that are not http(s) and notes that are not text', () => {
    const block = cleanBlock({
      heading: '  Help  ',
      notes: ['Reply in a day.', 7, '', null],
      links: [
        {id: '0', label: 'Track', url: 'https://acme.example/track'},
        {id: '1', label: 'Evil', url: 'javascript:alert(1)'},
        {id: '2', label: 'Relative', url: '/pages/contact'},
        {id: '3', label: '', url: 'https://acme.example/empty-label'},
        {label: 'No id', url: 'http://acme.example/plain'},
        'not a link',
      ],
    });
    assert.deepEqual(block, {
      heading: 'Help',
      notes: ['Reply in a day.'],
      links: [
        {id: '0', label: 'Track', url: 'https://acme.example/track'},
        {id: '4', label: 'No id', url: 'http://acme.example/plain'},
      ],
    });
  });

  test('a block with nothing to show is null', () => {
    assert.equal(cleanBlock({heading: 'Help', notes: [], links: [{label: 'x', url: 'data:text/html,hi'}]}), null);
    assert.equal(cleanBlock('Help'), null);
  });

  test('a heading that is not text is left out, the rest stays', () => {
    assert.deepEqual(cleanBlock({heading: 3, notes: ['n'], links: 'x'}), {heading: '', notes: ['n'], links: []});
  });
});

describe('isSafeUrl', () => {
  const cases: [unknown, boolean][] = [
    ['https://acme.example/policies/refund-policy', true],
    ['http://acme.example/x?y=1#z', true],
    ['HTTPS://ACME.EXAMPLE/', true],
    ['javascript:alert(1)', false],
    ['data:text/html;base64,PGI+', false],
    ['mailto:help@acme.example', false],
    ['//acme.example/x', false],
    ['/pages/contact', false],
    ['https://', false],
    ['', false],
    [null, false],
    [42, false],
  ];
  for (const [url, expected] of cases) {
    test(`${String(url) || '(empty)'} is ${expected ? 'safe' : 'refused'}`, () => {
      assert.equal(isSafeUrl(url), expected);
    });
  }
});

describe('candidateLocales', () => {
  test('buyer, base language, default, base default; no repeats, case folded', () => {
    assert.deepEqual(candidateLocales('pt-BR', 'en-GB'), ['pt-br', 'pt', 'en-gb', 'en']);
    assert.deepEqual(candidateLocales('EN', 'en'), ['en']);
    assert.deepEqual(candidateLocales(null, 'fr'), ['fr']);
  });
});

describe('parseHelpValue', () => {
  test('keeps the default locale and the locales', () => {
    assert.deepEqual(Object.keys(parseHelpValue(VALUE)?.locales ?? {}), ['en', 'de']);
    assert.equal(parseHelpValue(VALUE)?.defaultLocale, 'en');
  });
});

describe('safely', () => {
  test('gives the fallback when reading throws or yields nothing', () => {
    assert.equal(safely(() => { throw new Error('no localization'); }, 'en'), 'en');
    assert.equal(safely<string | undefined>(() => undefined, 'en'), 'en');
    assert.equal(safely(() => 'de', 'en'), 'de');
  });
});
