<?php
/**
 * The help container on product, cart and thank-you pages, and the script that fills it.
 *
 * @package Aftercare
 */

defined( 'ABSPATH' ) || exit;

/**
 * Prints the container at most once per page type per request, only while connected.
 */
class Aftercare_Storefront {

	const SCRIPT_HANDLE = 'aftercare-storefront';
	const FALLBACK_TTL  = 300;

	/**
	 * Page types already printed in this request.
	 *
	 * @var array<string, bool>
	 */
	private $printed = array();

	/**
	 * Hooks the storefront.
	 */
	public function register(): void {
		add_action( 'woocommerce_single_product_summary', array( $this, 'product' ), 35 );
		add_action( 'woocommerce_after_cart_table', array( $this, 'cart' ) );
		add_filter( 'render_block_woocommerce/cart', array( $this, 'cart_block' ) );
		add_action( 'woocommerce_thankyou', array( $this, 'thank_you' ) );
		add_action( 'wp_enqueue_scripts', array( $this, 'enqueue' ) );
	}

	/**
	 * Product page (classic template and the block template's compatibility layer).
	 */
	public function product(): void {
		echo $this->container( 'product' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in container().
	}

	/**
	 * Classic cart, below the cart table.
	 */
	public function cart(): void {
		echo $this->container( 'cart' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in container().
	}

	/**
	 * Cart block: after the block's HTML.
	 *
	 * @param string $block_content The block's HTML.
	 * @return string
	 */
	public function cart_block( $block_content ): string {
		return (string) $block_content . $this->container( 'cart' );
	}

	/**
	 * Thank-you page (classic template and the order-confirmation block's additional information).
	 */
	public function thank_you(): void {
		echo $this->container( 'thank_you' ); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in container().
	}

	/**
	 * The container's markup, or '' when not connected or already printed for this page type.
	 *
	 * @param string $page product, cart or thank_you.
	 * @return string
	 */
	public function container( string $page ): string {
		if ( ! Aftercare_Options::is_connected() || isset( $this->printed[ $page ] ) ) {
			return '';
		}
		$this->printed[ $page ] = true;
		$endpoint               = Aftercare_Options::app_url() . '/storefront/shops/' . Aftercare_Options::shop_id() . '/help-links';
		return sprintf(
			'<div class="aftercare-help" data-aftercare-page="%1$s" data-aftercare-endpoint="%2$s" data-aftercare-locale="%3$s" style="min-height:7.5rem"></div>',
			esc_attr( $page ),
			esc_url( $endpoint ),
			esc_attr( determine_locale() )
		);
	}

	/**
	 * Enqueues the storefront script in the footer, async, on the pages that can show help.
	 */
	public function enqueue(): void {
		if ( ! Aftercare_Options::is_connected() || ! self::is_help_page() ) {
			return;
		}
		$args = array(
			'in_footer' => true,
			'strategy'  => 'async',
		);
		wp_enqueue_script( self::SCRIPT_HANDLE, $this->script_url(), array(), null, $args ); // phpcs:ignore WordPress.WP.EnqueuedResourceParameters.MissingVersion -- the service versions its script URL.
	}

	/**
	 * Product, cart or order-received page.
	 *
	 * @return bool
	 */
	private static function is_help_page(): bool {
		return is_product() || is_cart() || is_wc_endpoint_url( 'order-received' );
	}

	/**
	 * The script URL from {app}/storefront/manifest.json, cached for an hour; a fallback otherwise.
	 *
	 * @return string
	 */
	public function script_url(): string {
		$cached = get_transient( Aftercare_Options::SCRIPT_URL );
		if ( is_string( $cached ) && '' !== $cached ) {
			return $cached;
		}
		$script = $this->manifest_script();
		$ttl    = '' === $script ? self::FALLBACK_TTL : HOUR_IN_SECONDS;
		$url    = '' === $script ? Aftercare_Options::app_url() . '/storefront/aftercare.js' : $script;
		set_transient( Aftercare_Options::SCRIPT_URL, $url, $ttl );
		return $url;
	}

	/**
	 * The manifest's https script URL, or '' when the manifest cannot be read.
	 *
	 * @return string
	 */
	private function manifest_script(): string {
		try {
			$answer = Aftercare_Client::get( '/storefront/manifest.json', 5 );
		} catch ( Aftercare_Service_Unreachable $error ) {
			return '';
		}
		$script = 200 === $answer['status'] && is_string( $answer['data']['script'] ?? null ) ? esc_url_raw( $answer['data']['script'] ) : '';
		return Aftercare_Options::is_https_url( $script ) ? $script : '';
	}
}
