<?php
/**
 * The help container and the storefront script.
 *
 * @package Aftercare\Tests
 */

defined( 'ABSPATH' ) || exit;

function expected_container( string $page ): string {
	return '<div class="aftercare-help" data-aftercare-page="' . $page . '" data-aftercare-endpoint="https://app.aftercare.example/storefront/shops/42/help-links" data-aftercare-locale="en_US" style="min-height:7.5rem"></div>';
}

function test_container_on_each_page_type_exactly_once() {
	connect_store();
	$product = capture( function () {
		do_action( 'woocommerce_single_product_summary' );
		do_action( 'woocommerce_single_product_summary' );
	} );
	assert_same( expected_container( 'product' ), $product, 'product' );
	$cart = capture( function () {
		do_action( 'woocommerce_after_cart_table' );
		do_action( 'woocommerce_after_cart_table' );
	} );
	assert_same( expected_container( 'cart' ), $cart, 'classic cart' );
	$thanks = capture( function () {
		do_action( 'woocommerce_thankyou', 1234 );
		do_action( 'woocommerce_thankyou', 1234 );
	} );
	assert_same( expected_container( 'thank_you' ), $thanks, 'thank-you' );
}

function test_cart_block_gets_the_container_after_its_html_once() {
	connect_store();
	$block = '<div class="wp-block-woocommerce-cart">cart</div>';
	$first = apply_filters( 'render_block_woocommerce/cart', $block, array( 'blockName' => 'woocommerce/cart' ), null );
	assert_same( $block . expected_container( 'cart' ), $first, 'appended after the block' );
	$again = apply_filters( 'render_block_woocommerce/cart', $block, array( 'blockName' => 'woocommerce/cart' ), null );
	assert_same( $block, $again, 'second render of the block: untouched' );
	assert_same( '', capture( function () {
		do_action( 'woocommerce_after_cart_table' );
	} ), 'classic hook after the block on the same page' );
}

function test_container_escapes_an_attacker_controlled_locale_and_app_url() {
	connect_store();
	update_option( 'aftercare_app_url', 'https://app.example/"><script>alert(1)</script>' );
	$GLOBALS['wpstub']['locale'] = 'en_US" onmouseover="alert(1)"><img src=x onerror=alert(2)>';
	$html = capture( function () {
		do_action( 'woocommerce_single_product_summary' );
	} );
	assert_not_contains( '<script', $html, 'no script tag' );
	assert_not_contains( '<img', $html, 'no img tag' );
	assert_not_contains( '" onmouseover', $html, 'no attribute break-out' );
	assert_same( 1, substr_count( $html, '<' ) - substr_count( $html, '</div>' ), 'exactly one opening tag' );
	assert_contains( 'data-aftercare-locale="en_US&quot; onmouseover=&quot;alert(1)&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"', $html );
	assert_contains( 'data-aftercare-endpoint="https://app.example/scriptalert(1)/script/storefront/shops/42/help-links"', $html );
}

function test_nothing_is_output_when_not_connected() {
	update_option( 'aftercare_app_url', TEST_APP );
	$html = capture( function () {
		do_action( 'woocommerce_single_product_summary' );
		do_action( 'woocommerce_after_cart_table' );
		do_action( 'woocommerce_thankyou', 1 );
	} );
	assert_same( '', $html, 'classic hooks' );
	assert_same( '<p>cart</p>', apply_filters( 'render_block_woocommerce/cart', '<p>cart</p>' ), 'block cart' );
	$GLOBALS['wpstub']['page'] = array( 'type' => 'product' );
	do_action( 'wp_enqueue_scripts' );
	assert_same( array(), $GLOBALS['wpstub']['scripts'], 'no script' );
	assert_same( array(), requests(), 'no request to the service' );
}

function test_script_comes_from_the_manifest_async_in_the_footer_and_is_cached_for_an_hour() {
	connect_store();
	$GLOBALS['wpstub']['page'] = array( 'type' => 'product' );
	wpstub_respond( 200, array( 'script' => 'https://cdn.aftercare.example/storefront.3f2a.js' ) );
	do_action( 'wp_enqueue_scripts' );
	$script = $GLOBALS['wpstub']['scripts']['aftercare-storefront'];
	assert_same( 'https://cdn.aftercare.example/storefront.3f2a.js', $script['src'] );
	assert_same( array( 'in_footer' => true, 'strategy' => 'async' ), $script['args'] );
	assert_same( 'GET', requests()[0]['method'] );
	assert_same( TEST_APP . '/storefront/manifest.json', requests()[0]['url'] );
	assert_same( array( 'https://cdn.aftercare.example/storefront.3f2a.js', 3600 ), $GLOBALS['wpstub']['transients']['aftercare_script_url'] );
	$GLOBALS['wpstub']['scripts'] = array();
	do_action( 'wp_enqueue_scripts' );
	assert_same( 1, count( requests() ), 'second page view uses the cached URL' );
	assert_same( 'https://cdn.aftercare.example/storefront.3f2a.js', $GLOBALS['wpstub']['scripts']['aftercare-storefront']['src'] );
}

function test_script_falls_back_when_the_manifest_fails_or_is_not_https() {
	connect_store();
	$GLOBALS['wpstub']['page'] = array( 'type' => 'cart' );
	wpstub_respond( null, 'timed out' );
	do_action( 'wp_enqueue_scripts' );
	assert_same( TEST_APP . '/storefront/aftercare.js', $GLOBALS['wpstub']['scripts']['aftercare-storefront']['src'] );
	assert_true( $GLOBALS['wpstub']['transients']['aftercare_script_url'][1] < 3600, 'fallback cached briefly' );
	delete_transient( 'aftercare_script_url' );
	wpstub_respond( 200, array( 'script' => 'javascript:alert(1)' ) );
	do_action( 'wp_enqueue_scripts' );
	assert_same( TEST_APP . '/storefront/aftercare.js', $GLOBALS['wpstub']['scripts']['aftercare-storefront']['src'], 'javascript: refused' );
}

function test_script_only_on_product_cart_and_order_received_pages() {
	connect_store();
	set_transient( 'aftercare_script_url', 'https://cdn.aftercare.example/s.js', 3600 );
	$pages = array(
		array( array( 'type' => 'product' ), true ),
		array( array( 'type' => 'cart' ), true ),
		array( array( 'endpoint' => 'order-received' ), true ),
		array( array( 'type' => 'shop' ), false ),
		array( array( 'endpoint' => 'view-order' ), false ),
	);
	foreach ( $pages as list( $page, $expected ) ) {
		$GLOBALS['wpstub']['page']    = $page;
		$GLOBALS['wpstub']['scripts'] = array();
		do_action( 'wp_enqueue_scripts' );
		assert_same( $expected, isset( $GLOBALS['wpstub']['scripts']['aftercare-storefront'] ), json_encode( $page ) );
	}
}
