<?php
/**
 * WooCommerce customer emails that Aftercare replaces, switched off at the merchant's choice.
 *
 * @package Aftercare
 */

defined( 'ABSPATH' ) || exit;

/**
 * The per-email switches and the woocommerce_email_enabled_<id> filters behind them.
 */
class Aftercare_Emails {

	/**
	 * The WooCommerce customer emails Aftercare can replace (ids only: the labels are translated when shown).
	 */
	const IDS = array(
		'customer_processing_order',
		'customer_on_hold_order',
		'customer_completed_order',
		'customer_refunded_order',
		'customer_partially_refunded_order',
		'customer_cancelled_order',
	);

	/**
	 * WooCommerce email id => [WooCommerce's email, the Aftercare message that replaces it], in IDS order.
	 * Translated: call it only when the labels are shown, never while registering hooks (before init).
	 *
	 * @return array<string, array{0: string, 1: string}>
	 */
	public static function choices(): array {
		return array(
			'customer_processing_order'         => array( __( 'Processing order', 'aftercare' ), __( 'Order confirmation', 'aftercare' ) ),
			'customer_on_hold_order'            => array( __( 'Order on-hold', 'aftercare' ), __( 'Order confirmation', 'aftercare' ) ),
			'customer_completed_order'          => array( __( 'Completed order', 'aftercare' ), __( 'Shipping confirmation', 'aftercare' ) ),
			'customer_refunded_order'           => array( __( 'Refunded order', 'aftercare' ), __( 'Refund issued', 'aftercare' ) ),
			'customer_partially_refunded_order' => array( __( 'Partially refunded order (newer WooCommerce versions)', 'aftercare' ), __( 'Refund issued', 'aftercare' ) ),
			'customer_cancelled_order'          => array( __( 'Cancelled order', 'aftercare' ), __( 'Order cancelled', 'aftercare' ) ),
		);
	}

	/**
	 * Hooks one filter per replaceable email.
	 */
	public function register(): void {
		foreach ( self::IDS as $email_id ) {
			add_filter(
				'woocommerce_email_enabled_' . $email_id,
				function ( $enabled ) use ( $email_id ) {
					return self::is_replaced( $email_id ) ? false : $enabled;
				}
			);
		}
	}

	/**
	 * Whether Aftercare sends this email instead of WooCommerce: chosen and connected.
	 *
	 * @param string $email_id WooCommerce email id.
	 * @return bool
	 */
	public static function is_replaced( string $email_id ): bool {
		return Aftercare_Options::is_connected() && in_array( $email_id, self::disabled(), true );
	}

	/**
	 * The ids the merchant switched off.
	 *
	 * @return string[]
	 */
	public static function disabled(): array {
		$ids = get_option( Aftercare_Options::DISABLED_EMAILS, array() );
		return self::sanitize( is_array( $ids ) ? $ids : array() );
	}

	/**
	 * Keeps only known email ids.
	 *
	 * @param array $ids Submitted ids.
	 * @return string[]
	 */
	public static function sanitize( array $ids ): array {
		$clean = array_map( 'sanitize_key', array_filter( $ids, 'is_string' ) );
		return array_values( array_intersect( self::IDS, $clean ) );
	}
}
