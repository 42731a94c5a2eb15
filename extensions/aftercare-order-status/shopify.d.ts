// Types the `shopify` global of each module for its target, in the form Shopify CLI generates
// (the CLI rewrites this file on `shopify app dev` / `build`).
import '@shopify/ui-extensions';

//@ts-ignore
declare module './src/OrderStatusBlock.tsx' {
  const shopify: import('@shopify/ui-extensions/customer-account.order-status.block.render').Api;
  const globalThis: { shopify: typeof shopify };
}
