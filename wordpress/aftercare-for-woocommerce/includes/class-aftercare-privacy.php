<?php
/**
 * WordPress's personal data exporter and eraser, forwarded to the service.
 *
 * @package Aftercare
 */

defined( 'ABSPATH' ) || exit;

/**
 * "Aftercare messages" in Tools > Export / Erase Personal Data.
 */
class Aftercare_Privacy {

	/**
	 * Registers the exporter and the eraser.
	 */
	public function register(): void {
		add_filter( 'wp_privacy_personal_data_exporters', array( $this, 'add_exporter' ) );
		add_filter( 'wp_privacy_personal_data_erasers', array( $this, 'add_eraser' ) );
	}

	/**
	 * Adds the exporter.
	 *
	 * @param array $exporters Registered exporters.
	 * @return array
	 */
	public function add_exporter( $exporters ): array {
		$exporters['aftercare'] = array(
			'exporter_friendly_name' => __( 'Aftercare messages', 'aftercare' ),
			'callback'               => array( $this, 'export' ),
		);
		return $exporters;
	}

	/**
	 * Adds the eraser.
	 *
	 * @param array $erasers Registered erasers.
	 * @return array
	 */
	public function add_eraser( $erasers ): array {
		$erasers['aftercare'] = array(
			'eraser_friendly_name' => __( 'Aftercare messages', 'aftercare' ),
			'callback'             => array( $this, 'erase' ),
		);
		return $erasers;
	}

	/**
	 * One page of the shopper's messages, from the service.
	 *
	 * @param string $email Shopper's email address.
	 * @param int    $page  Page, from 1.
	 * @return array{data: array, done: bool}|WP_Error
	 */
	public function export( $email, $page = 1 ) {
		if ( ! Aftercare_Options::is_connected() ) {
			return array(
				'data' => array(),
				'done' => true,
			);
		}
		$data = $this->forward( '/woocommerce/privacy/export', $email, $page );
		if ( null === $data ) {
			return new WP_Error( 'aftercare_export_failed', __( 'The Aftercare service could not be reached to export its messages. Try again later.', 'aftercare' ) );
		}
		return array(
			'data' => array_values( array_filter( (array) ( $data['data'] ?? array() ), 'is_array' ) ),
			'done' => (bool) ( $data['done'] ?? true ),
		);
	}

	/**
	 * Erases one page of the shopper's messages at the service.
	 *
	 * @param string $email Shopper's email address.
	 * @param int    $page  Page, from 1.
	 * @return array{items_removed: bool, items_retained: bool, messages: string[], done: bool}
	 */
	public function erase( $email, $page = 1 ): array {
		if ( ! Aftercare_Options::is_connected() ) {
			return self::erased( false, false, array(), true );
		}
		$data = $this->forward( '/woocommerce/privacy/erase', $email, $page );
		if ( null === $data ) {
			$message = __( 'The Aftercare service could not be reached, so its messages were not erased. Try again later.', 'aftercare' );
			return self::erased( false, true, array( $message ), true );
		}
		$messages = array_values( array_filter( (array) ( $data['messages'] ?? array() ), 'is_string' ) );
		return self::erased( (bool) ( $data['items_removed'] ?? false ), (bool) ( $data['items_retained'] ?? false ), $messages, (bool) ( $data['done'] ?? true ) );
	}

	/**
	 * An eraser's answer.
	 *
	 * @param bool     $removed  Items removed.
	 * @param bool     $retained Items retained.
	 * @param string[] $messages Messages for the admin.
	 * @param bool     $done     Whether this was the last page.
	 * @return array{items_removed: bool, items_retained: bool, messages: string[], done: bool}
	 */
	private static function erased( bool $removed, bool $retained, array $messages, bool $done ): array {
		return array(
			'items_removed'  => $removed,
			'items_retained' => $retained,
			'messages'       => $messages,
			'done'           => $done,
		);
	}

	/**
	 * Signed POST {"email", "page"}; the decoded answer, or null when it failed.
	 *
	 * @param string $path  Service path.
	 * @param string $email Shopper's email address.
	 * @param int    $page  Page.
	 * @return array|null
	 */
	private function forward( string $path, $email, $page ): ?array {
		$body = array(
			'email' => (string) $email,
			'page'  => max( 1, (int) $page ),
		);
		try {
			$answer = Aftercare_Client::post_signed( $path, $body );
		} catch ( Aftercare_Service_Unreachable $error ) {
			return null;
		}
		return 200 === $answer['status'] ? $answer['data'] : null;
	}
}
