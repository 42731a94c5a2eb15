<?php
/**
 * Connecting: the Connect button, the return from WooCommerce and the claim.
 *
 * @package Aftercare\Tests
 */

defined( 'ABSPATH' ) || exit;

const AUTHORIZE_URL = 'https://shop.example/wc-auth/v1/authorize?app_name=Aftercare&scope=read_write&user_id=c0ffee&return_url=x&callback_url=y';

function started_answer( array $overrides = array() ): array {
	return $overrides + array(
		'authorize_url' => AUTHORIZE_URL,
		'connect_id'    => 'c0ffee',
		'claim_secret'  => 'claim-secret-xyz',
	);
}

function test_connect_posts_the_store_and_return_url_and_redirects_to_woocommerce() {
	update_option( 'aftercare_app_url', TEST_APP . '/' );
	wpstub_respond( 200, started_answer() );
	post_form( 'aftercare_connect' );
	$location = redirect_of( function () {
		admin_post( 'aftercare_connect' );
	} );
	assert_same( AUTHORIZE_URL, $location, 'redirected to the store authorize URL' );
	$request = requests()[0];
	assert_same( 'POST', $request['method'] );
	assert_same( TEST_APP . '/woocommerce/connect', $request['url'] );
	$sent = json_decode( $request['args']['body'], true );
	assert_same( array( 'store_url', 'return_url', 'site_proof' ), array_keys( $sent ) );
	assert_same( 'https://shop.example/', $sent['store_url'] );
	assert_same( 'https://shop.example/wp-admin/admin.php?page=aftercare', $sent['return_url'] );
	assert_true( 1 === preg_match( '/^[0-9a-f]{48}$/', $sent['site_proof'] ), 'a random 24-byte proof' );
	assert_same( 'application/json', $request['args']['headers']['Content-Type'] );
	assert_same( 15, $request['args']['timeout'] );
	assert_same( true, $request['args']['reject_unsafe_urls'], 'private addresses refused' );
	assert_same( array( 'connect_id' => 'c0ffee', 'claim_secret' => 'claim-secret-xyz', 'site_proof' => $sent['site_proof'] ), get_option( 'aftercare_pending' ) );
	assert_same( false, $GLOBALS['wpstub']['autoload']['aftercare_pending'], 'pending not autoloaded' );
	assert_not_contains( $sent['site_proof'], $location, 'the proof never reaches the browser' );
}

function test_every_connect_sends_a_new_site_proof() {
	update_option( 'aftercare_app_url', TEST_APP );
	$proofs = array();
	foreach ( array( 1, 2 ) as $try ) {
		wpstub_respond( 200, started_answer() );
		post_form( 'aftercare_connect' );
		redirect_of( function () {
			admin_post( 'aftercare_connect' );
		} );
		$proofs[] = json_decode( requests()[ $try - 1 ]['args']['body'], true )['site_proof'];
	}
	assert_true( $proofs[0] !== $proofs[1], 'a fresh proof per connection' );
}

function test_the_site_shows_its_proof_only_for_the_pending_connection() {
	start_pending();
	$shown = wpstub_rest_get( '/aftercare/v1/connect-proof', array( 'connect_id' => 'c0ffee' ) );
	assert_true( $shown instanceof WP_REST_Response, 'answered' );
	assert_same( 200, $shown->get_status() );
	assert_same( array( 'connect_id' => 'c0ffee', 'proof' => TEST_PROOF ), $shown->get_data() );
	assert_same( 'no-store', $shown->headers['Cache-Control'], 'never cached' );
	foreach ( array( 'not-mine', '', 'c0ffe' ) as $other ) {
		$refused = wpstub_rest_get( '/aftercare/v1/connect-proof', array( 'connect_id' => $other ) );
		assert_true( $refused instanceof WP_Error, "no proof for '$other'" );
		assert_same( array( 'status' => 404 ), $refused->get_error_data() );
	}
	wpstub_respond( 200, array( 'shop_id' => 42, 'link_secret' => TEST_SECRET, 'key_id' => 7, 'status' => 'active' ) );
	settings_page( array( 'success' => '1', 'user_id' => 'c0ffee' ) );
	$after = wpstub_rest_get( '/aftercare/v1/connect-proof', array( 'connect_id' => 'c0ffee' ) );
	assert_true( $after instanceof WP_Error, 'no proof once connected' );
}

