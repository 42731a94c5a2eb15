<?php
/**
 * WooCommerce's own customer emails go off only for the chosen ids and only while connected.
 *
 * @package Aftercare\Tests
 */

defined( 'ABSPATH' ) || exit;

function email_enabled( string $email_id ): bool {
	return apply_filters( 'woocommerce_email_enabled_' . $email_id, true, null, null );
}

function test_only_chosen_emails_are_switched_off_while_connected() {
	connect_store();
	update_option( 'aftercare_disabled_emails', array( 'customer_completed_order', 'customer_refunded_order' ) );
	assert_same( false, email_enabled( 'customer_completed_order' ), 'completed off' );
	assert_same( false, email_enabled( 'customer_refunded_order' ), 'refunded off' );
	assert_same( true, email_enabled( 'customer_processing_order' ), 'processing untouched' );
	assert_same( true, email_enabled( 'customer_cancelled_order' ), 'cancelled untouched' );
	assert_same( true, email_enabled( 'new_order' ), 'admin email untouched' );
}

function test_a_disabled_email_stays_disabled_whatever_aftercare_chooses() {
	connect_store();
	update_option( 'aftercare_disabled_emails', array() );
	assert_same( false, apply_filters( 'woocommerce_email_enabled_customer_completed_order', false, null, null ), 'merchant had it off' );
}

function test_no_email_is_switched_off_when_not_connected() {
	update_option( 'aftercare_app_url', TEST_APP );
	update_option( 'aftercare_disabled_emails', array( 'customer_completed_order', 'customer_processing_order' ) );
	assert_same( true, email_enabled( 'customer_completed_order' ) );
	assert_same( true, email_enabled( 'customer_processing_order' ) );
}

function test_saving_email_choices_keeps_only_known_ids() {
	connect_store();
	post_form( 'aftercare_save_emails', array( 'aftercare_disabled_emails' => array( 'customer_on_hold_order', 'new_order', 'customer_cancelled_order', '<script>', array( 'x' ) ) ) );
	$location = redirect_of( function () {
		admin_post( 'aftercare_save_emails' );
	} );
	assert_contains( 'aftercare_notice=emails_saved', $location );
	assert_same( array( 'customer_on_hold_order', 'customer_cancelled_order' ), get_option( 'aftercare_disabled_emails' ) );
	post_form( 'aftercare_save_emails' );
	redirect_of( function () {
		admin_post( 'aftercare_save_emails' );
	} );
	assert_same( array(), get_option( 'aftercare_disabled_emails' ), 'all unticked' );
}

function test_saving_email_choices_needs_nonce_and_capability() {
	connect_store();
	post_form( 'aftercare_save_emails', array( 'aftercare_disabled_emails' => array( 'customer_on_hold_order' ) ), 'forged' );
	assert_true( halts( function () {
		admin_post( 'aftercare_save_emails' );
	} ) instanceof WPStub_Die, 'bad nonce' );
	$GLOBALS['wpstub']['caps']['manage_woocommerce'] = false;
	post_form( 'aftercare_save_emails', array( 'aftercare_disabled_emails' => array( 'customer_on_hold_order' ) ) );
	assert_true( halts( function () {
		admin_post( 'aftercare_save_emails' );
	} ) instanceof WPStub_Die, 'no capability' );
	assert_same( false, get_option( 'aftercare_disabled_emails' ), 'nothing saved' );
}

function test_settings_page_shows_each_email_with_what_replaces_it_and_the_current_choice() {
	connect_store();
	update_option( 'aftercare_disabled_emails', array( 'customer_completed_order' ) );
	$html = settings_page();
	assert_contains( 'value="customer_completed_order" checked=\'checked\'', $html );
	assert_contains( 'value="customer_processing_order">', $html );
	assert_contains( 'Do not send WooCommerce&#039;s &quot;Completed order&quot; email (Aftercare sends its Shipping confirmation)', $html );
	assert_contains( '&quot;Cancelled order&quot; email (Aftercare sends its Order cancelled)', $html );
	assert_contains( '&quot;Refunded order&quot; email (Aftercare sends its Refund issued)', $html );
	assert_contains( '&quot;Order on-hold&quot; email (Aftercare sends its Order confirmation)', $html );
}
