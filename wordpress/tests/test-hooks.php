<?php
/**
 * Every hook the plugin relies on is registered where WooCommerce fires it.
 *
 * @package Aftercare\Tests
 */

defined( 'ABSPATH' ) || exit;

function test_storefront_hooks_are_registered_at_their_priorities() {
	assert_same( 35, has_action( 'woocommerce_single_product_summary' ), 'product summary priority' );
	assert_same( 10, has_action( 'woocommerce_after_cart_table' ), 'classic cart' );
	assert_same( 10, has_filter( 'render_block_woocommerce/cart' ), 'block cart' );
	assert_same( 10, has_action( 'woocommerce_thankyou' ), 'thank-you' );
	assert_same( 10, has_action( 'wp_enqueue_scripts' ), 'script' );
}

function test_admin_actions_privacy_and_email_filters_are_registered() {
	foreach ( array( 'aftercare_connect', 'aftercare_open', 'aftercare_disconnect', 'aftercare_save_url', 'aftercare_save_emails' ) as $action ) {
		assert_same( 10, has_action( 'admin_post_' . $action ), $action );
	}
	assert_same( 10, has_action( 'admin_menu' ), 'admin_menu' );
	assert_same( 10, has_action( 'rest_api_init' ), 'the connect-proof route' );
	assert_same( 10, has_filter( 'wp_privacy_personal_data_exporters' ), 'exporter' );
	assert_same( 10, has_filter( 'wp_privacy_personal_data_erasers' ), 'eraser' );
	foreach ( array( 'customer_processing_order', 'customer_on_hold_order', 'customer_completed_order', 'customer_refunded_order', 'customer_partially_refunded_order', 'customer_cancelled_order' ) as $email_id ) {
		assert_same( 10, has_filter( 'woocommerce_email_enabled_' . $email_id ), $email_id );
	}
	assert_same( false, has_filter( 'woocommerce_email_enabled_new_order' ), 'admin emails are left alone' );
}

function test_settings_page_sits_under_woocommerce_for_shop_managers() {
	do_action( 'admin_menu' );
	$menu = $GLOBALS['wpstub']['menu'];
	assert_same( 1, count( $menu ), 'one page' );
	assert_same( 'woocommerce', $menu[0]['parent_slug'] );
	assert_same( 'manage_woocommerce', $menu[0]['capability'] );
	assert_same( 'aftercare', $menu[0]['menu_slug'] );
	assert_same( 10, has_action( 'load-woocommerce_page_aftercare' ), 'return from WooCommerce handled before output' );
}
