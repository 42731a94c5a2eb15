/** One help block with Shopify's own components: a section with its heading, the notes, the links. */
import type {HelpBlock} from './help-block';

export function HelpBlockView({block, label}: {block: HelpBlock; label: string}) {
  return (
    <s-section heading={block.heading || undefined} accessibilityLabel={label}>
      <s-stack gap="base">
        {block.notes.map((note, index) => (
          <s-paragraph key={index}>{note}</s-paragraph>
        ))}
        {block.links.length > 0 && (
          <s-unordered-list>
            {block.links.map((link) => (
              <s-list-item key={link.id}>
                <s-link href={link.url}>{link.label}</s-link>
              </s-list-item>
            ))}
          </s-unordered-list>
        )}
      </s-stack>
    </s-section>
  );
}
