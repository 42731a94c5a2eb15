<?php
/**
 * The plugin's start: nothing translated before init, translations loaded on init, and without WooCommerce
 * only an admin notice.
 *
 * @package Aftercare\Tests
 */

defined( 'ABSPATH' ) || exit;

/** Everything a request can run once the plugin has started, as WordPress would after init. */
function run_every_plugin_hook(): void {
	do_action( 'admin_menu' );
	settings_page();
	connect_store();
	update_option( 'aftercare_disabled_emails', array( 'customer_completed_order' ) );
	settings_page( array( 'aftercare_notice' => 'emails_saved' ) );
	capture( static function () {
		do_action( 'admin_notices' );
		do_action( 'rest_api_init' );
		$GLOBALS['wpstub']['page'] = array( 'type' => 'product' );
		do_action( 'wp_enqueue_scripts' );
		do_action( 'woocommerce_single_product_summary' );
		do_action( 'woocommerce_after_cart_table' );
		do_action( 'woocommerce_thankyou', 1 );
	} );
	apply_filters( 'woocommerce_email_enabled_customer_completed_order', true, null, null );
	apply_filters( 'wp_privacy_personal_data_exporters', array() );
	apply_filters( 'wp_privacy_personal_data_erasers', array() );
}

function test_no_string_is_translated_before_init() {
	wpstub_reset();
	$first = count( $GLOBALS['wpstub_translations'] );
	wpstub_boot( 'init' );
	assert_same( array(), array_slice( $GLOBALS['wpstub_translations'], $first ), 'translated while loading the plugin, on plugins_loaded or setup_theme' );
	assert_same( array(), $GLOBALS['wpstub']['textdomains'], 'translations not loaded before init' );
	assert_true( false !== has_filter( 'woocommerce_email_enabled_customer_completed_order' ), 'the email filters are registered before init, untranslated' );
	do_action( 'init' );
	run_every_plugin_hook();
	$calls = array_slice( $GLOBALS['wpstub_translations'], $first );
	assert_true( count( $calls ) > 20, 'the page and the notices were translated (' . count( $calls ) . ' calls)' );
	foreach ( $calls as $call ) {
		assert_true( $call['after_init'], "{$call['function']}( '{$call['text']}' ) ran after init" );
		assert_same( 'aftercare', $call['domain'], "the domain of '{$call['text']}'" );
	}
}

function test_translations_are_loaded_on_init_from_the_plugins_languages_folder() {
	assert_same(
		array(
			array(
				'domain' => 'aftercare',
				'path'   => 'aftercare-for-woocommerce/languages',
				'action' => 'init',
			),
		),
		$GLOBALS['wpstub']['textdomains']
	);
}

function test_email_labels_are_translated_only_when_shown() {
	$first = count( $GLOBALS['wpstub_translations'] );
	connect_store();
	Aftercare_Emails::sanitize( array( 'customer_completed_order', 'new_order' ) );
	Aftercare_Emails::is_replaced( 'customer_completed_order' );
	assert_same( 0, count( $GLOBALS['wpstub_translations'] ) - $first, 'no label translated by the filters or the sanitiser' );
	assert_same( Aftercare_Emails::IDS, array_keys( Aftercare_Emails::choices() ), 'a label for every id, in order' );
}

/** Runs without-woocommerce.php in its own PHP process and returns what it reported. */
function without_woocommerce( string ...$flags ): array {
	$command = escapeshellarg( PHP_BINARY ) . ' ' . escapeshellarg( __DIR__ . '/without-woocommerce.php' );
	foreach ( $flags as $flag ) {
		$command .= ' ' . escapeshellarg( $flag );
	}
	exec( $command . ' 2>&1', $lines, $status );
	$output = implode( "\n", $lines );
	assert_same( 0, $status, "without-woocommerce.php exited: $output" );
	$report = json_decode( $output, true );
	assert_true( is_array( $report ), "a JSON report: $output" );
	return $report;
}

function test_without_woocommerce_the_plugin_shows_a_notice_and_does_nothing_else() {
	$report = without_woocommerce();
	assert_same( array( 'plugins_loaded', 'init' ), $report['registered_at_load'], 'hooks added when the file loads' );
	assert_same( array( 'plugins_loaded', 'init', 'admin_notices' ), $report['registered'], 'every hook the plugin added' );
	assert_same( array( 'admin_notices' ), array_keys( $report['printed'] ), 'only the notice printed anything' );
	assert_contains( 'class="notice notice-error"', $report['printed']['admin_notices'] );
	assert_contains( 'WooCommerce is not active', $report['printed']['admin_notices'] );
	assert_same( '<div>cart</div>', $report['filtered']['render_block_woocommerce/cart'], 'cart block untouched' );
	assert_same( true, $report['filtered']['woocommerce_email_enabled_customer_completed_order'], 'emails untouched' );
	assert_same( array(), $report['filtered']['wp_privacy_personal_data_exporters'], 'no exporter' );
	assert_same( array(), $report['menu'], 'no admin page' );
	assert_same( array(), $report['requests'], 'no HTTP call' );
	assert_same( array(), $report['options'], 'no option written' );
	assert_same( 'init', $report['textdomains'][0]['action'] ?? null, 'translations still loaded on init, for the notice' );
	assert_same( array(), $report['translated_too_early'], 'nothing translated before init' );
}

function test_without_woocommerce_the_notice_is_only_for_those_who_can_activate_plugins() {
	$report = without_woocommerce( '--no-activate-plugins' );
	assert_same( array(), $report['printed'], 'nothing printed for a shop manager' );
}