function test_a_store_waiting_for_approval_is_connected_and_says_so() {
	start_pending();
	wpstub_respond( 200, array( 'status' => 'pending_approval', 'shop_id' => 42, 'link_secret' => TEST_SECRET, 'key_id' => 7, 'app_url' => TEST_APP ) );
	$html = settings_page( array( 'success' => '1', 'user_id' => 'c0ffee' ) );
	assert_true( Aftercare_Options::is_connected(), 'connected' );
	assert_contains( 'waiting for the Aftercare operator&#039;s approval', $html );
	assert_not_contains( 'Your store is connected to Aftercare.', $html );
}

function test_connect_refuses_an_authorize_url_outside_the_store() {
	update_option( 'aftercare_app_url', TEST_APP );
	foreach ( array( 'https://evil.example/wc-auth/v1/authorize', 'https://shop.example.evil.example/wc-auth/v1/authorize', 'javascript:alert(1)' ) as $url ) {
		wpstub_respond( 200, started_answer( array( 'authorize_url' => $url ) ) );
		post_form( 'aftercare_connect' );
		$location = redirect_of( function () {
			admin_post( 'aftercare_connect' );
		} );
		assert_same( 'https://shop.example/wp-admin/admin.php?page=aftercare&aftercare_notice=connect_failed', $location, $url );
		assert_same( false, get_option( 'aftercare_pending' ), 'nothing pending' );
	}
}

function test_connect_reports_an_unreachable_service_and_a_non_https_url() {
	update_option( 'aftercare_app_url', TEST_APP );
	wpstub_respond( null, 'cURL error 28' );
	post_form( 'aftercare_connect' );
	$location = redirect_of( function () {
		admin_post( 'aftercare_connect' );
	} );
	assert_contains( 'aftercare_notice=service_unreachable', $location );
	update_option( 'aftercare_app_url', 'http://app.aftercare.example' );
	$location = redirect_of( function () {
		admin_post( 'aftercare_connect' );
	} );
	assert_contains( 'aftercare_notice=url_not_https', $location );
	assert_same( 1, count( requests() ), 'no request to a plain http URL' );
}

function refused_connect( ?string $nonce, bool $can_manage ): WPStub_Die {
	$GLOBALS['wpstub']['caps']['manage_woocommerce'] = $can_manage;
	post_form( 'aftercare_connect', array(), $nonce );
	$end = halts( function () {
		admin_post( 'aftercare_connect' );
	} );
	assert_true( $end instanceof WPStub_Die, 'refused with wp_die()' );
	return $end;
}

function test_connect_without_the_right_nonce_or_capability_is_refused_and_changes_nothing() {
	$cases = array(
		array( '', true ),
		array( 'wrong-nonce', true ),
		array( wp_create_nonce( 'aftercare_disconnect' ), true ),
		array( null, false ),
	);
	update_option( 'aftercare_app_url', TEST_APP );
	foreach ( $cases as list( $nonce, $can_manage ) ) {
		$before = options();
		$end    = refused_connect( $nonce, $can_manage );
		assert_same( 403, $end->status, 'status 403' );
		assert_same( array(), requests(), 'no request' );
		assert_same( $before, options(), 'options unchanged' );
	}
}

const TEST_PROOF = 'site-proof-0123456789abcdef0123456789abcdef';

