<?php
/**
 * One admin request and one storefront request with the plugin active and WooCommerce not: prints, as JSON,
 * every hook the plugin registered, what each action printed, the HTTP calls and options it made.
 * Run by test-bootstrap.php in its own PHP process (the WooCommerce class cannot be undefined in the runner's).
 *
 * @package Aftercare\Tests
 */

define( 'ABSPATH', __DIR__ . '/' );
define( 'WPSTUB_NO_WOOCOMMERCE', true );
error_reporting( E_ALL );
set_error_handler(
	static function ( int $severity, string $message, string $file, int $line ): bool {
		throw new ErrorException( $message, 0, $severity, $file, $line );
	}
);

require __DIR__ . '/stubs/wordpress.php';
require __DIR__ . '/lib.php';
wpstub_reset();
$GLOBALS['wpstub']['caps'] = array(
	'manage_woocommerce' => true,
	'activate_plugins'   => ! in_array( '--no-activate-plugins', $argv, true ),
);
require dirname( __DIR__ ) . '/aftercare-for-woocommerce/aftercare-for-woocommerce.php';
$registered_at_load = array_keys( $GLOBALS['wpstub']['filters'] );

$printed = array();
$actions = array(
	'plugins_loaded',
	'setup_theme',
	'after_setup_theme',
	'init',
	'wp_loaded',
	'admin_menu',
	'admin_init',
	'admin_notices',
	'rest_api_init',
	'wp_enqueue_scripts',
	'woocommerce_single_product_summary',
	'woocommerce_after_cart_table',
	'woocommerce_thankyou',
	'admin_post_aftercare_connect',
	'admin_post_aftercare_save_url',
);
foreach ( $actions as $action ) {
	try {
		$printed[ $action ] = capture( static function () use ( $action ) {
			do_action( $action );
		} );
	} catch ( WPStub_Redirect | WPStub_Die $end ) {
		$printed[ $action ] = 'the request ended: ' . $end->getMessage();
	}
}
$filtered = array(
	'render_block_woocommerce/cart'                 => apply_filters( 'render_block_woocommerce/cart', '<div>cart</div>' ),
	'woocommerce_email_enabled_customer_completed_order' => apply_filters( 'woocommerce_email_enabled_customer_completed_order', true ),
	'wp_privacy_personal_data_exporters'            => apply_filters( 'wp_privacy_personal_data_exporters', array() ),
);

echo json_encode(
	array(
		'registered_at_load'  => $registered_at_load,
		'registered'          => array_keys( $GLOBALS['wpstub']['filters'] ),
		'printed'             => array_filter( $printed ),
		'filtered'            => $filtered,
		'menu'                => $GLOBALS['wpstub']['menu'],
		'requests'            => $GLOBALS['wpstub']['requests'],
		'options'             => $GLOBALS['wpstub']['options'],
		'textdomains'         => $GLOBALS['wpstub']['textdomains'],
		'translated_too_early' => wpstub_translations_before_init(),
	)
);
