/**
 * The help block an extension shows, read from Aftercare's app-owned shop metafield.
 *
 * The backend (integration/shopify/help_metafield.py) writes `integration.help.content.metafield_value(shop)` as JSON:
 *
 *   {"version": 1, "default_locale": "en",
 *    "locales": {"en": {"thank_you": block, "order_status": block}}}
 *
 * where a block is {"heading": str, "notes": [str], "links": [{"id", "label", "url"}]}.
 * Everything here is pure and never throws: a missing or malformed value means "render nothing".
 */

/** The metafield both extensions declare in shopify.extension.toml (app-owned, so `$app`). */
export const METAFIELD_NAMESPACE = '$app';
export const METAFIELD_KEY = 'help_blocks';
export const SUPPORTED_VERSION = 1;

export type Page = 'thank_you' | 'order_status';

export interface HelpLink {
  id: string;
  label: string;
  url: string;
}

export interface HelpBlock {
  heading: string;
  notes: string[];
  links: HelpLink[];
}

/** The parts of an app metafield entry this module reads (checkout and customer accounts agree). */
export interface MetafieldEntryLike {
  target: {type: string};
  metafield: {namespace: string; key: string; value: unknown};
}

interface HelpValue {
  defaultLocale: string;
  locales: Record<string, unknown>;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

/** Whether `url` is an absolute http(s) URL: anything else (javascript:, data:, relative) is refused. */
export function isSafeUrl(url: unknown): boolean {
  if (typeof url !== 'string') return false;
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.hostname !== '';
  } catch {
    return false;
  }
}

/** The raw value of the shop's help metafield among the extension's app metafields, if present. */
export function findHelpValue(entries: readonly MetafieldEntryLike[] | null | undefined): unknown {
  const entry = (entries ?? []).find(
    (e) =>
      e?.target?.type === 'shop' &&
      e.metafield?.namespace === METAFIELD_NAMESPACE &&
      e.metafield?.key === METAFIELD_KEY,
  );
  return entry?.metafield.value;
}

/** The metafield value as its parts, or null when it is not JSON of the supported version. */
export function parseHelpValue(raw: unknown): HelpValue | null {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return null;
    }
  }
  if (!isObject(value) || value.version !== SUPPORTED_VERSION) return null;
  if (!nonEmptyString(value.default_locale) || !isObject(value.locales)) return null;
  return {defaultLocale: value.default_locale, locales: value.locales};
}

function baseLanguage(locale: string): string {
  return locale.split('-')[0];
}

/** Locales to try, best first: the buyer's (`de-DE`), its language (`de`), the shop's default and its language. */
export function candidateLocales(language: string | null | undefined, defaultLocale: string): string[] {
  const wanted = [language, language && baseLanguage(language), defaultLocale, baseLanguage(defaultLocale)];
  return [...new Set(wanted.filter(nonEmptyString).map((locale) => locale.toLowerCase()))];
}

function localeEntry(locales: Record<string, unknown>, locale: string): unknown {
  const name = Object.keys(locales).find((key) => key.toLowerCase() === locale);
  return name === undefined ? undefined : locales[name];
}

function cleanLink(link: unknown, index: number): HelpLink | null {
  if (!isObject(link) || !nonEmptyString(link.label) || !isSafeUrl(link.url)) return null;
  const id = typeof link.id === 'string' ? link.id : String(index);
  return {id, label: link.label.trim(), url: link.url as string};
}

/** A block with only what can be shown safely; null when nothing is left to show. */
export function cleanBlock(block: unknown): HelpBlock | null {
  if (!isObject(block)) return null;
  const notes = Array.isArray(block.notes) ? block.notes.filter(nonEmptyString).map((n) => n.trim()) : [];
  const links = Array.isArray(block.links)
    ? block.links.map(cleanLink).filter((link): link is HelpLink => link !== null)
    : [];
  if (notes.length === 0 && links.length === 0) return null;
  return {heading: nonEmptyString(block.heading) ? block.heading.trim() : '', notes, links};
}

/** The block for `page` in the best locale for `language` that has one. */
export function chooseBlock(value: HelpValue, page: Page, language: string | null | undefined): HelpBlock | null {
  for (const locale of candidateLocales(language, value.defaultLocale)) {
    const blocks = localeEntry(value.locales, locale);
    const block = isObject(blocks) ? cleanBlock(blocks[page]) : null;
    if (block) return block;
  }
  return null;
}

/** Everything an extension needs: its block from the app metafields, or null. Never throws. */
export function helpBlockFor(
  entries: readonly MetafieldEntryLike[] | null | undefined,
  page: Page,
  language: string | null | undefined,
): HelpBlock | null {
  try {
    const value = parseHelpValue(findHelpValue(entries));
    return value ? chooseBlock(value, page, language) : null;
  } catch {
    return null;
  }
}

/** `read()`, or `fallback` when reading throws (an API the host has not provided yet). */
export function safely<T>(read: () => T, fallback: T): T {
  try {
    return read() ?? fallback;
  } catch {
    return fallback;
  }
}