function start_pending(): void {
	update_option( 'aftercare_app_url', TEST_APP );
	update_option( 'aftercare_pending', array( 'connect_id' => 'c0ffee', 'claim_secret' => 'claim-secret-xyz', 'site_proof' => TEST_PROOF ), false );
}

function test_return_from_woocommerce_claims_and_stores_the_connection() {
	start_pending();
	wpstub_respond( 200, array( 'shop_id' => 42, 'link_secret' => TEST_SECRET, 'key_id' => 7, 'app_url' => TEST_APP ) );
	$html = settings_page( array( 'success' => '1', 'user_id' => 'c0ffee' ) );
	$claim = requests()[0];
	assert_same( TEST_APP . '/woocommerce/claim', $claim['url'] );
	assert_same( array( 'connect_id' => 'c0ffee', 'claim_secret' => 'claim-secret-xyz' ), json_decode( $claim['args']['body'], true ), 'the proof is not sent again' );
	assert_same( 42, get_option( 'aftercare_shop_id' ) );
	assert_same( TEST_SECRET, get_option( 'aftercare_link_secret' ) );
	assert_same( false, $GLOBALS['wpstub']['autoload']['aftercare_link_secret'], 'secret not autoloaded' );
	assert_same( 7, get_option( 'aftercare_key_id' ) );
	assert_same( false, get_option( 'aftercare_pending' ), 'pending cleared' );
	assert_contains( 'Your store is connected to Aftercare.', $html );
	assert_not_contains( TEST_SECRET, $html, 'secret not on the page' );
}

function test_a_409_claims_once_without_waiting_and_the_page_says_connecting() {
	start_pending();
	wpstub_respond( 409, array( 'error' => 'Aftercare is checking the keys', 'status' => 'connecting' ) );
	$started = microtime( true );
	$html    = settings_page( array( 'success' => '1', 'user_id' => 'c0ffee' ) );
	assert_true( microtime( true ) - $started < 0.5, 'no waiting in the request: the store must be free to answer the check' );
	assert_same( 1, count( requests() ), 'one claim per page load' );
	assert_contains( 'Connecting…', $html );
	assert_contains( 'Aftercare is checking the keys WooCommerce gave it and this site.', $html );
	assert_contains( 'Nothing is sent to your shoppers until the store is connected.', $html );
	assert_contains( 'window.location.replace("https:\\/\\/shop.example\\/wp-admin\\/admin.php?page=aftercare&aftercare_wait=1")', $html, 'it checks again by itself' );
	assert_contains( '>Check again</a>', $html );
	assert_contains( 'value="aftercare_connect"', $html, 'the merchant can start again' );
	assert_not_contains( 'notice-error', $html, 'not shown as a failure' );
	assert_not_contains( 'name="aftercare_app_url"', $html, 'not the page before connecting' );
	assert_same( false, get_option( 'aftercare_shop_id' ), 'not connected yet' );
	assert_same( true, Aftercare_Options::pending()['returned'], 'pending kept, marked as granted by WooCommerce' );
}

function test_each_later_load_of_the_page_claims_again_until_connected() {
	start_pending();
	wpstub_respond( 409, array( 'status' => 'connecting' ) );
	settings_page( array( 'success' => '1', 'user_id' => 'c0ffee' ) );
	wpstub_respond( 409, array( 'status' => 'connecting' ) );
	assert_contains( 'Connecting…', settings_page( array( 'aftercare_wait' => '1' ) ), 'the automatic reload' );
	wpstub_respond( 200, array( 'shop_id' => 42, 'link_secret' => TEST_SECRET, 'key_id' => 7, 'status' => 'active' ) );
	$html = settings_page(); // The merchant opens WooCommerce > Aftercare again later.
	assert_same( 3, count( requests() ), 'one claim per load' );
	assert_same( TEST_APP . '/woocommerce/claim', requests()[2]['url'] );
	assert_same( 42, get_option( 'aftercare_shop_id' ), 'the later load claims it' );
	assert_contains( 'Your store is connected to Aftercare.', $html );
	assert_not_contains( 'Connecting…', $html );
	assert_same( 3, count( requests() ) );
	settings_page();
	assert_same( 3, count( requests() ), 'nothing more to claim once connected' );
}

