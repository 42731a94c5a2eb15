<?php
/**
 * Wires the plugin's parts to WordPress.
 *
 * @package Aftercare
 */

defined( 'ABSPATH' ) || exit;

/**
 * The plugin's entry point.
 *
 * Loading the plugin's file only schedules two callbacks: WooCommerce loads after this plugin (plugins load in
 * alphabetical order), so whether it is active is known on plugins_loaded; translations load on init, and no
 * string is translated before then (WordPress 6.7 logs a notice for each early translation).
 */
class Aftercare_Plugin {

	const TEXT_DOMAIN = 'aftercare';

	/**
	 * Runs when the plugin's file is loaded: schedules the start and the translations, nothing else.
	 */
	public static function init(): void {
		add_action( 'plugins_loaded', array( self::class, 'start' ) );
		add_action( 'init', array( self::class, 'load_textdomain' ) );
	}

	/**
	 * On plugins_loaded: registers every hook, or only the admin notice when WooCommerce is not active.
	 */
	public static function start(): void {
		if ( ! self::woocommerce_active() ) {
			add_action( 'admin_notices', array( self::class, 'woocommerce_missing_notice' ) );
			return;
		}
		$connection = new Aftercare_Connection();
		$connection->register();
		( new Aftercare_Connect_Proof() )->register();
		( new Aftercare_Settings_Page( $connection ) )->register();
		( new Aftercare_Emails() )->register();
		( new Aftercare_Privacy() )->register();
		( new Aftercare_Storefront() )->register();
	}

	/**
	 * On init: the plugin's translations (from WordPress's language directory, or the plugin's languages/).
	 */
	public static function load_textdomain(): void {
		$languages = dirname( plugin_basename( AFTERCARE_PLUGIN_FILE ) ) . '/languages';
		load_plugin_textdomain( self::TEXT_DOMAIN, false, $languages );
	}

	/**
	 * Whether WooCommerce is loaded (its main class exists once its plugin file has run).
	 *
	 * @return bool
	 */
	public static function woocommerce_active(): bool {
		return class_exists( 'WooCommerce', false );
	}

	/**
	 * The admin notice shown instead of everything else when WooCommerce is not active.
	 */
	public static function woocommerce_missing_notice(): void {
		if ( ! current_user_can( 'activate_plugins' ) ) {
			return;
		}
		printf(
			'<div class="notice notice-error"><p>%s</p></div>',
			esc_html__(
				'Aftercare for WooCommerce does nothing while WooCommerce is not active. Install and activate WooCommerce to use it.',
				'aftercare'
			)
		);
	}
}
