<?php
/**
 * The settings page: the service URL, forms with nonces, and no secret in the HTML.
 *
 * @package Aftercare\Tests
 */

defined( 'ABSPATH' ) || exit;

function test_not_connected_page_has_the_url_field_and_a_connect_form_with_nonce() {
	update_option( 'aftercare_app_url', TEST_APP );
	$html = settings_page();
	assert_contains( 'name="aftercare_app_url" value="https://app.aftercare.example"', $html );
	assert_contains( 'Must start with https://', $html );
	assert_contains( 'WordPress refuses to call loopback and private network addresses', $html );
	assert_contains( '<form method="post" action="https://shop.example/wp-admin/admin-post.php"><input type="hidden" name="action" value="aftercare_connect"><input type="hidden" id="_wpnonce" name="_wpnonce" value="' . wp_create_nonce( 'aftercare_connect' ) . '" />', $html );
	assert_not_contains( 'aftercare_disconnect', $html );
	assert_not_contains( 'aftercare_open', $html );
}

function test_connect_button_waits_for_an_https_url() {
	update_option( 'aftercare_app_url', 'http://app.aftercare.example' );
	$html = settings_page();
	assert_not_contains( 'value="aftercare_connect"', $html );
	assert_contains( 'Enter the https:// address of the Aftercare service above first.', $html );
}

function test_connected_page_never_shows_the_secrets() {
	connect_store();
	update_option( 'aftercare_pending', array( 'connect_id' => 'c0ffee', 'claim_secret' => 'claim-secret-xyz' ), false );
	$html = settings_page();
	assert_contains( 'Your store https://shop.example/ is connected to Aftercare at https://app.aftercare.example.', $html );
	assert_contains( 'value="aftercare_open"', $html );
	assert_contains( 'value="aftercare_disconnect"', $html );
	assert_contains( 'name="aftercare_confirm"', $html );
	assert_not_contains( TEST_SECRET, $html, 'link secret' );
	assert_not_contains( 'claim-secret-xyz', $html, 'claim secret' );
	assert_not_contains( 'name="aftercare_app_url"', $html, 'URL locked while connected' );
	$not_connected = settings_page( array( 'success' => '1', 'user_id' => 'x' ) );
	assert_not_contains( 'claim-secret-xyz', $not_connected );
}

function test_notice_codes_select_fixed_text_only() {
	update_option( 'aftercare_app_url', TEST_APP );
	assert_contains( 'Service URL saved.', settings_page( array( 'aftercare_notice' => 'url_saved' ) ) );
	$html = settings_page( array( 'aftercare_notice' => '"><script>alert(1)</script>' ) );
	assert_not_contains( '<script', $html );
	assert_not_contains( 'notice-', $html, 'unknown code shows nothing' );
}

function save_url( string $url ): string {
	post_form( 'aftercare_save_url', array( 'aftercare_app_url' => $url ) );
	return redirect_of( function () {
		admin_post( 'aftercare_save_url' );
	} );
}

function test_saving_the_url_accepts_https_only() {
	assert_contains( 'aftercare_notice=url_saved', save_url( ' https://app.aftercare.example/ ' ) );
	assert_same( TEST_APP, get_option( 'aftercare_app_url' ), 'trimmed, no trailing slash' );
	foreach ( array( 'http://app.aftercare.example', 'javascript:alert(1)', 'app.aftercare.example', 'https://' ) as $bad ) {
		assert_contains( 'aftercare_notice=url_not_https', save_url( $bad ), $bad );
		assert_same( TEST_APP, get_option( 'aftercare_app_url' ), "$bad not saved" );
	}
	assert_contains( 'aftercare_notice=url_saved', save_url( '' ) );
	assert_same( '', get_option( 'aftercare_app_url' ), 'cleared' );
}

function test_saving_the_url_is_refused_while_connected_or_without_nonce() {
	connect_store();
	assert_contains( 'aftercare_notice=url_locked', save_url( 'https://other.example' ) );
	assert_same( TEST_APP, get_option( 'aftercare_app_url' ) );
	delete_option( 'aftercare_shop_id' );
	post_form( 'aftercare_save_url', array( 'aftercare_app_url' => 'https://other.example' ), '' );
	assert_true( halts( function () {
		admin_post( 'aftercare_save_url' );
	} ) instanceof WPStub_Die, 'no nonce' );
	assert_same( TEST_APP, get_option( 'aftercare_app_url' ) );
}

function test_a_user_without_the_capability_sees_nothing() {
	connect_store();
	$GLOBALS['wpstub']['caps']['manage_woocommerce'] = false;
	assert_same( '', settings_page() );
}

function test_claim_answer_app_url_must_be_https_to_replace_the_configured_one() {
	update_option( 'aftercare_app_url', TEST_APP );
	update_option( 'aftercare_pending', array( 'connect_id' => 'c0ffee', 'claim_secret' => 'claim-secret-xyz' ), false );
	wpstub_respond( 200, array( 'shop_id' => 42, 'link_secret' => TEST_SECRET, 'key_id' => 7, 'app_url' => 'http://insecure.example' ) );
	settings_page( array( 'success' => '1', 'user_id' => 'c0ffee' ) );
	assert_same( TEST_APP, get_option( 'aftercare_app_url' ) );
}

function test_array_valued_query_arguments_are_ignored() {
	update_option( 'aftercare_app_url', TEST_APP );
	update_option( 'aftercare_pending', array( 'connect_id' => 'c0ffee', 'claim_secret' => 'claim-secret-xyz' ), false );
	$html = settings_page( array( 'success' => array( '1' ), 'user_id' => array( 'c0ffee' ), 'aftercare_notice' => array( 'url_saved' ) ) );
	assert_same( array(), requests(), 'no claim' );
	assert_contains( 'does not belong to the connection started here', $html );
	$html = settings_page( array( 'success' => array( '1' ), 'user_id' => 'c0ffee' ) );
	assert_contains( 'WooCommerce access was not granted', $html, 'only the string "1" means granted' );
}