function test_the_connecting_page_stops_reloading_itself_after_a_while() {
	start_pending();
	Aftercare_Options::mark_returned();
	wpstub_respond( 409, array( 'status' => 'connecting' ) );
	$html = settings_page( array( 'aftercare_wait' => (string) Aftercare_Settings_Page::RELOADS ) );
	assert_contains( 'Connecting…', $html );
	assert_contains( '>Check again</a>', $html );
	assert_not_contains( '<script', $html, 'no more automatic reloads' );
}

function test_a_connection_not_yet_granted_in_woocommerce_is_not_claimed_on_a_page_load() {
	start_pending();
	$html = settings_page();
	assert_same( array(), requests(), 'no claim before WooCommerce sent the merchant back' );
	assert_not_contains( 'Connecting…', $html );
	assert_contains( 'value="aftercare_connect"', $html );
}

function test_keys_the_store_refused_end_the_connection_and_say_so() {
	start_pending();
	Aftercare_Options::mark_returned();
	wpstub_respond( 404, array( 'error' => 'Aftercare ended this connection', 'status' => 'ended', 'reason' => 'keys_refused' ) );
	$html = settings_page();
	assert_contains( 'Your store did not accept the access key WooCommerce created for Aftercare', $html );
	assert_same( false, get_option( 'aftercare_pending' ), 'pending dropped' );
	assert_not_contains( 'Connecting…', $html );
	assert_contains( 'name="action" value="aftercare_connect"', $html, 'Connect button shown again' );
	start_pending();
	Aftercare_Options::mark_returned();
	wpstub_respond( 404, array( 'status' => 'ended', 'reason' => 'site_unproven' ) );
	assert_contains( 'Aftercare could not confirm this store and ended the connection.', settings_page() );
}

function test_claim_404_means_expired_and_starts_over() {
	start_pending();
	wpstub_respond( 404, array( 'error' => 'unknown connect_id' ) );
	$html = settings_page( array( 'success' => '1', 'user_id' => 'c0ffee' ) );
	assert_contains( 'That connection attempt expired. Please connect again.', $html );
	assert_same( false, get_option( 'aftercare_pending' ), 'pending dropped' );
	assert_contains( 'name="action" value="aftercare_connect"', $html, 'Connect button shown again' );
}

function test_access_denied_in_woocommerce_is_reported() {
	start_pending();
	$html = settings_page( array( 'success' => '0', 'user_id' => 'c0ffee' ) );
	assert_contains( 'WooCommerce access was not granted', $html );
	assert_same( array(), requests(), 'no claim' );
	assert_same( false, get_option( 'aftercare_pending' ) );
}

function test_a_return_for_another_connect_id_claims_nothing() {
	start_pending();
	$html = settings_page( array( 'success' => '1', 'user_id' => 'not-mine' ) );
	assert_same( array(), requests(), 'no claim' );
	assert_contains( 'does not belong to the connection started here', $html );
	assert_true( null !== Aftercare_Options::pending(), 'the real pending connection survives' );
}

function test_a_claim_answer_without_a_secret_connects_nothing() {
	start_pending();
	wpstub_respond( 200, array( 'shop_id' => 42, 'key_id' => 7 ) );
	settings_page( array( 'success' => '1', 'user_id' => 'c0ffee' ) );
	assert_same( false, Aftercare_Options::is_connected() );
}

function test_a_user_without_the_capability_claims_nothing() {
	start_pending();
	$GLOBALS['wpstub']['caps']['manage_woocommerce'] = false;
	$html = settings_page( array( 'success' => '1', 'user_id' => 'c0ffee' ) );
	assert_same( '', $html );
	assert_same( array(), requests() );
}
