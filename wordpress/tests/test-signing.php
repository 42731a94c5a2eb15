<?php
/**
 * Signed admin links and signed requests, against vectors computed independently (Python's hmac).
 *
 * @package Aftercare\Tests
 */

defined( 'ABSPATH' ) || exit;

// Computed with Python: base64.urlsafe_b64encode(hmac.new(secret, b"admin.42.1767225600.<nonce>", sha256).digest()).rstrip(b"=").
const ADMIN_SIG_VECTOR = 'Ux7D2LK1RZjEEfJCS2RZ7MkSz2UtqRYHfDWiftSwhgs';
// Computed with Python: base64.b64encode(hmac.new(secret, b"1767225600.{}", sha256).digest()).
const REQUEST_SIG_VECTOR = 'hN33E5T/d4vUQe0pTcBGx63mXCmOk0i6IhdWXTIz448=';

function test_admin_link_matches_the_known_vector() {
	$link = Aftercare_Signer::admin_link( TEST_APP, 42, TEST_SECRET, 1767225600, '0123456789abcdef0123456789abcdef' );
	assert_same( TEST_APP . '/woocommerce/admin?shop=42&ts=1767225600&nonce=0123456789abcdef0123456789abcdef&sig=' . ADMIN_SIG_VECTOR, $link );
}

function test_request_headers_match_the_known_vector() {
	$headers = Aftercare_Signer::request_headers( 42, TEST_SECRET, 1767225600, '{}' );
	assert_same(
		array(
			'Content-Type'          => 'application/json',
			'X-Aftercare-Shop'      => '42',
			'X-Aftercare-Timestamp' => '1767225600',
			'X-Aftercare-Signature' => REQUEST_SIG_VECTOR,
		),
		$headers
	);
}

function test_base64url_has_no_padding_and_no_plus_or_slash() {
	assert_same( '-_8', Aftercare_Signer::base64url( "\xfb\xff" ) );
	assert_same( 1, preg_match( '/^[0-9a-f]{32}$/', Aftercare_Signer::new_nonce() ), 'nonce is 32 hex' );
	assert_true( Aftercare_Signer::new_nonce() !== Aftercare_Signer::new_nonce(), 'nonces differ' );
}

function test_open_aftercare_redirects_to_a_freshly_signed_link() {
	connect_store();
	post_form( 'aftercare_open' );
	$before   = time();
	$location = redirect_of( function () {
		admin_post( 'aftercare_open' );
	} );
	parse_str( (string) parse_url( $location, PHP_URL_QUERY ), $query );
	assert_same( 0, strpos( $location, TEST_APP . '/woocommerce/admin?' ), 'to the service admin' );
	assert_same( '42', $query['shop'] );
	assert_true( (int) $query['ts'] >= $before && (int) $query['ts'] <= time(), 'timestamp is now' );
	assert_same( 1, preg_match( '/^[0-9a-f]{32}$/', $query['nonce'] ), 'nonce is 32 hex' );
	$expected = rtrim( strtr( base64_encode( hash_hmac( 'sha256', "admin.42.{$query['ts']}.{$query['nonce']}", TEST_SECRET, true ) ), '+/', '-_' ), '=' );
	assert_same( $expected, $query['sig'] );
	assert_not_contains( TEST_SECRET, $location, 'secret not in the link' );
	$again = redirect_of( function () {
		admin_post( 'aftercare_open' );
	} );
	assert_true( $again !== $location, 'a new nonce every time' );
}

function test_open_aftercare_is_refused_without_nonce_or_capability_or_connection() {
	connect_store();
	post_form( 'aftercare_open', array(), 'bad' );
	assert_true( halts( function () {
		admin_post( 'aftercare_open' );
	} ) instanceof WPStub_Die, 'bad nonce' );
	post_form( 'aftercare_open' );
	$GLOBALS['wpstub']['caps']['manage_woocommerce'] = false;
	assert_true( halts( function () {
		admin_post( 'aftercare_open' );
	} ) instanceof WPStub_Die, 'no capability' );
	$GLOBALS['wpstub']['caps']['manage_woocommerce'] = true;
	delete_option( 'aftercare_link_secret' );
	$location = redirect_of( function () {
		admin_post( 'aftercare_open' );
	} );
	assert_contains( 'aftercare_notice=not_connected', $location );
}

function test_signed_requests_sign_the_exact_body_sent() {
	connect_store();
	wpstub_respond( 200, array( 'data' => array(), 'done' => true ) );
	$before = time();
	Aftercare_Client::post_signed( '/woocommerce/privacy/export', array( 'email' => 'a/b@example.com', 'page' => 1 ) );
	$request = requests()[0];
	$headers = $request['args']['headers'];
	$body    = $request['args']['body'];
	assert_same( '42', $headers['X-Aftercare-Shop'] );
	assert_true( (int) $headers['X-Aftercare-Timestamp'] >= $before, 'timestamp is now' );
	$expected = base64_encode( hash_hmac( 'sha256', $headers['X-Aftercare-Timestamp'] . '.' . $body, TEST_SECRET, true ) );
	assert_same( $expected, $headers['X-Aftercare-Signature'] );
	assert_same( 'application/json', $headers['Content-Type'] );
	assert_same( 15, $request['args']['timeout'] );
}
