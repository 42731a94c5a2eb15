<?php
/**
 * Uninstall: disconnects from the service if still connected, then deletes the plugin's options.
 *
 * @package Aftercare
 */

defined( 'ABSPATH' ) || exit;
defined( 'WP_UNINSTALL_PLUGIN' ) || exit;

require_once __DIR__ . '/includes/class-aftercare-options.php';
require_once __DIR__ . '/includes/class-aftercare-signer.php';
require_once __DIR__ . '/includes/class-aftercare-client.php';
require_once __DIR__ . '/includes/class-aftercare-connection.php';

if ( Aftercare_Options::is_connected() ) {
	( new Aftercare_Connection() )->disconnect();
}
foreach ( Aftercare_Options::all() as $aftercare_option ) {
	delete_option( $aftercare_option );
}
delete_transient( Aftercare_Options::SCRIPT_URL );
