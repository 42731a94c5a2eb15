<?php
/**
 * Uninstalling disconnects a connected store and deletes every option.
 *
 * @package Aftercare\Tests
 */

defined( 'ABSPATH' ) || exit;

function test_uninstall_disconnects_and_deletes_every_option() {
	connect_store();
	update_option( 'aftercare_disabled_emails', array( 'customer_completed_order' ) );
	set_transient( 'aftercare_script_url', 'https://cdn.aftercare.example/s.js', 3600 );
	wpstub_respond( 200, array() );
	defined( 'WP_UNINSTALL_PLUGIN' ) || define( 'WP_UNINSTALL_PLUGIN', 'aftercare-for-woocommerce/aftercare-for-woocommerce.php' );
	require dirname( __DIR__ ) . '/aftercare-for-woocommerce/uninstall.php';
	assert_same( array(), options(), 'no option left' );
	assert_same( array(), $GLOBALS['wpstub']['transients'], 'no transient left' );
	assert_same( TEST_APP . '/woocommerce/disconnect', requests()[0]['url'] );
	assert_same( 1, count( $GLOBALS['wpdb']->deleted ), 'key revoked' );
}
