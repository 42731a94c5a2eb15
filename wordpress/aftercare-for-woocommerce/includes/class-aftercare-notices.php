<?php
/**
 * The messages the settings page shows after an action, by code.
 *
 * @package Aftercare
 */

defined( 'ABSPATH' ) || exit;

/**
 * A fixed table of notices; only codes travel in URLs, never text.
 */
class Aftercare_Notices {

	/**
	 * Code => [type, message].
	 *
	 * @return array<string, array{0: string, 1: string}>
	 */
	public static function table(): array {
		return array(
			'connected'            => array( 'success', __( 'Your store is connected to Aftercare.', 'aftercare' ) ),
			'keys_refused'         => array( 'error', __( 'Your store did not accept the access key WooCommerce created for Aftercare, so Aftercare ended the connection. Please connect again.', 'aftercare' ) ),
			'connection_ended'     => array( 'error', __( 'Aftercare could not confirm this store and ended the connection. Check that the store can be reached at its public https:// address, then connect again.', 'aftercare' ) ),
			'awaiting_approval'    => array( 'warning', __( 'Your store is connected and waiting for the Aftercare operator\'s approval. Nothing is sent to your shoppers until then.', 'aftercare' ) ),
			'expired'              => array( 'error', __( 'That connection attempt expired. Please connect again.', 'aftercare' ) ),
			'access_denied'        => array( 'error', __( 'WooCommerce access was not granted, so Aftercare is not connected.', 'aftercare' ) ),
			'connect_mismatch'     => array( 'error', __( 'This answer from WooCommerce does not belong to the connection started here. Please connect again.', 'aftercare' ) ),
			'connect_failed'       => array( 'error', __( 'The Aftercare service did not start the connection. Check the service URL and try again.', 'aftercare' ) ),
			'service_unreachable'  => array( 'error', __( 'The Aftercare service could not be reached. Check the service URL and try again.', 'aftercare' ) ),
			'url_not_https'        => array( 'error', __( 'The Aftercare service URL must start with https://.', 'aftercare' ) ),
			'url_locked'           => array( 'error', __( 'Disconnect before changing the Aftercare service URL.', 'aftercare' ) ),
			'url_saved'            => array( 'success', __( 'Service URL saved.', 'aftercare' ) ),
			'emails_saved'         => array( 'success', __( 'Email choices saved.', 'aftercare' ) ),
			'not_connected'        => array( 'error', __( 'Your store is not connected to Aftercare.', 'aftercare' ) ),
			'confirm_disconnect'   => array( 'warning', __( 'Tick the confirmation box to disconnect.', 'aftercare' ) ),
			'disconnected'         => array( 'success', __( 'Disconnected. Aftercare has stopped sending messages for this store and its access key was revoked.', 'aftercare' ) ),
			'disconnected_offline' => array( 'warning', __( 'Disconnected here and the access key was revoked, but the Aftercare service could not be reached to confirm. It can no longer read this store.', 'aftercare' ) ),
		);
	}

	/**
	 * Prints the notice for a code; unknown codes print nothing.
	 *
	 * @param string $code Notice code.
	 */
	public static function render( string $code ): void {
		$table = self::table();
		if ( ! isset( $table[ $code ] ) ) {
			return;
		}
		list( $type, $message ) = $table[ $code ];
		printf( '<div class="notice notice-%1$s"><p>%2$s</p></div>', esc_attr( $type ), esc_html( $message ) );
	}
}
