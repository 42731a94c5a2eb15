/** Order status page: the shop's help links for this order, in the buyer's language. */
import '@shopify/ui-extensions/preact';
import {render} from 'preact';

import {helpBlockFor, safely} from '../../shared/help-block';
import {HelpBlockView} from '../../shared/HelpBlockView';

export default async () => {
  render(<Extension />, document.body);
};

function Extension() {
  const entries = safely(() => shopify.appMetafields.value, []);
  const language = safely(() => shopify.localization.language.value.isoCode, '');
  const block = helpBlockFor(entries, 'order_status', language);
  if (!block) return null;
  return <HelpBlockView block={block} label={safely(() => shopify.i18n.translate('helpLinks'), '')} />;
}
