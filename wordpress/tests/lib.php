<?php
/**
 * Assertions and helpers for the plugin's tests.
 *
 * @package Aftercare\Tests
 */

defined( 'ABSPATH' ) || exit;

/** A failed assertion. */
class WPStub_AssertionFailed extends RuntimeException {
}

function fail( string $message ): void {
	throw new WPStub_AssertionFailed( $message );
}

function assert_same( $expected, $actual, string $what = '' ): void {
	if ( $expected !== $actual ) {
		fail( ( $what ? "$what: " : '' ) . 'expected ' . var_export( $expected, true ) . ', got ' . var_export( $actual, true ) );
	}
}

function assert_true( $condition, string $what ): void {
	if ( true !== $condition ) {
		fail( "expected true: $what" );
	}
}

function assert_contains( string $needle, string $haystack, string $what = '' ): void {
	if ( false === strpos( $haystack, $needle ) ) {
		fail( ( $what ? "$what: " : '' ) . "expected to find\n  $needle\nin\n  $haystack" );
	}
}

function assert_not_contains( string $needle, string $haystack, string $what = '' ): void {
	if ( false !== strpos( $haystack, $needle ) ) {
		fail( ( $what ? "$what: " : '' ) . "did not expect\n  $needle\nin\n  $haystack" );
	}
}

/** What $fn prints. */
function capture( callable $fn ): string {
	ob_start();
	try {
		$fn();
	} finally {
		$out = ob_get_clean();
	}
	return $out;
}

/** Runs a request handler that must end the request; returns how it ended. */
function halts( callable $fn ): RuntimeException {
	try {
		capture( $fn );
	} catch ( WPStub_Redirect | WPStub_Die $end ) {
		return $end;
	}
	fail( 'expected the request to end with a redirect or wp_die()' );
}

/** Runs a handler that must redirect; returns the location. */
function redirect_of( callable $fn ): string {
	$end = halts( $fn );
	if ( ! $end instanceof WPStub_Redirect ) {
		fail( 'expected a redirect, got wp_die(): ' . $end->getMessage() );
	}
	return $end->location;
}

/** A POST to admin-post.php with these fields (and the right nonce unless $nonce says otherwise). */
function post_form( string $action, array $fields = array(), ?string $nonce = null ): void {
	$_POST    = array( 'action' => $action, '_wpnonce' => $nonce ?? wp_create_nonce( $action ) ) + $fields;
	$_REQUEST = $_POST;
}

/** Runs the admin-post action as admin-post.php does. */
function admin_post( string $action ): void {
	do_action( 'admin_post_' . $action );
}

const TEST_APP    = 'https://app.aftercare.example';
const TEST_SECRET = 'test-link-secret-0123456789abcdef';

/** A connected store: shop 42, key 7. */
function connect_store(): void {
	update_option( 'aftercare_app_url', TEST_APP );
	update_option( 'aftercare_shop_id', 42 );
	update_option( 'aftercare_link_secret', TEST_SECRET, false );
	update_option( 'aftercare_key_id', 7 );
}

/** The options the plugin keeps. */
function options(): array {
	return $GLOBALS['wpstub']['options'];
}

/** HTTP requests made so far. */
function requests(): array {
	return $GLOBALS['wpstub']['requests'];
}

/** Renders the settings page as WordPress does: load-<hook>, then the page callback. */
function settings_page( array $query = array() ): string {
	$_GET = array( 'page' => 'aftercare' ) + $query;
	if ( array() === $GLOBALS['wpstub']['menu'] ) {
		do_action( 'admin_menu' ); // Once, as in a request; later calls are further requests.
	}
	$menu = $GLOBALS['wpstub']['menu'][0];
	do_action( 'load-woocommerce_page_aftercare' );
	return capture( $menu['callback'] );
}

/**
 * One request's start as WordPress runs it: the plugin's file is loaded (init()), then plugins_loaded,
 * setup_theme, after_setup_theme, init and wp_loaded. Pass $until to stop before an action.
 */
function wpstub_boot( string $until = '' ): void {
	Aftercare_Plugin::init();
	foreach ( array( 'plugins_loaded', 'setup_theme', 'after_setup_theme', 'init', 'wp_loaded' ) as $action ) {
		if ( $action === $until ) {
			return;
		}
		do_action( $action );
	}
}
