<?php
/**
 * The plugin's options: the service URL, the pending connection and the connection itself.
 *
 * @package Aftercare
 */

defined( 'ABSPATH' ) || exit;

/**
 * Reads and writes every option the plugin keeps, in one place.
 */
class Aftercare_Options {

	const APP_URL         = 'aftercare_app_url';
	const PENDING         = 'aftercare_pending';
	const SHOP_ID         = 'aftercare_shop_id';
	const LINK_SECRET     = 'aftercare_link_secret';
	const KEY_ID          = 'aftercare_key_id';
	const DISABLED_EMAILS = 'aftercare_disabled_emails';
	const SCRIPT_URL      = 'aftercare_script_url';

	/**
	 * Every option the plugin stores (deleted on uninstall).
	 *
	 * @return string[]
	 */
	public static function all(): array {
		return array( self::APP_URL, self::PENDING, self::SHOP_ID, self::LINK_SECRET, self::KEY_ID, self::DISABLED_EMAILS );
	}

	/**
	 * The service URL without a trailing slash; the AFTERCARE_APP_URL constant is the default.
	 *
	 * @return string
	 */
	public static function app_url(): string {
		$default = defined( 'AFTERCARE_APP_URL' ) ? (string) AFTERCARE_APP_URL : '';
		return untrailingslashit( (string) get_option( self::APP_URL, $default ) );
	}

	/**
	 * Whether a service URL is usable: an absolute https:// URL with a host.
	 *
	 * @param string $url Candidate URL.
	 * @return bool
	 */
	public static function is_https_url( string $url ): bool {
		$parts = wp_parse_url( $url );
		return is_array( $parts ) && 'https' === strtolower( $parts['scheme'] ?? '' ) && '' !== ( $parts['host'] ?? '' );
	}

	/**
	 * Whether the store is connected to the service.
	 *
	 * @return bool
	 */
	public static function is_connected(): bool {
		return self::shop_id() > 0 && '' !== self::link_secret() && '' !== self::app_url();
	}

	/**
	 * The service's id for this store (0 when not connected).
	 *
	 * @return int
	 */
	public static function shop_id(): int {
		return absint( get_option( self::SHOP_ID, 0 ) );
	}

	/**
	 * The per-store signing secret ('' when not connected). Never rendered.
	 *
	 * @return string
	 */
	public static function link_secret(): string {
		return (string) get_option( self::LINK_SECRET, '' );
	}

	/**
	 * The WooCommerce REST key the service was granted (0 when unknown).
	 *
	 * @return int
	 */
	public static function key_id(): int {
		return absint( get_option( self::KEY_ID, 0 ) );
	}

	/**
	 * Stores a claimed connection; the secret is not autoloaded.
	 *
	 * @param int    $shop_id     Service shop id.
	 * @param string $link_secret Signing secret.
	 * @param int    $key_id      WooCommerce REST key id.
	 */
	public static function save_connection( int $shop_id, string $link_secret, int $key_id ): void {
		update_option( self::SHOP_ID, $shop_id );
		update_option( self::LINK_SECRET, $link_secret, false );
		update_option( self::KEY_ID, $key_id );
		delete_option( self::PENDING );
	}

	/**
	 * Forgets the connection (the merchant's choices of emails stay).
	 */
	public static function forget_connection(): void {
		foreach ( array( self::SHOP_ID, self::LINK_SECRET, self::KEY_ID, self::PENDING ) as $name ) {
			delete_option( $name );
		}
		delete_transient( self::SCRIPT_URL );
	}

	/**
	 * The started connection: connect_id, claim_secret, site_proof and whether the merchant came back from
	 * WooCommerce having granted access (returned), or null.
	 *
	 * @return array{connect_id: string, claim_secret: string, site_proof: string, returned: bool}|null
	 */
	public static function pending(): ?array {
		$pending = get_option( self::PENDING, null );
		if ( ! is_array( $pending ) || empty( $pending['connect_id'] ) || empty( $pending['claim_secret'] ) ) {
			return null;
		}
		return array(
			'connect_id'   => (string) $pending['connect_id'],
			'claim_secret' => (string) $pending['claim_secret'],
			'site_proof'   => (string) ( $pending['site_proof'] ?? '' ),
			'returned'     => ! empty( $pending['returned'] ),
		);
	}

	/**
	 * Notes that the merchant came back from WooCommerce having granted access: the service is checking the
	 * keys now, and every load of the settings page claims the connection again until it answers.
	 */
	public static function mark_returned(): void {
		$pending = get_option( self::PENDING, null );
		if ( is_array( $pending ) && empty( $pending['returned'] ) ) {
			$pending['returned'] = true;
			update_option( self::PENDING, $pending, false );
		}
	}

	/**
	 * Whether WooCommerce granted access and the service has not finished checking the keys and this site.
	 *
	 * @return bool
	 */
	public static function is_connecting(): bool {
		$pending = self::pending();
		return null !== $pending && $pending['returned'] && ! self::is_connected();
	}

	/**
	 * Remembers a started connection (not autoloaded).
	 *
	 * @param string $connect_id   The one-time id WooCommerce echoes back as user_id.
	 * @param string $claim_secret The secret that claims the connection.
	 * @param string $site_proof   What this site shows the service to prove it started the connection.
	 */
	public static function save_pending( string $connect_id, string $claim_secret, string $site_proof ): void {
		update_option(
			self::PENDING,
			array(
				'connect_id'   => $connect_id,
				'claim_secret' => $claim_secret,
				'site_proof'   => $site_proof,
			),
			false
		);
	}
}
