<?php
/**
 * Wires the plugin's parts to WordPress.
 *
 * @package Aftercare
 */

defined( 'ABSPATH' ) || exit;

/**
 * The plugin's entry point.
 */
class Aftercare_Plugin {

	/**
	 * Registers every hook.
	 */
	public static function init(): void {
		$connection = new Aftercare_Connection();
		$connection->register();
		( new Aftercare_Connect_Proof() )->register();
		( new Aftercare_Settings_Page( $connection ) )->register();
		( new Aftercare_Emails() )->register();
		( new Aftercare_Privacy() )->register();
		( new Aftercare_Storefront() )->register();
	}
}
