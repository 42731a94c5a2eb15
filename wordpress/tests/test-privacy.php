<?php
/**
 * The personal data exporter and eraser forward to the service and map its answers.
 *
 * @package Aftercare\Tests
 */

defined( 'ABSPATH' ) || exit;

function exporter(): array {
	return apply_filters( 'wp_privacy_personal_data_exporters', array() )['aftercare'];
}

function eraser(): array {
	return apply_filters( 'wp_privacy_personal_data_erasers', array() )['aftercare'];
}

function test_exporter_and_eraser_are_registered_as_aftercare_messages() {
	assert_same( 'Aftercare messages', exporter()['exporter_friendly_name'] );
	assert_same( 'Aftercare messages', eraser()['eraser_friendly_name'] );
	assert_true( is_callable( exporter()['callback'] ), 'exporter callable' );
	assert_true( is_callable( eraser()['callback'] ), 'eraser callable' );
}

function test_exporter_forwards_signed_and_returns_the_service_items() {
	connect_store();
	$item = array(
		'group_id'    => 'aftercare-messages',
		'group_label' => 'Aftercare messages',
		'item_id'     => 'message-901',
		'data'        => array( array( 'name' => 'Subject', 'value' => 'Your order has shipped' ) ),
	);
	wpstub_respond( 200, array( 'data' => array( $item ), 'done' => false ) );
	$result  = call_user_func( exporter()['callback'], 'shopper@example.com', 2 );
	$request = requests()[0];
	assert_same( TEST_APP . '/woocommerce/privacy/export', $request['url'] );
	assert_same( array( 'email' => 'shopper@example.com', 'page' => 2 ), json_decode( $request['args']['body'], true ) );
	assert_same( base64_encode( hash_hmac( 'sha256', $request['args']['headers']['X-Aftercare-Timestamp'] . '.' . $request['args']['body'], TEST_SECRET, true ) ), $request['args']['headers']['X-Aftercare-Signature'] );
	assert_same( array( 'data' => array( $item ), 'done' => false ), $result );
}

function test_exporter_failure_is_an_error_not_an_empty_export() {
	connect_store();
	wpstub_respond( 503, array( 'error' => 'maintenance' ) );
	$result = call_user_func( exporter()['callback'], 'shopper@example.com', 1 );
	assert_true( $result instanceof WP_Error, 'WP_Error' );
	assert_same( 'aftercare_export_failed', $result->get_error_code() );
}

function test_eraser_forwards_and_maps_the_answer() {
	connect_store();
	wpstub_respond( 200, array( 'items_removed' => true, 'items_retained' => false, 'messages' => array( '3 messages erased.', 42 ), 'done' => true ) );
	$result  = call_user_func( eraser()['callback'], 'shopper@example.com', 1 );
	$request = requests()[0];
	assert_same( TEST_APP . '/woocommerce/privacy/erase', $request['url'] );
	assert_same( array( 'email' => 'shopper@example.com', 'page' => 1 ), json_decode( $request['args']['body'], true ) );
	assert_same( '42', $request['args']['headers']['X-Aftercare-Shop'] );
	assert_same( array( 'items_removed' => true, 'items_retained' => false, 'messages' => array( '3 messages erased.' ), 'done' => true ), $result );
}

function test_eraser_failure_retains_items_and_says_so() {
	connect_store();
	wpstub_respond( null, 'cURL error 28: timed out' );
	$result = call_user_func( eraser()['callback'], 'shopper@example.com', 1 );
	assert_same( false, $result['items_removed'] );
	assert_same( true, $result['items_retained'] );
	assert_same( true, $result['done'] );
	assert_same( 1, count( $result['messages'] ) );
	assert_contains( 'could not be reached', $result['messages'][0] );
}

function test_privacy_requests_are_not_forwarded_when_not_connected() {
	update_option( 'aftercare_app_url', TEST_APP );
	assert_same( array( 'data' => array(), 'done' => true ), call_user_func( exporter()['callback'], 'shopper@example.com', 1 ) );
	assert_same( array( 'items_removed' => false, 'items_retained' => false, 'messages' => array(), 'done' => true ), call_user_func( eraser()['callback'], 'shopper@example.com', 1 ) );
	assert_same( array(), requests() );
}
