<?php
/**
 * Disconnecting: the service is told (signed), the REST key is revoked, the options go.
 *
 * @package Aftercare\Tests
 */

defined( 'ABSPATH' ) || exit;

function disconnect_with( array $fields ): string {
	post_form( 'aftercare_disconnect', $fields );
	return redirect_of( function () {
		admin_post( 'aftercare_disconnect' );
	} );
}

function assert_connection_forgotten(): void {
	foreach ( array( 'aftercare_shop_id', 'aftercare_link_secret', 'aftercare_key_id', 'aftercare_pending' ) as $name ) {
		assert_same( false, get_option( $name ), "$name deleted" );
	}
	assert_same( array( array( 'wp_woocommerce_api_keys', array( 'key_id' => 7 ), array( '%d' ) ) ), $GLOBALS['wpdb']->deleted, 'key row deleted' );
}

function test_disconnect_tells_the_service_signed_then_revokes_the_key_and_forgets() {
	connect_store();
	update_option( 'aftercare_disabled_emails', array( 'customer_completed_order' ) );
	wpstub_respond( 200, array( 'ok' => true ) );
	$location = disconnect_with( array( 'aftercare_confirm' => '1' ) );
	$request  = requests()[0];
	assert_same( TEST_APP . '/woocommerce/disconnect', $request['url'] );
	assert_same( '{}', $request['args']['body'], 'body is an empty JSON object' );
	$headers = $request['args']['headers'];
	assert_same( '42', $headers['X-Aftercare-Shop'] );
	assert_same( base64_encode( hash_hmac( 'sha256', $headers['X-Aftercare-Timestamp'] . '.{}', TEST_SECRET, true ) ), $headers['X-Aftercare-Signature'] );
	assert_connection_forgotten();
	assert_same( TEST_APP, get_option( 'aftercare_app_url' ), 'the service URL stays' );
	assert_contains( 'aftercare_notice=disconnected', $location );
	assert_not_contains( 'offline', $location );
	assert_same( '', capture( function () {
		do_action( 'woocommerce_thankyou', 1 );
	} ), 'storefront stops' );
	assert_same( true, apply_filters( 'woocommerce_email_enabled_customer_completed_order', true, null, null ), 'WooCommerce email back on' );
}

function test_disconnect_cleans_up_locally_when_the_service_is_unreachable() {
	connect_store();
	wpstub_respond( null, 'cURL error 6: Could not resolve host' );
	$location = disconnect_with( array( 'aftercare_confirm' => '1' ) );
	assert_connection_forgotten();
	assert_contains( 'aftercare_notice=disconnected_offline', $location );
	$html = settings_page( array( 'aftercare_notice' => 'disconnected_offline' ) );
	assert_contains( 'could not be reached', $html );
}

function test_an_unreachable_service_still_gets_its_webhooks_removed_and_only_those() {
	connect_store();
	$GLOBALS['wpstub']['webhooks'] = array(
		141 => TEST_APP . '/webhooks/woocommerce/42',
		142 => TEST_APP . '/webhooks/woocommerce/42',
		150 => 'https://erp.example/hooks/orders',
	);
	wpstub_respond( null, 'cURL error 6: Could not resolve host' );
	disconnect_with( array( 'aftercare_confirm' => '1' ) );
	assert_same( array( array( 141, true ), array( 142, true ) ), $GLOBALS['wpstub']['webhooks_deleted'] );
	assert_same( array( 150 ), array_keys( $GLOBALS['wpstub']['webhooks'] ), 'other webhooks stay' );
}

function test_a_confirmed_disconnect_leaves_webhooks_to_the_service() {
	connect_store();
	$GLOBALS['wpstub']['webhooks'] = array( 141 => TEST_APP . '/webhooks/woocommerce/42' );
	wpstub_respond( 200, '{"status":"disconnected"}' );
	disconnect_with( array( 'aftercare_confirm' => '1' ) );
	assert_same( array(), $GLOBALS['wpstub']['webhooks_deleted'] );
}

function test_disconnect_treats_an_error_answer_as_not_confirmed() {
	connect_store();
	wpstub_respond( 500, 'oops' );
	$location = disconnect_with( array( 'aftercare_confirm' => '1' ) );
	assert_connection_forgotten();
	assert_contains( 'aftercare_notice=disconnected_offline', $location );
}

function test_disconnect_needs_the_confirmation_box() {
	connect_store();
	$before   = options();
	$location = disconnect_with( array() );
	assert_contains( 'aftercare_notice=confirm_disconnect', $location );
	assert_same( $before, options(), 'nothing changed' );
	assert_same( array(), requests() );
	assert_same( array(), $GLOBALS['wpdb']->deleted );
}

function test_disconnect_without_the_right_nonce_or_capability_changes_nothing() {
	connect_store();
	$before = options();
	foreach ( array( array( 'nope', true ), array( wp_create_nonce( 'aftercare_connect' ), true ), array( null, false ) ) as list( $nonce, $can ) ) {
		$GLOBALS['wpstub']['caps']['manage_woocommerce'] = $can;
		post_form( 'aftercare_disconnect', array( 'aftercare_confirm' => '1' ), $nonce );
		$end = halts( function () {
			admin_post( 'aftercare_disconnect' );
		} );
		assert_true( $end instanceof WPStub_Die && 403 === $end->status, 'refused with 403' );
	}
	assert_same( $before, options(), 'nothing changed' );
	assert_same( array(), requests() );
	assert_same( array(), $GLOBALS['wpdb']->deleted );
}

function test_disconnect_accepts_an_empty_204_answer_as_confirmed() {
	connect_store();
	wpstub_respond( 204, '' );
	assert_contains( 'aftercare_notice=disconnected', disconnect_with( array( 'aftercare_confirm' => '1' ) ) );
	assert_not_contains( 'offline', $GLOBALS['wpstub']['redirects'][0] );
}

function test_a_success_answer_that_is_not_json_counts_as_unreachable() {
	connect_store();
	wpstub_respond( 200, '<html>captive portal</html>' );
	assert_contains( 'aftercare_notice=disconnected_offline', disconnect_with( array( 'aftercare_confirm' => '1' ) ) );
}
